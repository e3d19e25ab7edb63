// What the forensics workflow, its activities, the console and the tenant page share: no zod, no Prisma here.
import type { PolicyDuration } from '../cases';

export const FORENSIC_CONSENT_LINK = 'forensic_consent';

export const forensicWorkflowId = (requestId: string) => `forensics:${requestId}`;

export type ForensicStateName = 'proposed' | 'approved' | 'declined' | 'expired' | 'collecting' | 'analysing' | 'completed' | 'revoked' | 'window_closed';

/** Scope as the workflow carries it (the zod schema and the narrowing rules are in ./scope). */
export interface ScopeValue {
  targets: { deploymentId: string; vmIds?: string[] }[];
  dataKinds: string[];
}

export interface ForensicInput {
  requestId: string;
  caseId: string;
  tenantId: string;
  proposedScope: ScopeValue;
  /** How long the tenant has to decide (default 4 days); then the request is declined by itself. */
  decisionWindow: PolicyDuration;
  /** How long access lasts once approved (default 8 hours). */
  accessWindow: PolicyDuration;
  /** How long artifacts are kept after collection. */
  retention: PolicyDuration;
}

/** Who decided, from where, and exactly what they were shown. */
export interface ConsentEvidence {
  name: string;
  email: string;
  ip?: string;
  userAgent?: string;
  scopeTextShown: string;
}

export type ConsentDecision = ({ approve: true; approvedScope: ScopeValue } | { approve: false; reason?: string }) & { by: ConsentEvidence };

export interface CollectionItem {
  deploymentId: string;
  vmId: string;
  kind: string;
}

export interface ForensicSnapshot {
  state: ForensicStateName;
  approvedScope?: ScopeValue;
  decidedAt?: string;
  windowEndsAt?: string;
  revokedAt?: string;
  planned: number;
  collected: number;
  reportShared: boolean;
}

export type ForensicOutcome = 'declined' | 'expired' | 'revoked' | 'completed' | 'window_closed';
