// Consent-gated forensics on a real Temporal dev server, worker, PostgreSQL and mail catcher: nothing runs before the
// tenant approves by link; only the approved (narrowed) scope is collected; declining, expiry and revocation in the
// middle of collection stop it; links that are tampered with, expired, reused or another tenant's are refused.
import fs from 'node:fs';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForensicsRecordActivities } from '../../activities/forensics';
import { FORENSIC_CONSENT_LINK } from '../../domain/forensics/contracts';
import { createAccessLink } from '../../lib/access-links';
import { resetConfigForTests } from '../../lib/config';
import { decideForensicRequest, proposeForensicAnalysis, revokeForensicConsent, viewForensicRequest } from '../../lib/forensics';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import type { forensicAnalysisWorkflow } from '../../workflows/forensics';
import { forensicQuery } from '../../workflows/forensics';
import { maybeRecordHistory } from '../support/histories';
import { createCaseFixtures, type CaseFixtures, type TenantFixture } from '../support/case-fixtures';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

let system: WorkerSystem;
let fx: CaseFixtures;
let mailbox: Mailbox;

beforeAll(async () => {
  process.env.PUBLIC_URL = 'http://console.test';
  // Slow enough to revoke in the middle of a collection; fast enough for the rest.
  process.env.FORENSIC_COLLECTION_BYTES_PER_SECOND = '20000';
  resetConfigForTests();
  system = await startWorkerSystem('forensics');
  mailbox = createMailbox(system.catcher.apiUrl);
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox });
});

afterAll(async () => {
  await system?.close();
});

const ALL_KINDS = ['logs', 'network_capture', 'memory_snapshot', 'disk_snapshot'];

async function caseFor(tag: string) {
  const f = await fx.makeTenant(tag);
  const kase = await system.db.case.create({ data: { workflowId: `case:${f.deployment.id}:malware_hosting`, tenantId: f.tenant.id, deploymentId: f.deployment.id, category: 'malware_hosting', state: 'notified' } });
  return { ...f, kase };
}

async function propose(f: TenantFixture & { kase: { id: string } }, opts: { decisionWindow?: string; accessWindow?: string; retention?: string; kinds?: string[] } = {}) {
  return proposeForensicAnalysis(
    system.db,
    system.tw.client,
    {
      caseId: f.kase.id,
      scope: { targets: [{ deploymentId: f.deployment.id }], dataKinds: opts.kinds ?? ALL_KINDS },
      purpose: 'Find how the web server was compromised.',
      accessHours: 8,
      retentionDays: 30,
      proposedBy: 'analyst@safeguard.example.com',
      decisionWindow: opts.decisionWindow,
      accessWindow: opts.accessWindow,
      retention: opts.retention,
    },
    system.tw.taskQueue,
  );
}

/** The token in the consent mail to the tenant's security contact. */
async function consentToken(contact: string): Promise<string> {
  const m = await mailbox.waitForMessage((x) => x.To.some((t) => t.Address === contact) && x.Subject.includes('consent'), { timeoutMs: 20_000, intervalMs: 100 });
  const token = /http:\/\/console\.test\/f\/([A-Za-z0-9_-]{43})/.exec(m.Text)?.[1];
  if (!token) throw new Error(`no consent link in:\n${m.Text}`);
  return token;
}

const handle = (workflowId: string) => system.tw.client.workflow.getHandle<typeof forensicAnalysisWorkflow>(workflowId);
const tenantBy = { name: 'Dana Owner', email: 'dana@tenant.example', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };

