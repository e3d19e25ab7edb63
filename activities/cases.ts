// Everything the case workflow does outside itself: the Case row, evidence links, merging, the provider, the emails.
// Each activity is safe to retry: rows are upserts, provider calls and emails carry idempotency keys.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import { Prisma } from '../generated/prisma/client';
import type { CaseCategory, CaseInput, CasePolicy, CaseState, EvidenceRef, ExtensionStatus } from '../domain/cases';
import { caseEmailKey, caseWorkflowId, TENANT_CASE_LINK } from '../domain/cases';
import { casePolicyFor } from '../domain/case-policy';
import { describeDuration, reporterNotice, tenantNotice, type NoticeKind, type ReporterNoticeKind } from '../domain/notices';
import { createAccessLink } from '../lib/access-links';
import { appendAudit, appendAuditMany, auditInsertSql, type AuditInput } from '../lib/audit';
import { config } from '../lib/config';
import type { Db } from '../lib/db';
import { createDatabaseProvider, UnknownDeploymentError, type CloudProvider } from '../lib/provider';
import { caseSearchMetadata } from '../lib/search-attributes';
import { attachEvidenceSignal, type abuseCaseWorkflow } from '../workflows/abuse-case';
import { toAuditInput, type AuditEntry } from './audit';
import { createMailActivities } from './mail';

export interface CaseActivityDeps {
  db: Db;
  mailer: Transporter;
  temporal: Client;
  /** Defaults to the database provider (Deployment.state here); a real cloud API plugs in the same way. */
  provider?: CloudProvider;
}

export interface OpenCaseInput {
  workflowId: string;
  deploymentId: string;
  tenantId: string;
  category: CaseCategory;
}

export interface OpenCaseResult {
  caseId: string;
  /** A closed or rejected case that got new evidence. */
  reopened: boolean;
  /** Case.reopenCount: distinguishes the idempotency keys of each opening. */
  cycle: number;
  openedAt: string;
}

/** The Case row's mutable columns, as the workflow knows them. */
export interface CaseStateRow {
  caseId: string;
  state: CaseState;
  severity?: string;
  deadlineAt?: string;
  acknowledgedAt?: string;
  remediation?: { description: string; submittedAt: string };
  extension?: { reason: string; status: ExtensionStatus };
  everSuspended: boolean;
  rejectReason?: string;
  mergedIntoWorkflowId?: string;
}

export type CaseEmailKind = NoticeKind | ReporterNoticeKind;

/** What a tenant email reads in one query. */
interface CaseForNotice {
  id: string;
  category: string;
  severity: string | null;
  deadlineAt: Date | null;
  reportCount: number;
  tenantId: string | null;
  tenantName: string;
  timeZone: string;
  to: string;
  deploymentName: string | null;
  sentId: string | null;
  sentTo: string | null;
  /** The latest NOTICE_EVIDENCE reports, newest first (null when there are none or the email went out already). */
  reports: { receivedAt: string; summary: string | null; sourceIps: string[]; reportedUrls: string[]; channel: string }[] | null;
}

/** Reports summarised in a tenant email (the count says how many there are in all). */
const NOTICE_EVIDENCE = 5;

/** What a reporter email reads of each report, with its reporter, in one query. */
interface ReportForNotice {
  id: string;
  channel: string;
  receivedAt: Date;
  category: string | null;
  reporterEmail: string | null;
  confirmedAt: Date | null;
  reporterId: string | null;
  reporterAddress: string | null;
  notifyOutcome: boolean | null;
}

export interface NotifyCaseInput {
  caseId: string;
  kind: CaseEmailKind;
  /** Idempotency key; reporter emails append the report id. */
  key: string;
  /** Reporter acknowledgements: only these reports. Outcomes: every report on the case. */
  reportIds?: string[];
  /** Outcome: false for a rejected case (no action), true otherwise. */
  actioned?: boolean;
  note?: string;
}

export interface SentEmail {
  kind: CaseEmailKind;
  to: string;
  notificationId: string;
  sentNow: boolean;
}

// How long a tenant link stays valid beyond the deadline (the page still shows a suspended case).
const LINK_GRACE_MS = 30 * 24 * 3600_000;
const LINKED_KINDS: ReadonlySet<CaseEmailKind> = new Set([
  'notice',
  'reminder',
  'suspended',
  'remediation_submitted',
  'remediation_refused',
  'extension_requested',
  'extension_granted',
  'extension_refused',
]);

