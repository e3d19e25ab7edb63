// The one door for every report: the raw bytes are stored with their SHA-256 first, then the intake pipeline
// (lib/intake-pipeline.ts) parses, attributes and routes them to their cases. An identical resubmission is counted,
// never duplicated. Whatever happens after the bytes are stored, nothing is lost: the intake sweeper finishes it.
import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { ReportChannel } from '../generated/prisma/client';
import { config } from './config';
import type { Db } from './db';
import { continueIntake, type IntakeOutcome } from './intake-pipeline';
import { childLogger } from './log';

export interface StoreReportInput {
  raw: Uint8Array;
  channel: ReportChannel;
  contentType: string;
  reporterId?: string;
  reporterEmail?: string;
  /** The file name a report came in (CLI import, upload): a hint for the parser when the content type says nothing. */
  filename?: string;
}

export interface StoreReportOptions {
  /** Where case workflows run; defaults to TEMPORAL_TASK_QUEUE. */
  taskQueue?: string;
  /** Who stored it, for the audit log (an API key id, "smtp", "cli"). */
  actor?: { type: string; id: string };
  /** Store only; intake starts later (a web-form report waits for its reporter to confirm). */
  hold?: boolean;
}

export interface StoredReport {
  reportId: string;
  duplicate: boolean;
  submissionCount: number;
  /** How far intake got: routed to its cases (none listed for a resubmission of a routed report), in the inbox, or
   * held; `queued` when it could not finish now (Temporal or the database unreachable) and the sweeper will. */
  intake: IntakeOutcome | { reportId: string; outcome: 'queued'; reason: string };
}

const log = childLogger('intake');

interface RowState {
  id: string;
  submissionCount: number;
  inserted: boolean;
  parseStatus: 'pending' | 'parsed' | 'failed';
  attribution: 'pending' | 'attributed' | 'unattributed';
  routedAt: Date | null;
  parseError: string | null;
  attributionNote: string | null;
}

