// Proposing a forensic analysis (analysts) and deciding on it by link (tenants). The workflow forensics:<id> enforces
// the rules (one decision, approved ⊆ proposed, revocation); this module checks the link and the tenant first, so one
// tenant's link never reaches another tenant's request, and records what the tenant was shown.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Prisma } from '../generated/prisma/client';
import { durationMs } from '../domain/durations';
import { FORENSIC_CONSENT_LINK, forensicWorkflowId, type ConsentDecision, type ScopeValue } from '../domain/forensics/contracts';
import { scopeText, type ForensicScope } from '../domain/forensics/scope';
import type { forensicAnalysisWorkflow } from '../workflows/forensics';
import { decideUpdate, revokeSignal } from '../workflows/forensics';
import { verifyAccessLink, type AccessLinkErrorCode } from './access-links';
import { appendAudit } from './audit';
import type { Db } from './db';
import { forensicsSearchMetadata } from './search-attributes';

export const DEFAULT_DECISION_WINDOW = '4 days';

export interface ProposeInput {
  caseId: string;
  scope: ScopeValue;
  purpose: string;
  accessHours: number;
  retentionDays: number;
  proposedBy: string;
  /** Shorter windows for tests; production uses the defaults. */
  decisionWindow?: string;
  accessWindow?: string;
  retention?: string;
}

export class ForensicsError extends Error {
  constructor(readonly code: 'not-found' | 'bad-request' | AccessLinkErrorCode, message: string) {
    super(message);
    this.name = 'ForensicsError';
  }
}

/** Creates the request row and starts its workflow; the proposal's targets must be the case tenant's deployments. */
export async function proposeForensicAnalysis(db: Db, temporal: Client, input: ProposeInput, taskQueue: string) {
  const kase = await db.case.findUnique({ where: { id: input.caseId } });
  if (!kase?.tenantId) throw new ForensicsError('not-found', 'There is no such case, or it has no tenant.');
  const ids = input.scope.targets.map((t) => t.deploymentId);
  const owned = await db.deployment.count({ where: { id: { in: ids }, tenantId: kase.tenantId } });
  if (owned !== new Set(ids).size) throw new ForensicsError('bad-request', "Every target must be one of the case tenant's deployments.");
  const id = randomUUID();
  const decisionWindow = input.decisionWindow ?? DEFAULT_DECISION_WINDOW;
  const row = await db.forensicRequest.create({
    data: {
      id,
      workflowId: forensicWorkflowId(id),
      caseId: kase.id,
      tenantId: kase.tenantId,
      proposedBy: input.proposedBy,
      purpose: input.purpose,
      proposedScope: input.scope as unknown as Prisma.InputJsonValue,
      accessHours: input.accessHours,
      retentionDays: input.retentionDays,
      linkExpiresAt: new Date(Date.now() + durationMs(decisionWindow as never)),
    },
  });
  await appendAudit(db, { actorType: 'user', actorId: input.proposedBy, action: 'forensics.proposed', subjectType: 'forensic_request', subjectId: id, data: { caseId: kase.id, scope: input.scope, purpose: input.purpose, accessHours: input.accessHours, retentionDays: input.retentionDays } });
  await temporal.workflow.start<typeof forensicAnalysisWorkflow>('forensicAnalysisWorkflow', {
    workflowId: row.workflowId,
    taskQueue,
    args: [{
      requestId: id,
      caseId: kase.id,
      tenantId: kase.tenantId,
      proposedScope: input.scope,
      decisionWindow: decisionWindow as never,
      accessWindow: (input.accessWindow ?? `${input.accessHours} hours`) as never,
      retention: (input.retention ?? `${input.retentionDays} days`) as never,
    }],
    ...forensicsSearchMetadata({ caseId: kase.id, tenantId: kase.tenantId, deploymentId: kase.deploymentId, category: kase.category, targets: new Set(ids).size }),
  });
  return row;
}

/** The request a consent link opens, after checking the link (never consumed: the same page can revoke later). */
async function requestForLink(db: Db, token: string, requestId: string) {
  const verdict = await verifyAccessLink(token, { purpose: FORENSIC_CONSENT_LINK }, db);
  if (!verdict.ok) throw new ForensicsError(verdict.error, verdict.message);
  // A link is bound to its request and its tenant: another request's id, even the same tenant's, is refused.
  if (verdict.link.subjectId !== requestId) throw new ForensicsError('wrong-subject', 'This link does not belong to this request.');
  const req = await db.forensicRequest.findUnique({ where: { id: requestId }, include: { case: { include: { tenant: true } } } });
  if (!req || req.tenantId !== verdict.link.tenantId) throw new ForensicsError('wrong-subject', 'This link does not belong to this request.');
  return req;
}