const nonRetryable = (message: string, type: string) => ApplicationFailure.nonRetryable(message, type);

export function createCaseActivities({ db, mailer, temporal, provider = createDatabaseProvider(db) }: CaseActivityDeps) {
  const { sendNotification } = createMailActivities({ db, mailer });

  async function recount(tx: Prisma.TransactionClient | Db, caseId: string) {
    const agg = await tx.abuseReport.aggregate({ where: { caseId }, _count: { _all: true }, _max: { receivedAt: true } });
    return tx.case.update({
      where: { id: caseId },
      data: { reportCount: agg._count._all, lastEvidenceAt: agg._max.receivedAt },
      select: { reportCount: true },
    });
  }

  async function tenantEmail(input: NotifyCaseInput): Promise<SentEmail[]> {
    // The case, its tenant and deployment, and an earlier send under this key, in one round trip.
    const [kase] = await db.$queryRaw<CaseForNotice[]>`
      SELECT c.id::text AS id, c.category, c.severity, c."deadlineAt", c."reportCount", t.id::text AS "tenantId", t.name AS "tenantName",
             t."timeZone", COALESCE(t."securityContactEmail", t."ownerEmail") AS "to", d.name AS "deploymentName",
             n.id::text AS "sentId", n."toAddress" AS "sentTo", ev.reports
      FROM "Case" c
      LEFT JOIN "Tenant" t ON t.id = c."tenantId"
      LEFT JOIN "Deployment" d ON d.id = c."deploymentId"
      LEFT JOIN "Notification" n ON n."idempotencyKey" = ${input.key} AND n.status = 'sent' AND n."messageId" IS NOT NULL
      LEFT JOIN LATERAL (
        -- A list column written without a value holds NULL, which Prisma reads as an empty list: so do we.
        SELECT json_agg(json_build_object('receivedAt', r."receivedAt" AT TIME ZONE 'UTC', 'summary', r.summary,
                                          'sourceIps', COALESCE(r."sourceIps", '{}'), 'reportedUrls', COALESCE(r."reportedUrls", '{}'),
                                          'channel', r.channel) ORDER BY r."receivedAt" DESC) AS reports
        FROM (SELECT * FROM "AbuseReport" WHERE "caseId" = c.id ORDER BY "receivedAt" DESC LIMIT ${NOTICE_EVIDENCE}) r
      ) ev ON n.id IS NULL
      WHERE c.id = ${input.caseId}::uuid`;
    if (!kase?.tenantId) throw nonRetryable(`case ${input.caseId} has no tenant to notify`, 'CaseWithoutTenant');
    const to = kase.to;
    if (kase.sentId) return [{ kind: input.kind, to: kase.sentTo!, notificationId: kase.sentId, sentNow: false }];
    const reports = kase.reports ?? [];
    let linkUrl: string | undefined;
    if (LINKED_KINDS.has(input.kind)) {
      const until = (kase.deadlineAt?.getTime() ?? Date.now()) + LINK_GRACE_MS;
      const link = await createAccessLink(
        { purpose: TENANT_CASE_LINK, subjectId: kase.id, tenantId: kase.tenantId, email: to, ttlMs: Math.max(until - Date.now(), LINK_GRACE_MS) },
        db,
      );
      linkUrl = link.url;
    }
    const email = tenantNotice(input.kind as NoticeKind, {
      reference: kase.id.slice(0, 8),
      category: kase.category,
      severity: kase.severity ?? undefined,
      tenantName: kase.tenantName,
      deploymentName: kase.deploymentName ?? 'unknown',
      timeZone: kase.timeZone,
      deadlineAt: kase.deadlineAt ?? undefined,
      evidence: reports.map((r) => ({ receivedAt: new Date(r.receivedAt), summary: r.summary, sourceIps: r.sourceIps, reportedUrls: r.reportedUrls, channel: r.channel })),
      evidenceCount: kase.reportCount,
      linkUrl,
      timeLeft: kase.deadlineAt ? describeDuration(kase.deadlineAt.getTime() - Date.now()) : undefined,
      note: input.note,
    });
    const sent = await sendNotification({ idempotencyKey: input.key, kind: input.kind, to, caseId: kase.id, ...email });
    return [{ kind: input.kind, to, notificationId: sent.notificationId, sentNow: sent.sentNow }];
  }

  async function reporterEmails(input: NotifyCaseInput): Promise<SentEmail[]> {
    // The reports with their reporter, in one round trip.
    const ids = input.reportIds ?? null;
    const rows = await db.$queryRaw<ReportForNotice[]>`
      SELECT r.id::text AS id, r.channel::text AS channel, r."receivedAt", r.category, r."reporterEmail", r."confirmedAt",
             p.id::text AS "reporterId", p.email AS "reporterAddress", p."notifyOutcome"
      FROM "AbuseReport" r LEFT JOIN "Reporter" p ON p.id = r."reporterId"
      WHERE r."caseId" = ${input.caseId}::uuid AND r.channel <> 'detection' AND (${ids}::uuid[] IS NULL OR r.id = ANY(${ids}::uuid[]))
      ORDER BY r."receivedAt" ASC`;
    const out: SentEmail[] = [];
    for (const r of rows) {
      if (r.reporterId && !r.notifyOutcome) continue;
      // A web-form address is mailed only once its owner confirmed it.
      if (r.channel === 'web_form' && !r.confirmedAt) continue;
      const to = r.reporterAddress ?? r.reporterEmail;
      if (!to) continue;
      const email = reporterNotice(input.kind as ReporterNoticeKind, {
        reportReference: r.id.slice(0, 8),
        receivedAt: r.receivedAt,
        category: r.category ?? 'abuse',
        actioned: input.actioned,
      });
      const sent = await sendNotification({ idempotencyKey: `${input.key}:${r.id}`, kind: input.kind, to, caseId: input.caseId, ...email });
      out.push({ kind: input.kind, to, notificationId: sent.notificationId, sentNow: sent.sentNow });
    }
    return out;
  }

  /**
   * The Case row, and with it the audit entries that explain it, in one statement: the row never shows a state whose
   * entries are not there yet.
   */
  async function writeCaseState(row: CaseStateRow, entries: AuditInput[]): Promise<void> {
    const ended = row.state === 'closed' || row.state === 'rejected';
    const at = (iso: string | undefined) => (iso ? new Date(iso) : null);
    const now = new Date();
    // The first closing time stays when the same state is written again; a case that is open again has none.
    const update = Prisma.sql`
      UPDATE "Case" SET
        state = ${row.state}::"CaseState", severity = ${row.severity ?? null}, "deadlineAt" = ${at(row.deadlineAt)},
        "acknowledgedAt" = ${at(row.acknowledgedAt)}, remediation = ${row.remediation?.description ?? null},
        "remediationAt" = ${at(row.remediation?.submittedAt)}, "extensionReason" = ${row.extension?.reason ?? null},
        "extensionStatus" = ${row.extension?.status ?? null}, "everSuspended" = ${row.everSuspended},
        "rejectReason" = ${row.rejectReason ?? null},
        "mergedIntoId" = (SELECT m.id FROM "Case" m WHERE m."workflowId" = ${row.mergedIntoWorkflowId ?? null}),
        "closedAt" = CASE WHEN ${ended} THEN COALESCE("closedAt", ${now}) ELSE NULL END,
        "updatedAt" = ${now}
      WHERE id = ${row.caseId}::uuid
      RETURNING id`;
    const audit = entries.length ? Prisma.sql`, audit AS (${auditInsertSql(entries)})` : Prisma.empty;
    const [written] = await db.$queryRaw<{ n: number }[]>`WITH updated AS (${update})${audit} SELECT count(*)::int AS n FROM updated`;
    if (!written?.n) throw new Error(`case ${row.caseId} does not exist`);
  }

  const activities = {
    /** Creates the Case row, or reopens a closed one; records 'case.opened' / 'case.reopened' exactly once per run. */
    async openCase(input: OpenCaseInput): Promise<OpenCaseResult> {
      const runId = Context.current().info.workflowExecution?.runId ?? 'outside-workflow';
      // The usual opening, a (deployment, category) without a row yet: the row and its 'case.opened' entry in one
      // statement. Anything else (a retry of this opening, a reopening) takes the locked path below.
      const now = new Date();
      const audit = { runId, category: input.category, deploymentId: input.deploymentId, reopenCount: 0 };
      const [fresh] = await db.$queryRaw<{ id: string }[]>`
        WITH opened AS (
          INSERT INTO "Case" (id, "workflowId", "tenantId", "deploymentId", category, "openedAt", "updatedAt")
          VALUES (${randomUUID()}::uuid, ${input.workflowId}, ${input.tenantId}::uuid, ${input.deploymentId}::uuid, ${input.category}, ${now}, ${now})
          ON CONFLICT ("workflowId") DO NOTHING
          RETURNING id
        ), audit AS (
          INSERT INTO "AuditEvent" (at, "actorType", "actorId", action, "subjectType", "subjectId", data)
          SELECT ${now}, 'workflow', ${input.workflowId}, 'case.opened', 'case', id::text, ${JSON.stringify(audit)}::jsonb FROM opened
        )
        SELECT id::text AS id FROM opened`;
      if (fresh) return { caseId: fresh.id, reopened: false, cycle: 0, openedAt: now.toISOString() };
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${input.workflowId}))`;
        const existing = await tx.case.findUnique({ where: { workflowId: input.workflowId } });
        if (existing) {
          const mine = await tx.auditEvent.findFirst({
            where: { subjectType: 'case', subjectId: existing.id, action: { in: ['case.opened', 'case.reopened'] }, data: { path: ['runId'], equals: runId } },
          });
          if (mine) return { caseId: existing.id, reopened: mine.action === 'case.reopened', cycle: existing.reopenCount, openedAt: existing.openedAt.toISOString() };
        }
        const closed = existing && (existing.state === 'closed' || existing.state === 'rejected');
        const row = !existing
          ? await tx.case.create({ data: { workflowId: input.workflowId, tenantId: input.tenantId, deploymentId: input.deploymentId, category: input.category } })
          : closed
            ? await tx.case.update({
                where: { id: existing.id },
                data: {
                  state: 'triage',
                  reopenCount: { increment: 1 },
                  reopenedAt: new Date(),
                  closedAt: null,
                  severity: null,
                  deadlineAt: null,
                  acknowledgedAt: null,
                  remediation: null,
                  remediationAt: null,
                  extensionReason: null,
                  extensionStatus: null,
                  rejectReason: null,
                  mergedIntoId: null,
                },
              })
            : existing;
        await appendAudit(tx, {
          actorType: 'workflow',
          actorId: input.workflowId,
          action: closed ? 'case.reopened' : 'case.opened',
          subjectType: 'case',
          subjectId: row.id,
          data: { runId, category: input.category, deploymentId: input.deploymentId, reopenCount: row.reopenCount },
        });
        return { caseId: row.id, reopened: Boolean(closed), cycle: row.reopenCount, openedAt: row.openedAt.toISOString() };
      });
    },

    /** Keeps the Case row current for list pages and the tenant page (one statement; it runs at every transition). */
    async recordCaseState(row: CaseStateRow): Promise<void> {
      await writeCaseState(row, []);
    },

    /** Links reports and detections (both AbuseReport rows) to the case; returns the new count and unknown ids. */
    async attachEvidence(input: { caseId: string; evidence: EvidenceRef[] }): Promise<{ reportCount: number; missing: string[] }> {
      const ids = [...new Set(input.evidence.map((e) => e.id))];
      // One statement: link, then count. The count reads the snapshot from before the link, so the rows just linked
      // are counted by id as well (a row already on the case is counted once).
      const [row] = await db.$queryRaw<{ reportCount: number | null; found: string[] }[]>`
        WITH linked AS (
          UPDATE "AbuseReport" SET "caseId" = ${input.caseId}::uuid WHERE id = ANY(${ids}::uuid[]) RETURNING id
        ), counted AS (
          UPDATE "Case" SET "reportCount" = agg.n, "lastEvidenceAt" = agg.last, "updatedAt" = ${new Date()}
          FROM (SELECT count(*)::int AS n, max("receivedAt") AS last FROM "AbuseReport"
                WHERE "caseId" = ${input.caseId}::uuid OR id IN (SELECT id FROM linked)) AS agg
          WHERE "Case".id = ${input.caseId}::uuid
          RETURNING "reportCount"
        )
        SELECT (SELECT "reportCount" FROM counted) AS "reportCount", ARRAY(SELECT id::text FROM linked) AS found`;
      if (row?.reportCount === null || row?.reportCount === undefined) throw new Error(`case ${input.caseId} does not exist`);
      const have = new Set(row.found);
      return { reportCount: row.reportCount, missing: ids.filter((id) => !have.has(id)) };
    },

    /** Refuses a merge target that does not exist, is this case, or is no longer open (the triage update shows why). */
    async checkMergeTarget(input: { caseId: string; intoWorkflowId: string }): Promise<{ targetCaseId: string }> {
      const target = await db.case.findUnique({ where: { workflowId: input.intoWorkflowId } });
      if (!target) throw nonRetryable(`there is no case ${input.intoWorkflowId}`, 'MergeTargetUnknown');
      if (target.id === input.caseId) throw nonRetryable('a case cannot be merged into itself', 'MergeIntoSelf');
      if (target.state === 'closed' || target.state === 'rejected') {
        throw nonRetryable(`case ${input.intoWorkflowId} is ${target.state}; merge into an open case`, 'MergeTargetClosed');
      }
      return { targetCaseId: target.id };
    },

    /** Moves this case's reports to the target case and signals the target's workflow with each of them. */
    async mergeCase(input: { caseId: string; intoWorkflowId: string }): Promise<{ moved: number }> {
      const target = await db.case.findUnique({ where: { workflowId: input.intoWorkflowId } });
      if (!target) throw nonRetryable(`there is no case ${input.intoWorkflowId}`, 'MergeTargetUnknown');
      // Signal first, then move: a retry signals whatever is still here again, and the target's link is idempotent.
      const reports = await db.abuseReport.findMany({ where: { caseId: input.caseId }, select: { id: true, channel: true, receivedAt: true } });
      // Signal-with-start: should the target have closed since the check, the moved evidence reopens it.
      const taskQueue = Context.current().info.taskQueue;
      const { deploymentId, tenantId } = target;
      if (!deploymentId || !tenantId) throw nonRetryable(`case ${input.intoWorkflowId} has no deployment`, 'MergeTargetUnattributed');
      for (const r of reports) {
        await signalCaseEvidence(temporal, {
          taskQueue,
          deploymentId,
          tenantId,
          category: target.category as CaseCategory,
          evidence: { kind: r.channel === 'detection' ? 'detection' : 'report', id: r.id, receivedAt: r.receivedAt.toISOString() },
        });
      }
      await db.$transaction(async (tx) => {
        await tx.abuseReport.updateMany({ where: { caseId: input.caseId }, data: { caseId: target.id } });
        await tx.case.update({ where: { id: input.caseId }, data: { mergedIntoId: target.id } });
        await recount(tx, input.caseId);
        await recount(tx, target.id);
      });
      return { moved: reports.length };
    },

    async suspendDeployment(input: { deploymentId: string; caseId: string; key: string }) {
      try {
        return await provider.suspend(input.deploymentId, input.key, { caseId: input.caseId });
      } catch (err) {
        if (err instanceof UnknownDeploymentError) throw nonRetryable(err.message, 'UnknownDeployment');
        throw err;
      }
    },

    async restoreDeployment(input: { deploymentId: string; caseId: string; key: string }) {
      try {
        return await provider.restore(input.deploymentId, input.key, { caseId: input.caseId });
      } catch (err) {
        if (err instanceof UnknownDeploymentError) throw nonRetryable(err.message, 'UnknownDeployment');
        throw err;
      }
    },

    /** Builds the email from domain/notices.ts and sends it once per key (reporters: once per key and report). */
    async notifyCase(input: NotifyCaseInput): Promise<{ sent: SentEmail[] }> {
      const sent = input.kind === 'reporter_ack' || input.kind === 'reporter_outcome' ? await reporterEmails(input) : await tenantEmail(input);
      return { sent };
    },
  };

  return {
    ...activities,

    /**
     * Several of the above as one local activity, in this order: the opening (openCase), the row (recordCaseState),
     * the evidence (attachEvidence), the emails (notifyCase), a notice with the opening (its row and email). Audit
     * entries keep that order, the workflow's queued ones first: each row write takes the entries so far with it in
     * its statement, and what is left (this step's own 'case.evidence_attached', 'case.email_sent') is written last.
     * One trip through the worker instead of one per part is what lets a case keep up with intake; each part is safe
     * to repeat, so a retry redoes the step.
     */
    async caseStep(input: CaseStepInput): Promise<CaseStepResult> {
      const opened = input.open ? await activities.openCase(input.open) : undefined;
      const caseId = opened?.caseId ?? input.caseId;
      // Entries not yet written, in order; a row write takes them along, the rest are written last.
      let pending: AuditInput[] = input.audit.map(toAuditInput);
      const own = (action: string, data: Record<string, unknown>) =>
        pending.push({ actorType: 'system', actorId: 'case-workflow', action, subjectType: 'case', subjectId: caseId, data: { workflowId: input.workflowId, ...data }, at: new Date() });
      const writeRow = async (row: CaseStateRow) => {
        await writeCaseState(row, pending);
        pending = [];
      };
      if (input.row) await writeRow(input.row);
      let linked: { reportCount: number; missing: string[] } | undefined;
      if (input.evidence?.length) {
        linked = await activities.attachEvidence({ caseId, evidence: input.evidence });
        own('case.evidence_attached', { evidence: input.evidence.map(({ kind, id }) => ({ kind, id })), missing: linked.missing, reportCount: linked.reportCount });
      }
      const sent: SentEmail[][] = [];
      const send = async (email: Omit<NotifyCaseInput, 'caseId'>) => {
        const result = await activities.notifyCase({ ...email, caseId });
        sent.push(result.sent);
        if (result.sent.length > 0) own('case.email_sent', { kind: email.kind, emails: result.sent });
      };
      for (const email of input.emails ?? []) await send(email);
      if (input.notice) {
        if (!opened) throw nonRetryable('a notice goes in a step only with the opening', 'NoticeWithoutOpening');
        pending.push(...input.notice.audit.map((e) => ({ ...toAuditInput(e), subjectId: caseId })));
        await writeRow({ ...input.notice.row, caseId });
        await send({ kind: 'notice', key: caseEmailKey('notice', caseId, opened.cycle, input.notice.occasion) });
      }
      if (pending.length) await appendAuditMany(db, pending);
      return { ...linked, ...(opened ? { opened } : {}), sent };
    },
  };
}

export interface CaseStepInput {
  /** The case; with `open`, the one it opens (the workflow does not know its id yet). */
  caseId: string;
  /** For this step's own audit entries. */
  workflowId: string;
  /** Opens (or reopens) the case first, as openCase does. */
  open?: OpenCaseInput;
  row?: CaseStateRow;
  evidence?: EvidenceRef[];
  emails?: Omit<NotifyCaseInput, 'caseId'>[];
  /** The workflow's queued entries, written before this step's own. */
  audit: AuditEntry[];
  /**
   * With `open`, for a case that skips triage: after the above, the case's row, the workflow's entries for the
   * decision (named after the new case) and the notice, keyed by the new case's id, cycle and this occasion.
   */
  notice?: { row: CaseStateRow; audit: AuditEntry[]; occasion: string };
}

export interface CaseStepResult {
  /** With open: what openCase returns. */
  opened?: OpenCaseResult;
  /** With evidence: what attachEvidence returns. */
  reportCount?: number;
  missing?: string[];
  /** Per email, in the order given. */
  sent: SentEmail[][];
}

/** Intake's one call: attach evidence to the (deployment, category) case, starting or reopening its workflow. */
export async function signalCaseEvidence(
  client: Client,
  opts: { taskQueue: string; deploymentId: string; tenantId: string; category: CaseCategory; evidence: EvidenceRef; policy?: CasePolicy },
) {
  const input: CaseInput = {
    deploymentId: opts.deploymentId,
    tenantId: opts.tenantId,
    category: opts.category,
    // The policy is fixed when a run starts; tests pass one with seconds.
    policy: opts.policy ?? casePolicyFor(opts.category, config().CASE_POLICY),
  };
  return client.workflow.signalWithStart<typeof abuseCaseWorkflow, [EvidenceRef]>('abuseCaseWorkflow', {
    workflowId: caseWorkflowId(opts.deploymentId, opts.category),
    taskQueue: opts.taskQueue,
    args: [input],
    signal: attachEvidenceSignal,
    signalArgs: [opts.evidence],
    // For the Temporal UI, from the ids at hand (no query per report); ignored when the case is already running.
    ...caseSearchMetadata(input),
  });
}
