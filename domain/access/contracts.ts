// What the access workflow, its activities, the console and the lockbox page share: no zod, no Prisma here.
import type { PolicyDuration } from '../cases';

/** Link purpose of the tenant's Customer Lockbox consent (/l/<token>). */
export const ACCESS_CONSENT_LINK = 'access_consent';

export const accessWorkflowId = (requestId: string) => `access:${requestId}`;

export type AccessTargetKind = 'deployment' | 'infrastructure';
export type AccessLevel = 'read' | 'operate' | 'admin';
export const ACCESS_LEVELS: readonly AccessLevel[] = ['read', 'operate', 'admin'];

export type AccessStateName = 'pending' | 'approved' | 'active' | 'denied' | 'expired' | 'cancelled' | 'ended';

/** How a person proved presence with a second factor just before acting. */
export type StepUpMethod = 'webauthn' | 'totp' | 'recovery_code';

/** A second-factor check as the console passes it on: which method, and when (ISO). */
export interface StepUpProof {
  method: StepUpMethod;
  at: string;
}

export interface AccessInput {
  requestId: string;
  requesterId: string;
  /** N of N-of-M. */
  requiredApprovals: number;
  /** M: user ids allowed to approve; empty: anyone with the approver role. */
  approverPool: string[];
  tenantConsentRequired: boolean;
  /** How long approvals are accepted (default 24 hours); then the request expires by itself. */
  approvalWindow: PolicyDuration;
  /** How long the grant lasts once issued. */
  duration: PolicyDuration;
  /** How old a second-factor check may be when an approval arrives (the workflow refuses older ones). */
  stepUpMaxAge: PolicyDuration;
  /** Backoff of the revocation, retried until the provider confirms (default 1 second doubling up to 1 minute). */
  revokeRetry?: { initialInterval?: PolicyDuration; maximumInterval?: PolicyDuration };
}

/** An approver's decision, as the console sends it to the workflow's update (validated there). */
export interface ApprovalInput {
  approverId: string;
  approverRole: 'analyst' | 'approver' | 'admin';
  approve: boolean;
  comment?: string;
  stepUp: StepUpProof;
}

/** Who answered for the tenant, from where, and exactly what they were shown. */
export interface TenantConsentEvidence {
  name: string;
  email: string;
  ip?: string;
  userAgent?: string;
  textShown: string;
}

export interface TenantConsentInput {
  approve: boolean;
  reason?: string;
  by: TenantConsentEvidence;
}

/** Ending a grant early (the requester or an approver), or withdrawing a pending request (the requester). */
export interface EndInput {
  userId: string;
  role: 'analyst' | 'approver' | 'admin';
  reason?: string;
}

export interface AccessSnapshot {
  state: AccessStateName;
  approvals: { approverId: string; approve: boolean; at: string }[];
  tenantConsent?: 'approved' | 'declined';
  grantId?: string;
  grantExpiresAt?: string;
  endedAt?: string;
  endReason?: string;
  revokedAt?: string;
}

/** Bounds of a request's reason (characters, after trimming). */
export const ACCESS_REASON_MIN = 10;
export const ACCESS_REASON_MAX = 2000;

/** Where a grant action was recorded from: the console itself, or a tool with the grant's token. */
/** `workflow`: the grant's ending, written by the access workflow's activity. */
export type GrantActionSource = 'console' | 'api' | 'workflow';

/** The console page of a request, relative to PUBLIC_URL (the approvers' and the requester's mails link to it). */
export const accessRequestPath = (requestId: string) => `/access/${requestId}`;

export type AccessOutcome = 'denied' | 'expired' | 'cancelled' | 'ended';

/** Reasons the workflow gives when it refuses an update (ApplicationFailure types), for the console to map. */
export const ACCESS_REFUSALS = [
  'SelfApproval',
  'NotApprover',
  'NotInApproverPool',
  'AlreadyDecided',
  'StepUpRequired',
  'NotPending',
  'NotActive',
  'NotAllowedToEnd',
  'ConsentNotRequired',
] as const;
export type AccessRefusal = (typeof ACCESS_REFUSALS)[number];
