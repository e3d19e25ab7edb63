// The inbox: reports no machine could place (unparsable, or no tenant held the address). A person reads the raw
// text, retries the intake once the cause is fixed, or assigns the report to a deployment by hand (audited).
import { TRPCError } from '@trpc/server';
import { Prisma } from '../../../generated/prisma/client';
import { signalCaseEvidence } from '../../../activities/cases';
import { CASE_CATEGORIES, type CaseCategory } from '../../../domain/cases';
import { appendAudit } from '../../../lib/audit';
import { config } from '../../../lib/config';
import { db } from '../../../lib/db';
import { storeReport } from '../../../lib/intake';
import { getTemporalClient } from '../../../lib/temporal';
import { assignInput, inboxListInput, reportRef, uploadEmlInput } from '../case-inputs';
import { processReport } from '../../../lib/intake-pipeline';
import { withTemporalErrors } from '../temporal-errors';
import { protectedProcedure, router } from '../trpc';

/** How much of a raw report the page shows; the rest is counted, not sent. */
export const RAW_VIEW_MAX_BYTES = 256 * 1024;

const inboxWhere = (kind: 'all' | 'failed' | 'unattributed'): Prisma.AbuseReportWhereInput =>
  kind === 'failed'
    ? { parseStatus: 'failed' }
    : kind === 'unattributed'
      ? { attribution: 'unattributed', parseStatus: { not: 'failed' } }
      : { OR: [{ parseStatus: 'failed' }, { attribution: 'unattributed' }] };

const isCategory = (c: string | null): c is CaseCategory => c !== null && (CASE_CATEGORIES as readonly string[]).includes(c);

async function findReport(reportId: string) {
  const report = await db().abuseReport.findUnique({
    where: { id: reportId },
    select: { id: true, parseStatus: true, attribution: true, category: true, caseId: true, channel: true, receivedAt: true, confirmedAt: true },
  });
  if (!report) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such report.' });
  return report;
}

/** Bytes as text for a <pre>: invalid UTF-8 shows as U+FFFD; the page escapes it like any text. */
export function rawAsText(raw: Uint8Array, max = RAW_VIEW_MAX_BYTES): { text: string; truncated: boolean; sizeBytes: number } {
  const shown = raw.subarray(0, max);
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(shown), truncated: raw.byteLength > max, sizeBytes: raw.byteLength };
}