describe('consent-gated forensics', () => {
  it('collects only the approved, narrowed scope after approval, analyses it, and keeps the chain of custody', async () => {
    const { db, tw } = system;
    const f = await caseFor('approve');
    const req = await propose(f, { kinds: ['logs', 'memory_snapshot'] });
    const outcome = await tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      // Nothing happens before the decision.
      expect(await db.forensicArtifact.count({ where: { requestId: req.id } })).toBe(0);
      const view = await viewForensicRequest(db, token, req.id);
      expect(view).toMatchObject({ state: 'proposed', purpose: 'Find how the web server was compromised.' });
      expect(view.scopeText).toMatch(/memory/i);
      expect(view.scopeText).toContain(f.deployment.name);
      // Narrowed to logs only; a kind that was never proposed is refused.
      await expect(decideForensicRequest(db, tw.client, { token, requestId: req.id, approve: true, approvedScope: { targets: [{ deploymentId: f.deployment.id }], dataKinds: ['disk_snapshot'] }, ...tenantBy })).rejects.toThrow(/part of the proposed scope/);
      await decideForensicRequest(db, tw.client, { token, requestId: req.id, approve: true, approvedScope: { targets: [{ deploymentId: f.deployment.id }], dataKinds: ['logs'] }, ...tenantBy });
      // One decision only: the same link cannot decide again.
      await expect(decideForensicRequest(db, tw.client, { token, requestId: req.id, approve: false, ...tenantBy })).rejects.toThrow(/already been decided/);
      await fx.mail(f.contact, 'consent'); // still one mail
      const h = handle(req.workflowId);
      for (let i = 0; i < 600 && (await h.query(forensicQuery)).state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
      return h.query(forensicQuery);
    });
    expect(outcome.state).toBe('completed');
    const row = await db.forensicRequest.findUniqueOrThrow({ where: { id: req.id }, include: { artifacts: true } });
    expect(row).toMatchObject({ decision: 'approved', decidedByName: 'Dana Owner', decidedByEmail: 'dana@tenant.example', decidedFromIp: '203.0.113.7', decidedUserAgent: 'Mozilla/5.0 (test)' });
    expect(row.scopeTextShown).toMatch(/log/i);
    expect(row.scopeTextShown).not.toMatch(/memory/i);
    expect(row.windowEndsAt!.getTime() - row.decidedAt!.getTime()).toBeGreaterThan(8 * 3_600_000 - 60_000);
    expect(row.artifacts.length).toBeGreaterThan(0);
    expect(row.artifacts.every((a) => a.kind === 'logs')).toBe(true);
    for (const a of row.artifacts) {
      const bytes = fs.readFileSync(a.storagePath!);
      expect((await import('node:crypto')).createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256);
      expect(a.collectedBy).toContain('test-worker');
    }
    expect(row.reportText).toBeTruthy();
  });

  it('declines: nothing is collected', async () => {
    const f = await caseFor('decline');
    const req = await propose(f);
    const result = await system.tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      await decideForensicRequest(system.db, system.tw.client, { token, requestId: req.id, approve: false, reason: 'Not now.', ...tenantBy });
      return handle(req.workflowId).result();
    });
    expect(result).toBe('declined');
    await maybeRecordHistory('forensics-declined', handle(req.workflowId));
    expect(await system.db.forensicArtifact.count({ where: { requestId: req.id } })).toBe(0);
    await expect(system.db.forensicRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ state: 'declined', decision: 'declined' });
  });

  it('declines by itself when the decision window passes', async () => {
    const f = await caseFor('expiry');
    const req = await propose(f, { decisionWindow: '3 seconds' });
    const result = await system.tw.runUntil(() => handle(req.workflowId).result());
    expect(result).toBe('expired');
    await expect(system.db.forensicRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ state: 'expired', decision: null });
  });

  it('stops at once when consent is revoked in the middle of collection, and deletes what was collected', async () => {
    const f = await caseFor('revoke');
    const req = await propose(f, { kinds: ['memory_snapshot', 'disk_snapshot', 'logs'] });
    const result = await system.tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      await decideForensicRequest(system.db, system.tw.client, { token, requestId: req.id, approve: true, ...tenantBy });
      const h = handle(req.workflowId);
      for (let i = 0; i < 300 && (await h.query(forensicQuery)).state !== 'collecting'; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      await revokeForensicConsent(system.db, system.tw.client, { token, requestId: req.id, name: 'Dana Owner', ip: '203.0.113.7' });
      const revokedAt = Date.now();
      // Sent again (say the first answer was lost): it signals again and records nothing new.
      await revokeForensicConsent(system.db, system.tw.client, { token, requestId: req.id, name: 'Dana Owner', ip: '203.0.113.7' });
      const outcome = await h.result();
      return { outcome, revokedAt, snapshot: await h.query(forensicQuery).catch(() => undefined) };
    });
    expect(result.outcome).toBe('revoked');
    await maybeRecordHistory('forensics-revoked', handle(req.workflowId));
    const row = await system.db.forensicRequest.findUniqueOrThrow({ where: { id: req.id }, include: { artifacts: true } });
    expect(row.state).toBe('revoked');
    // Stored when the tenant sent it, before the workflow heard of it: a collection finishing in between records nothing.
    expect(row.revokedAt!.getTime()).toBeLessThanOrEqual(result.revokedAt);
    expect(row.revokedBy).toBe('Dana Owner');
    expect(await system.db.auditEvent.count({ where: { subjectId: req.id, action: 'forensics.revoke_requested' } })).toBe(1);
    // The artifact being read when consent was withdrawn was never recorded; nothing was collected afterwards.
    expect(row.artifacts.map((a) => a.collectedAt.getTime() - result.revokedAt).filter((late) => late > 1_000)).toEqual([]);
    expect(row.artifacts.filter((a) => a.deletedAt === null || a.storagePath !== null)).toEqual([]);
    expect(row.reportText).toBeNull();
  });

  it("refuses tampered, expired and other requests' links", async () => {
    const f = await caseFor('links');
    const other = await caseFor('links-other');
    const req = await propose(f);
    const otherReq = await propose(other);
    await system.tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      const otherToken = await consentToken(other.contact);
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(viewForensicRequest(system.db, tampered, req.id)).rejects.toMatchObject({ code: 'unknown' });
      // Another tenant's link on this request.
      await expect(viewForensicRequest(system.db, otherToken, req.id)).rejects.toMatchObject({ code: 'wrong-subject' });
      await expect(decideForensicRequest(system.db, system.tw.client, { token: otherToken, requestId: req.id, approve: true, ...tenantBy })).rejects.toMatchObject({ code: 'wrong-subject' });
      const expired = await createAccessLink({ purpose: FORENSIC_CONSENT_LINK, subjectId: req.id, tenantId: f.tenant.id, ttlMs: 1 }, system.db);
      await new Promise((r) => setTimeout(r, 10));
      await expect(viewForensicRequest(system.db, expired.token, req.id)).rejects.toMatchObject({ code: 'expired' });
      // A case link is not a consent link.
      await expect(viewForensicRequest(system.db, 'x'.repeat(43), req.id)).rejects.toMatchObject({ code: 'unknown' });
      await expect(revokeForensicConsent(system.db, system.tw.client, { token, requestId: req.id, name: 'x' })).rejects.toThrow(/Only an approved request/);
      for (const r of [req, otherReq]) await handle(r.workflowId).terminate('test finished');
    });
  });

  it('keeps the access window across a worker restart: what was not collected by its end is not collected', async () => {
    const { db, tw } = system;
    const f = await caseFor('restart');
    const req = await propose(f, { kinds: ['memory_snapshot', 'disk_snapshot', 'logs'], accessWindow: '5 seconds', retention: '1 hour' });
    const windowEndsAt = await tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      await decideForensicRequest(db, tw.client, { token, requestId: req.id, approve: true, ...tenantBy });
      const h = handle(req.workflowId);
      for (let i = 0; i < 300 && (await h.query(forensicQuery)).state !== 'collecting'; i++) await new Promise((r) => setTimeout(r, 50));
      return (await db.forensicRequest.findUniqueOrThrow({ where: { id: req.id } })).windowEndsAt!;
    });
    // No worker while the window ends.
    while (Date.now() < windowEndsAt.getTime() + 1_500) await new Promise((r) => setTimeout(r, 200));
    const after = await tw.runUntil(async () => {
      const h = handle(req.workflowId);
      for (let i = 0; i < 600 && !['completed', 'window_closed'].includes((await h.query(forensicQuery)).state); i++) await new Promise((r) => setTimeout(r, 100));
      return h.query(forensicQuery);
    });
    expect(after.windowEndsAt).toBe(windowEndsAt.toISOString());
    expect(after.collected).toBeLessThan(after.planned);
    const row = await db.forensicRequest.findUniqueOrThrow({ where: { id: req.id }, include: { artifacts: true } });
    expect(row.windowEndsAt!.getTime()).toBe(windowEndsAt.getTime());
    expect(row.artifacts.filter((a) => a.collectedAt.getTime() > windowEndsAt.getTime())).toEqual([]);
    await handle(req.workflowId).terminate('test finished');
  });

  it('keeps the first recorded window end when the decision is recorded again, and hands it back', async () => {
    // A workflow task that runs again (its first attempt timed out after its local activity wrote the decision)
    // reckons the window from its own, later start; the stored end is the one the tenant saw and the one enforced.
    const f = await caseFor('decided-twice');
    const req = await propose(f);
    await handle(req.workflowId).terminate('decided directly in this test');
    const { recordForensicDecision } = createForensicsRecordActivities({ db: system.db, mailer: createTransport({ jsonTransport: true }) });
    const decision = { approve: true as const, approvedScope: { targets: [{ deploymentId: f.deployment.id }], dataKinds: ['logs'] }, by: { ...tenantBy, scopeTextShown: 'logs' } };
    const first = new Date(Date.now() + 3_600_000).toISOString();
    expect(await recordForensicDecision({ requestId: req.id, decision, windowEndsAt: first })).toEqual({ windowEndsAt: first });
    const again = await recordForensicDecision({ requestId: req.id, decision, windowEndsAt: new Date(Date.parse(first) + 157).toISOString() });
    expect(again).toEqual({ windowEndsAt: first });
    const row = await system.db.forensicRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row.windowEndsAt!.toISOString()).toBe(first);
    const entries = await system.db.auditEvent.findMany({ where: { subjectId: req.id, action: 'forensics.approved' } });
    expect(entries).toHaveLength(1);
  });

  it('deletes the artifacts when their retention ends, keeping the custody records', async () => {
    const { db, tw } = system;
    const f = await caseFor('retention');
    const req = await propose(f, { kinds: ['logs'], retention: '2 seconds' });
    const result = await tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      await decideForensicRequest(db, tw.client, { token, requestId: req.id, approve: true, ...tenantBy });
      return handle(req.workflowId).result();
    });
    expect(result).toBe('completed');
    await maybeRecordHistory('forensics-retention', handle(req.workflowId));
    const row = await db.forensicRequest.findUniqueOrThrow({ where: { id: req.id }, include: { artifacts: true } });
    expect(row.artifactsDeletedAt).not.toBeNull();
    expect(row.artifacts.length).toBeGreaterThan(0);
    expect(row.artifacts.every((a) => a.deletedAt !== null && a.storagePath === null && /^[0-9a-f]{64}$/.test(a.sha256))).toBe(true);
    expect(row.reportText).toContain(row.artifacts[0]!.sha256);
  });
});
