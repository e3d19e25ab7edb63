// Who did it, in words. Audit entries name their actor by what the writer had at hand: a user's id or email, a
// tenant's id, the email or name a tenant's person gave on a link, a workflow id. Timelines show a name instead,
// looked up for a whole page of entries at once (one query per kind of record, none per entry). Whatever cannot be
// found (a deleted user, an id of unknown form) is shown as it was stored: a timeline never fails over a name.
import type { Db } from './db';
import { isUuid } from '../domain/ids';

/** An actor as a page shows it. Names are tenant- or user-supplied text: render them as text only. */
export interface ActorLabel {
  /** A person's or tenant's name, or the part of Safeguard that acted. */
  label: string;
  /** What stands behind the label (an email, an id, a workflow id), for a tooltip. */
  detail?: string;
}

export interface ActorRef {
  actorType: string;
  actorId: string;
}

const isEmail = (id: string) => id.includes('@');

/** Fixed ids of Safeguard's own parts (actorType 'system'). */
const SYSTEM_LABELS: Record<string, string> = {
  'case-workflow': 'Safeguard (case workflow)',
  console: 'Safeguard (console)',
  intake: 'Safeguard (intake)',
  'intake-sweeper': 'Safeguard (intake sweeper)',
};

/** Workflow ids by their prefix: caseWorkflowId, accessWorkflowId and forensicWorkflowId. */
const WORKFLOW_LABELS: [prefix: string, label: string][] = [
  ['case:', 'Safeguard (case workflow)'],
  ['access:', 'Safeguard (access workflow)'],
  ['forensics:', 'Safeguard (forensics workflow)'],
];

// Report intake: who brought a report in. The id is the sender's own text (an address, a MAIL FROM, a key id).
const INTAKE_LABELS: Record<string, string> = {
  reporter: 'reporter',
  web_form: 'web report form',
  smtp: 'mail intake',
  api_key: 'reports API key',
  cli: 'command line',
};

/** Labels for everything that needs no lookup; null for users and tenants, which do. */
function fixedLabel({ actorType, actorId }: ActorRef): ActorLabel | null {
  switch (actorType) {
    case 'user':
      return null;
    case 'tenant':
      // A tenant's id is looked up; anything else is the email or name their person gave on the link.
      return isUuid(actorId) ? null : { label: `${actorId} (tenant)`, detail: "given on the tenant's link" };
    case 'system':
      return SYSTEM_LABELS[actorId] ? { label: SYSTEM_LABELS[actorId] } : { label: actorId, detail: 'system' };
    case 'workflow': {
      const known = WORKFLOW_LABELS.find(([prefix]) => actorId.startsWith(prefix));
      return { label: known?.[1] ?? actorId, detail: known ? actorId : 'workflow' };
    }
    case 'worker':
      return { label: 'Safeguard (worker)', detail: actorId };
    case 'detector':
      return { label: 'Safeguard (detection)', detail: actorId };
    case 'intake':
      return { label: 'Safeguard (intake)', detail: `channel ${actorId}` };
    default: {
      const via = INTAKE_LABELS[actorType];
      return via ? { label: `${actorId} (${via})` } : { label: actorId, detail: actorType };
    }
  }
}

/**
 * A label for every actor of `entries`: users by id or email (name, with the email as detail), tenants by id
 * (name), Safeguard's own parts by what they are. At most one query for users and one for tenants.
 */
export async function actorLabels(db: Db, entries: readonly ActorRef[]): Promise<(entry: ActorRef) => ActorLabel> {
  const userIds = new Set<string>();
  const userEmails = new Set<string>();
  const tenantIds = new Set<string>();
  for (const { actorType, actorId } of entries) {
    if (actorType === 'user' && isUuid(actorId)) userIds.add(actorId.toLowerCase());
    else if (actorType === 'user' && isEmail(actorId)) userEmails.add(actorId.toLowerCase());
    else if (actorType === 'tenant' && isUuid(actorId)) tenantIds.add(actorId.toLowerCase());
  }
  const [users, tenants] = await Promise.all([
    userIds.size + userEmails.size > 0
      ? db.user.findMany({
          where: { OR: [{ id: { in: [...userIds] } }, { email: { in: [...userEmails] } }] },
          select: { id: true, email: true, name: true },
        })
      : [],
    tenantIds.size > 0 ? db.tenant.findMany({ where: { id: { in: [...tenantIds] } }, select: { id: true, name: true } }) : [],
  ]);
  // Emails are stored in lower case (sign-in lowers them); ids compare in lower case too.
  const userByKey = new Map(users.flatMap((u) => [[u.id, u] as const, [u.email.toLowerCase(), u] as const]));
  const tenantById = new Map(tenants.map((t) => [t.id, t]));

  return (entry) => {
    const fixed = fixedLabel(entry);
    if (fixed) return fixed;
    const key = entry.actorId.toLowerCase();
    if (entry.actorType === 'user') {
      const user = userByKey.get(key);
      return user ? { label: user.name, detail: user.email } : { label: entry.actorId, detail: 'user not on record' };
    }
    const tenant = tenantById.get(key);
    return tenant ? { label: `${tenant.name} (tenant)`, detail: `tenant ${tenant.id}` } : { label: entry.actorId, detail: 'tenant not on record' };
  };
}

/** The entries with their actor's label attached (`actor`), in the same order. */
export async function withActors<T extends ActorRef>(db: Db, entries: T[]): Promise<(T & { actor: ActorLabel })[]> {
  const labelOf = await actorLabels(db, entries);
  return entries.map((e) => ({ ...e, actor: labelOf(e) }));
}
