// Tenants, deployments, reports and open cases for the workflow tests, and the waits that go with them:
// mail that arrived, a case row that reached a state. Seconds instead of hours throughout.
import { createHash, randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { signalCaseEvidence } from '../../activities/cases';
import type { CaseCategory, CasePolicy } from '../../domain/cases';
import type { Db } from '../../lib/db';
import type { Mailbox, Message } from '../../lib/mailbox';
import type { abuseCaseWorkflow } from '../../workflows';

/** A 6-second window with reminders 4 s and 2 s before the deadline. */
export const SHORT_POLICY: CasePolicy = {
  skipTriage: false,
  defaultSeverity: 'medium',
  remediationWindow: 6_000,
  reminderOffsets: [4_000, 2_000],
  maxExtension: 10_000,
};

/** Attacker-supplied text as it arrives in reports: every page and mail must escape it. */
export const HOSTILE = 'Phish kit at <script>alert(1)</script> and "><img src=x onerror=alert(2)>';

export type CaseRow = Awaited<ReturnType<Db['case']['findUniqueOrThrow']>>;

export function createCaseFixtures(ctx: { db: Db; client: Client; mailbox: Mailbox }) {
  const { db, client, mailbox } = ctx;

  async function makeTenant(tag: string) {
    const n = randomUUID().slice(0, 8);
    const tenant = await db.tenant.create({
      data: {
        slug: `${tag}-${n}`,
        name: `Tenant ${tag} ${n}`,
        timeZone: 'Europe/Berlin',
        securityContactEmail: `security-${tag}-${n}@tenant.example`,
        ownerName: 'Owner',
        ownerEmail: `owner-${tag}-${n}@tenant.example`,
      },
    });
    const sub = await db.subscription.create({ data: { tenantId: tenant.id, name: 'main' } });
    const deployment = await db.deployment.create({ data: { tenantId: tenant.id, subscriptionId: sub.id, name: `web-${n}` } });
    return { tenant, deployment, contact: tenant.securityContactEmail! };
  }

  type Fixture = Awaited<ReturnType<typeof makeTenant>>;

  async function makeReport(f: Fixture, category: CaseCategory, opts: { channel?: 'api' | 'detection'; summary?: string } = {}) {
    const raw = Buffer.from(`report ${randomUUID()}`);
    const reporterEmail = `reporter-${randomUUID().slice(0, 8)}@reporter.example`;
    const report = await db.abuseReport.create({
      data: {
        channel: opts.channel ?? 'api',
        contentType: 'text/plain',
        raw,
        sha256: createHash('sha256').update(raw).digest('hex'),
        sizeBytes: raw.length,
        parseStatus: 'parsed',
        category,
        sourceIps: ['192.0.2.10'],
        reportedUrls: ['http://192.0.2.10/login'],
        summary: opts.summary ?? HOSTILE,
        reporterEmail: opts.channel === 'detection' ? null : reporterEmail,
        attribution: 'attributed',
        tenantId: f.tenant.id,
        deploymentId: f.deployment.id,
      },
    });
    return { report, reporterEmail };
  }

  async function openCase(
    f: Fixture,
    category: CaseCategory,
    reportId: string,
    opts: { policy?: CasePolicy; kind?: 'report' | 'detection'; taskQueue: string },
  ): Promise<WorkflowHandle<typeof abuseCaseWorkflow>> {
    const handle = await signalCaseEvidence(client, {
      taskQueue: opts.taskQueue,
      deploymentId: f.deployment.id,
      tenantId: f.tenant.id,
      category,
      evidence: { kind: opts.kind ?? 'report', id: reportId, receivedAt: new Date().toISOString() },
      policy: opts.policy ?? SHORT_POLICY,
    });
    return handle as WorkflowHandle<typeof abuseCaseWorkflow>;
  }

  const to = (address: string) => (m: { To: { Address: string }[] }) => m.To.some((t) => t.Address === address);

  const mail = (address: string, subject: string, timeoutMs = 20_000): Promise<Message> =>
    mailbox.waitForMessage((m) => to(address)(m) && m.Subject.includes(subject), { timeoutMs, intervalMs: 100 });

  /** Waits until `n` messages to `address` with `subject` in their subject have arrived. */
  async function mails(address: string, subject: string, n: number, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const page = await mailbox.listMessages({ limit: 200 });
      const found = page.messages.filter((m) => to(address)(m) && m.Subject.includes(subject));
      if (found.length >= n) return found;
      if (Date.now() > until) throw new Error(`expected ${n} "${subject}" messages to ${address}, found ${found.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const caseRow = (workflowId: string) => db.case.findUniqueOrThrow({ where: { workflowId } });

  async function waitForRow(workflowId: string, pred: (row: CaseRow) => boolean, timeoutMs = 15_000): Promise<CaseRow> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const row = await db.case.findUnique({ where: { workflowId } });
      if (row && pred(row)) return row;
      if (Date.now() > until) throw new Error(`case ${workflowId} did not reach the expected state; last: ${JSON.stringify(row)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function auditActions(caseId: string) {
    const rows = await db.auditEvent.findMany({ where: { subjectType: 'case', subjectId: caseId }, orderBy: { seq: 'asc' } });
    return rows.map((r) => r.action);
  }

  return { makeTenant, makeReport, openCase, mail, mails, caseRow, waitForRow, auditActions };
}

export type CaseFixtures = ReturnType<typeof createCaseFixtures>;
export type TenantFixture = Awaited<ReturnType<CaseFixtures['makeTenant']>>;

/** The tenant page token in a notice sent with PUBLIC_URL=http://console.test. */
export function linkToken(text: string): string {
  const m = /http:\/\/console\.test\/t\/([A-Za-z0-9_-]{43})/.exec(text);
  if (!m) throw new Error(`no tenant link in:\n${text}`);
  return m[1]!;
}
