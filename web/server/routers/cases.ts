// The analyst's case queue and case page. Reads come from the Case rows the workflow keeps current; actions are
// Temporal updates on the case workflow with the signed-in user as `by`, answered by the update, never by the run.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { Prisma } from '../../../generated/prisma/client';
import { CASE_CATEGORIES, gravest, SEVERITIES, type CaseState, type TriageDecision } from '../../../domain/cases';
import { categoryLabel, formatDeadline } from '../../../domain/notices';
import { withActors } from '../../../lib/actors';
import type { SessionUser } from '../../../lib/session';
import { db } from '../../../lib/db';
import { getTemporalClient, temporalUiLink } from '../../../lib/temporal';
import { decideExtensionUpdate, triageUpdate, verifyRemediationUpdate } from '../../../workflows/abuse-case';
import { allowedCaseActions, caseActionRefusal, CASE_STATES, OPEN_CASE_STATES, type CaseAction } from '../case-actions';
import { caseListInput, decideExtensionInput, triageInput, verifyRemediationInput } from '../case-inputs';
import { readDetection } from '../detection-stats';
import { withTemporalErrors } from '../temporal-errors';
import { protectedProcedure, router } from '../trpc';

/** Evidence shown on the case page; older reports are counted, not listed. */
const REPORTS_SHOWN = 200;
const TIMELINE_SHOWN = 1_000;

function stateWhere(state: z.infer<typeof caseListInput>['state']): Prisma.Sql {
  if (state === 'all') return Prisma.sql`TRUE`;
  const states = state === 'open' ? OPEN_CASE_STATES : [state];
  return Prisma.sql`c.state::text IN (${Prisma.join(states)})`;
}

async function loadCase(caseId: string) {
  const row = await db().case.findUnique({ where: { id: caseId }, include: { tenant: true, deployment: true } });
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such case.' });
  return row;
}

/** The case's workflow, once the user's role and the case's state allow the action. */
async function caseForAction(caseId: string, action: CaseAction, user: SessionUser) {
  const row = await loadCase(caseId);
  const refusal = caseActionRefusal(action, user.role, row);
  if (refusal) {
    const forbidden = refusal.startsWith('This needs the');
    throw new TRPCError({ code: forbidden ? 'FORBIDDEN' : 'BAD_REQUEST', message: refusal });
  }
  const handle = (await getTemporalClient()).workflow.getHandle(row.workflowId);
  return { row, handle };
}

const closedWording = { notFound: 'The workflow of this case has finished; reload the page to see its state.' };

async function result(caseId: string) {
  const row = await loadCase(caseId);
  return { caseId, state: row.state as CaseState };
}

