// The analyst's side of consent-gated forensics: propose an analysis on a case, follow the request, read the chain of
// custody and the report, share the report with the tenant. Reads are the rows the workflow keeps current; the only
// workflow call is the share update, answered by its validator.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { ScopeValue } from '../../../domain/forensics/contracts';
import {
  DATA_KIND_LABELS,
  DATA_KINDS,
  DEFAULT_ACCESS_HOURS,
  DEFAULT_RETENTION_DAYS,
  MAX_ACCESS_HOURS,
  MAX_RETENTION_DAYS,
  ProposalInputSchema,
  scopeText,
  type ForensicScope,
} from '../../../domain/forensics/scope';
import { withActors } from '../../../lib/actors';
import { config } from '../../../lib/config';
import { db } from '../../../lib/db';
import { proposeForensicAnalysis } from '../../../lib/forensics';
import { getTemporalClient, temporalUiLink } from '../../../lib/temporal';
import { shareReportUpdate } from '../../../workflows/forensics';
import { withForensicsErrors } from '../forensics-errors';
import { withTemporalErrors } from '../temporal-errors';
import { roleProcedure, router } from '../trpc';

const analystProcedure = roleProcedure('analyst');
const TIMELINE_SHOWN = 500;

const caseRef = z.object({ caseId: z.uuid('That is not a case id.') });
const requestRef = z.object({ id: z.uuid('That is not a forensic request id.') });

async function deploymentNames(ids: string[]): Promise<Record<string, string>> {
  const rows = await db().deployment.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
  return Object.fromEntries(rows.map((r) => [r.id, r.name]));
}

const asScope = (json: unknown) => (json ?? null) as ScopeValue | null;

