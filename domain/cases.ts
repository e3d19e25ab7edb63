// Contracts of the abuse-case pillar, shared by the case workflow, its activities, the console and the CLI.
// No zod and no Prisma here: workflows import this file.

export const CASE_CATEGORIES = [
  'spam',
  'phishing',
  'dos',
  'hacking_login_attack',
  'hacking_port_scan',
  'hacking_exploitation',
  'copyright',
  'illegal_content',
  'malware_hosting',
  'compromised_host',
  'vulnerable_service',
] as const;
export type CaseCategory = (typeof CASE_CATEGORIES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The gravest of some severities (SEVERITIES is ordered mildest first); null when there is none. */
export function gravest(severities: readonly (Severity | null | undefined)[]): Severity | null {
  let worst = -1;
  for (const s of severities) if (s) worst = Math.max(worst, SEVERITIES.indexOf(s));
  return worst < 0 ? null : SEVERITIES[worst]!;
}

/** Mirrors the CaseState enum in prisma/schema.prisma. */
export type CaseState = 'triage' | 'notified' | 'remediation_submitted' | 'suspended' | 'closed' | 'rejected';

/** How a case ended: the workflow's return value. */
export type CaseOutcome =
  | { kind: 'rejected'; reason: string }
  | { kind: 'merged'; intoWorkflowId: string }
  | { kind: 'remediated'; suspended: boolean };

/** A duration Temporal understands: milliseconds or an ms-style string ('48 hours'). */
export type PolicyDuration = number | `${number} ${'seconds' | 'minutes' | 'hours' | 'days'}` | `${number}${'s' | 'm' | 'h' | 'd'}`;

export interface CasePolicy {
  /** Open straight into notice with this severity, without an analyst's triage (e.g. confirmed DoS from our detectors). */
  skipTriage: boolean;
  defaultSeverity: Severity;
  /** From the notice to suspension. */
  remediationWindow: PolicyDuration;
  /** Reminders, measured back from the deadline. */
  reminderOffsets: PolicyDuration[];
  /** The longest single extension an analyst may grant. */
  maxExtension: PolicyDuration;
  /** Skip triage as soon as evidence of one of these kinds is attached (e.g. ['detection'] for DoS). */
  skipTriageOn?: EvidenceRef['kind'][];
  /** The remediation window for a severity, where it differs from `remediationWindow`. */
  remediationWindowBySeverity?: Partial<Record<Severity, PolicyDuration>>;
}

export const DEFAULT_CASE_POLICY: CasePolicy = {
  skipTriage: false,
  defaultSeverity: 'medium',
  remediationWindow: '48 hours',
  reminderOffsets: ['24 hours', '4 hours'],
  maxExtension: '48 hours',
};

export interface EvidenceRef {
  kind: 'report' | 'detection';
  id: string;
  receivedAt: string;
}

/** What starts (or re-opens) a case workflow; the id is caseWorkflowId(deploymentId, category). */
export interface CaseInput {
  deploymentId: string;
  tenantId: string;
  category: CaseCategory;
  policy: CasePolicy;
  /** State carried across continue-as-new; absent on a fresh start. */
  carried?: CaseSnapshot;
  /** History length after which the run continues as new (default 2,000; tests pass less). */
  historyLimit?: number;
}

export interface CaseSnapshot {
  caseId: string;
  state: CaseState;
  severity?: Severity;
  deadlineAt?: string;
  evidence: number;
  pendingEvidence: EvidenceRef[];
  remindersSent: number[];
  extensionRequested: boolean;
  extensionRequest?: { reason: string; requested: PolicyDuration };
  remediation?: { description: string; submittedAt: string };
  suspended: boolean;
  everSuspended: boolean;
  acknowledgedAt?: string;
  noticeCount: number;
  /** Which opening of the case row this run serves (Case.reopenCount): part of every idempotency key. */
  cycle?: number;
  /** The analyst's decision on the one extension request. */
  extensionStatus?: ExtensionStatus;
  /** The analyst's verdict on the current remediation, if any. */
  remediationVerdict?: { accepted: boolean; by: string; note?: string };
  /** How many remediations were refused (keys the refusal emails). */
  refusals?: number;
  triage?: TriageDecision;
}

export type ExtensionStatus = 'requested' | 'granted' | 'refused';

/** Purpose of the signed link in a notice that opens the tenant page (lib/access-links.ts). */
export const TENANT_CASE_LINK = 'tenant_case';

export const caseWorkflowId = (deploymentId: string, category: CaseCategory) => `case:${deploymentId}:${category}`;

/**
 * The idempotency key of a case email: one per kind, opening of the case (cycle) and occasion, so a retried step
 * never sends it twice. Reporter acknowledgements are keyed by kind alone; the sender appends each report's id.
 */
export function caseEmailKey(kind: string, caseId: string, cycle: number, occasion: string): string {
  return kind === 'reporter_ack' ? kind : `${kind}:${caseId}:${cycle}:${occasion}`;
}

export type TriageDecision =
  | { action: 'accept'; severity: Severity; by: string }
  | { action: 'reject'; reason: string; notifyReporter: boolean; by: string }
  | { action: 'merge'; intoWorkflowId: string; by: string };
