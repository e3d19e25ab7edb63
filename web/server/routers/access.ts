// Just-in-time access in the console: what the policy asks for a target, asking (with a fresh second-factor check),
// the lists (mine, waiting for me, active grants, history), one request with its approvals, the tenant's consent, the
// grant and everything done under it, and the actions: decide (approvers, fresh check), end or withdraw, and the tool
// token. Reads are the rows the workflow keeps current; decisions and endings go to the workflow through lib/access,
// whose refusals are mapped once (access-errors.ts).
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  ACCESS_LEVELS,
  ACCESS_REASON_MAX,
  ACCESS_REASON_MIN,
  accessWorkflowId,
  type AccessLevel,
  type AccessTargetKind,
} from '../../../domain/access/contracts';
import { levelText } from '../../../domain/access/scope-text';
import { maxMinutes } from '../../../domain/access/policy';
import { categoryLabel } from '../../../domain/notices';
import { roleAllows } from '../../../domain/roles';
import type { Prisma } from '../../../generated/prisma/client';
import {
  accessPolicy,
  AccessError,
  decideAccess,
  endAccess,
  issueToolToken,
  previewAccessRule,
  recordGrantAction,
  requestAccess,
  type RequestAccessInput,
} from '../../../lib/access';
import { actorLabels, withActors } from '../../../lib/actors';
import { config } from '../../../lib/config';
import { db } from '../../../lib/db';
import { requireFreshStepUp } from '../../../lib/mfa';
import type { SessionUser } from '../../../lib/session';
import { getTemporalClient, temporalUiLink } from '../../../lib/temporal';
import { withAccessErrors } from '../access-errors';
import { stepUpProcedure, withMfaErrors } from '../step-up';
import { protectedProcedure, roleProcedure, router } from '../trpc';

const TIMELINE_SHOWN = 500;
const ACTIONS_SHOWN = 500;
const PAGE = 50;
/** A holder's look at their own active grant is recorded at most this often (the page refreshes every few seconds). */
const VIEW_RECORD_EVERY_MS = 15 * 60_000;

/** Deciding needs the approver role first (an analyst is told so, not asked for a second factor), then a fresh check. */
const approverStepUpProcedure = roleProcedure('approver').use(async ({ ctx, next }) => {
  const stepUp = await withMfaErrors(() => requireFreshStepUp(db(), ctx.user.sessionId));
  return next({ ctx: { ...ctx, stepUp } });
});

const isApprover = (user: SessionUser) => roleAllows(user.role, 'approver');
/** Approvers and admins see every request; analysts their own. */
const visibleTo = (user: SessionUser): Prisma.AccessRequestWhereInput => (isApprover(user) ? {} : { requesterId: user.id });

const requestRef = z.object({ id: z.uuid('That is not an access request id.') });
const pageInput = z.object({ cursor: z.uuid().optional() }).optional();

const targetSchema = z.object({
  targetKind: z.enum(['deployment', 'infrastructure']),
  level: z.enum(ACCESS_LEVELS),
  customerData: z.boolean(),
  infraScope: z.string().max(64).optional(),
});

/** The request form's input; the same bounds as lib/access checks, so a person sees them per field. */
export const accessCreateInput = z.object({
  targetKind: z.enum(['deployment', 'infrastructure']),
  deploymentId: z.uuid('Choose a deployment.').optional(),
  infraScope: z.string().trim().min(1).max(64).optional(),
  level: z.enum(ACCESS_LEVELS, 'Choose read, operate or admin.'),
  customerData: z.boolean(),
  reason: z
    .string()
    .trim()
    .min(ACCESS_REASON_MIN, `Say why in at least ${ACCESS_REASON_MIN} characters.`)
    .max(ACCESS_REASON_MAX, `Keep the reason under ${ACCESS_REASON_MAX} characters.`),
  caseId: z.uuid('That is not a case id.').optional(),
  durationMinutes: z.number('Give the duration in minutes.').int('Give whole minutes.').min(1, 'At least one minute.').max(31 * 24 * 60),
}) satisfies z.ZodType<Omit<RequestAccessInput, 'requesterId' | 'stepUp' | 'policy' | 'approvalWindow' | 'durationOverride' | 'stepUpMaxAge' | 'revokeRetry'>>;

