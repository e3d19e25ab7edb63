// The emails of a just-in-time access request, as pure functions: approvers are told of a new request, the tenant is
// asked for consent when customer data is in scope (and told when the access they allowed has ended), the requester
// hears how it ended. Every value is escaped in HTML
// (deployment and tenant names are the tenant's text); text bodies carry them as they are.
import { describeDuration, escapeHtml, formatDeadline, type Email } from '../notices';
import { accessScopeLines, type AccessScopeFacts } from './scope-text';

export type AccessEmailKind = 'access_request' | 'access_consent' | 'access_granted' | 'access_denied' | 'access_expired' | 'access_ended';

export interface AccessNoticeInput {
  /** Short reference shown to people (not a secret). */
  reference: string;
  facts: AccessScopeFacts;
  requiredApprovals: number;
  tenantConsentRequired: boolean;
  /** Until when approvals (and the tenant's consent) are accepted. */
  deadlineAt: Date;
  /** The tenant's zone for the consent mail; UTC for staff. */
  timeZone?: string;
  /** The console page (staff) or the signed consent link (tenant). */
  linkUrl?: string;
  grantExpiresAt?: Date;
  /** Denied: who and why; ended: why (e.g. "expired", "ended early by Dana"). */
  outcome?: string;
  note?: string;
}

interface Body {
  subject: string;
  paragraphs: string[];
  facts?: { label: string; value: string }[];
  deadline?: { label: string; at: Date; timeZone: string };
  link?: { url: string; label: string };
  signature: string;
}

function render(b: Body): Email {
  const text: string[] = [];
  const html: string[] = [];
  for (const p of b.paragraphs) {
    text.push(p);
    html.push(`<p>${escapeHtml(p)}</p>`);
  }
  if (b.facts) {
    text.push(b.facts.map((f) => `${f.label}: ${f.value}`).join('\n'));
    html.push(`<dl>${b.facts.map((f) => `<dt>${escapeHtml(f.label)}</dt><dd style="white-space:pre-wrap">${escapeHtml(f.value)}</dd>`).join('')}</dl>`);
  }
  if (b.deadline) {
    const d = formatDeadline(b.deadline.at, b.deadline.timeZone);
    const local = d.zone === 'UTC' ? '' : `\n${' '.repeat(b.deadline.label.length + 2)}${d.local}`;
    text.push(`${b.deadline.label}: ${d.utc}${local}`);
    html.push(`<p><strong>${escapeHtml(b.deadline.label)}:</strong> ${escapeHtml(d.utc)}${local ? `<br>${escapeHtml(d.local)}` : ''}</p>`);
  }
  if (b.link) {
    text.push(`${b.link.label}:\n${b.link.url}`);
    html.push(`<p><a href="${escapeHtml(b.link.url)}">${escapeHtml(b.link.label)}</a></p>`);
  }
  text.push(`— ${b.signature}`);
  html.push(`<p>— ${escapeHtml(b.signature)}</p>`);
  return { subject: b.subject, text: `${text.join('\n\n')}\n`, html: `<!doctype html><html><body>${html.join('\n')}</body></html>` };
}

const where = (f: AccessScopeFacts) => (f.targetKind === 'deployment' ? `deployment "${f.deploymentName ?? 'unknown'}"` : `${f.infraScope ?? 'unknown'} infrastructure`);