export const inboxRouter = router({
  list: protectedProcedure.input(inboxListInput).query(async ({ input }) => {
    const where = inboxWhere(input.kind);
    const [reports, total] = await Promise.all([
      db().abuseReport.findMany({
        where,
        orderBy: [{ receivedAt: 'desc' }, { id: 'asc' }],
        skip: input.page * input.pageSize,
        take: input.pageSize,
        select: {
          id: true,
          channel: true,
          receivedAt: true,
          submissionCount: true,
          contentType: true,
          sizeBytes: true,
          parseStatus: true,
          parseError: true,
          attribution: true,
          attributionNote: true,
          format: true,
          category: true,
          sourceIps: true,
          eventTime: true,
          summary: true,
          warnings: true,
          reporterEmail: true,
          reporter: { select: { name: true } },
        },
      }),
      db().abuseReport.count({ where }),
    ]);
    return { reports, total, page: input.page, pageSize: input.pageSize };
  }),

  /** The stored bytes as text, capped; never as HTML. */
  raw: protectedProcedure.input(reportRef).query(async ({ input }) => {
    const row = await db().abuseReport.findUnique({ where: { id: input.reportId }, select: { raw: true, contentType: true, sha256: true } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such report.' });
    return { ...rawAsText(row.raw), contentType: row.contentType, sha256: row.sha256, limit: RAW_VIEW_MAX_BYTES };
  }),

  /** Deployments to assign to, with their tenants. */
  deployments: protectedProcedure.query(() =>
    db().deployment.findMany({
      select: { id: true, name: true, state: true, tenant: { select: { id: true, name: true } } },
      orderBy: [{ tenant: { name: 'asc' } }, { name: 'asc' }],
    }),
  ),

  /** Runs the intake again from parsing (after a parser fix or a new allocation). */
  retry: protectedProcedure.input(reportRef).mutation(async ({ ctx, input }) => {
    const report = await findReport(input.reportId);
    if (report.channel === 'web_form' && !report.confirmedAt) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'The reporter has not confirmed this web-form report yet.' });
    }
    const client = await getTemporalClient();
    const result = await withTemporalErrors(() =>
      processReport(db(), client, report.id, { again: true, taskQueue: config().TEMPORAL_TASK_QUEUE, actor: { type: 'user', id: ctx.user.email } }),
    );
    await appendAudit(db(), {
      actorType: 'user',
      actorId: ctx.user.email,
      action: 'report.intake_retried',
      subjectType: 'report',
      subjectId: report.id,
      data: { outcome: result.outcome, previous: { parseStatus: report.parseStatus, attribution: report.attribution } },
    });
    return result;
  }),

  /** Attributes a report by hand and attaches it to the (deployment, category) case. */
  assign: protectedProcedure.input(assignInput).mutation(async ({ ctx, input }) => {
    const report = await findReport(input.reportId);
    if (report.caseId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This report already belongs to a case.' });
    const category = input.category ?? (isCategory(report.category) ? report.category : undefined);
    if (!category) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This report has no category; choose one.' });
    const deployment = await db().deployment.findUnique({ where: { id: input.deploymentId }, select: { id: true, tenantId: true, name: true } });
    if (!deployment) throw new TRPCError({ code: 'BAD_REQUEST', message: 'There is no such deployment.' });
    const note = `assigned by ${ctx.user.email}: ${input.note}`;
    await db().$transaction(async (tx) => {
      await tx.abuseReport.update({
        where: { id: report.id },
        data: { attribution: 'attributed', attributionNote: note, tenantId: deployment.tenantId, deploymentId: deployment.id, category },
      });
      await appendAudit(tx, {
        actorType: 'user',
        actorId: ctx.user.email,
        action: 'report.assigned',
        subjectType: 'report',
        subjectId: report.id,
        data: { deploymentId: deployment.id, tenantId: deployment.tenantId, category, note: input.note, previous: report.attribution },
      });
    });
    const handle = await signalCaseEvidence(await getTemporalClient(), {
      taskQueue: config().TEMPORAL_TASK_QUEUE,
      deploymentId: deployment.id,
      tenantId: deployment.tenantId,
      category,
      evidence: { kind: 'report', id: report.id, receivedAt: report.receivedAt.toISOString() },
    });
    return { caseWorkflowId: handle.workflowId };
  }),

  /** An analyst's .eml upload: the same door as the SMTP listener. */
  uploadEml: protectedProcedure.input(uploadEmlInput).mutation(async ({ ctx, input }) => {
    const max = config().REPORT_MAX_BYTES;
    // Base64 is 4 characters per 3 bytes: refuse before decoding anything too large.
    if (Math.floor((input.contentBase64.length * 3) / 4) > max + 2) {
      throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `The file is larger than the ${Math.round(max / 1024)} KiB a report may be.` });
    }
    const raw = Buffer.from(input.contentBase64, 'base64');
    if (raw.byteLength === 0) throw new TRPCError({ code: 'BAD_REQUEST', message: 'The file is empty.' });
    if (raw.byteLength > max) {
      throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `The file is larger than the ${Math.round(max / 1024)} KiB a report may be.` });
    }
    const stored = await storeReport(
      db(),
      await getTemporalClient(),
      { raw, channel: 'mail', contentType: 'message/rfc822', filename: input.filename },
      { actor: { type: 'user', id: ctx.user.email } },
    );
    return { reportId: stored.reportId, duplicate: stored.duplicate, submissionCount: stored.submissionCount, outcome: stored.intake.outcome };
  }),
});