export const accessDecideInput = z.object({
  id: z.uuid('That is not an access request id.'),
  approve: z.boolean(),
  comment: z.string().trim().max(ACCESS_REASON_MAX, `Keep the comment under ${ACCESS_REASON_MAX} characters.`).optional(),
});

export const accessEndInput = z.object({
  id: z.uuid('That is not an access request id.'),
  reason: z.string().trim().max(ACCESS_REASON_MAX, `Keep the reason under ${ACCESS_REASON_MAX} characters.`).optional(),
});

const listInclude = { requester: { select: { id: true, name: true } }, grant: true, approvals: { select: { decision: true } } } satisfies Prisma.AccessRequestInclude;
type ListRow = Prisma.AccessRequestGetPayload<{ include: typeof listInclude }>;

async function deploymentsById(ids: (string | null)[]) {
  const wanted = [...new Set(ids.filter((x): x is string => x !== null))];
  if (wanted.length === 0) return new Map<string, { name: string; tenantName: string }>();
  const rows = await db().deployment.findMany({ where: { id: { in: wanted } }, select: { id: true, name: true, tenant: { select: { name: true } } } });
  return new Map(rows.map((d) => [d.id, { name: d.name, tenantName: d.tenant.name }]));
}

/** What is reached, in a few words: "web-1 (Acme)" or "network infrastructure". */
function targetLabel(r: { targetKind: AccessTargetKind; deploymentId: string | null; infraScope: string | null }, deployments: Map<string, { name: string; tenantName: string }>) {
  if (r.targetKind === 'infrastructure') return `${r.infraScope ?? 'unknown'} infrastructure`;
  const d = r.deploymentId ? deployments.get(r.deploymentId) : undefined;
  return d ? `${d.name} (${d.tenantName})` : `deployment ${r.deploymentId ?? 'unknown'}`;
}

const grantOut = (g: ListRow['grant']) =>
  g && { id: g.id, issuedAt: g.issuedAt, expiresAt: g.expiresAt, endedAt: g.endedAt, endReason: g.endReason, revokedAt: g.revokedAt };

async function summaries(rows: ListRow[]) {
  const deployments = await deploymentsById(rows.map((r) => r.deploymentId));
  return rows.map((r) => ({
    id: r.id,
    reference: r.id.slice(0, 8),
    state: r.state,
    targetKind: r.targetKind,
    target: targetLabel(r, deployments),
    level: r.level,
    customerData: r.customerData,
    reason: r.reason,
    requester: r.requester,
    createdAt: r.createdAt,
    approvalDeadline: r.approvalDeadline,
    durationMinutes: r.durationMinutes,
    requiredApprovals: r.requiredApprovals,
    approvalsGiven: r.approvals.filter((a) => a.decision === 'approve').length,
    tenantConsentRequired: r.tenantConsentRequired,
    tenantConsent: r.tenantConsent,
    closedReason: r.closedReason,
    grant: grantOut(r.grant),
  }));
}

/** A page newest first; `nextCursor` is the id to pass for the next one. */
async function listPage(where: Prisma.AccessRequestWhereInput, cursor?: string) {
  const rows = await db().accessRequest.findMany({
    where,
    include: listInclude,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: PAGE + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, PAGE);
  return { items: await summaries(page), nextCursor: rows.length > PAGE ? page.at(-1)!.id : null };
}

const grantIsActive = (r: { state: string; grant: { endedAt: Date | null; revokedAt: Date | null; expiresAt: Date } | null }, now = Date.now()) =>
  r.state === 'active' && r.grant !== null && r.grant.endedAt === null && r.grant.revokedAt === null && r.grant.expiresAt.getTime() > now;

/** The request, if this user may see it. */
async function visibleRequest(user: SessionUser, id: string) {
  const r = await db().accessRequest.findUnique({
    where: { id },
    include: {
      requester: { select: { id: true, name: true, email: true } },
      grant: { include: { actions: { orderBy: { at: 'desc' }, take: ACTIONS_SHOWN } } },
      approvals: { include: { approver: { select: { id: true, name: true, email: true } } }, orderBy: { at: 'asc' } },
    },
  });
  if (!r) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such access request.' });
  if (!isApprover(user) && r.requesterId !== user.id) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Analysts see their own access requests only; this one is someone else’s.' });
  }
  return r;
}

