// Just-in-time access as the console and the lockbox page use it: asking (validated against the policy), deciding,
// ending, the tenant's consent by a single-use link, and the grant's tool token and action log. The workflow
// access:<id> enforces who may decide and when; this module checks what it can know first (the target exists, the
// duration fits the rule, enough approvers exist), turns the workflow's refusals into AccessError, and keeps one
// tenant's link away from another tenant's request.
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AccessGrant, AccessLink, AccessRequest, GrantAction, Prisma } from '../generated/prisma/client';
import {
  ACCESS_CONSENT_LINK,
  ACCESS_LEVELS,
  ACCESS_REASON_MAX,
  ACCESS_REASON_MIN,
  ACCESS_REFUSALS,
  accessWorkflowId,
  type AccessInput,
  type AccessLevel,
  type AccessRefusal,
  type AccessSnapshot,
  type AccessStateName,
  type AccessTargetKind,
  type ApprovalInput,
  type EndInput,
  type GrantActionSource,
  type StepUpProof,
} from '../domain/access/contracts';
import { DEFAULT_ACCESS_POLICY, maxMinutes, ruleFor, type AccessPolicy, type AccessPolicyRule, type AccessTarget } from '../domain/access/policy';
import { accessScopeLines, accessScopeText, type AccessScopeFacts } from '../domain/access/scope-text';
import type { PolicyDuration } from '../domain/cases';
import { durationMs } from '../domain/durations';
import { accessQuery, approveUpdate, endUpdate, tenantConsentUpdate, type accessRequestWorkflow } from '../workflows/access';
import { hashLinkToken, verifyAccessLink, type AccessLinkErrorCode } from './access-links';
import { appendAudit } from './audit';
import { config } from './config';
import type { Db } from './db';
import { accessSearchMetadata } from './search-attributes';
import { isUuid } from '../domain/ids';

export type AccessErrorCode = 'not-found' | 'bad-request' | 'forbidden' | 'conflict' | AccessLinkErrorCode;

