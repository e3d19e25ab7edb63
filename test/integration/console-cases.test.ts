// The console's case, inbox, reporter and public-report procedures through createCaller, against a real PostgreSQL,
// the integration Temporal dev server with a real worker, and the mail catcher.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signalCaseEvidence } from '../../activities/cases';
import { startMailCatcher, type MailCatcher } from '../../dev/mailcatcher';
import { caseWorkflowId, type CaseCategory, type CasePolicy, type CaseState } from '../../domain/cases';
import type { Role } from '../../domain/roles';
import { createAccessLink } from '../../lib/access-links';
import { verifyApiKey } from '../../lib/api-keys';
import { appendAudit, sealAllAudit, verifyAuditLog } from '../../lib/audit';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { unfinishedReports } from '../../lib/intake-sweeper';
import { log } from '../../lib/log';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { REPORT_CONFIRMATION } from '../../web/server/routers/public-report';
import { createCaller } from '../../web/server/root';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestWorker, type TestWorker } from '../support/worker';
import { eventually as pollUntil } from '../support/eventually';

// An hour: nothing moves on its own while the test acts.
const HOUR_POLICY: CasePolicy = { skipTriage: false, defaultSeverity: 'medium', remediationWindow: 3_600_000, reminderOffsets: [1_800_000], maxExtension: 3_600_000 };
const HOSTILE = '<img src=x onerror=alert(1)> phishing kit';

let dataDir: string;
let database: TestDatabase;
let catcher: MailCatcher;
let mailer: Transporter;
let mailbox: Mailbox;
let tw: TestWorker;
const users: Record<'analyst' | 'admin', { id: string; email: string; name: string; role: Role }> = {} as never;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-console-cases-'));
  database = await createTestDatabase();
  catcher = await startMailCatcher({ dataDir, smtpPort: 0, httpPort: 0, log: log.child({ component: 'mail' }, { level: 'warn' }) });
  mailer = nodemailer.createTransport(catcher.smtpUrl);
  mailbox = createMailbox(catcher.apiUrl);
  process.env.DATABASE_URL = database.url;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.SMTP_URL = catcher.smtpUrl;
  process.env.PUBLIC_URL = 'http://console.test';
  resetConfigForTests();
  tw = await startTestWorker({ db: db(), mailer });
  // Workflows the console starts (intake retries, confirmed web reports) go to this test's worker.
  process.env.TEMPORAL_TASK_QUEUE = tw.taskQueue;
  resetConfigForTests();
  for (const role of ['analyst', 'admin'] as const) {
    const u = await db().user.create({ data: { email: `${role}@console.test`, name: role, role, passwordHash: 'unused' } });
    users[role] = { id: u.id, email: u.email, name: u.name, role };
  }
});