async function deploymentNames(db: Db, scope: ScopeValue): Promise<Record<string, string>> {
  const rows = await db.deployment.findMany({ where: { id: { in: scope.targets.map((t) => t.deploymentId) } }, select: { id: true, name: true } });
  return Object.fromEntries(rows.map((r) => [r.id, r.name]));
}

/** What the tenant page shows: exactly what would be accessed, and where the request stands. */
export async function viewForensicRequest(db: Db, token: string, requestId: string) {
  const req = await requestForLink(db, token, requestId);
  const proposed = req.proposedScope as unknown as ScopeValue;
  const names = await deploymentNames(db, proposed);
  return {
    requestId: req.id,
    tenantName: req.case.tenant!.name,
    purpose: req.purpose,
    accessHours: req.accessHours,
    retentionDays: req.retentionDays,
    proposedScope: proposed,
    deploymentNames: names,
    scopeText: scopeText(proposed as ForensicScope, { deployments: names }),
    state: req.state,
    decision: req.decision,
    decidedAt: req.decidedAt,
    approvedScope: req.approvedScope as unknown as ScopeValue | null,
    windowEndsAt: req.windowEndsAt,
    revokedAt: req.revokedAt,
    linkExpiresAt: req.linkExpiresAt,
    reportText: req.sharedAt ? req.reportText : null,
  };
}

export interface DecideInput {
  token: string;
  requestId: string;
  approve: boolean;
  /** Absent: the whole proposed scope. */
  approvedScope?: ScopeValue;
  reason?: string;
  name: string;
  email: string;
  ip?: string;
  userAgent?: string;
}

/** The tenant's decision, through the workflow's update (its validator refuses a second decision or a wider scope). */
export async function decideForensicRequest(db: Db, temporal: Client, input: DecideInput) {
  const req = await requestForLink(db, input.token, input.requestId);
  const proposed = req.proposedScope as unknown as ScopeValue;
  const approvedScope = input.approvedScope ?? proposed;
  const shown = scopeText((input.approve ? approvedScope : proposed) as ForensicScope, { deployments: await deploymentNames(db, proposed) });
  const by = { name: input.name, email: input.email, ip: input.ip, userAgent: input.userAgent, scopeTextShown: shown };
  const decision: ConsentDecision = input.approve ? { approve: true, approvedScope, by } : { approve: false, reason: input.reason, by };
  try {
    return await temporal.workflow.getHandle<typeof forensicAnalysisWorkflow>(req.workflowId).executeUpdate(decideUpdate, { args: [decision] });
  } catch (err) {
    // The workflow's refusal (already decided, a scope wider than proposed) is the answer to show.
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof Error) throw new ForensicsError('bad-request', err.cause.message);
    throw err;
  }
}

/**
 * Withdraws consent: running collection is cancelled, nothing more is collected, artifacts are deleted. The
 * withdrawal is stored before the workflow hears of it, so a collection finishing in between finds it and records
 * nothing; sent again (the first call failed after storing), it signals again and changes nothing else.
 */
export async function revokeForensicConsent(db: Db, temporal: Client, input: { token: string; requestId: string; name: string; ip?: string; userAgent?: string }) {
  const req = await requestForLink(db, input.token, input.requestId);
  if (req.decision !== 'approved') throw new ForensicsError('bad-request', 'Only an approved request can be revoked.');
  await db.$transaction(async (tx) => {
    const { count } = await tx.forensicRequest.updateMany({ where: { id: req.id, revokedAt: null }, data: { revokedAt: new Date(), revokedBy: input.name } });
    if (count === 0) return;
    await appendAudit(tx, { actorType: 'tenant', actorId: input.name, action: 'forensics.revoke_requested', subjectType: 'forensic_request', subjectId: req.id, data: { ip: input.ip, userAgent: input.userAgent } });
  });
  await temporal.workflow.getHandle<typeof forensicAnalysisWorkflow>(req.workflowId).signal(revokeSignal, { by: input.name, ip: input.ip, userAgent: input.userAgent });
}