/** Where a stored report's intake stands, read from its row: `queued` while it has not finished (the sweeper's). */
export function intakeStateOf(row: Pick<RowState, 'id' | 'parseStatus' | 'attribution' | 'routedAt' | 'parseError' | 'attributionNote'>): StoredReport['intake'] {
  const reportId = row.id;
  if (row.parseStatus === 'failed') return { reportId, outcome: 'parse_failed', error: row.parseError ?? 'the report could not be parsed' };
  if (row.attribution === 'unattributed') return { reportId, outcome: 'unattributed', note: row.attributionNote ?? '' };
  if (row.routedAt) return { reportId, outcome: 'routed', cases: [] };
  return { reportId, outcome: 'queued', reason: 'an earlier submission of this report is still in intake' };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// A generic type tells the parser nothing; the file's extension does.
const BY_EXTENSION: Record<string, string> = {
  json: 'application/json',
  eml: 'message/rfc822',
  msg: 'message/rfc822',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  txt: 'text/plain',
};

/** The content type to store: the given one, unless it is generic and the file name says more. */
export function effectiveContentType(contentType: string, filename?: string): string {
  const given = contentType.trim() || 'application/octet-stream';
  const generic = /^(application\/octet-stream|text\/plain)\b/i.test(given);
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  return generic && ext && BY_EXTENSION[ext] ? BY_EXTENSION[ext] : given;
}

/** Stores the bytes verbatim (or counts a resubmission), audits it, then takes it through intake at once.
 * `temporal` may be a function that connects, so a report is stored even while Temporal is unreachable. */
export async function storeReport(
  db: Db,
  temporal: Client | (() => Promise<Client>),
  input: StoreReportInput,
  opts: StoreReportOptions = {},
): Promise<StoredReport> {
  const raw = Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength);
  const hash = sha256(raw);
  const contentType = effectiveContentType(input.contentType, input.filename);
  const now = new Date();
  const audit = {
    channel: input.channel,
    sha256: hash,
    sizeBytes: raw.byteLength,
    contentType,
    ...(input.filename ? { filename: input.filename } : {}),
    ...(input.reporterId ? { reporterId: input.reporterId } : {}),
    ...(input.reporterEmail ? { reporterEmail: input.reporterEmail } : {}),
    ...(opts.hold ? { held: true } : {}),
  };
  // One statement, so two identical reports arriving together make one row with a count of two, and the row and
  // its audit entry are written together without a transaction held open across round trips.
  const rows = await db.$queryRaw<RowState[]>`
    WITH report AS (
      INSERT INTO "AbuseReport" (id, channel, "reporterId", "contentType", raw, sha256, "sizeBytes", "reporterEmail",
                                 "receivedAt", "lastReceivedAt", "sourceIps", warnings, "reportedUrls")
      VALUES (${randomUUID()}::uuid, ${input.channel}::"ReportChannel", ${input.reporterId ?? null}::uuid, ${contentType}, ${raw},
              ${hash}, ${raw.byteLength}, ${input.reporterEmail ?? null}, ${now}, ${now}, '{}', '{}', '{}')
      ON CONFLICT (sha256) DO UPDATE
        SET "submissionCount" = "AbuseReport"."submissionCount" + 1, "lastReceivedAt" = EXCLUDED."lastReceivedAt"
      RETURNING id, "submissionCount", (xmax = 0) AS inserted, "parseStatus", attribution, "routedAt", "parseError", "attributionNote"
    ), audit AS (
      INSERT INTO "AuditEvent" (at, "actorType", "actorId", action, "subjectType", "subjectId", data)
      SELECT ${now}, ${opts.actor?.type ?? 'intake'}, ${opts.actor?.id ?? input.channel},
             CASE WHEN inserted THEN 'report.received' ELSE 'report.resubmitted' END, 'report', id::text,
             ${JSON.stringify(audit)}::jsonb || jsonb_build_object('submissionCount', "submissionCount")
      FROM report
    )
    SELECT id::text AS id, "submissionCount", inserted, "parseStatus"::text AS "parseStatus", attribution::text AS attribution,
           "routedAt", "parseError", "attributionNote"
    FROM report`;
  const stored = rows[0]!;

  const base = { reportId: stored.id, duplicate: !stored.inserted, submissionCount: stored.submissionCount };
  if (opts.hold) return { ...base, intake: { reportId: stored.id, outcome: 'held' } };
  // A resubmission says where the first one got; one whose intake never finished is the sweeper's to finish.
  if (!stored.inserted) return { ...base, intake: intakeStateOf(stored) };
  try {
    // Connected only now: with Temporal down the report is still kept, and the sweeper routes it later.
    const client = typeof temporal === 'function' ? await temporal() : temporal;
    // Intake goes on from what was just written, without reading the row back.
    const row = { id: stored.id, raw, channel: input.channel, contentType, receivedAt: now, parseStatus: 'pending', attribution: 'pending' } as const;
    const intake = await continueIntake(db, client, row, { taskQueue: opts.taskQueue ?? config().TEMPORAL_TASK_QUEUE, actor: opts.actor });
    return { ...base, intake };
  } catch (err) {
    log.warn({ err, reportId: stored.id }, 'report stored; intake will be finished by the sweeper');
    return { ...base, intake: { reportId: stored.id, outcome: 'queued', reason: err instanceof Error ? err.message : String(err) } };
  }
}

/** What parsing a stored report writes onto its row, whatever the channel (reports and detections alike). */
export interface ParsedReportFields {
  format: string;
  category: string;
  sourceIps: string[];
  eventTime: Date | null;
  warnings: string[];
  confidence: 'high' | 'medium' | 'low';
  reportedUrls: string[];
  summary: string;
  /** The full normalised form, kept as JSON on the row. */
  normalized: unknown;
}
