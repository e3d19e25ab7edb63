// The one door for every report: the raw bytes are stored with their SHA-256 first, then the intake workflow
// (workflows/intake.ts) parses, attributes and routes them. An identical resubmission is counted, never duplicated.
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { ReportChannel } from '../generated/prisma/client';
import type { intakeReportWorkflow } from '../workflows/intake';
import { appendAudit } from './audit';
import { config } from './config';
import type { Db } from './db';

export const reportWorkflowId = (reportId: string) => `report:${reportId}`;

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
  /** Where the intake workflow runs; defaults to TEMPORAL_TASK_QUEUE. */
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
  /** The report's parse status as it stands (pending until the workflow has parsed it). */
  parseStatus: 'pending' | 'parsed' | 'failed';
  workflowId: string;
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

/** Stores the bytes verbatim (or counts a resubmission), audits it, then starts the intake workflow once per report.
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
  const stored = await db.$transaction(async (tx) => {
    // One statement, so two identical reports arriving together make one row with a count of two.
    const rows = await tx.$queryRaw<{ id: string; submissionCount: number; inserted: boolean; parseStatus: StoredReport['parseStatus'] }[]>`
      INSERT INTO "AbuseReport" (id, channel, "reporterId", "contentType", raw, sha256, "sizeBytes", "reporterEmail",
                                 "receivedAt", "lastReceivedAt", "sourceIps", warnings, "reportedUrls")
      VALUES (${randomUUID()}::uuid, ${input.channel}::"ReportChannel", ${input.reporterId ?? null}::uuid, ${contentType}, ${raw},
              ${hash}, ${raw.byteLength}, ${input.reporterEmail ?? null}, ${now}, ${now}, '{}', '{}', '{}')
      ON CONFLICT (sha256) DO UPDATE
        SET "submissionCount" = "AbuseReport"."submissionCount" + 1, "lastReceivedAt" = EXCLUDED."lastReceivedAt"
      RETURNING id::text AS id, "submissionCount", (xmax = 0) AS inserted, "parseStatus"::text AS "parseStatus"`;
    const row = rows[0]!;
    await appendAudit(tx, {
      actorType: opts.actor?.type ?? 'intake',
      actorId: opts.actor?.id ?? input.channel,
      action: row.inserted ? 'report.received' : 'report.resubmitted',
      subjectType: 'report',
      subjectId: row.id,
      data: {
        channel: input.channel,
        sha256: hash,
        sizeBytes: raw.byteLength,
        contentType,
        submissionCount: row.submissionCount,
        ...(input.filename ? { filename: input.filename } : {}),
        ...(input.reporterId ? { reporterId: input.reporterId } : {}),
        ...(input.reporterEmail ? { reporterEmail: input.reporterEmail } : {}),
        ...(opts.hold ? { held: true } : {}),
      },
      at: now,
    });
    return row;
  });

  const workflowId = reportWorkflowId(stored.id);
  // A resubmission of a report whose workflow never started (a crash between the two steps) starts it now.
  if (!opts.hold && (stored.inserted || stored.parseStatus === 'pending')) {
    try {
      // Connected only now: with Temporal down the report is still kept, and sending it again queues it.
      const client = typeof temporal === 'function' ? await temporal() : temporal;
      await startIntake(client, stored.id, 'once', opts.taskQueue);
    } catch (err) {
      throw new IntakeQueueError(stored.id, err);
    }
  }
  return { reportId: stored.id, duplicate: !stored.inserted, submissionCount: stored.submissionCount, parseStatus: stored.parseStatus, workflowId };
}

/** The report is stored but its workflow could not be started; sending it again starts it (and is counted, not duplicated). */
export class IntakeQueueError extends Error {
  constructor(
    readonly reportId: string,
    cause: unknown,
  ) {
    super(`report ${reportId} is stored but could not be queued for processing: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'IntakeQueueError';
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

/**
 * Starts the intake workflow of a stored report. `once`: unless an intake of it ever ran (so a repeat is harmless);
 * `again`: once more after an earlier run finished (an inbox retry), refused while one is running.
 */
export async function startIntake(
  temporal: Client,
  reportId: string,
  mode: 'once' | 'again',
  taskQueue: string = config().TEMPORAL_TASK_QUEUE,
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = reportWorkflowId(reportId);
  try {
    await temporal.workflow.start<typeof intakeReportWorkflow>('intakeReportWorkflow', {
      workflowId,
      taskQueue,
      args: [reportId],
      workflowIdReusePolicy: mode === 'once' ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return { workflowId, started: true };
  } catch (err) {
    if (mode === 'once' && err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
