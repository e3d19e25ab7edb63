// What happens to a stored report: parse it, attribute it to the tenant that held the address at the event time,
// and hand it to the case of each (deployment, category) by signal-with-start. It runs inline right after the report
// is stored (so a report costs Temporal one signal, not a workflow of its own) and again from the intake sweeper for
// anything left unfinished: a crash between steps, Temporal unreachable when the report came in.
// Each run starts from the row (read again by the sweeper; inline, what was just stored), writes the same result
// again when repeated, and writes its audit entries in the same statement as the row, so the log and the row never
// disagree. Routing marks the row only after every case has its signal; a repeated signal is harmless (the case links
// a report once).
import type { Client } from '@temporalio/client';
import { Prisma } from '../generated/prisma/client';
import { signalCaseEvidence } from '../activities/cases';
import { CASE_CATEGORIES, type CaseCategory } from '../domain/cases';
import { parseReport } from '../domain/reports/detect';
import { EVENT_TIME_SKEW_MS, type NormalisedReport } from '../domain/reports/types';
import { attributeSources } from './attribution';
import type { AuditInput } from './audit';
import type { Db } from './db';
import { parseStoredDetection } from './detections';
import type { ParsedReportFields } from './intake';

export type IntakeOutcome =
  | { reportId: string; outcome: 'parse_failed'; error: string }
  | { reportId: string; outcome: 'unattributed'; note: string }
  | { reportId: string; outcome: 'routed'; cases: string[] }
  /** Stored but not yet processed: a web-form report waiting for its reporter to confirm. */
  | { reportId: string; outcome: 'held' };

export interface PipelineOptions {
  /** Where case workflows run. */
  taskQueue: string;
  /** Who runs the step, for the audit log. */
  actor?: { type: string; id: string };
}

export class ReportNotFoundError extends Error {
  constructor(readonly reportId: string) {
    super(`report ${reportId} does not exist`);
    this.name = 'ReportNotFoundError';
  }
}

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

const step = (opts: PipelineOptions, reportId: string, action: string, data: Record<string, unknown>) => ({
  actorType: opts.actor?.type ?? 'system',
  actorId: opts.actor?.id ?? 'intake',
  action,
  subjectType: 'report',
  subjectId: reportId,
  data,
});

type Parsed = { ok: true; fields: ParsedReportFields & { category: CaseCategory } } | { ok: false; error: string; format?: string };

/** Parses stored bytes, whatever the channel; a parse failure is a result, not an error. */
async function parseStored(row: { raw: Uint8Array; channel: string; contentType: string }): Promise<Parsed> {
  let outcome: { ok: true; fields: ParsedReportFields } | { ok: false; error: string; format?: string };
  if (row.channel === 'detection') {
    outcome = parseStoredDetection(row.raw);
  } else {
    const parsed = await parseReport(row.raw, { contentType: row.contentType });
    outcome = parsed.ok ? { ok: true, fields: fieldsOf(parsed.report) } : parsed;
  }
  if (!outcome.ok) return outcome;
  const { category } = outcome.fields;
  if (!isCategory(category)) return { ok: false, error: `unknown category ${category}` };
  return { ok: true, fields: { ...outcome.fields, category } };
}

/** Column assignments for a parsed report. */
function parsedColumns(f: ParsedReportFields): Prisma.Sql[] {
  return [
    Prisma.sql`"parseStatus" = 'parsed'`,
    Prisma.sql`"parseError" = NULL`,
    Prisma.sql`format = ${f.format}`,
    Prisma.sql`category = ${f.category}`,
    Prisma.sql`"sourceIps" = ${f.sourceIps}::text[]`,
    Prisma.sql`"eventTime" = ${f.eventTime}`,
    Prisma.sql`warnings = ${f.warnings}::text[]`,
    Prisma.sql`confidence = ${f.confidence}`,
    Prisma.sql`"reportedUrls" = ${f.reportedUrls}::text[]`,
    Prisma.sql`summary = ${f.summary}`,
    // Dates become strings, as they would on any JSON round trip.
    Prisma.sql`normalized = ${JSON.stringify(f.normalized)}::jsonb`,
  ];
}

/**
 * Writes one step: the report's columns and its audit entries (in order, as lib/audit.ts stores them) in one
 * statement, so they commit together in one round trip. Throws ReportNotFoundError, writing nothing, if the row is gone.
 */
