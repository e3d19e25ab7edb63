// The case lifecycle on a real Temporal dev server, a real worker, PostgreSQL and the mail catcher, with a
// remediation window of seconds: notice, reminders, suspension, the tenant page's actions, restore, rejection,
// extension, reopening, merging, and the audit chain over all of it.
import { createHash, randomUUID } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCaseActivities } from '../../activities/cases';
import type { MailCatcher } from '../../dev/mailcatcher';
import { caseWorkflowId, type CaseCategory, type CasePolicy, type EvidenceRef } from '../../domain/cases';
import { sealAllAudit, verifyAuditLog } from '../../lib/audit';
import { resetConfigForTests } from '../../lib/config';
import type { Db } from '../../lib/db';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { createCaller } from '../../web/server/root';
import type { abuseCaseWorkflow } from '../../workflows';
import { attachEvidenceSignal, caseQuery, decideExtensionUpdate, triageUpdate, verifyRemediationUpdate } from '../../workflows/abuse-case';
import type { TestDatabase } from '../support/database';
import { maybeRecordHistory } from '../support/histories';
import { createCaseFixtures, HOSTILE, linkToken, SHORT_POLICY, type CaseFixtures, type CaseRow, type TenantFixture } from '../support/case-fixtures';
import type { TestWorker } from '../support/worker';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

const SHORT = SHORT_POLICY;

let system: WorkerSystem;
let database: TestDatabase;
let db: Db;
let catcher: MailCatcher;
let mailer: Transporter;
let mailbox: Mailbox;
let tw: TestWorker;
let fx: CaseFixtures;

beforeAll(async () => {
  system = await startWorkerSystem('cases');
  ({ database, db, catcher, mailer, tw } = system);
  mailbox = createMailbox(catcher.apiUrl);
  fx = createCaseFixtures({ db, client: tw.client, mailbox });
  // The tenant router reaches the database and Temporal through the process-wide modules, as in the console.
  process.env.DATABASE_URL = database.url;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.PUBLIC_URL = 'http://console.test';
  resetConfigForTests();
});

afterAll(async () => {
  await system?.close();
});

const tenantApi = () => createCaller({ user: null, secure: false, resHeaders: new Headers() });

type Fixture = TenantFixture;
const makeTenant = (tag: string) => fx.makeTenant(tag);
const makeReport = (...args: Parameters<CaseFixtures['makeReport']>) => fx.makeReport(...args);
const openCase = (f: Fixture, category: CaseCategory, reportId: string, policy: CasePolicy = SHORT, kind: 'report' | 'detection' = 'report') =>
  fx.openCase(f, category, reportId, { policy, kind, taskQueue: tw.taskQueue });
const mail = (address: string, subject: string, timeoutMs?: number) => fx.mail(address, subject, timeoutMs);
const mails = (address: string, subject: string, n: number, timeoutMs?: number) => fx.mails(address, subject, n, timeoutMs);
const caseRow = (workflowId: string) => fx.caseRow(workflowId);
const waitForRow = (workflowId: string, pred: (row: CaseRow) => boolean, timeoutMs?: number) => fx.waitForRow(workflowId, pred, timeoutMs);
const auditActions = (caseId: string) => fx.auditActions(caseId);

