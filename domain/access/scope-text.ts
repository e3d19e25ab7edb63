// A request for access in plain words: what the tenant's consent page and the approvers' mail show, and what is
// stored as the text a tenant was shown when they decided. Plain text only; callers escape it where it becomes HTML.
import { describeDuration } from '../notices';
import type { AccessLevel, AccessTargetKind } from './contracts';

export interface AccessScopeFacts {
  requesterName: string;
  targetKind: AccessTargetKind;
  level: AccessLevel;
  customerData: boolean;
  /** Deployments: the tenant's own name for it, and the tenant's name. */
  deploymentName?: string;
  tenantName?: string;
  infraScope?: string;
  reason: string;
  durationMinutes: number;
  /** A short case reference when the request serves an abuse case. */
  caseReference?: string;
}

const LEVELS: Record<AccessLevel, string> = {
  read: 'read-only access (view configuration, logs and metrics; change nothing)',
  operate: 'operator access (restart services and change configuration)',
  admin: 'administrator access (full control)',
};

export const levelText = (level: AccessLevel) => LEVELS[level];

/** One line per fact, in the order a person asks: who, what, why, how long. */
export function accessScopeLines(f: AccessScopeFacts): { label: string; value: string }[] {
  const where =
    f.targetKind === 'deployment'
      ? `the deployment "${f.deploymentName ?? 'unknown'}"${f.tenantName ? ` of ${f.tenantName}` : ''}`
      : `the provider's ${f.infraScope ?? 'unknown'} infrastructure`;
  const data =
    f.targetKind === 'deployment'
      ? f.customerData
        ? ', including the customer data stored in it'
        : ', without access to the customer data stored in it'
      : '';
  const lines = [
    { label: 'Who', value: `${f.requesterName}, of the provider's security desk` },
    { label: 'What', value: `${LEVELS[f.level]} to ${where}${data}` },
    { label: 'Why', value: f.reason },
    { label: 'How long', value: `${describeDuration(f.durationMinutes * 60_000)} from approval; the access is removed automatically when it ends, or earlier if it is ended` },
  ];
  if (f.caseReference) lines.push({ label: 'Case', value: f.caseReference });
  return lines;
}

/** The whole description as one text, exactly as shown and stored. */
export function accessScopeText(f: AccessScopeFacts): string {
  return accessScopeLines(f)
    .map((l) => `${l.label}: ${l.value}`)
    .join('\n');
}
