// The emails of a case, as pure functions: what was seen, the deadline in UTC and the tenant's zone, the link.
// Attacker-controlled text (report summaries, URLs) goes into text bodies as it is and into HTML bodies only escaped.
import type { CaseCategory, Severity } from './cases';

export type NoticeKind =
  | 'notice'
  | 'reminder'
  | 'suspended'
  | 'restored'
  | 'closed'
  | 'remediation_submitted'
  | 'remediation_refused'
  | 'extension_requested'
  | 'extension_granted'
  | 'extension_refused';

export type ReporterNoticeKind = 'reporter_ack' | 'reporter_outcome';

export interface Email {
  subject: string;
  text: string;
  html: string;
}

export interface EvidenceLine {
  receivedAt: Date;
  /** Parser summary: attacker-controlled. */
  summary: string | null;
  sourceIps: string[];
  reportedUrls: string[];
  channel: string;
}

export interface TenantNoticeInput {
  /** Short reference shown to people (not a secret). */
  reference: string;
  category: CaseCategory | string;
  severity?: Severity | string;
  tenantName: string;
  deploymentName: string;
  timeZone: string;
  deadlineAt?: Date;
  evidence: EvidenceLine[];
  evidenceCount: number;
  /** The signed link to the tenant page. */
  linkUrl?: string;
  /** For reminders: how long is left, already in words. */
  timeLeft?: string;
  note?: string;
}

const CATEGORY_LABELS: Record<string, string> = {
  spam: 'spam',
  phishing: 'phishing',
  dos: 'denial of service',
  hacking_login_attack: 'login attacks',
  hacking_port_scan: 'port scanning',
  hacking_exploitation: 'exploitation attempts',
  copyright: 'copyright infringement',
  illegal_content: 'illegal content',
  malware_hosting: 'malware hosting',
  compromised_host: 'a compromised host',
  vulnerable_service: 'a vulnerable service',
};

export const categoryLabel = (category: string) => CATEGORY_LABELS[category] ?? category.replace(/_/g, ' ');

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A moment in UTC and in a zone, e.g. "2026-11-30 14:00 UTC" and "Monday 30 November 2026, 15:00 CET (Europe/Berlin)". */
export function formatDeadline(at: Date, timeZone: string): { utc: string; local: string; zone: string } {
  const utc = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const { fmt, zone } = deadlineFormat(timeZone);
  return { utc, local: `${fmt.format(at)} (${zone})`, zone };
}

// A formatter per zone, made once: building one costs more than the rest of a notice.
const deadlineFormats = new Map<string, { fmt: Intl.DateTimeFormat; zone: string }>();

function deadlineFormat(timeZone: string): { fmt: Intl.DateTimeFormat; zone: string } {
  let found = deadlineFormats.get(timeZone);
  if (!found) {
    try {
      found = { fmt: new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'full', timeStyle: 'long' }), zone: timeZone };
    } catch {
      // An unknown zone in the tenant's record must not stop the notice: UTC is always right.
      found = { fmt: new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'long' }), zone: 'UTC' };
    }
    // Zones are a few hundred names; anything else (a typo per tenant) is not kept.
    if (deadlineFormats.size < 1_000) deadlineFormats.set(timeZone, found);
  }
  return found;
}

/** Whole hours and minutes, for reminders ("23 hours 59 minutes", "6 seconds" for test windows). */
export function describeDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} seconds`;
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} hour${h === 1 ? '' : 's'}` : '', m ? `${m} minute${m === 1 ? '' : 's'}` : ''].filter(Boolean).join(' ');
}

const MAX_EVIDENCE_LINES = 5;
const MAX_SUMMARY_CHARS = 500;

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

function evidenceText(e: EvidenceLine): string {
  const parts = [`${e.receivedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (${e.channel === 'detection' ? 'our detection' : 'report'})`];
  if (e.sourceIps.length) parts.push(`source ${e.sourceIps.join(', ')}`);
  if (e.reportedUrls.length) parts.push(`URL ${e.reportedUrls.slice(0, 3).join(', ')}`);
  const summary = e.summary ? `\n    ${clip(e.summary, MAX_SUMMARY_CHARS).replace(/\r?\n|\r/g, '\n    ')}` : '';
  return `  - ${parts.join('; ')}${summary}`;
}