/** Emails to staff: the approvers of a new request, and the requester about its outcome. */
export function accessStaffNotice(kind: Exclude<AccessEmailKind, 'access_consent'>, c: AccessNoticeInput): Email {
  const subjectOf = (s: string) => `[Safeguard access ${c.reference}] ${s}`;
  const signature = 'Safeguard access control';
  const link = c.linkUrl ? { url: c.linkUrl, label: 'Open the request in the console' } : undefined;
  const f = c.facts;
  switch (kind) {
    case 'access_request':
      return render({
        subject: subjectOf(`${f.requesterName} asks for ${f.level} access to ${where(f)}`),
        paragraphs: [
          `${f.requesterName} asks for just-in-time access. It needs ${c.requiredApprovals} approval${c.requiredApprovals === 1 ? '' : 's'} from people other than the requester${c.tenantConsentRequired ? ", and the tenant's consent, because customer data is in scope" : ''}.`,
          'Approving or denying needs a fresh check with your second factor in the console.',
        ],
        facts: accessScopeLines(f),
        deadline: { label: 'Approvals accepted until', at: c.deadlineAt, timeZone: 'UTC' },
        link,
        signature,
      });
    case 'access_granted':
      return render({
        subject: subjectOf(`Access granted: ${f.level} on ${where(f)}`),
        paragraphs: [
          'Your request was approved and the access has been granted. Everything you do under it is recorded. End it in the console as soon as you are done.',
        ],
        facts: accessScopeLines(f),
        ...(c.grantExpiresAt ? { deadline: { label: 'The access ends at', at: c.grantExpiresAt, timeZone: 'UTC' } } : {}),
        link,
        signature,
      });
    case 'access_denied':
      return render({
        subject: subjectOf(`Access denied: ${f.level} on ${where(f)}`),
        paragraphs: [`Your request for ${f.level} access to ${where(f)} was denied${c.outcome ? ` ${c.outcome}` : ''}.${c.note ? ` Comment: ${c.note}` : ''}`, 'No access was granted.'],
        link,
        signature,
      });
    case 'access_expired':
      return render({
        subject: subjectOf(`Access request expired: ${f.level} on ${where(f)}`),
        paragraphs: [
          `Your request for ${f.level} access to ${where(f)} did not receive the approvals it needed in time, so it expired. No access was granted; ask again if you still need it.`,
        ],
        link,
        signature,
      });
    case 'access_ended':
      return render({
        subject: subjectOf(`Access ended: ${f.level} on ${where(f)}`),
        paragraphs: [`Your ${f.level} access to ${where(f)} has ended (${c.outcome ?? 'ended'}), and the provider has confirmed that it was removed.`],
        link,
        signature,
      });
  }
}

/** The tenant's Customer Lockbox request: exactly what would be accessed, by whom, why, for how long, and the link. */
export function accessConsentNotice(c: AccessNoticeInput): Email {
  const f = c.facts;
  return render({
    subject: `[Safeguard access ${c.reference}] Your consent is needed: access to customer data on ${where(f)}`,
    paragraphs: [
      `Hello ${f.tenantName ?? ''},`.replace(' ,', ','),
      "A member of our security team asks for access that would reach customer data on your deployment. Nothing is accessed without your consent, and our own approvers must agree as well.",
      `The access would last ${describeDuration(f.durationMinutes * 60_000)} from approval, is recorded, and is removed automatically when it ends.`,
      'The page below shows the same details. You can approve or decline there; the link works once.',
    ],
    facts: accessScopeLines(f),
    deadline: { label: 'Without a decision the request expires at', at: c.deadlineAt, timeZone: c.timeZone ?? 'UTC' },
    ...(c.linkUrl ? { link: { url: c.linkUrl, label: 'Review the request (no account needed)' } } : {}),
    signature: 'Safeguard Security Desk',
  });
}

/** The end of an access the tenant consented to: when, how, and how many actions were recorded under it. */
export interface AccessTenantEndedInput extends AccessNoticeInput {
  endedAt: Date;
  /** How it ended, in the grant's own words ("expired", "ended early by Dana", …). */
  outcome: string;
  actionCount: number;
}

/** Tells the tenant that the access to their customer data has ended, once the provider has confirmed its removal. */
export function accessTenantEndedNotice(c: AccessTenantEndedInput): Email {
  const f = c.facts;
  const actions = c.actionCount === 0 ? 'No actions were recorded' : `${c.actionCount} action${c.actionCount === 1 ? ' was' : 's were'} recorded`;
  return render({
    subject: `[Safeguard access ${c.reference}] Our access to customer data on ${where(f)} has ended`,
    paragraphs: [
      `Hello ${f.tenantName ?? ''},`.replace(' ,', ','),
      `The ${f.level} access to customer data on ${where(f)} that you consented to has ended (${c.outcome}), and our access provider has confirmed that it was removed.`,
      `${actions} under it. Reply to this email if you would like to know more about them.`,
    ],
    facts: accessScopeLines(f),
    deadline: { label: 'The access ended at', at: c.endedAt, timeZone: c.timeZone ?? 'UTC' },
    signature: 'Safeguard Security Desk',
  });
}