export const casesRouter = router({
  /** The queue: the least time left first (overdue at the top), cases without a deadline newest first. */
  list: protectedProcedure.input(caseListInput).query(async ({ input }) => {
    const where = Prisma.sql`${stateWhere(input.state)}
      AND (${input.category ?? null}::text IS NULL OR c.category = ${input.category ?? null})
      AND (${input.tenantId ?? null}::uuid IS NULL OR c."tenantId" = ${input.tenantId ?? null}::uuid)`;
    // Raw SQL for the order only: ended cases last whatever their old deadline was.
    const [ids, [{ total }]] = await Promise.all([
      db().$queryRaw<{ id: string }[]>`
        SELECT c.id::text AS id FROM "Case" c WHERE ${where}
        ORDER BY (c.state IN ('closed', 'rejected')), c."deadlineAt" ASC NULLS LAST, c."openedAt" DESC, c.id
        LIMIT ${input.pageSize} OFFSET ${input.page * input.pageSize}`,
      db().$queryRaw<[{ total: number }]>`SELECT count(*)::int AS total FROM "Case" c WHERE ${where}`,
    ]);
    const rows = await db().case.findMany({
      where: { id: { in: ids.map((r) => r.id) } },
      include: { tenant: { select: { id: true, name: true } }, deployment: { select: { id: true, name: true, state: true } } },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const cases = ids.flatMap(({ id }) => {
      const c = byId.get(id);
      if (!c) return [];
      return [
        {
          id: c.id,
          reference: c.id.slice(0, 8),
          workflowId: c.workflowId,
          category: c.category,
          categoryLabel: categoryLabel(c.category),
          state: c.state as CaseState,
          severity: c.severity,
          tenant: c.tenant,
          deployment: c.deployment,
          openedAt: c.openedAt,
          deadlineAt: c.deadlineAt,
          reportCount: c.reportCount,
          lastEvidenceAt: c.lastEvidenceAt,
          extensionStatus: c.extensionStatus,
          remediationSubmitted: Boolean(c.remediation),
        },
      ];
    });
    return { cases, total, page: input.page, pageSize: input.pageSize, serverTime: new Date() };
  }),

  /** Choices for the queue's filters. */
  filters: protectedProcedure.query(async () => {
    const tenants = await db().tenant.findMany({ select: { id: true, name: true }, orderBy: { name: 'asc' } });
    return {
      tenants,
      categories: CASE_CATEGORIES.map((c) => ({ value: c, label: categoryLabel(c) })),
      states: CASE_STATES,
      severities: SEVERITIES,
    };
  }),

  get: protectedProcedure.input(z.object({ caseId: z.uuid('That is not a case id.') })).query(async ({ ctx, input }) => {
    const c = await loadCase(input.caseId);
    const [reports, notifications, timeline, mergedInto, detections] = await Promise.all([
      db().abuseReport.findMany({
        where: { caseId: c.id },
        orderBy: { receivedAt: 'desc' },
        take: REPORTS_SHOWN,
        // Never the raw bytes: the page shows what the parser made of them.
        select: {
          id: true,
          channel: true,
          receivedAt: true,
          lastReceivedAt: true,
          submissionCount: true,
          contentType: true,
          sizeBytes: true,
          format: true,
          category: true,
          sourceIps: true,
          reportedUrls: true,
          eventTime: true,
          summary: true,
          warnings: true,
          confidence: true,
          reporterEmail: true,
          confirmedAt: true,
          reporter: { select: { id: true, name: true, email: true } },
        },
      }),
      db().notification.findMany({
        where: { caseId: c.id },
        orderBy: { createdAt: 'asc' },
        select: { id: true, kind: true, toAddress: true, subject: true, status: true, error: true, createdAt: true, sentAt: true },
      }),
      db().auditEvent.findMany({
        // Entries written before the row existed name the workflow id instead of the case id.
        where: { subjectType: 'case', subjectId: { in: [c.id, c.workflowId] } },
        orderBy: { seq: 'asc' },
        take: TIMELINE_SHOWN,
      }),
      c.mergedIntoId ? db().case.findUnique({ where: { id: c.mergedIntoId }, select: { id: true, workflowId: true } }) : null,
      // Our own detectors grade what they found: the triage form starts from the gravest of them.
      db().abuseReport.findMany({ where: { caseId: c.id, channel: 'detection' }, orderBy: { receivedAt: 'desc' }, take: REPORTS_SHOWN, select: { normalized: true } }),
    ]);
    const timeZone = c.tenant?.timeZone ?? 'UTC';
    return {
      id: c.id,
      reference: c.id.slice(0, 8),
      workflowId: c.workflowId,
      temporalUiLink: temporalUiLink(c.workflowId),
      category: c.category,
      categoryLabel: categoryLabel(c.category),
      state: c.state as CaseState,
      severity: c.severity,
      /** The gravest severity our detectors gave the findings in this case; null when none came from them. */
      detectedSeverity: gravest(detections.map((d) => readDetection(d.normalized)?.severity)),
      openedAt: c.openedAt,
      closedAt: c.closedAt,
      reopenCount: c.reopenCount,
      deadline: c.deadlineAt ? { at: c.deadlineAt, ...formatDeadline(c.deadlineAt, timeZone) } : null,
      acknowledgedAt: c.acknowledgedAt,
      remediation: c.remediation,
      remediationAt: c.remediationAt,
      extensionReason: c.extensionReason,
      extensionStatus: c.extensionStatus,
      everSuspended: c.everSuspended,
      rejectReason: c.rejectReason,
      mergedInto: mergedInto,
      tenant: c.tenant
        ? { id: c.tenant.id, name: c.tenant.name, slug: c.tenant.slug, timeZone, contact: c.tenant.securityContactEmail ?? c.tenant.ownerEmail }
        : null,
      deployment: c.deployment ? { id: c.deployment.id, name: c.deployment.name, state: c.deployment.state } : null,
      reportCount: c.reportCount,
      reports,
      notifications,
      timeline: await withActors(db(), timeline.map((e) => ({ seq: e.seq.toString(), at: e.at, actorType: e.actorType, actorId: e.actorId, action: e.action, data: e.data }))),
      allowed: allowedCaseActions(ctx.user.role, c),
      serverTime: new Date(),
    };
  }),

  triage: protectedProcedure.input(triageInput).mutation(async ({ ctx, input }) => {
    const { handle } = await caseForAction(input.caseId, 'triage', ctx.user);
    const by = ctx.user.email;
    let decision: TriageDecision;
    if (input.decision.action === 'merge') {
      if (input.decision.intoCaseId === input.caseId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'A case cannot be merged into itself.' });
      const target = await db().case.findUnique({ where: { id: input.decision.intoCaseId }, select: { workflowId: true } });
      if (!target) throw new TRPCError({ code: 'BAD_REQUEST', message: 'There is no case with that id to merge into.' });
      decision = { action: 'merge', intoWorkflowId: target.workflowId, by };
    } else {
      decision = { ...input.decision, by };
    }
    await withTemporalErrors(() => handle.executeUpdate(triageUpdate, { args: [decision] }), closedWording);
    return result(input.caseId);
  }),

  decideExtension: protectedProcedure.input(decideExtensionInput).mutation(async ({ ctx, input }) => {
    const { handle } = await caseForAction(input.caseId, 'decideExtension', ctx.user);
    const decision = { approve: input.approve, by: ctx.user.email, note: input.note || undefined };
    await withTemporalErrors(() => handle.executeUpdate(decideExtensionUpdate, { args: [decision] }), closedWording);
    return result(input.caseId);
  }),

  verifyRemediation: protectedProcedure.input(verifyRemediationInput).mutation(async ({ ctx, input }) => {
    const { handle } = await caseForAction(input.caseId, 'verifyRemediation', ctx.user);
    const verdict = { accepted: input.accepted, by: ctx.user.email, note: input.note || undefined };
    await withTemporalErrors(() => handle.executeUpdate(verifyRemediationUpdate, { args: [verdict] }), closedWording);
    return result(input.caseId);
  }),
});