export const forensicsRouter = router({
  /** What the propose form offers: the case tenant's deployments, the kinds of data, the limits. */
  options: analystProcedure.input(caseRef).query(async ({ input }) => {
    const kase = await db().case.findUnique({ where: { id: input.caseId }, select: { tenantId: true, deploymentId: true } });
    if (!kase) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such case.' });
    const deployments = kase.tenantId
      ? await db().deployment.findMany({ where: { tenantId: kase.tenantId }, select: { id: true, name: true, state: true }, orderBy: { name: 'asc' } })
      : [];
    return {
      deployments,
      caseDeploymentId: kase.deploymentId,
      dataKinds: DATA_KINDS.map((value) => ({ value, label: DATA_KIND_LABELS[value] })),
      defaults: { accessHours: DEFAULT_ACCESS_HOURS, retentionDays: DEFAULT_RETENTION_DAYS },
      max: { accessHours: MAX_ACCESS_HOURS, retentionDays: MAX_RETENTION_DAYS },
    };
  }),

  propose: analystProcedure.input(ProposalInputSchema).mutation(async ({ ctx, input }) => {
    const temporal = await getTemporalClient();
    const row = await withForensicsErrors(() =>
      proposeForensicAnalysis(db(), temporal, { ...input, proposedBy: ctx.user.email }, config().TEMPORAL_TASK_QUEUE),
    );
    return { id: row.id, state: row.state };
  }),

  listForCase: analystProcedure.input(caseRef).query(async ({ input }) => {
    const rows = await db().forensicRequest.findMany({
      where: { caseId: input.caseId },
      orderBy: { createdAt: 'desc' },
      include: { _count: { select: { artifacts: true } } },
    });
    return rows.map((r) => ({
      id: r.id,
      state: r.state,
      purpose: r.purpose,
      proposedBy: r.proposedBy,
      createdAt: r.createdAt,
      decision: r.decision,
      decidedAt: r.decidedAt,
      revokedAt: r.revokedAt,
      artifacts: r._count.artifacts,
      reportReady: r.reportText !== null,
      sharedAt: r.sharedAt,
    }));
  }),

  get: analystProcedure.input(requestRef).query(async ({ input }) => {
    const r = await db().forensicRequest.findUnique({
      where: { id: input.id },
      include: { artifacts: { orderBy: { collectedAt: 'asc' } }, case: { select: { id: true, category: true, tenant: { select: { name: true } } } } },
    });
    if (!r) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such forensic request.' });
    const proposed = asScope(r.proposedScope)!;
    const approved = asScope(r.approvedScope);
    const names = await deploymentNames([...proposed.targets.map((t) => t.deploymentId), ...r.artifacts.map((a) => a.deploymentId)]);
    const events = await db().auditEvent.findMany({
      where: { subjectType: 'forensic_request', subjectId: r.id },
      orderBy: { seq: 'asc' },
      take: TIMELINE_SHOWN,
    });
    // The workflow writes its plan size with every state it records; the newest one is the current plan.
    const planned = events
      .map((e) => (e.data as { planned?: unknown } | null)?.planned)
      .filter((p): p is number => typeof p === 'number' && p > 0)
      .at(-1);
    const text = (scope: ScopeValue) => scopeText(scope as ForensicScope, { deployments: names });
    return {
      id: r.id,
      workflowId: r.workflowId,
      temporalUiLink: temporalUiLink(r.workflowId),
      case: { id: r.case.id, reference: r.case.id.slice(0, 8), category: r.case.category, tenantName: r.case.tenant?.name ?? 'unknown' },
      state: r.state,
      purpose: r.purpose,
      proposedBy: r.proposedBy,
      createdAt: r.createdAt,
      linkExpiresAt: r.linkExpiresAt,
      accessHours: r.accessHours,
      retentionDays: r.retentionDays,
      proposedScopeText: text(proposed),
      approvedScopeText: approved ? text(approved) : null,
      decision: r.decision
        ? {
            decision: r.decision,
            at: r.decidedAt,
            name: r.decidedByName,
            email: r.decidedByEmail,
            ip: r.decidedFromIp,
            userAgent: r.decidedUserAgent,
            scopeTextShown: r.scopeTextShown,
          }
        : null,
      windowEndsAt: r.windowEndsAt,
      revokedAt: r.revokedAt,
      revokedBy: r.revokedBy,
      completedAt: r.completedAt,
      retentionUntil: r.retentionUntil,
      artifactsDeletedAt: r.artifactsDeletedAt,
      progress: { planned: planned ?? null, collected: r.artifacts.length },
      artifacts: r.artifacts.map((a) => ({
        id: a.id,
        deploymentId: a.deploymentId,
        deploymentName: names[a.deploymentId] ?? null,
        vmId: a.vmId,
        kind: a.kind,
        filename: a.filename,
        sizeBytes: a.sizeBytes,
        sha256: a.sha256,
        collectedBy: a.collectedBy,
        collectedAt: a.collectedAt,
        source: a.source,
        deletedAt: a.deletedAt,
      })),
      reportText: r.reportText,
      sharedAt: r.sharedAt,
      canShare: r.state === 'completed' && r.reportText !== null && r.sharedAt === null,
      timeline: await withActors(db(), events.map((e) => ({ seq: e.seq.toString(), at: e.at, actorType: e.actorType, actorId: e.actorId, action: e.action, data: e.data }))),
    };
  }),

  /** Shows the finished report on the tenant's page; the workflow refuses while there is no completed report. */
  shareReport: analystProcedure.input(requestRef).mutation(async ({ ctx, input }) => {
    const r = await db().forensicRequest.findUnique({ where: { id: input.id }, select: { workflowId: true, sharedAt: true } });
    if (!r) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such forensic request.' });
    if (r.sharedAt) return { id: input.id, sharedAt: r.sharedAt };
    const handle = (await getTemporalClient()).workflow.getHandle(r.workflowId);
    await withTemporalErrors(() => handle.executeUpdate(shareReportUpdate, { args: [{ by: ctx.user.email }] }), {
      notFound: 'This analysis has ended and its artifacts are gone; its report can no longer be shared.',
    });
    const after = await db().forensicRequest.findUniqueOrThrow({ where: { id: input.id }, select: { sharedAt: true } });
    return { id: input.id, sharedAt: after.sharedAt };
  }),
});