afterAll(async () => {
  await tw?.close();
  mailer?.close();
  await catcher?.stop();
  await db().$disconnect();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const as = (role: 'analyst' | 'admin' | null, ip = '203.0.113.99') =>
  createCaller({ user: role ? { ...users[role], sessionId: 'test' } : null, secure: false, resHeaders: new Headers(), ip });

async function makeDeployment(tag: string) {
  const n = randomUUID().slice(0, 8);
  const tenant = await db().tenant.create({
    data: { slug: `${tag}-${n}`, name: `Tenant ${tag} ${n}`, timeZone: 'Europe/Berlin', ownerName: 'Owner', ownerEmail: `owner-${n}@tenant.example` },
  });
  const sub = await db().subscription.create({ data: { tenantId: tenant.id, name: 'main' } });
  const deployment = await db().deployment.create({ data: { tenantId: tenant.id, subscriptionId: sub.id, name: `web-${n}` } });
  return { tenant, deployment };
}
type Fixture = Awaited<ReturnType<typeof makeDeployment>>;

const minutes = (m: number) => new Date(Date.now() + m * 60_000);

async function makeCase(f: Fixture, category: CaseCategory, state: CaseState, opts: { deadlineAt?: Date; openedAt?: Date } = {}) {
  return db().case.create({
    data: { workflowId: caseWorkflowId(f.deployment.id, category), tenantId: f.tenant.id, deploymentId: f.deployment.id, category, state, ...opts },
  });
}

async function makeReport(data: { summary?: string; parseStatus?: 'parsed' | 'failed'; attribution?: 'attributed' | 'unattributed'; raw?: string; caseId?: string; category?: string }) {
  const raw = Buffer.from(data.raw ?? `report ${randomUUID()}`);
  return db().abuseReport.create({
    data: {
      channel: 'api',
      contentType: 'text/plain',
      raw,
      sha256: createHash('sha256').update(raw).digest('hex'),
      sizeBytes: raw.length,
      parseStatus: data.parseStatus ?? 'parsed',
      parseError: data.parseStatus === 'failed' ? 'free text: no abuse category could be recognised' : null,
      category: data.parseStatus === 'failed' ? null : (data.category ?? 'phishing'),
      sourceIps: ['192.0.2.10'],
      summary: data.summary ?? 'a report',
      attribution: data.attribution ?? 'attributed',
      attributionNote: data.attribution === 'unattributed' ? 'no allocation held 192.0.2.10 at the event time' : null,
      caseId: data.caseId,
    },
  });
}

/** Polls the database until `check` gives a value (the worker writes rows asynchronously). */
/** The shared poll with this file's 20-second default. */
const eventually = <T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000) => pollUntil(check, what, timeoutMs);

describe('case queue', () => {
  let t1: Fixture;
  let t2: Fixture;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t1 = await makeDeployment('one');
    t2 = await makeDeployment('two');
    ids.soon = (await makeCase(t1, 'phishing', 'notified', { deadlineAt: minutes(120) })).id;
    ids.overdue = (await makeCase(t2, 'spam', 'suspended', { deadlineAt: minutes(-60) })).id;
    ids.later = (await makeCase(t1, 'spam', 'remediation_submitted', { deadlineAt: minutes(30 * 60) })).id;
    ids.olderTriage = (await makeCase(t2, 'dos', 'triage', { openedAt: minutes(-10) })).id;
    ids.newerTriage = (await makeCase(t2, 'malware_hosting', 'triage', { openedAt: minutes(-1) })).id;
    ids.closed = (await makeCase(t1, 'dos', 'closed', { deadlineAt: minutes(-300) })).id;
  });

  const order = (r: { cases: { id: string }[] }) => r.cases.map((c) => Object.entries(ids).find(([, id]) => id === c.id)?.[0] ?? c.id);

  it('lists open cases by time left (overdue first), then those without a deadline newest first', async () => {
    const result = await as('analyst').cases.list();
    expect(order(result)).toEqual(['overdue', 'soon', 'later', 'newerTriage', 'olderTriage']);
    expect(result.total).toBe(5);
    expect(result.cases[0]).toMatchObject({ state: 'suspended', tenant: { id: t2.tenant.id }, deployment: { id: t2.deployment.id }, categoryLabel: 'spam' });
  });

  it('filters by state, category and tenant, and pages', async () => {
    const api = as('analyst');
    expect(order(await api.cases.list({ state: 'all' }))).toEqual(['overdue', 'soon', 'later', 'newerTriage', 'olderTriage', 'closed']);
    expect(order(await api.cases.list({ state: 'closed' }))).toEqual(['closed']);
    expect(order(await api.cases.list({ category: 'spam' }))).toEqual(['overdue', 'later']);
    expect(order(await api.cases.list({ tenantId: t1.tenant.id }))).toEqual(['soon', 'later']);
    expect(order(await api.cases.list({ tenantId: t1.tenant.id, state: 'all', category: 'dos' }))).toEqual(['closed']);
    const second = await api.cases.list({ page: 1, pageSize: 2 });
    expect(order(second)).toEqual(['later', 'newerTriage']);
    expect(second.total).toBe(5);
    await expect(api.cases.list({ state: 'bogus' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses a visitor who is not signed in', async () => {
    await expect(as(null).cases.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('shows a case with its evidence (never the raw bytes), its timeline and what may be done', async () => {
    await makeReport({ summary: HOSTILE, caseId: ids.later, raw: 'RAW-SECRET-BYTES' });
    await db().case.update({ where: { id: ids.later }, data: { remediation: 'patched the CMS', reportCount: 1 } });
    const workflowId = caseWorkflowId(t1.deployment.id, 'spam');
    await appendAudit(db(), { actorType: 'workflow', actorId: workflowId, action: 'case.opened', subjectType: 'case', subjectId: ids.later!, data: {} });
    const c = await as('analyst').cases.get({ caseId: ids.later! });
    expect(c).toMatchObject({ state: 'remediation_submitted', workflowId, tenant: { id: t1.tenant.id }, deployment: { id: t1.deployment.id } });
    expect(c.reports).toHaveLength(1);
    expect(c.reports[0]!.summary).toBe(HOSTILE);
    expect(c.reports[0]).not.toHaveProperty('raw');
    expect(JSON.stringify(c)).not.toContain('RAW-SECRET-BYTES');
    expect(c.timeline.map((e) => e.action)).toEqual(['case.opened']);
    expect(c.temporalUiLink).toContain(`/workflows/${encodeURIComponent(workflowId)}`);
    expect(c.deadline?.utc).toMatch(/ UTC$/);
    expect(c.deadline?.local).toContain('Europe/Berlin');
    expect(c.allowed).toEqual({ triage: false, decideExtension: false, verifyRemediation: true });
    // No finding of ours in it: nothing for triage to start from.
    expect(c.detectedSeverity).toBeNull();
    await expect(as('analyst').cases.get({ caseId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no such case.' });
  });

  it("offers triage our detectors' gravest grading of the findings in the case", async () => {
    const kase = await makeCase(t1, 'hacking_port_scan', 'triage');
    for (const severity of ['medium', 'high', 'low']) {
      const finding = { detector: 'netflow-test', kind: 'outbound-dos', category: 'dos', sourceIp: '192.0.2.9', targets: [], windowStart: new Date(), windowEnd: new Date(), counts: {}, severity, confidence: 'high' };
      const raw = Buffer.from(JSON.stringify({ ...finding, n: randomUUID() }));
      await db().abuseReport.create({
        data: { channel: 'detection', contentType: 'application/json', raw, sha256: createHash('sha256').update(raw).digest('hex'), sizeBytes: raw.length, parseStatus: 'parsed', normalized: finding, caseId: kase.id },
      });
    }
    expect((await as('analyst').cases.get({ caseId: kase.id })).detectedSeverity).toBe('high');
  });

  it('refuses an action on a closed case with a clear message, before asking Temporal', async () => {
    const api = as('admin');
    await expect(api.cases.triage({ caseId: ids.closed!, decision: { action: 'accept', severity: 'high' } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This case is closed; no further action is possible.',
    });
    await expect(api.cases.verifyRemediation({ caseId: ids.closed!, accepted: true })).rejects.toMatchObject({
      message: 'This case is closed; no further action is possible.',
    });
    await expect(api.cases.decideExtension({ caseId: ids.soon!, approve: true })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'There is no extension request waiting for a decision.',
    });
  });
});

describe('case actions on a running workflow', () => {
  it('triages through the workflow update as the signed-in user, and passes the workflow refusals on', async () => {
    const f = await makeDeployment('live');
    const report = await makeReport({ summary: HOSTILE, category: 'phishing' });
    const handle = await signalCaseEvidence(tw.client, {
      taskQueue: tw.taskQueue,
      deploymentId: f.deployment.id,
      tenantId: f.tenant.id,
      category: 'phishing',
      evidence: { kind: 'report', id: report.id, receivedAt: report.receivedAt.toISOString() },
      policy: HOUR_POLICY,
    });
    await tw.runUntil(async () => {
      const row = await eventually(() => db().case.findUnique({ where: { workflowId: handle.workflowId } }), 'the case row');
      const api = as('analyst');
      await expect(api.cases.triage({ caseId: row.id, decision: { action: 'merge', intoCaseId: row.id } })).rejects.toMatchObject({
        message: 'A case cannot be merged into itself.',
      });
      await api.cases.triage({ caseId: row.id, decision: { action: 'accept', severity: 'high' } });
      const notified = await eventually(async () => {
        const r = await db().case.findUniqueOrThrow({ where: { id: row.id } });
        return r.state === 'notified' && r;
      }, 'the notice');
      expect(notified.severity).toBe('high');
      const triaged = await db().auditEvent.findFirstOrThrow({ where: { subjectId: row.id, action: 'case.triage_accept' } });
      expect(triaged).toMatchObject({ actorType: 'user', actorId: users.analyst.email });

      await expect(api.cases.triage({ caseId: row.id, decision: { action: 'accept', severity: 'low' } })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'This case was already triaged (it is tenant notified).',
      });
      // The row says a remediation waits, the workflow knows better: its validator's refusal reaches the analyst.
      await db().case.update({ where: { id: row.id }, data: { remediation: 'stale row' } });
      await expect(api.cases.verifyRemediation({ caseId: row.id, accepted: true })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'There is no remediation waiting for verification.',
      });
    });
    await handle.terminate('test finished');
  });
});

describe('reporters (admin only)', () => {
  it('refuses an analyst on every reporter procedure', async () => {
    const api = as('analyst');
    const refusal = { code: 'FORBIDDEN', message: 'This needs the admin role; you are analyst.' };
    await expect(api.reporters.list()).rejects.toMatchObject(refusal);
    await expect(api.reporters.create({ name: 'Spamhaus-ish' })).rejects.toMatchObject(refusal);
    await expect(api.reporters.createKey({ reporterId: randomUUID(), label: 'x' })).rejects.toMatchObject(refusal);
    await expect(api.reporters.revokeKey({ keyId: randomUUID() })).rejects.toMatchObject(refusal);
  });

  it('creates a reporter and a key shown once, lists it by prefix, and revokes it', async () => {
    const api = as('admin');
    const { id } = await api.reporters.create({ name: 'Blocklist Org', email: 'abuse@blocklist.example' });
    const created = await api.reporters.createKey({ reporterId: id, label: 'production feed' });
    expect(created.key).toMatch(/^sgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    await expect(verifyApiKey(db(), created.key)).resolves.toMatchObject({ ok: true, reporterId: id });

    const listed = (await api.reporters.list()).find((r) => r.id === id)!;
    expect(listed.keys).toHaveLength(1);
    expect(listed.keys[0]).toMatchObject({ prefix: created.prefix, label: 'production feed', createdBy: users.admin.email, revokedAt: null });
    expect(listed.keys[0]!.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(created.key.split('_').slice(2).join('_'));

    await api.reporters.revokeKey({ keyId: created.id });
    await expect(verifyApiKey(db(), created.key)).resolves.toMatchObject({ ok: false, reason: 'revoked' });
    await expect(api.reporters.revokeKey({ keyId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(api.reporters.createKey({ reporterId: randomUUID(), label: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const actions = (await db().auditEvent.findMany({ where: { subjectType: 'reporter', subjectId: id }, orderBy: { seq: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['reporter.created', 'api_key.created', 'api_key.revoked']);
  });
});

describe('inbox', () => {
  it('lists failed and unattributed reports, shows the raw text, and assigns one by hand to its case', async () => {
    const failed = await makeReport({ parseStatus: 'failed', attribution: 'unattributed', raw: '<script>alert(1)</script> not a report' });
    const unattributed = await makeReport({ attribution: 'unattributed', category: 'spam' });
    const api = as('analyst');
    const all = await api.inbox.list();
    expect(all.reports.map((r) => r.id).sort()).toEqual([failed.id, unattributed.id].sort());
    expect((await api.inbox.list({ kind: 'failed' })).reports.map((r) => r.id)).toEqual([failed.id]);
    expect((await api.inbox.list({ kind: 'unattributed' })).reports.map((r) => r.id)).toEqual([unattributed.id]);
    await expect(api.inbox.raw({ reportId: failed.id })).resolves.toMatchObject({ text: '<script>alert(1)</script> not a report', truncated: false });

    const f = await makeDeployment('assign');
    await expect(api.inbox.assign({ reportId: failed.id, deploymentId: f.deployment.id, note: 'the mail names their host' })).rejects.toMatchObject({
      message: 'This report has no category; choose one.',
    });
    const { caseWorkflowId: wfId } = await api.inbox.assign({ reportId: unattributed.id, deploymentId: f.deployment.id, note: 'customer confirmed by phone' });
    expect(wfId).toBe(caseWorkflowId(f.deployment.id, 'spam'));
    await expect(db().abuseReport.findUniqueOrThrow({ where: { id: unattributed.id } })).resolves.toMatchObject({
      attribution: 'attributed',
      deploymentId: f.deployment.id,
      tenantId: f.tenant.id,
    });
    const audit = await db().auditEvent.findFirstOrThrow({ where: { subjectId: unattributed.id, action: 'report.assigned' } });
    expect(audit).toMatchObject({ actorType: 'user', actorId: users.analyst.email });
    await tw.runUntil(() =>
      eventually(async () => (await db().abuseReport.findUniqueOrThrow({ where: { id: unattributed.id } })).caseId, 'the report on its case'),
    );
    await tw.client.workflow.getHandle(wfId).terminate('test finished');
    expect((await api.inbox.list()).reports.map((r) => r.id)).toEqual([failed.id]);
  });

  it('retries intake from parsing, and says where it got', async () => {
    const report = await makeReport({ parseStatus: 'failed', attribution: 'unattributed', raw: 'still not a report' });
    const api = as('analyst');
    await expect(api.inbox.retry({ reportId: report.id })).resolves.toMatchObject({ outcome: 'parse_failed' });
    const trail = await db().auditEvent.findMany({ where: { subjectType: 'report', subjectId: report.id }, orderBy: { seq: 'asc' } });
    expect(trail.map((e) => e.action)).toEqual(['report.parse_failed', 'report.intake_retried']);
    expect(trail[1]).toMatchObject({ actorType: 'user', actorId: users.analyst.email });
  });

  it('stores an uploaded .eml through the mail channel and refuses one over the size limit', async () => {
    const api = as('analyst');
    const eml = 'From: victim@example.org\r\nTo: abuse@provider.example\r\nSubject: phishing from 192.0.2.10\r\n\r\nPhishing page at http://192.0.2.10/bank\r\n';
    const stored = await api.inbox.uploadEml({ filename: 'report.eml', contentBase64: Buffer.from(eml).toString('base64') });
    expect(stored.duplicate).toBe(false);
    await expect(db().abuseReport.findUniqueOrThrow({ where: { id: stored.reportId } })).resolves.toMatchObject({ channel: 'mail', contentType: 'message/rfc822' });
    await expect(api.inbox.uploadEml({ filename: 'report.eml', contentBase64: Buffer.from(eml).toString('base64') })).resolves.toMatchObject({
      reportId: stored.reportId,
      duplicate: true,
      submissionCount: 2,
    });
    const big = Buffer.alloc(1024 * 1024 + 10, 'a').toString('base64');
    await expect(api.inbox.uploadEml({ filename: 'big.eml', contentBase64: big })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The file is larger than the 1024 KiB a report may be.',
    });
  });
});

describe('public report form', () => {
  const form = {
    email: 'someone@reporter.example',
    category: 'phishing' as const,
    sourceIps: '198.51.100.20, 198.51.100.21',
    eventTime: '2026-11-28T08:00:00Z',
    description: 'A fake bank login page, see <b>screenshot</b>.',
  };

  it('holds the report until the emailed link is confirmed, then runs intake once', async () => {
    await expect(as(null, '192.0.2.200').publicReport.submit(form)).resolves.toEqual({ ok: true, reports: 2 });
    const held = await db().abuseReport.findMany({ where: { channel: 'web_form', reporterEmail: form.email } });
    expect(held).toHaveLength(2);
    expect(held.every((r) => r.confirmedAt === null && r.parseStatus === 'pending')).toBe(true);
    // Held: not swept either, however old.
    expect(await unfinishedReports(db(), new Date(Date.now() + 60_000))).not.toEqual(expect.arrayContaining(held.map((r) => r.id)));

    const mail = await mailbox.waitForMessage((m) => m.To.some((t) => t.Address === form.email), { timeoutMs: 10_000 });
    const token = /\/report\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(mail.Text)?.[1];
    expect(token, mail.Text).toBeDefined();

    // Opening the page checks the link without spending it.
    await expect(as(null).publicReport.status({ token: token! })).resolves.toEqual({ ok: true, reports: 2 });
    await expect(as(null).publicReport.status({ token: token! })).resolves.toEqual({ ok: true, reports: 2 });
    await expect(as(null).publicReport.confirm({ token: token! })).resolves.toEqual({ ok: true, reports: 2 });
    await expect(as(null).publicReport.status({ token: token! })).resolves.toEqual({ ok: false, reason: 'used', message: 'This link has already been used.' });
    for (const r of held) {
      await expect(db().abuseReport.findUniqueOrThrow({ where: { id: r.id } })).resolves.toMatchObject({ confirmedAt: expect.any(Date), parseStatus: 'parsed' });
    }
    await expect(as(null).publicReport.confirm({ token: token! })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'This link has already been used.' });
    await expect(as(null).publicReport.confirm({ token: 'x'.repeat(43) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('says on opening the page that a made-up or expired link cannot be used, without the button', async () => {
    await expect(as(null).publicReport.status({ token: 'made-up' })).resolves.toMatchObject({ ok: false, reason: 'unknown' });
    await expect(as(null).publicReport.status({ token: 'x'.repeat(43) })).resolves.toMatchObject({ ok: false, reason: 'unknown' });
    const link = await createAccessLink({ purpose: REPORT_CONFIRMATION, subjectId: randomUUID(), email: 'late@reporter.example', ttlMs: 60_000 }, db());
    await db().accessLink.update({ where: { id: link.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(as(null).publicReport.status({ token: link.token })).resolves.toEqual({ ok: false, reason: 'expired', message: 'This link has expired.' });
    await expect(db().accessLink.findUniqueOrThrow({ where: { id: link.id } })).resolves.toMatchObject({ usedAt: null });
  });

  it('refuses an event time that has not happened yet, allowing a few minutes of clock skew', async () => {
    const api = as(null, '192.0.2.202');
    const future = { ...form, email: 'future@reporter.example', eventTime: '2030-01-01T00:00:00Z' };
    await expect(api.publicReport.submit(future)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('When it happened cannot be in the future'),
    });
    await expect(api.publicReport.submit({ ...future, eventTime: new Date(Date.now() + 10 * 60_000).toISOString() })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.publicReport.submit({ ...future, eventTime: new Date(Date.now() + 60_000).toISOString() })).resolves.toEqual({ ok: true, reports: 2 });
    expect(await db().abuseReport.count({ where: { reporterEmail: future.email } })).toBe(2);
  });

  it('counts an identical submission instead of storing it twice, and limits submissions per client', async () => {
    const api = as(null, '192.0.2.201');
    const other = { ...form, email: 'other@reporter.example', description: 'Port scans every night from this host.', category: 'hacking_port_scan' as const, sourceIps: '198.51.100.30' };
    await api.publicReport.submit(other);
    await api.publicReport.submit(other);
    const rows = await db().abuseReport.findMany({ where: { reporterEmail: other.email } });
    expect(rows.map((r) => r.submissionCount)).toEqual([2]);
    for (let i = 0; i < 3; i++) await api.publicReport.submit({ ...other, description: `${other.description} (${i})` });
    await expect(api.publicReport.submit({ ...other, description: 'one too many reports' })).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    await expect(api.publicReport.submit({ ...other, sourceIps: '10.0.0.300' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('leaves an intact audit chain behind all of the above', async () => {
    await sealAllAudit(db());
    await expect(verifyAuditLog(db())).resolves.toMatchObject({ ok: true, unsealed: 0 });
  });
});