export class AccessError extends Error {
  constructor(
    readonly code: AccessErrorCode,
    message: string,
    /** The workflow's reason, when it refused (e.g. StepUpRequired: ask for the second factor again). */
    readonly refusal?: AccessRefusal,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}

export interface AccessDeps {
  db: Db;
  temporal: Client;
  /** Where the workflow runs (default TEMPORAL_TASK_QUEUE). */
  taskQueue?: string;
}

/** The policy in force: ACCESS_POLICY over the defaults. */
export const accessPolicy = (): AccessPolicy => config().ACCESS_POLICY ?? DEFAULT_ACCESS_POLICY;

/** What the request form shows before sending: the rule that applies and the longest grant it allows. */
export function previewAccessRule(target: AccessTarget, policy: AccessPolicy = accessPolicy()): { rule: AccessPolicyRule; maxMinutes: number } {
  const rule = ruleFor(policy, target);
  return { rule, maxMinutes: maxMinutes(rule) };
}

const subject = (requestId: string) => ({ subjectType: 'access_request', subjectId: requestId });
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A second-factor check no older than the limit (and not from the future beyond it). */
function isFresh(stepUp: StepUpProof | undefined, maxAge: PolicyDuration): boolean {
  const at = stepUp ? Date.parse(stepUp.at) : NaN;
  return Number.isFinite(at) && Math.abs(Date.now() - at) <= durationMs(maxAge);
}

// ───────────── Asking ─────────────

export interface RequestAccessInput {
  requesterId: string;
  targetKind: AccessTargetKind;
  deploymentId?: string;
  infraScope?: string;
  level: AccessLevel;
  customerData: boolean;
  reason: string;
  caseId?: string;
  durationMinutes: number;
  stepUp: StepUpProof;
  /** Defaults to accessPolicy(). */
  policy?: AccessPolicy;
  /** Defaults to the policy's approvalWindow. */
  approvalWindow?: PolicyDuration;
  /** Tests: a grant of seconds instead of durationMinutes. */
  durationOverride?: PolicyDuration;
  /** Defaults to STEP_UP_MAX_AGE. */
  stepUpMaxAge?: PolicyDuration;
  /** Tests: a faster revocation backoff. */
  revokeRetry?: AccessInput['revokeRetry'];
}

/**
 * Validates a request against the policy, stores it with its audit entry, and starts its workflow. The approver pool
 * is the rule's named approvers (or everyone with the approver role), never the requester; a rule that cannot be met
 * by the people who exist is refused now rather than left to expire.
 */
export async function requestAccess(deps: AccessDeps, input: RequestAccessInput): Promise<AccessRequest> {
  const { db, temporal } = deps;
  const policy = input.policy ?? accessPolicy();
  const reason = input.reason.trim();
  if (reason.length < ACCESS_REASON_MIN || reason.length > ACCESS_REASON_MAX) {
    throw new AccessError('bad-request', `Give a reason of ${ACCESS_REASON_MIN} to ${ACCESS_REASON_MAX} characters.`);
  }
  if (!ACCESS_LEVELS.includes(input.level)) throw new AccessError('bad-request', `Level must be one of ${ACCESS_LEVELS.join(', ')}.`);
  const requester = await db.user.findUnique({ where: { id: input.requesterId } });
  if (!requester || requester.disabled) throw new AccessError('forbidden', 'Your account cannot request access.');
  const stepUpMaxAge = input.stepUpMaxAge ?? config().STEP_UP_MAX_AGE;
  if (!isFresh(input.stepUp, stepUpMaxAge)) throw new AccessError('forbidden', 'Confirm with your second factor again before asking for access.', 'StepUpRequired');

  let tenantId: string | null = null;
  let infraScope: string | null = null;
  if (input.targetKind === 'deployment') {
    if (!input.deploymentId || !isUuid(input.deploymentId)) throw new AccessError('bad-request', 'Choose the deployment to access.');
    if (input.infraScope) throw new AccessError('bad-request', 'A deployment request has no infrastructure scope.');
    const deployment = await db.deployment.findUnique({ where: { id: input.deploymentId }, select: { tenantId: true } });
    if (!deployment) throw new AccessError('not-found', 'There is no such deployment.');
    tenantId = deployment.tenantId;
  } else if (input.targetKind === 'infrastructure') {
    if (input.deploymentId) throw new AccessError('bad-request', 'An infrastructure request names no deployment.');
    if (input.customerData) throw new AccessError('bad-request', 'Customer data is only reachable through a deployment; ask for access to the deployment.');
    if (!input.infraScope || !policy.infraScopes.includes(input.infraScope)) {
      throw new AccessError('bad-request', `Infrastructure scope must be one of: ${policy.infraScopes.join(', ')}.`);
    }
    infraScope = input.infraScope;
  } else {
    throw new AccessError('bad-request', 'Target must be a deployment or infrastructure.');
  }
  if (input.caseId !== undefined) {
    if (!isUuid(input.caseId) || !(await db.case.findUnique({ where: { id: input.caseId }, select: { id: true } }))) {
      throw new AccessError('not-found', 'There is no such case.');
    }
  }

  const rule = ruleFor(policy, { targetKind: input.targetKind, level: input.level, customerData: input.customerData, infraScope: infraScope ?? undefined });
  const max = maxMinutes(rule);
  if (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 1 || input.durationMinutes > max) {
    throw new AccessError('bad-request', `The policy "${rule.name}" allows grants of 1 to ${max} minutes.`);
  }

  // M: the named approvers who exist and may approve, or everyone with the role; the requester never counts.
  const eligible = await db.user.findMany({
    where: {
      disabled: false,
      role: { in: ['approver', 'admin'] },
      id: { not: requester.id },
      ...(rule.approvers ? { email: { in: rule.approvers, mode: 'insensitive' } } : {}),
    },
    select: { id: true },
  });
  if (eligible.length < rule.approvals) {
    throw new AccessError(
      'conflict',
      `The policy "${rule.name}" needs ${rule.approvals} approver${rule.approvals === 1 ? '' : 's'} other than you, and only ${eligible.length} can approve.`,
    );
  }
  const approverPool = rule.approvers ? eligible.map((u) => u.id) : [];

  const approvalWindow = input.approvalWindow ?? policy.approvalWindow;
  const customerData = input.targetKind === 'deployment' && input.customerData;
  const row = await db.$transaction(async (tx) => {
    const created = await tx.accessRequest.create({
      data: {
        requesterId: requester.id,
        targetKind: input.targetKind,
        deploymentId: input.targetKind === 'deployment' ? input.deploymentId! : null,
        tenantId,
        infraScope,
        level: input.level,
        customerData,
        reason,
        caseId: input.caseId ?? null,
        durationMinutes: input.durationMinutes,
        requiredApprovals: rule.approvals,
        approverPool,
        policyRule: rule.name,
        tenantConsentRequired: rule.tenantConsent,
        approvalDeadline: new Date(Date.now() + durationMs(approvalWindow)),
        requestStepUp: input.stepUp.method,
      },
    });
    await appendAudit(tx, {
      actorType: 'user',
      actorId: requester.id,
      action: 'access.requested',
      ...subject(created.id),
      data: {
        targetKind: input.targetKind, deploymentId: created.deploymentId, tenantId, infraScope, level: input.level, customerData, reason, caseId: created.caseId,
        durationMinutes: input.durationMinutes, policyRule: rule.name, requiredApprovals: rule.approvals, approverPool, tenantConsentRequired: rule.tenantConsent, stepUp: input.stepUp,
      },
    });
    return created;
  });

  const args: AccessInput = {
    requestId: row.id,
    requesterId: requester.id,
    requiredApprovals: rule.approvals,
    approverPool,
    tenantConsentRequired: rule.tenantConsent,
    approvalWindow,
    duration: input.durationOverride ?? `${input.durationMinutes} minutes`,
    stepUpMaxAge,
    ...(input.revokeRetry ? { revokeRetry: input.revokeRetry } : {}),
  };
  try {
    await temporal.workflow.start<typeof accessRequestWorkflow>('accessRequestWorkflow', {
      workflowId: accessWorkflowId(row.id),
      taskQueue: deps.taskQueue ?? config().TEMPORAL_TASK_QUEUE,
      args: [args],
      ...accessSearchMetadata({ requester: requester.email, level: input.level, tenantId, deploymentId: row.deploymentId, infraScope, caseId: row.caseId }),
    });
  } catch (err) {
    // No workflow, no approvals: the request is closed with the reason rather than left pending for ever.
    await db.$transaction(async (tx) => {
      await tx.accessRequest.update({ where: { id: row.id }, data: { state: 'cancelled', closedReason: 'its approval process could not be started' } });
      await appendAudit(tx, { actorType: 'system', actorId: 'console', action: 'access.start_failed', ...subject(row.id), data: { error: err instanceof Error ? err.message : String(err) } });
    });
    throw err;
  }
  return row;
}

// ───────────── Deciding and ending (through the workflow) ─────────────

const REFUSAL_CODES: Record<AccessRefusal, AccessErrorCode> = {
  SelfApproval: 'forbidden',
  NotApprover: 'forbidden',
  NotInApproverPool: 'forbidden',
  AlreadyDecided: 'conflict',
  StepUpRequired: 'forbidden',
  NotPending: 'conflict',
  NotActive: 'conflict',
  NotAllowedToEnd: 'forbidden',
  ConsentNotRequired: 'bad-request',
};

// Validators write lower-case fragments ("you cannot approve your own request"): shown as sentences.
const sentence = (m: string) => {
  const s = m.trim().replace(/^ApplicationFailure: /, '');
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`;
};

/** Runs a message to the request's workflow; its refusals become AccessError with the workflow's reason. */
async function toWorkflow<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const type = err.cause.type as AccessRefusal;
      if ((ACCESS_REFUSALS as readonly string[]).includes(type)) throw new AccessError(REFUSAL_CODES[type], sentence(err.cause.message), type);
      throw new AccessError('bad-request', sentence(err.cause.message));
    }
    if (err instanceof WorkflowNotFoundError) throw new AccessError('conflict', 'This request is closed and takes nothing more.');
    throw err;
  }
}

async function requestRow(db: Db, requestId: string): Promise<AccessRequest> {
  const row = isUuid(requestId) ? await db.accessRequest.findUnique({ where: { id: requestId } }) : null;
  if (!row) throw new AccessError('not-found', 'There is no such access request.');
  return row;
}

const handle = (temporal: Client, requestId: string) => temporal.workflow.getHandle<typeof accessRequestWorkflow>(accessWorkflowId(requestId));

/** The acting person's role as the database has it now (a role given by the caller is not trusted over it). */
async function currentRole(db: Db, userId: string): Promise<ApprovalInput['approverRole']> {
  const user = isUuid(userId) ? await db.user.findUnique({ where: { id: userId }, select: { role: true, disabled: true } }) : null;
  if (!user || user.disabled) throw new AccessError('forbidden', 'Your account cannot act on access requests.');
  return user.role;
}

/** An approver's approval or denial; the workflow refuses self-approval, a second decision, a stale step-up, … */
export async function decideAccess(deps: Pick<AccessDeps, 'db' | 'temporal'>, requestId: string, approval: ApprovalInput): Promise<AccessSnapshot> {
  await requestRow(deps.db, requestId);
  if (approval.comment !== undefined && approval.comment.length > ACCESS_REASON_MAX) throw new AccessError('bad-request', `Keep the comment under ${ACCESS_REASON_MAX} characters.`);
  const approverRole = await currentRole(deps.db, approval.approverId);
  const comment = approval.comment?.trim() || undefined;
  return toWorkflow(() => handle(deps.temporal, requestId).executeUpdate(approveUpdate, { args: [{ ...approval, approverRole, comment }] }));
}

/** Ends an active grant early (the requester, an approver or an admin), or withdraws a pending request (the requester). */
export async function endAccess(deps: Pick<AccessDeps, 'db' | 'temporal'>, requestId: string, end: EndInput): Promise<AccessSnapshot> {
  await requestRow(deps.db, requestId);
  if (end.reason !== undefined && end.reason.length > ACCESS_REASON_MAX) throw new AccessError('bad-request', `Keep the reason under ${ACCESS_REASON_MAX} characters.`);
  const role = await currentRole(deps.db, end.userId);
  return toWorkflow(() => handle(deps.temporal, requestId).executeUpdate(endUpdate, { args: [{ ...end, role, reason: end.reason?.trim() || undefined }] }));
}

/** Where the request stands, from its workflow (also after it finished). */
export async function accessSnapshot(temporal: Client, requestId: string): Promise<AccessSnapshot> {
  try {
    return await handle(temporal, requestId).query(accessQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new AccessError('not-found', 'There is no such access request.');
    throw err;
  }
}

// ───────────── The tenant's consent (Customer Lockbox) ─────────────

/** The facts shown about a request, from its row (the same for the page, the mail and the stored evidence). */
export async function accessScopeFacts(db: Db, req: AccessRequest): Promise<AccessScopeFacts & { tenantId?: string; contactEmail?: string }> {
  const [requester, deployment] = await Promise.all([
    db.user.findUniqueOrThrow({ where: { id: req.requesterId }, select: { name: true } }),
    req.deploymentId ? db.deployment.findUnique({ where: { id: req.deploymentId }, include: { tenant: true } }) : null,
  ]);
  return {
    requesterName: requester.name,
    targetKind: req.targetKind,
    level: req.level,
    customerData: req.customerData,
    deploymentName: deployment?.name,
    tenantName: deployment?.tenant.name,
    infraScope: req.infraScope ?? undefined,
    reason: req.reason,
    durationMinutes: req.durationMinutes,
    caseReference: req.caseId?.slice(0, 8),
    tenantId: deployment?.tenantId,
    contactEmail: deployment ? (deployment.tenant.securityContactEmail ?? deployment.tenant.ownerEmail) : undefined,
  };
}

/** The request a consent link was issued for, only if it was issued to the request's own tenant. */
async function requestOfLink(db: Db, link: AccessLink): Promise<AccessRequest> {
  const req = await db.accessRequest.findUnique({ where: { id: link.subjectId } });
  if (!req || !req.tenantId || req.tenantId !== link.tenantId) throw new AccessError('wrong-subject', 'This link does not belong to this request.');
  return req;
}

/** The request a consent link opens; the link must be live and issued to the request's own tenant. */
async function requestForConsentLink(db: Db, token: string, consume: boolean) {
  const verdict = await verifyAccessLink(token, { purpose: ACCESS_CONSENT_LINK, consume }, db);
  if (!verdict.ok) throw new AccessError(verdict.error, verdict.message);
  return { req: await requestOfLink(db, verdict.link), link: verdict.link };
}

/**
 * The request a consent link shows: a live link, or a used one once the tenant's answer is recorded (to read that
 * answer again, never to give another). A used link without a recorded answer, and expired, withdrawn and unknown
 * links, are refused as before.
 */
async function requestToShow(db: Db, token: string): Promise<AccessRequest> {
  try {
    return (await requestForConsentLink(db, token, false)).req;
  } catch (err) {
    if (!(err instanceof AccessError) || err.code !== 'used') throw err;
    // 'used' means the token is one of ours, of this purpose, neither withdrawn nor unused.
    const link = await db.accessLink.findUniqueOrThrow({ where: { tokenHash: hashLinkToken(token) } });
    const req = await requestOfLink(db, link);
    if (!recordedAnswer(req)) throw err;
    return req;
  }
}

/** The tenant's answer as recorded with the request: who, when, and exactly the text they were shown. */
export interface TenantConsentAnswer {
  decision: 'approved' | 'declined';
  at: Date;
  name: string;
  email: string;
  /** Given when declining. */
  reason?: string;
  textShown: string;
}

function recordedAnswer(req: AccessRequest): TenantConsentAnswer | null {
  if ((req.tenantConsent !== 'approved' && req.tenantConsent !== 'declined') || !req.tenantConsentAt) return null;
  const by = (req.tenantConsentBy ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof by[key] === 'string' ? by[key] : '');
  return {
    decision: req.tenantConsent,
    at: req.tenantConsentAt,
    name: text('name'),
    email: text('email'),
    ...(text('reason') ? { reason: text('reason') } : {}),
    textShown: text('textShown'),
  };
}

export interface TenantConsentView {
  requestId: string;
  reference: string;
  tenantName: string;
  deploymentName: string;
  requesterName: string;
  /** Exactly the text stored as what the tenant was shown when they decide. */
  text: string;
  lines: { label: string; value: string }[];
  state: AccessStateName;
  tenantConsent: 'approved' | 'declined' | null;
  /** The answer given, once it is recorded; its textShown is what the tenant decided on. */
  answer: TenantConsentAnswer | null;
  /** Until when a decision is accepted. */
  deadline: Date;
  canDecide: boolean;
}

/**
 * What the consent page shows; the link is checked but not used up, so the page can be opened before deciding, and
 * opened again after answering to see the answer that was recorded.
 */
export async function viewTenantConsent(db: Db, token: string): Promise<TenantConsentView> {
  const req = await requestToShow(db, token);
  const facts = await accessScopeFacts(db, req);
  const answer = recordedAnswer(req);
  const consent = answer?.decision ?? null;
  return {
    requestId: req.id,
    reference: req.id.slice(0, 8),
    tenantName: facts.tenantName ?? '',
    deploymentName: facts.deploymentName ?? '',
    requesterName: facts.requesterName,
    text: accessScopeText(facts),
    lines: accessScopeLines(facts),
    state: req.state,
    tenantConsent: consent,
    answer,
    deadline: req.approvalDeadline,
    canDecide: req.state === 'pending' && consent === null && req.approvalDeadline.getTime() > Date.now(),
  };
}

export interface TenantConsentDecision {
  approve: boolean;
  reason?: string;
  name: string;
  ip?: string;
  userAgent?: string;
}

/**
 * The tenant's answer: the link is used up, and the answer goes to the workflow with who gave it, from where, and
 * the exact text they were shown. If the workflow could not be reached, the link is given back for another try.
 */
export async function decideTenantConsent(deps: Pick<AccessDeps, 'db' | 'temporal'>, token: string, input: TenantConsentDecision): Promise<AccessSnapshot> {
  const { db, temporal } = deps;
  const name = input.name.trim();
  if (!name || name.length > 200) throw new AccessError('bad-request', 'Give your name (up to 200 characters).');
  if (input.reason !== undefined && input.reason.length > ACCESS_REASON_MAX) throw new AccessError('bad-request', `Keep the reason under ${ACCESS_REASON_MAX} characters.`);
  // Checked before the link is used up, so a link is not spent on a request that no longer takes an answer.
  const before = await requestForConsentLink(db, token, false);
  if (before.req.state !== 'pending' || before.req.tenantConsent) throw new AccessError('conflict', 'This request no longer takes an answer.', 'NotPending');
  const { req, link } = await requestForConsentLink(db, token, true);
  const facts = await accessScopeFacts(db, req);
  const by = { name, email: link.email ?? facts.contactEmail ?? 'unknown', ip: input.ip, userAgent: input.userAgent, textShown: accessScopeText(facts) };
  try {
    return await toWorkflow(() => handle(temporal, req.id).executeUpdate(tenantConsentUpdate, { args: [{ approve: input.approve, reason: input.reason?.trim() || undefined, by }] }));
  } catch (err) {
    if (!(err instanceof AccessError)) {
      // Nothing was decided (no worker, no server): the same link may try again.
      await db.accessLink.updateMany({ where: { id: link.id, usedAt: link.usedAt }, data: { usedAt: null } });
    }
    throw err;
  }
}

// ───────────── Under the grant: the tool token and the action log ─────────────

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Active: issued, not ended, not past its expiry (even while its revocation is still being retried). */
const isActive = (grant: Pick<AccessGrant, 'endedAt' | 'expiresAt' | 'revokedAt'>, state: AccessStateName) =>
  state === 'active' && grant.endedAt === null && grant.revokedAt === null && grant.expiresAt.getTime() > Date.now();

/**
 * A bearer token for infrastructure tools to report what they do under the grant; only the requester of an active
 * grant gets one. Shown once; only its SHA-256 is kept, and issuing again replaces it.
 */
export async function issueToolToken(db: Db, requestId: string, userId: string): Promise<{ token: string; grantId: string; expiresAt: Date }> {
  const req = await requestRow(db, requestId);
  if (req.requesterId !== userId) throw new AccessError('forbidden', 'Only the requester can get a tool token for this grant.');
  const grant = await db.accessGrant.findUnique({ where: { requestId } });
  if (!grant || !isActive(grant, req.state)) throw new AccessError('conflict', 'This request has no active grant.');
  const token = randomBytes(32).toString('base64url');
  await db.$transaction(async (tx) => {
    await tx.accessGrant.update({ where: { id: grant.id }, data: { toolTokenHash: sha256(token) } });
    await appendAudit(tx, { actorType: 'user', actorId: userId, action: 'access.tool_token_issued', ...subject(requestId), data: { grantId: grant.id, replaced: grant.toolTokenHash !== null } });
  });
  return { token, grantId: grant.id, expiresAt: grant.expiresAt };
}

/** The active grant a tool token belongs to. */
export async function grantForToolToken(db: Db, token: string): Promise<AccessGrant & { request: AccessRequest }> {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new AccessError('unknown', 'This token is not valid.');
  const grant = await db.accessGrant.findUnique({ where: { toolTokenHash: sha256(token) }, include: { request: true } });
  if (!grant) throw new AccessError('unknown', 'This token is not valid.');
  if (!isActive(grant, grant.request.state)) throw new AccessError('forbidden', 'This grant has ended.');
  return grant;
}

export interface GrantActionInput {
  grantId: string;
  actorId: string;
  source: GrantActionSource;
  action: string;
  target?: string;
  detail?: Prisma.InputJsonValue;
}

/** Records something done under a grant, only while it is active and only by its holder; audited with it. */
export async function recordGrantAction(db: Db, input: GrantActionInput): Promise<GrantAction> {
  const action = input.action.trim();
  if (!action || action.length > 200) throw new AccessError('bad-request', 'Name the action (up to 200 characters).');
  if (input.target !== undefined && input.target.length > 500) throw new AccessError('bad-request', 'Keep the target under 500 characters.');
  if (input.source !== 'console' && input.source !== 'api') throw new AccessError('bad-request', 'Source must be console or api.');
  if (!isUuid(input.grantId)) throw new AccessError('not-found', 'There is no such grant.');
  return db.$transaction(async (tx) => {
    // Shares the row lock the workflow takes to end the grant: an action is recorded before the end, or refused.
    await tx.$queryRaw`SELECT id FROM "AccessGrant" WHERE id = ${input.grantId}::uuid FOR SHARE`;
    const grant = await tx.accessGrant.findUnique({ where: { id: input.grantId }, include: { request: true } });
    if (!grant) throw new AccessError('not-found', 'There is no such grant.');
    if (grant.request.requesterId !== input.actorId) throw new AccessError('forbidden', 'Only the holder of this grant can act under it.');
    if (!isActive(grant, grant.request.state)) throw new AccessError('forbidden', 'This grant has ended.');
    const row = await tx.grantAction.create({
      data: { grantId: grant.id, actorId: input.actorId, source: input.source, action, target: input.target ?? null, detail: input.detail },
    });
    await appendAudit(tx, {
      actorType: 'user',
      actorId: input.actorId,
      action: 'access.action',
      ...subject(grant.requestId),
      data: { grantId: grant.id, actionId: row.id, source: input.source, action, target: input.target, detail: input.detail },
    });
    return row;
  });
}