function evidenceHtml(e: EvidenceLine): string {
  const parts = [`${e.receivedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (${e.channel === 'detection' ? 'our detection' : 'report'})`];
  if (e.sourceIps.length) parts.push(`source ${e.sourceIps.join(', ')}`);
  if (e.reportedUrls.length) parts.push(`URL ${e.reportedUrls.slice(0, 3).join(', ')}`);
  const summary = e.summary ? `<br><pre style="white-space:pre-wrap">${escapeHtml(clip(e.summary, MAX_SUMMARY_CHARS))}</pre>` : '';
  return `<li>${escapeHtml(parts.join('; '))}${summary}</li>`;
}

interface Body {
  subject: string;
  paragraphs: string[];
  /** Attacker-controlled evidence, rendered escaped in HTML. */
  evidence?: { lines: EvidenceLine[]; total: number };
  deadline?: { at: Date; timeZone: string };
  link?: { url: string; label: string };
}

function render(body: Body): Email {
  const text: string[] = [];
  const html: string[] = [];
  for (const p of body.paragraphs) {
    text.push(p);
    html.push(`<p>${escapeHtml(p)}</p>`);
  }
  if (body.evidence && body.evidence.lines.length > 0) {
    const shown = body.evidence.lines.slice(0, MAX_EVIDENCE_LINES);
    const more = body.evidence.total - shown.length;
    text.push(`What was seen (${body.evidence.total} report${body.evidence.total === 1 ? '' : 's'}):\n${shown.map(evidenceText).join('\n')}${more > 0 ? `\n  … and ${more} more` : ''}`);
    html.push(
      `<p>What was seen (${body.evidence.total} report${body.evidence.total === 1 ? '' : 's'}):</p><ul>${shown.map(evidenceHtml).join('')}${more > 0 ? `<li>… and ${more} more</li>` : ''}</ul>`,
    );
  }
  if (body.deadline) {
    const d = formatDeadline(body.deadline.at, body.deadline.timeZone);
    text.push(`Deadline: ${d.utc}\n          ${d.local}`);
    html.push(`<p><strong>Deadline:</strong> ${escapeHtml(d.utc)}<br>${escapeHtml(d.local)}</p>`);
  }
  if (body.link) {
    text.push(`${body.link.label}:\n${body.link.url}`);
    html.push(`<p><a href="${escapeHtml(body.link.url)}">${escapeHtml(body.link.label)}</a></p>`);
  }
  text.push('— Safeguard Abuse Desk');
  html.push('<p>— Safeguard Abuse Desk</p>');
  return { subject: body.subject, text: `${text.join('\n\n')}\n`, html: `<!doctype html><html><body>${html.join('\n')}</body></html>` };
}