/** Records a console action under the holder's active grant; false when the grant took none (ended meanwhile). */
async function recordConsoleAction(grantId: string, actorId: string, action: string, detail?: Prisma.InputJsonValue): Promise<boolean> {
  try {
    await recordGrantAction(db(), { grantId, actorId, source: 'console', action, ...(detail !== undefined ? { detail } : {}) });
    return true;
  } catch (err) {
    if (err instanceof AccessError && (err.code === 'forbidden' || err.code === 'not-found')) return false;
    throw err;
  }
}

type TenantConsentBy = { name?: string; email?: string; ip?: string; userAgent?: string; textShown?: string; reason?: string };

export const accessRouter = router({
  /** The policy, and for a chosen target the rule that applies: N approvals, tenant consent, the longest grant. */
  policy: protectedProcedure.input(z.object({ target: targetSchema.optional() }).optional()).query(({ input }) => {
    const policy = accessPolicy();
    const target = input?.target;
    let preview = null;
    if (target) {
      const { rule, maxMinutes: max } = previewAccessRule({ ...target, customerData: target.targetKind === 'deployment' && target.customerData });
      preview = { rule: rule.name, approvals: rule.approvals, namedApprovers: rule.approvers?.length ?? null, tenantConsent: rule.tenantConsent, maxMinutes: max };
    }
    return {
      rules: policy.rules.map((r) => ({
        name: r.name,
        match: r.match,
        approvals: r.approvals,
        namedApprovers: r.approvers?.length ?? null,
        tenantConsent: r.tenantConsent,
        maxDuration: r.maxDuration,
        maxMinutes: maxMinutes(r),
      })),
      infraScopes: policy.infraScopes,
      approvalWindow: policy.approvalWindow,
      stepUpMaxAge: config().STEP_UP_MAX_AGE,
      levels: ACCESS_LEVELS.map((value) => ({ value, text: levelText(value as AccessLevel) })),
      preview,
    };
  }),

  /** What the request form offers: deployments with their tenants, infrastructure scopes, open cases to link. */
  targets: protectedProcedure.query(async () => {
    const [deployments, cases] = await Promise.all([
      db().deployment.findMany({
        select: { id: true, name: true, state: true, tenant: { select: { id: true, name: true } } },
        orderBy: [{ tenant: { name: 'asc' } }, { name: 'asc' }],
        take: 1000,
      }),
      db().case.findMany({
        where: { state: { not: 'closed' } },
        select: { id: true, category: true, state: true, openedAt: true, deploymentId: true, tenant: { select: { name: true } } },
        orderBy: { openedAt: 'desc' },
        take: 200,
      }),
    ]);
    return {
      deployments: deployments.map((d) => ({ id: d.id, name: d.name, state: d.state, tenantId: d.tenant.id, tenantName: d.tenant.name })),
      infraScopes: accessPolicy().infraScopes,
      cases: cases.map((c) => ({
        id: c.id,
        deploymentId: c.deploymentId,
        label: `${c.id.slice(0, 8)} · ${categoryLabel(c.category)} · ${c.tenant?.name ?? 'no tenant'} (${c.state})`,
      })),
    };
  }),

  create: stepUpProcedure.input(accessCreateInput).mutation(async ({ ctx, input }) => {
    const temporal = await getTemporalClient();
    const row = await withAccessErrors(() =>
      requestAccess({ db: db(), temporal, taskQueue: config().TEMPORAL_TASK_QUEUE }, { ...input, requesterId: ctx.user.id, stepUp: ctx.stepUp }),
    );
    return { id: row.id, state: row.state, requiredApprovals: row.requiredApprovals, tenantConsentRequired: row.tenantConsentRequired };
  }),

  mine: protectedProcedure.input(pageInput).query(({ ctx, input }) => listPage({ requesterId: ctx.user.id }, input?.cursor)),

  /** Pending requests this person may still decide: approver or admin, not theirs, in the pool if it has one. */
  waitingForMe: protectedProcedure.query(async ({ ctx }) => {
    if (!isApprover(ctx.user)) return { items: [], nextCursor: null };
    const rows = await db().accessRequest.findMany({
      where: {
        state: 'pending',
        requesterId: { not: ctx.user.id },
        approvalDeadline: { gt: new Date() },
        approvals: { none: { approverId: ctx.user.id } },
        OR: [{ approverPool: { isEmpty: true } }, { approverPool: { has: ctx.user.id } }],
      },
      include: listInclude,
      orderBy: { approvalDeadline: 'asc' },
      take: 200,
    });
    return { items: await summaries(rows), nextCursor: null };
  }),

  /** Grants in force, the soonest to end first: all of them for approvers and admins, their own for analysts. */
  active: protectedProcedure.query(async ({ ctx }) => {
    const rows = await db().accessRequest.findMany({
      where: { ...visibleTo(ctx.user), state: 'active', grant: { endedAt: null } },
      include: listInclude,
      orderBy: { grant: { expiresAt: 'asc' } },
      take: 500,
    });
    return { items: await summaries(rows), nextCursor: null };
  }),

  history: protectedProcedure
    .input(pageInput)
    .query(({ ctx, input }) => listPage({ ...visibleTo(ctx.user), state: { in: ['ended', 'denied', 'expired', 'cancelled'] } }, input?.cursor)),

  get: protectedProcedure.input(requestRef).query(async ({ ctx, input }) => {
    const r = await visibleRequest(ctx.user, input.id);
    const now = Date.now();
    const active = grantIsActive(r, now);
    const isRequester = r.requesterId === ctx.user.id;

    // The holder looking at their grant is itself a recorded use of it (at most every VIEW_RECORD_EVERY_MS).
    if (active && isRequester && r.grant) {
      const recent = r.grant.actions.find((a) => a.action === 'console.viewed' && a.actorId === ctx.user.id);
      if (!recent || now - recent.at.getTime() > VIEW_RECORD_EVERY_MS) {
        const recorded = await recordConsoleAction(r.grant.id, ctx.user.id, 'console.viewed', { page: `/access/${r.id}` });
        if (recorded) r.grant.actions = await db().grantAction.findMany({ where: { grantId: r.grant.id }, orderBy: { at: 'desc' }, take: ACTIONS_SHOWN });
      }
    }

    const actionActor = await actorLabels(db(), (r.grant?.actions ?? []).map((a) => ({ actorType: 'user', actorId: a.actorId })));
    const [deployments, kase, pool, events] = await Promise.all([
      deploymentsById([r.deploymentId]),
      r.caseId ? db().case.findUnique({ where: { id: r.caseId }, select: { id: true, category: true, tenant: { select: { name: true } } } }) : null,
      r.approverPool.length ? db().user.findMany({ where: { id: { in: r.approverPool } }, select: { id: true, name: true }, orderBy: { name: 'asc' } }) : [],
      db().auditEvent.findMany({ where: { subjectType: 'access_request', subjectId: r.id }, orderBy: { seq: 'asc' }, take: TIMELINE_SHOWN }),
    ]);
    const consentBy = (r.tenantConsentBy ?? null) as TenantConsentBy | null;
    const approved = r.approvals.filter((a) => a.decision === 'approve').length;
    const mayApprove =
      isApprover(ctx.user) &&
      !isRequester &&
      r.state === 'pending' &&
      r.approvalDeadline.getTime() > now &&
      (r.approverPool.length === 0 || r.approverPool.includes(ctx.user.id)) &&
      !r.approvals.some((a) => a.approverId === ctx.user.id);
    const workflowId = accessWorkflowId(r.id);
    return {
      id: r.id,
      reference: r.id.slice(0, 8),
      state: r.state,
      requester: { id: r.requester.id, name: r.requester.name, email: r.requester.email },
      isRequester,
      targetKind: r.targetKind,
      target: targetLabel(r, deployments),
      deploymentId: r.deploymentId,
      infraScope: r.infraScope,
      level: r.level,
      levelText: levelText(r.level),
      customerData: r.customerData,
      reason: r.reason,
      case: kase ? { id: kase.id, label: `${kase.id.slice(0, 8)} · ${categoryLabel(kase.category)} · ${kase.tenant?.name ?? 'no tenant'}` } : null,
      durationMinutes: r.durationMinutes,
      policyRule: r.policyRule,
      requiredApprovals: r.requiredApprovals,
      approvalsGiven: approved,
      approverPool: pool,
      approvalDeadline: r.approvalDeadline,
      requestStepUp: r.requestStepUp,
      createdAt: r.createdAt,
      decidedAt: r.decidedAt,
      closedReason: r.closedReason,
      approvals: r.approvals.map((a) => ({
        approverId: a.approverId,
        approverName: a.approver.name,
        decision: a.decision,
        comment: a.comment,
        stepUpMethod: a.stepUpMethod,
        at: a.at,
      })),
      tenantConsent: {
        required: r.tenantConsentRequired,
        decision: r.tenantConsent,
        at: r.tenantConsentAt,
        by: consentBy && {
          name: consentBy.name ?? null,
          email: consentBy.email ?? null,
          ip: consentBy.ip ?? null,
          userAgent: consentBy.userAgent ?? null,
          reason: consentBy.reason ?? null,
          textShown: consentBy.textShown ?? null,
        },
      },
      grant: r.grant && {
        ...grantOut(r.grant)!,
        endedBy: r.grant.endedBy,
        active,
        hasToolToken: r.grant.toolTokenHash !== null,
        actions: r.grant.actions.map((a) => ({
          id: a.id,
          at: a.at,
          actorId: a.actorId,
          // The holder, an approver who ended it, or the workflow (expiry, revocation).
          actor: a.actorId === 'system' ? { label: 'Safeguard (access workflow)' } : actionActor({ actorType: 'user', actorId: a.actorId }),
          source: a.source,
          action: a.action,
          target: a.target,
          detail: a.detail,
        })),
      },
      can: {
        decide: mayApprove,
        withdraw: isRequester && r.state === 'pending',
        end: active && (isRequester || isApprover(ctx.user)),
        issueToolToken: active && isRequester,
      },
      workflowId,
      temporalUiLink: temporalUiLink(workflowId),
      timeline: await withActors(db(), events.map((e) => ({ seq: e.seq.toString(), at: e.at, actorType: e.actorType, actorId: e.actorId, action: e.action, data: e.data }))),
    };
  }),

  /** An approval or denial, with this session's second-factor check as proof; the workflow decides if it counts. */
  decide: approverStepUpProcedure.input(accessDecideInput).mutation(async ({ ctx, input }) => {
    const temporal = await getTemporalClient();
    const snapshot = await withAccessErrors(() =>
      decideAccess({ db: db(), temporal }, input.id, {
        approverId: ctx.user.id,
        approverRole: ctx.user.role,
        approve: input.approve,
        comment: input.comment || undefined,
        stepUp: ctx.stepUp,
      }),
    );
    return { id: input.id, state: snapshot.state, approvals: snapshot.approvals.length };
  }),

  /** Ends an active grant early (its holder, an approver or an admin), or withdraws a pending request (its requester). */
  end: protectedProcedure.input(accessEndInput).mutation(async ({ ctx, input }) => {
    const r = await visibleRequest(ctx.user, input.id);
    // The holder's own "end it now" is the last thing recorded under the grant, while it still takes actions.
    if (r.requesterId === ctx.user.id && r.grant && grantIsActive(r)) {
      await recordConsoleAction(r.grant.id, ctx.user.id, 'console.end_requested', input.reason ? { reason: input.reason } : undefined);
    }
    const temporal = await getTemporalClient();
    const snapshot = await withAccessErrors(() =>
      endAccess({ db: db(), temporal }, input.id, { userId: ctx.user.id, role: ctx.user.role, reason: input.reason || undefined }),
    );
    return { id: input.id, state: snapshot.state, endedAt: snapshot.endedAt ?? null };
  }),

  /** A bearer token for tools to report actions under the holder's grant; shown once, replaced when issued again. */
  issueToolToken: protectedProcedure.input(requestRef).mutation(async ({ ctx, input }) => {
    const issued = await withAccessErrors(() => issueToolToken(db(), input.id, ctx.user.id));
    await recordConsoleAction(issued.grantId, ctx.user.id, 'console.tool_token_issued');
    return { token: issued.token, grantId: issued.grantId, expiresAt: issued.expiresAt, endpoint: `${config().PUBLIC_URL.replace(/\/$/, '')}/api/access/actions` };
  }),
});