describe('abuse case lifecycle', () => {
  it('notifies, reminds, suspends at the deadline, and restores after the tenant remediates and an analyst verifies', async () => {
    const f = await makeTenant('full');
    const { report, reporterEmail } = await makeReport(f, 'phishing');
    const workflowId = caseWorkflowId(f.deployment.id, 'phishing');

    const outcome = await tw.runUntil(async () => {
      const handle = await openCase(f, 'phishing', report.id);
      expect(handle.workflowId).toBe(workflowId);

      // The reporter is acknowledged as soon as the report is attached, without tenant details.
      const ack = await mail(reporterEmail, 'Your report was received');
      expect(ack.Text).not.toContain(f.tenant.name);

      const triaged = await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'high', by: 'analyst-1' }] });
      expect(triaged.triage).toMatchObject({ action: 'accept', severity: 'high' });

      const notice = await mail(f.contact, 'Abuse notice');
      const noticedAt = Date.now();
      const row = await caseRow(workflowId);
      expect(row).toMatchObject({ state: 'notified', severity: 'high', reportCount: 1 });
      // The deadline in UTC and in the tenant's zone, the evidence escaped in HTML and as-is in text, the link.
      const utc = `${row.deadlineAt!.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      expect(notice.Text).toContain(utc);
      expect(notice.Text).toContain('(Europe/Berlin)');
      expect(notice.Text).toContain(HOSTILE);
      expect(notice.HTML).not.toContain('<script>');
      expect(notice.HTML).not.toContain('<img');
      expect(notice.HTML).toContain('&#60;script&#62;');
      const token = linkToken(notice.Text);

      // Both reminders (4 s and 2 s before), then the suspension at the deadline.
      const reminders = await mails(f.contact, 'Reminder', 2);
      expect(reminders.map((m) => m.Subject).join('\n')).toMatch(/Reminder: [34] seconds left[\s\S]*Reminder: [12] seconds left|Reminder: [12] seconds left[\s\S]*Reminder: [34] seconds left/);
      await mail(f.contact, 'suspended');
      expect(Date.now() - noticedAt).toBeGreaterThanOrEqual(4_000);
      const suspendedRow = await waitForRow(workflowId, (r) => r.state === 'suspended');
      expect(suspendedRow.everSuspended).toBe(true);
      await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'suspended' });
      const actions = await db.providerAction.findMany({ where: { deploymentId: f.deployment.id } });
      expect(actions).toMatchObject([{ kind: 'suspend', caseId: row.id, provider: 'database' }]);

      // The tenant acknowledges and describes the remediation through the tenant page's API.
      const api = tenantApi();
      const view = await api.tenant.view({ token });
      expect(view).toMatchObject({ caseId: row.id, state: 'suspended', category: 'phishing', can: { acknowledge: true, submitRemediation: true, requestExtension: false } });
      expect(view.evidence[0]!.summary).toBe(HOSTILE);
      await api.tenant.acknowledge({ token, caseId: row.id });
      await api.tenant.submitRemediation({ token, caseId: row.id, description: 'Removed the kit, rotated credentials.' });
      // A second description while one waits for verification is refused by the workflow's validator.
      await expect(api.tenant.submitRemediation({ token, caseId: row.id, description: 'again' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'a remediation is already waiting for verification',
      });
      await expect(api.tenant.requestExtension({ token, caseId: row.id, reason: 'more time', hours: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1', note: 'checked' }] });
      const result = await handle.result();
      // The tenant's page of the closed case says when it closed (it shows no deadline any more).
      const closedView = await api.tenant.view({ token });
      expect(closedView).toMatchObject({ state: 'closed', closedAt: expect.any(Date) });
      await mail(f.contact, 'restored');
      const outcomeMail = await mail(reporterEmail, 'has been handled');
      expect(outcomeMail.Text).not.toContain(f.tenant.name);
      expect(outcomeMail.Text).not.toContain(f.deployment.name);
      await maybeRecordHistory('abuse-case-suspend-restore', handle);
      return result;
    });

    expect(outcome).toEqual({ kind: 'remediated', suspended: true });
    const closed = await caseRow(workflowId);
    expect(closed).toMatchObject({ state: 'closed', everSuspended: true, remediation: 'Removed the kit, rotated credentials.' });
    expect(closed.acknowledgedAt).not.toBeNull();
    expect(closed.closedAt).not.toBeNull();
    await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'running' });
    const kinds = (await db.providerAction.findMany({ where: { caseId: closed.id }, orderBy: { requestedAt: 'asc' } })).map((a) => a.kind);
    expect(kinds).toEqual(['suspend', 'restore']);

    const actions = await auditActions(closed.id);
    for (const a of ['case.opened', 'case.evidence_attached', 'case.triage_accept', 'case.deadline_set', 'case.reminder_due', 'case.deadline_reached', 'case.tenant_acknowledged', 'case.remediation_submitted', 'case.remediation_verified', 'case.deployment_restored', 'case.email_sent']) {
      expect(actions).toContain(a);
    }
    expect(actions.filter((a) => a === 'case.reminder_due')).toHaveLength(2);
    expect(actions.at(-2)).toBe('case.state_changed');
    // Each email once: one notice, two reminders, one suspension notice, one restore notice.
    const sent = await db.notification.findMany({ where: { caseId: closed.id, status: 'sent' } });
    const count = (kind: string) => sent.filter((n) => n.kind === kind).length;
    expect([count('notice'), count('reminder'), count('suspended'), count('restored')]).toEqual([1, 2, 1, 1]);
    await sealAllAudit(db);
    await expect(verifyAuditLog(db)).resolves.toMatchObject({ ok: true, unsealed: 0 });
  });

  it('closes without suspension when remediation is verified before the deadline (detections skip triage by policy)', async () => {
    const f = await makeTenant('early');
    const { report } = await makeReport(f, 'dos', { channel: 'detection', summary: 'SYN flood 2 Gbit/s from 192.0.2.10' });
    const workflowId = caseWorkflowId(f.deployment.id, 'dos');
    const policy: CasePolicy = { ...SHORT, remediationWindow: 30_000, skipTriageOn: ['detection'], defaultSeverity: 'high' };

    const outcome = await tw.runUntil(async () => {
      const handle = await openCase(f, 'dos', report.id, policy, 'detection');
      // No triage: the detection alone sends the notice.
      const notice = await mail(f.contact, 'Abuse notice');
      const token = linkToken(notice.Text);
      const row = await waitForRow(workflowId, (r) => r.state === 'notified');
      expect(row.severity).toBe('high');
      const api = tenantApi();
      await api.tenant.acknowledge({ token, caseId: row.id });
      await api.tenant.submitRemediation({ token, caseId: row.id, description: 'Rate limits in place; host rebuilt.' });
      await waitForRow(workflowId, (r) => r.state === 'remediation_submitted');
      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-2' }] });
      const result = await handle.result();
      await mail(f.contact, 'case closed');
      await maybeRecordHistory('abuse-case-remediated-early', handle);
      return result;
    });

    expect(outcome).toEqual({ kind: 'remediated', suspended: false });
    const row = await caseRow(workflowId);
    expect(row).toMatchObject({ state: 'closed', everSuspended: false });
    expect(await db.providerAction.count({ where: { deploymentId: f.deployment.id } })).toBe(0);
    await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'running' });
    // Opened and noticed in one step, the entries in the order of what happened.
    expect((await auditActions(row.id)).slice(0, 7)).toEqual([
      'case.opened',
      'case.evidence_attached',
      'case.triage_accept',
      'case.state_changed',
      'case.deadline_set',
      'case.email_sent',
      'case.tenant_acknowledged',
    ]);
  });

  it('rejects with the reporter told, and reopens when new evidence arrives after closing', async () => {
    const f = await makeTenant('reject');
    const first = await makeReport(f, 'spam');
    const workflowId = caseWorkflowId(f.deployment.id, 'spam');

    await tw.runUntil(async () => {
      const handle = await openCase(f, 'spam', first.report.id);
      await expect(handle.executeUpdate(triageUpdate, { args: [{ action: 'reject', reason: '  ', notifyReporter: true, by: 'analyst-1' }] })).rejects.toMatchObject({
        cause: { message: 'a rejection needs a reason' },
      });
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'reject', reason: 'Newsletter the recipient signed up for', notifyReporter: true, by: 'analyst-1' }] });
      await expect(handle.result()).resolves.toEqual({ kind: 'rejected', reason: 'Newsletter the recipient signed up for' });
      const told = await mail(first.reporterEmail, 'has been handled');
      expect(told.Text).toContain('without further action');
      expect(told.Text).not.toContain('Newsletter');
      await maybeRecordHistory('abuse-case-rejected', handle);
    });
    const rejected = await caseRow(workflowId);
    expect(rejected).toMatchObject({ state: 'rejected', rejectReason: 'Newsletter the recipient signed up for', reopenCount: 0 });
    expect(await db.notification.count({ where: { toAddress: f.contact } })).toBe(0);

    // New evidence after the case closed: the same workflow id starts again and the row is reopened.
    const second = await makeReport(f, 'spam');
    await tw.runUntil(async () => {
      const handle = await openCase(f, 'spam', second.report.id);
      const reopened = await waitForRow(workflowId, (r) => r.reopenCount === 1 && r.state === 'triage' && r.reportCount === 2);
      expect(reopened.id).toBe(rejected.id);
      expect(reopened.rejectReason).toBeNull();
      expect(await handle.query(caseQuery)).toMatchObject({ caseId: rejected.id, state: 'triage', cycle: 1 });
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'reject', reason: 'Same newsletter', notifyReporter: false, by: 'analyst-1' }] });
      await handle.result();
      await maybeRecordHistory('abuse-case-reopened', tw.client.workflow.getHandle(workflowId));
    });
    const actions = await auditActions(rejected.id);
    expect(actions.filter((a) => a === 'case.reopened')).toHaveLength(1);
    expect(actions.filter((a) => a === 'case.opened')).toHaveLength(1);
  });

  it('grants one extension that moves the deadline, and refuses a second request and a foreign link', async () => {
    const f = await makeTenant('ext');
    const other = await makeTenant('other');
    const { report } = await makeReport(f, 'malware_hosting');
    const { report: otherReport } = await makeReport(other, 'malware_hosting');
    const workflowId = caseWorkflowId(f.deployment.id, 'malware_hosting');
    const otherWorkflowId = caseWorkflowId(other.deployment.id, 'malware_hosting');
    const policy: CasePolicy = { ...SHORT, remediationWindow: 8_000 };

    const outcome = await tw.runUntil(async () => {
      const handle = await openCase(f, 'malware_hosting', report.id, policy);
      const otherHandle = await openCase(other, 'malware_hosting', otherReport.id, policy);
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'medium', by: 'analyst-1' }] });
      await otherHandle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'medium', by: 'analyst-1' }] });
      const token = linkToken((await mail(f.contact, 'Abuse notice')).Text);
      const otherToken = linkToken((await mail(other.contact, 'Abuse notice')).Text);
      const row = await caseRow(workflowId);
      const otherRow = await caseRow(otherWorkflowId);
      const api = tenantApi();

      // One tenant's link on another tenant's case is refused and changes nothing.
      await expect(api.tenant.acknowledge({ token: otherToken, caseId: row.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(api.tenant.view({ token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await caseRow(workflowId)).acknowledgedAt).toBeNull();

      await api.tenant.requestExtension({ token, caseId: row.id, reason: 'Waiting for a vendor patch', hours: 5 / 3600 });
      await expect(api.tenant.requestExtension({ token, caseId: row.id, reason: 'again', hours: 1 / 3600 })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'an extension may be requested only once',
      });
      await waitForRow(workflowId, (r) => r.extensionStatus === 'requested');
      await handle.executeUpdate(decideExtensionUpdate, { args: [{ approve: true, by: 'analyst-1', note: 'fine' }] });
      const extended = await waitForRow(workflowId, (r) => r.extensionStatus === 'granted');
      expect(extended.deadlineAt!.getTime() - row.deadlineAt!.getTime()).toBe(5_000);
      expect(extended.extensionReason).toBe('Waiting for a vendor patch');
      await mail(f.contact, 'Extension granted');

      // The other case (no extension) is suspended at its deadline; this one is not, yet.
      await waitForRow(otherWorkflowId, (r) => r.state === 'suspended', 20_000);
      expect((await caseRow(workflowId)).state).toBe('notified');
      await api.tenant.submitRemediation({ token, caseId: row.id, description: 'Patched and cleaned.' });
      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1' }] });
      const result = await handle.result();
      await maybeRecordHistory('abuse-case-extension', handle);

      await api.tenant.submitRemediation({ token: otherToken, caseId: otherRow.id, description: 'Cleaned.' });
      await otherHandle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1' }] });
      await otherHandle.result();
      return result;
    });
    expect(outcome).toEqual({ kind: 'remediated', suspended: false });
    const actions = await auditActions((await caseRow(workflowId)).id);
    expect(actions).toEqual(expect.arrayContaining(['case.extension_requested', 'case.extension_granted']));
  });

  it('merges a case into another: the reports move and the target is signalled', async () => {
    const f = await makeTenant('merge');
    const a = await makeReport(f, 'hacking_port_scan');
    const b = await makeReport(f, 'hacking_login_attack');
    const source = caseWorkflowId(f.deployment.id, 'hacking_port_scan');
    const target = caseWorkflowId(f.deployment.id, 'hacking_login_attack');

    await tw.runUntil(async () => {
      const from = await openCase(f, 'hacking_port_scan', a.report.id);
      const into = await openCase(f, 'hacking_login_attack', b.report.id);
      await waitForRow(target, (r) => r.reportCount === 1);
      await expect(from.executeUpdate(triageUpdate, { args: [{ action: 'merge', intoWorkflowId: 'case:nope:spam', by: 'analyst-1' }] })).rejects.toMatchObject({
        cause: { message: 'there is no case case:nope:spam' },
      });
      await from.executeUpdate(triageUpdate, { args: [{ action: 'merge', intoWorkflowId: target, by: 'analyst-1' }] });
      await expect(from.result()).resolves.toEqual({ kind: 'merged', intoWorkflowId: target });
      await waitForRow(target, (r) => r.reportCount === 2);
      await expect(into.query(caseQuery)).resolves.toMatchObject({ evidence: 2 });
      await into.executeUpdate(triageUpdate, { args: [{ action: 'reject', reason: 'test over', notifyReporter: false, by: 'analyst-1' }] });
      await into.result();
    });
    const merged = await caseRow(source);
    const into = await caseRow(target);
    expect(merged).toMatchObject({ state: 'closed', mergedIntoId: into.id, reportCount: 0 });
    expect(await db.abuseReport.count({ where: { caseId: into.id } })).toBe(2);
  });

  it('continues as new before the history grows large, carrying the case and the evidence that keeps coming', async () => {
    const f = await makeTenant('long');
    const first = await makeReport(f, 'compromised_host', { summary: 'first' });
    const workflowId = caseWorkflowId(f.deployment.id, 'compromised_host');
    const more = await Promise.all(Array.from({ length: 24 }, (_, i) => makeReport(f, 'compromised_host', { summary: `report ${i}` })));

    const outcome = await tw.runUntil(async () => {
      // Each report through signal-with-start, as intake sends them; a small history limit forces continue-as-new.
      const input = { deploymentId: f.deployment.id, tenantId: f.tenant.id, category: 'compromised_host' as const, policy: { ...SHORT, remediationWindow: 600_000 }, historyLimit: 40 };
      // The window is long so a loaded machine never reaches the deadline: this test is about continue-as-new.
      const send = (reportId: string) =>
        tw.client.workflow.signalWithStart<typeof abuseCaseWorkflow, [EvidenceRef]>('abuseCaseWorkflow', {
          workflowId,
          taskQueue: tw.taskQueue,
          args: [input],
          signal: attachEvidenceSignal,
          signalArgs: [{ kind: 'report', id: reportId, receivedAt: new Date().toISOString() }],
        });
      const firstRunId = (await send(first.report.id)).signaledRunId;
      await waitForRow(workflowId, (r) => r.reportCount === 1);
      for (const m of more) await send(m.report.id);
      await waitForRow(workflowId, (r) => r.reportCount === 25);
      const handle = tw.client.workflow.getHandle<typeof abuseCaseWorkflow>(workflowId);
      const snapshot = await handle.query(caseQuery);
      expect(snapshot).toMatchObject({ state: 'triage', evidence: 25 });
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'low', by: 'analyst-1' }] });
      const token = linkToken((await mail(f.contact, 'Abuse notice')).Text);
      const row = await caseRow(workflowId);
      await tenantApi().tenant.submitRemediation({ token, caseId: row.id, description: 'Reimaged.' });
      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1' }] });
      const result = await handle.result();
      expect((await handle.describe()).runId).not.toBe(firstRunId);
      await maybeRecordHistory('abuse-case-continued', tw.client.workflow.getHandle(workflowId, firstRunId));
      return result;
    });
    expect(outcome).toEqual({ kind: 'remediated', suspended: false });
    const row = await caseRow(workflowId);
    expect(row).toMatchObject({ state: 'closed', reportCount: 25, reopenCount: 0 });
    // One opening, one notice, however many runs it took.
    const actions = await auditActions(row.id);
    expect(actions.filter((a) => a === 'case.opened')).toHaveLength(1);
    expect(await db.notification.count({ where: { caseId: row.id, kind: 'notice' } })).toBe(1);
  });

  it('suspends exactly once when no worker is running at the deadline and one comes back later', async () => {
    const f = await makeTenant('outage');
    const { report } = await makeReport(f, 'hacking_exploitation');
    const workflowId = caseWorkflowId(f.deployment.id, 'hacking_exploitation');
    const policy: CasePolicy = { ...SHORT, remediationWindow: 3_000, reminderOffsets: [] };

    const deadlineAt = await tw.runUntil(async () => {
      const handle = await openCase(f, 'hacking_exploitation', report.id, policy);
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'high', by: 'analyst-1' }] });
      await mail(f.contact, 'Abuse notice');
      return (await waitForRow(workflowId, (r) => r.state === 'notified')).deadlineAt!;
    });
    // The worker is gone; the deadline passes on the server's durable timer with nobody to act on it.
    while (Date.now() < deadlineAt.getTime() + 1_000) await new Promise((r) => setTimeout(r, 200));
    await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'running' });

    await tw.runUntil(async () => {
      await waitForRow(workflowId, (r) => r.state === 'suspended', 30_000);
      await mail(f.contact, 'suspended');
      const handle = tw.client.workflow.getHandle<typeof abuseCaseWorkflow>(workflowId);
      const token = linkToken((await mail(f.contact, 'Abuse notice')).Text);
      const row = await caseRow(workflowId);
      await tenantApi().tenant.submitRemediation({ token, caseId: row.id, description: 'Patched.' });
      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1' }] });
      await handle.result();
    });
    const row = await caseRow(workflowId);
    const kinds = (await db.providerAction.findMany({ where: { caseId: row.id }, orderBy: { requestedAt: 'asc' } })).map((a) => a.kind);
    expect(kinds).toEqual(['suspend', 'restore']);
    expect(await db.notification.count({ where: { caseId: row.id, kind: 'suspended' } })).toBe(1);
    await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'running' });
  });

  it('sends a notice whose evidence has no addresses or URLs on record (list columns left unset)', async () => {
    const f = await makeTenant('lists');
    const activities = createCaseActivities({ db, mailer, temporal: tw.client });
    const kase = await db.case.create({
      data: { workflowId: caseWorkflowId(f.deployment.id, 'phishing'), tenantId: f.tenant.id, deploymentId: f.deployment.id, category: 'phishing', deadlineAt: new Date(Date.now() + 3_600_000) },
    });
    const raw = Buffer.from(`bare report ${randomUUID()}`);
    // Written without sourceIps and reportedUrls, as a row from another writer may be: both columns hold NULL.
    await db.abuseReport.create({
      data: { channel: 'api', contentType: 'text/plain', raw, sha256: createHash('sha256').update(raw).digest('hex'), sizeBytes: raw.length, parseStatus: 'parsed', category: 'phishing', summary: 'Phishing page reported by a customer', attribution: 'attributed', tenantId: f.tenant.id, deploymentId: f.deployment.id, caseId: kase.id },
    });
    const { sent } = await activities.notifyCase({ caseId: kase.id, kind: 'notice', key: `notice:${kase.id}:0:1` });
    expect(sent).toEqual([expect.objectContaining({ to: f.contact, sentNow: true })]);
    const notice = await mail(f.contact, 'Abuse notice');
    expect(notice.Text).toContain('Phishing page reported by a customer');
  });

  it('never suspends twice for one key: a retried suspend activity finds the action done', async () => {
    const f = await makeTenant('retry');
    const activities = createCaseActivities({ db, mailer, temporal: tw.client });
    const kase = await db.case.create({ data: { workflowId: caseWorkflowId(f.deployment.id, 'spam'), tenantId: f.tenant.id, deploymentId: f.deployment.id, category: 'spam' } });
    const key = `suspend:test:${randomUUID()}`;
    const first = await activities.suspendDeployment({ deploymentId: f.deployment.id, caseId: kase.id, key });
    const again = await activities.suspendDeployment({ deploymentId: f.deployment.id, caseId: kase.id, key });
    expect(first).toMatchObject({ actedNow: true, state: 'suspended' });
    expect(again).toMatchObject({ actedNow: false, state: 'suspended', actionId: first.actionId });
    expect(await db.providerAction.count({ where: { idempotencyKey: key } })).toBe(1);
    // A different key after a restore acts again: each suspension is its own action.
    await activities.restoreDeployment({ deploymentId: f.deployment.id, caseId: kase.id, key: `${key}:restore` });
    await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'running' });
    await expect(activities.suspendDeployment({ deploymentId: randomUUID(), caseId: kase.id, key: `${key}:x` })).rejects.toThrow(/does not exist/);
    await sealAllAudit(db);
    await expect(verifyAuditLog(db)).resolves.toMatchObject({ ok: true, unsealed: 0 });
  });
});