/** Emails to the tenant's security contact (fallback: owner). */
export function tenantNotice(kind: NoticeKind, c: TenantNoticeInput): Email {
  const what = categoryLabel(c.category);
  const subjectOf = (s: string) => `[Safeguard ${c.reference}] ${s}`;
  const on = `on your deployment "${c.deploymentName}" (${c.tenantName})`;
  const link = c.linkUrl ? { url: c.linkUrl, label: 'Open the case page (no account needed)' } : undefined;
  const deadline = c.deadlineAt ? { at: c.deadlineAt, timeZone: c.timeZone } : undefined;
  const evidence = { lines: c.evidence, total: c.evidenceCount };
  switch (kind) {
    case 'notice':
      return render({
        subject: subjectOf(`Abuse notice: ${what} ${on}`),
        paragraphs: [
          `We received reports of ${what} coming from your deployment "${c.deploymentName}".${c.severity ? ` Severity: ${c.severity}.` : ''}`,
          'Please investigate, stop the activity, and tell us what you did on the case page before the deadline. If nothing has been verified by then, the deployment will be suspended until it is.',
        ],
        evidence,
        deadline,
        link,
      });
    case 'reminder':
      return render({
        subject: subjectOf(`Reminder: ${c.timeLeft ?? 'little time'} left to remediate ${what}`),
        paragraphs: [
          `This is a reminder about the abuse case ${on}. ${c.timeLeft ? `${c.timeLeft} remain` : 'Little time remains'} before the deployment is suspended.`,
          'If you have already remediated, describe what you did on the case page so that an analyst can verify it.',
        ],
        evidence,
        deadline,
        link,
      });
    case 'suspended':
      return render({
        subject: subjectOf(`Deployment "${c.deploymentName}" suspended`),
        paragraphs: [
          `The deadline for the abuse case about ${what} ${on} has passed without verified remediation, so the deployment has been suspended.`,
          'Describe the remediation on the case page; the deployment is restored as soon as an analyst verifies it.',
        ],
        link,
      });
    case 'restored':
      return render({
        subject: subjectOf(`Deployment "${c.deploymentName}" restored`),
        paragraphs: [`An analyst verified your remediation of ${what}, and the deployment "${c.deploymentName}" has been restored. The case is closed. Thank you.`],
      });
    case 'closed':
      return render({
        subject: subjectOf('Remediation verified: case closed'),
        paragraphs: [`An analyst verified your remediation of ${what} ${on}. The case is closed and no further action is needed. Thank you.`],
      });
    case 'remediation_submitted':
      return render({
        subject: subjectOf('Remediation received'),
        paragraphs: ['We received your description of the remediation. An analyst will verify it; until then the deadline still applies.'],
        deadline,
        link,
      });
    case 'remediation_refused':
      return render({
        subject: subjectOf('Remediation not verified'),
        paragraphs: [
          `An analyst could not verify the remediation of ${what} ${on}.${c.note ? ` Note from the analyst: ${c.note}` : ''}`,
          'Please look again and submit a new description on the case page.',
        ],
        deadline,
        link,
      });
    case 'extension_requested':
      return render({
        subject: subjectOf('Extension request received'),
        paragraphs: ['We received your request for more time. An analyst will decide on it; until then the current deadline applies.'],
        deadline,
        link,
      });
    case 'extension_granted':
      return render({
        subject: subjectOf('Extension granted: new deadline'),
        paragraphs: [`Your request for more time has been granted.${c.note ? ` Note from the analyst: ${c.note}` : ''}`],
        deadline,
        link,
      });
    case 'extension_refused':
      return render({
        subject: subjectOf('Extension refused'),
        paragraphs: [`Your request for more time has been refused; the deadline is unchanged.${c.note ? ` Note from the analyst: ${c.note}` : ''}`],
        deadline,
        link,
      });
  }
}

export interface ReporterNoticeInput {
  /** The report's own reference, so the reporter can match it. */
  reportReference: string;
  receivedAt: Date;
  category: string;
  /** For the outcome: whether the desk acted. Never says how, or against whom. */
  actioned?: boolean;
}

/** Emails to reporters: an acknowledgement and a neutral outcome, with no detail about the tenant. */
export function reporterNotice(kind: ReporterNoticeKind, r: ReporterNoticeInput): Email {
  const when = `${r.receivedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (kind === 'reporter_ack') {
    return render({
      subject: `[Safeguard ${r.reportReference}] Your report was received`,
      paragraphs: [`Thank you. Your report about ${categoryLabel(r.category)} received at ${when} is being handled (reference ${r.reportReference}).`],
    });
  }
  return render({
    subject: `[Safeguard ${r.reportReference}] Your report has been handled`,
    paragraphs: [
      r.actioned === false
        ? `We reviewed your report received at ${when} (reference ${r.reportReference}) and closed it without further action.`
        : `The case opened from your report received at ${when} (reference ${r.reportReference}) has been handled and closed.`,
      'We do not share details about our customers or the measures taken. Thank you for reporting.',
    ],
  });
}
