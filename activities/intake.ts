// The intake workflow's side effects: parse a stored report, attribute it, hand it to its case.
// Each activity re-reads the row and writes the same result again on a retry; each writes its audit entry in the
// same transaction as the row, so the log and the row never disagree (and a report costs three activities, not six).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Prisma } from '../generated/prisma/client';
import { CASE_CATEGORIES, type CaseCategory } from '../domain/cases';
import { parseReport } from '../domain/reports/detect';
import type { NormalisedReport } from '../domain/reports/types';
import { attributeSources } from '../lib/attribution';
import { appendAudit } from '../lib/audit';
import type { Db } from '../lib/db';
import { parseStoredDetection } from '../lib/detections';
import type { ParsedReportFields } from '../lib/intake';
import { signalCaseEvidence } from './cases';

export type ParseResult =
  | { ok: true; format: string; category: CaseCategory; sourceIps: string[]; eventTime: string | null; warnings: number; confidence: string }
  | { ok: false; error: string };

export interface AttributionResult {
  status: 'attributed' | 'unattributed';
  targets: { deploymentId: string; tenantId: string; sources: string[] }[];
  /** When the addresses were looked up (the event time, else the time received). */
  at: string;
  note: string;
}

export interface RouteInput {
  reportId: string;
  deploymentId: string;
  tenantId: string;
  category: CaseCategory;
}

const notFound = (reportId: string) => ApplicationFailure.nonRetryable(`report ${reportId} does not exist`, 'ReportNotFound');

function fieldsOf(r: NormalisedReport): ParsedReportFields {
  return {
    format: r.format,
    category: r.category,
    sourceIps: r.sourceIps.map((ip) => ip.address),
    eventTime: r.eventTime,
    warnings: r.warnings,
    confidence: r.confidence,
    reportedUrls: r.reportedUrls,
    summary: r.evidenceSummary,
    normalized: r,
  };
}

const isCategory = (c: string): c is CaseCategory => (CASE_CATEGORIES as readonly string[]).includes(c);

/** The audit entry of one intake step, attributed to the workflow that ran it. */
function step(reportId: string, action: string, data: Record<string, unknown>) {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'intake';
  return { actorType: 'workflow', actorId: workflowId, action, subjectType: 'report', subjectId: reportId, data };
}

export function createIntakeActivities({ db, temporal }: { db: Db; temporal: Client }) {
  return {
    /** Parses the stored bytes and writes the result onto the row; a parse failure is a result, not an error. */
    async parseStoredReport({ reportId }: { reportId: string }): Promise<ParseResult> {
      const row = await db.abuseReport.findUnique({ where: { id: reportId }, select: { raw: true, channel: true, contentType: true } });
      if (!row) throw notFound(reportId);
      let outcome: { ok: true; fields: ParsedReportFields } | { ok: false; error: string; format?: string };
      if (row.channel === 'detection') {
        outcome = parseStoredDetection(row.raw);
      } else {
        const parsed = await parseReport(row.raw, { contentType: row.contentType });
        outcome = parsed.ok ? { ok: true, fields: fieldsOf(parsed.report) } : parsed;
      }
      if (!outcome.ok) {
        const failed = outcome;
        await db.$transaction(async (tx) => {
          await tx.abuseReport.update({
            where: { id: reportId },
            data: {
              parseStatus: 'failed',
              parseError: failed.error,
              format: failed.format ?? null,
              attribution: 'unattributed',
              attributionNote: 'not attributed: the report could not be parsed',
            },
          });
          await appendAudit(tx, step(reportId, 'report.parse_failed', { error: failed.error, format: failed.format }));
        });
        return { ok: false, error: failed.error };
      }
      const f = outcome.fields;
      if (!isCategory(f.category)) throw ApplicationFailure.nonRetryable(`unknown category ${f.category}`, 'UnknownCategory');
      const result: ParseResult = {
        ok: true,
        format: f.format,
        category: f.category,
        sourceIps: f.sourceIps,
        eventTime: f.eventTime?.toISOString() ?? null,
        warnings: f.warnings.length,
        confidence: f.confidence,
      };
      await db.$transaction(async (tx) => {
        await tx.abuseReport.update({
          where: { id: reportId },
          data: {
            parseStatus: 'parsed',
            parseError: null,
            format: f.format,
            category: f.category,
            sourceIps: f.sourceIps,
            eventTime: f.eventTime,
            warnings: f.warnings,
            confidence: f.confidence,
            reportedUrls: f.reportedUrls,
            summary: f.summary,
            // Dates become strings, as they would on any JSON round trip.
            normalized: JSON.parse(JSON.stringify(f.normalized)) as Prisma.InputJsonValue,
          },
        });
        await appendAudit(tx, step(reportId, 'report.parsed', result));
      });
      return result;
    },

    /** Resolves every source address to the deployment that held it at the event time; records the outcome on the row. */
    async attributeReport({ reportId }: { reportId: string }): Promise<AttributionResult> {
      const row = await db.abuseReport.findUnique({
        where: { id: reportId },
        select: { parseStatus: true, sourceIps: true, eventTime: true, receivedAt: true },
      });
      if (!row) throw notFound(reportId);
      if (row.parseStatus !== 'parsed') throw ApplicationFailure.nonRetryable(`report ${reportId} is not parsed`, 'ReportNotParsed');
      const at = row.eventTime ?? row.receivedAt;
      const atNote = row.eventTime ? undefined : `the report gives no event time; looked up at the time received (${at.toISOString()})`;
      const result = await attributeSources(db, row.sourceIps ?? [], at, atNote);
      const first = result.targets[0];
      const out: AttributionResult = { status: result.status, targets: result.targets, at: at.toISOString(), note: result.note };
      await db.$transaction(async (tx) => {
        await tx.abuseReport.update({
          where: { id: reportId },
          data: {
            attribution: result.status,
            attributionNote: result.note,
            tenantId: first?.tenantId ?? null,
            deploymentId: first?.deploymentId ?? null,
          },
        });
        await appendAudit(tx, step(reportId, `report.${result.status}`, { at: out.at, targets: out.targets, note: out.note }));
      });
      return out;
    },

    /** Signal-with-start of the (deployment, category) case with this report as evidence. */
    async routeToCase(input: RouteInput): Promise<{ workflowId: string }> {
      const row = await db.abuseReport.findUnique({ where: { id: input.reportId }, select: { channel: true, receivedAt: true } });
      if (!row) throw notFound(input.reportId);
      const handle = await signalCaseEvidence(temporal, {
        // The case runs where intake runs: one worker fleet serves both.
        taskQueue: Context.current().info.taskQueue,
        deploymentId: input.deploymentId,
        tenantId: input.tenantId,
        category: input.category,
        evidence: { kind: row.channel === 'detection' ? 'detection' : 'report', id: input.reportId, receivedAt: row.receivedAt.toISOString() },
      });
      await appendAudit(db, step(input.reportId, 'report.routed', { caseWorkflowId: handle.workflowId, deploymentId: input.deploymentId, tenantId: input.tenantId, category: input.category }));
      return { workflowId: handle.workflowId };
    },
  };
}