async function writeStep(db: Db, reportId: string, set: Prisma.Sql[], audits: AuditInput[]): Promise<void> {
  const entries = audits.map((a) => ({ ...a, at: (a.at ?? new Date()).toISOString(), data: a.data ?? null }));
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH report AS (
      UPDATE "AbuseReport" SET ${Prisma.join(set)} WHERE id = ${reportId}::uuid RETURNING id
    ), audit AS (
      INSERT INTO "AuditEvent" (at, "actorType", "actorId", action, "subjectType", "subjectId", data)
      SELECT (e->>'at')::timestamptz AT TIME ZONE 'UTC', e->>'actorType', e->>'actorId', e->>'action', e->>'subjectType',
             e->>'subjectId', e->'data'
      FROM report, jsonb_array_elements(${JSON.stringify(entries)}::jsonb) WITH ORDINALITY AS x(e, n)
      ORDER BY n
    )
    SELECT id::text AS id FROM report`;
  if (rows.length === 0) throw new ReportNotFoundError(reportId);
}

const parsedAudit = (f: ParsedReportFields) => ({
  format: f.format,
  category: f.category,
  sourceIps: f.sourceIps,
  eventTime: f.eventTime?.toISOString() ?? null,
  warnings: f.warnings.length,
  confidence: f.confidence,
});

/** What intake reads of a stored report. */
export interface IntakeRow {
  id: string;
  raw: Uint8Array;
  channel: string;
  contentType: string;
  receivedAt: Date;
  parseStatus: 'pending' | 'parsed' | 'failed';
  parseError?: string | null;
  category?: string | null;
  sourceIps?: string[];
  eventTime?: Date | null;
  attribution: 'pending' | 'attributed' | 'unattributed';
  attributionNote?: string | null;
  routedAt?: Date | null;
}

/**
 * Takes a stored report as far as it can go, resuming where an earlier attempt stopped; `again` starts over from
 * parsing (an inbox retry after the parser or the allocations changed). Errors reaching Temporal or the database
 * propagate with nothing written; the sweeper tries again.
 */
export async function processReport(db: Db, temporal: Client, reportId: string, opts: PipelineOptions & { again?: boolean }): Promise<IntakeOutcome> {
  const row = await db.abuseReport.findUnique({
    where: { id: reportId },
    select: {
      raw: true, channel: true, contentType: true, receivedAt: true, parseStatus: true, parseError: true, category: true,
      sourceIps: true, eventTime: true, attribution: true, attributionNote: true, routedAt: true,
    },
  });
  if (!row) throw new ReportNotFoundError(reportId);
  return continueIntake(db, temporal, { id: reportId, ...row }, opts);
}

/**
 * Intake from a row already in hand (storeReport passes what it has just written). Everything is worked out first
 * (parse, attribution, the case signals) and written in one statement with its audit entries, so a report costs few
 * round trips.
 */
export async function continueIntake(db: Db, temporal: Client, row: IntakeRow, opts: PipelineOptions & { again?: boolean }): Promise<IntakeOutcome> {
  const reportId = row.id;
  const audits: AuditInput[] = [];
  const set: Prisma.Sql[] = [];

  let category = (row.category ?? null) as CaseCategory | null;
  let sourceIps = row.sourceIps ?? [];
  let eventTime = row.eventTime ?? null;
  if (opts.again || row.parseStatus === 'pending') {
    const parsed = await parseStored(row);
    if (!parsed.ok) {
      await writeStep(
        db,
        reportId,
        [
          Prisma.sql`"parseStatus" = 'failed'`,
          Prisma.sql`"parseError" = ${parsed.error}`,
          Prisma.sql`format = ${parsed.format ?? null}`,
          Prisma.sql`attribution = 'unattributed'`,
          Prisma.sql`"attributionNote" = ${'not attributed: the report could not be parsed'}`,
        ],
        [step(opts, reportId, 'report.parse_failed', { error: parsed.error, format: parsed.format })],
      );
      return { reportId, outcome: 'parse_failed', error: parsed.error };
    }
    set.push(...parsedColumns(parsed.fields));
    audits.push(step(opts, reportId, 'report.parsed', parsedAudit(parsed.fields)));
    ({ category, sourceIps, eventTime } = parsed.fields);
  } else if (row.parseStatus === 'failed') {
    return { reportId, outcome: 'parse_failed', error: row.parseError ?? 'the report could not be parsed' };
  } else if (row.attribution === 'unattributed') {
    return { reportId, outcome: 'unattributed', note: row.attributionNote ?? '' };
  } else if (row.routedAt) {
    return { reportId, outcome: 'routed', cases: [] };
  }

  // Looked up again whenever routing did not finish: cheap, and it gives the targets to signal. A report cannot
  // describe what has not happened yet: an event time past its arrival (beyond clock skew) is a wrong clock or zone,
  // and whoever holds the address in that future is not who sent it, so it is looked up at the time received.
  const future = eventTime !== null && eventTime.getTime() > row.receivedAt.getTime() + EVENT_TIME_SKEW_MS;
  const at = eventTime && !future ? eventTime : row.receivedAt;
  const atNote = !eventTime
    ? `the report gives no event time; looked up at the time received (${at.toISOString()})`
    : future
      ? `the report's event time ${eventTime.toISOString()} is later than its arrival; looked up at the time received (${at.toISOString()})`
      : undefined;
  const attribution = await attributeSources(db, sourceIps, at, atNote);
  const first = attribution.targets[0];
  set.push(
    Prisma.sql`attribution = ${attribution.status}::"AttributionStatus"`,
    Prisma.sql`"attributionNote" = ${attribution.note}`,
    Prisma.sql`"tenantId" = ${first?.tenantId ?? null}::uuid`,
    Prisma.sql`"deploymentId" = ${first?.deploymentId ?? null}::uuid`,
  );
  audits.push(step(opts, reportId, `report.${attribution.status}`, { at: at.toISOString(), targets: attribution.targets, note: attribution.note }));

  const cases: string[] = [];
  if (attribution.status === 'attributed') {
    for (const target of attribution.targets) {
      const handle = await signalCaseEvidence(temporal, {
        taskQueue: opts.taskQueue,
        deploymentId: target.deploymentId,
        tenantId: target.tenantId,
        category: category!,
        evidence: { kind: row.channel === 'detection' ? 'detection' : 'report', id: reportId, receivedAt: row.receivedAt.toISOString() },
      });
      cases.push(handle.workflowId);
    }
    set.push(Prisma.sql`"routedAt" = ${new Date()}`);
    audits.push(step(opts, reportId, 'report.routed', { cases, category }));
  }
  await writeStep(db, reportId, set, audits);
  return attribution.status === 'attributed' ? { reportId, outcome: 'routed', cases } : { reportId, outcome: 'unattributed', note: attribution.note };
}
