// The console's forensics procedures (analyst) and the tenant's consent procedures through createCaller, against a
// real PostgreSQL, the integration Temporal dev server with a real worker, and the mail catcher: the tenant's link
// from the consent mail drives view, decide and revoke, with the caller's address and browser recorded.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TENANT_CASE_LINK } from '../../domain/cases';
import { FORENSIC_CONSENT_LINK } from '../../domain/forensics/contracts';
import { createAccessLink } from '../../lib/access-links';
import { resetConfigForTests } from '../../lib/config';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { createCaller } from '../../web/server/root';
import { createCaseFixtures, type CaseFixtures } from '../support/case-fixtures';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';
import { eventually } from '../support/eventually';
import { scopeShown } from '../../web/app/f/[token]/scope-shown';

let system: WorkerSystem;
let fx: CaseFixtures;
let mailbox: Mailbox;
let analyst: { id: string; email: string; name: string; role: 'analyst' };

beforeAll(async () => {
  system = await startWorkerSystem('console-forensics');
  process.env.DATABASE_URL = system.database.url;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.PUBLIC_URL = 'http://console.test';
  // Proposals the console starts go to this test's worker.
  process.env.TEMPORAL_TASK_QUEUE = system.tw.taskQueue;
  resetConfigForTests();
  mailbox = createMailbox(system.catcher.apiUrl);
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox });
  const u = await system.db.user.create({ data: { email: 'analyst@console.test', name: 'Ana Lyst', role: 'analyst', passwordHash: 'unused' } });
  analyst = { id: u.id, email: u.email, name: u.name, role: 'analyst' };
});

afterAll(async () => {
  await system?.close();
});

const TENANT_IP = '203.0.113.7';
const TENANT_UA = 'Mozilla/5.0 (consent test)';
const staff = () => createCaller({ user: { ...analyst, sessionId: 'test' }, secure: false, resHeaders: new Headers(), ip: '198.51.100.1' });
const anonymous = () => createCaller({ user: null, secure: false, resHeaders: new Headers(), ip: '198.51.100.2' });
const tenant = (headers = new Headers()) => createCaller({ user: null, secure: false, resHeaders: headers, ip: TENANT_IP, userAgent: TENANT_UA });

async function caseFor(tag: string) {
  const f = await fx.makeTenant(tag);
  const kase = await system.db.case.create({
    data: { workflowId: `case:${f.deployment.id}:malware_hosting`, tenantId: f.tenant.id, deploymentId: f.deployment.id, category: 'malware_hosting', state: 'notified' },
  });
  return { ...f, kase };
}
type CaseFixture = Awaited<ReturnType<typeof caseFor>>;

const proposal = (f: CaseFixture, dataKinds: ('logs' | 'memory_snapshot' | 'disk_snapshot' | 'network_capture')[] = ['logs', 'memory_snapshot']) => ({
  caseId: f.kase.id,
  scope: { targets: [{ deploymentId: f.deployment.id }], dataKinds },
  purpose: 'Find how the <b>web server</b> was compromised.',
  accessHours: 8,
  retentionDays: 30,
});

/** The token in the consent mail to the tenant's security contact. */
async function consentToken(contact: string): Promise<string> {
  const m = await mailbox.waitForMessage((x) => x.To.some((t) => t.Address === contact) && x.Subject.includes('consent'), { timeoutMs: 20_000, intervalMs: 100 });
  const token = /http:\/\/console\.test\/f\/([A-Za-z0-9_-]{43})/.exec(m.Text)?.[1];
  if (!token) throw new Error(`no consent link in:\n${m.Text}`);
  return token;
}


const terminate = (workflowId: string) => system.tw.client.workflow.getHandle(workflowId).terminate('test finished').catch(() => undefined);

describe('analyst procedures', () => {
  it('refuses callers without a session', async () => {
    const f = await caseFor('anon');
    await expect(anonymous().forensics.listForCase({ caseId: f.kase.id })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anonymous().forensics.propose(proposal(f))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anonymous().forensics.shareReport({ id: f.kase.id })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await system.db.forensicRequest.count({ where: { caseId: f.kase.id } })).toBe(0);
  });

  it("offers the case tenant's deployments only, and refuses another tenant's deployment or bad input", async () => {
    const f = await caseFor('validate');
    const other = await caseFor('validate-other');
    const options = await staff().forensics.options({ caseId: f.kase.id });
    expect(options.deployments.map((d) => d.id)).toEqual([f.deployment.id]);
    expect(options.caseDeploymentId).toBe(f.deployment.id);
    expect(options.dataKinds.map((k) => k.value)).toContain('memory_snapshot');

    const foreign = { ...proposal(f), scope: { targets: [{ deploymentId: f.deployment.id }, { deploymentId: other.deployment.id }], dataKinds: ['logs' as const] } };
    await expect(staff().forensics.propose(foreign)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/case tenant's deployments/) });
    await expect(staff().forensics.propose({ ...proposal(f), scope: { targets: [{ deploymentId: f.deployment.id }], dataKinds: [] } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(staff().forensics.propose({ ...proposal(f), accessHours: 10_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(staff().forensics.propose({ ...proposal(f), purpose: '   ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(staff().forensics.propose({ ...proposal(f), caseId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(staff().forensics.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Nothing was created or started for a refused proposal.
    expect(await system.db.forensicRequest.count({ where: { caseId: { in: [f.kase.id, other.kase.id] } } })).toBe(0);
  });
});

describe('tenant consent through the page procedures', () => {
  it('views, approves a narrowed scope (ip and browser recorded), follows custody, shares the report, and revokes', async () => {
    const f = await caseFor('flow');
    const { id } = await staff().forensics.propose(proposal(f));
    const row = await system.db.forensicRequest.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ caseId: f.kase.id, proposedBy: analyst.email, state: 'proposed' });
    expect(await staff().forensics.listForCase({ caseId: f.kase.id })).toMatchObject([{ id, state: 'proposed', decision: null }]);

    await system.tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      const headers = new Headers();
      const view = await tenant(headers).forensicConsent.view({ token });
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(view).toMatchObject({ requestId: id, state: 'proposed', accessHours: 8, retentionDays: 30, can: { decide: true, revoke: false }, reportText: null });
      expect(view.purpose).toBe('Find how the <b>web server</b> was compromised.');
      expect(view.scopeText).toMatch(/Memory snapshot/);
      expect(view.scopeText).toMatch(/System logs/);

      // A kind that was never proposed is refused by the workflow; bad contact details by the input schema.
      const narrowed = { targets: [{ deploymentId: f.deployment.id }], dataKinds: ['logs' as const] };
      await expect(
        tenant().forensicConsent.decide({ token, approve: true, approvedScope: { ...narrowed, dataKinds: ['disk_snapshot'] }, name: 'Dana Owner', email: 'dana@tenant.example' }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/part of the proposed scope/) });
      await expect(tenant().forensicConsent.decide({ token, approve: true, name: 'Dana', email: 'not-an-address' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(tenant().forensicConsent.decide({ token, approve: true, name: '  ', email: 'dana@tenant.example' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

      await expect(tenant().forensicConsent.decide({ token, approve: true, approvedScope: narrowed, name: 'Dana Owner', email: 'dana@tenant.example' })).resolves.toMatchObject({ decision: 'approved' });
      await expect(tenant().forensicConsent.decide({ token, approve: false, name: 'Dana Owner', email: 'dana@tenant.example' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/already been decided/),
      });

      const decided = await system.db.forensicRequest.findUniqueOrThrow({ where: { id } });
      expect(decided).toMatchObject({ decision: 'approved', decidedByName: 'Dana Owner', decidedByEmail: 'dana@tenant.example', decidedFromIp: TENANT_IP, decidedUserAgent: TENANT_UA });
      expect(decided.scopeTextShown).toMatch(/System logs/);
      expect(decided.scopeTextShown).not.toMatch(/Memory/);

      await eventually(async () => (await system.db.forensicRequest.findUniqueOrThrow({ where: { id } })).state === 'completed', 'the analysis to complete');
      const done = await staff().forensics.get({ id });
      expect(done).toMatchObject({ state: 'completed', canShare: true, sharedAt: null, decision: { ip: TENANT_IP, userAgent: TENANT_UA, name: 'Dana Owner' } });
      expect(done.approvedScopeText).toMatch(new RegExp(`${f.deployment.name}.*System logs`, 's'));
      expect(done.artifacts.length).toBeGreaterThan(0);
      expect(done.progress).toEqual({ planned: done.artifacts.length, collected: done.artifacts.length });
      for (const a of done.artifacts) {
        expect(a).toMatchObject({ kind: 'logs', deploymentId: f.deployment.id, deploymentName: f.deployment.name, deletedAt: null });
        expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(a.collectedBy).toContain('test-worker');
        expect(a.source).toBeTruthy();
      }
      expect(done.reportText).toBeTruthy();
      expect(done.timeline.map((e) => e.action)).toEqual(expect.arrayContaining(['forensics.proposed', 'forensics.approved', 'forensics.artifact_collected', 'forensics.completed']));

      // The report reaches the tenant only once it is shared.
      expect((await tenant().forensicConsent.view({ token })).reportText).toBeNull();
      const shared = await staff().forensics.shareReport({ id });
      expect(shared.sharedAt).toBeInstanceOf(Date);
      const afterShare = await tenant().forensicConsent.view({ token });
      expect(afterShare.reportText).toBe(done.reportText);
      expect(afterShare).toMatchObject({ state: 'completed', collected: done.artifacts.length, can: { decide: false, revoke: true } });
      // The consent page shows what was approved (word for word what the tenant approved), not the proposal.
      const shown = scopeShown(afterShare);
      expect(shown).toMatchObject({ narrowed: true, text: decided.scopeTextShown, heading: 'Exactly what you approved (narrowed from what was proposed)' });
      expect(shown.proposedText).toMatch(/Memory snapshot/);

      await expect(tenant().forensicConsent.revoke({ token, name: 'Dana Owner' })).resolves.toEqual({ ok: true });
      const revoked = await eventually(async () => {
        const r = await system.db.forensicRequest.findUniqueOrThrow({ where: { id }, include: { artifacts: true } });
        return r.state === 'revoked' && r;
      }, 'the revocation to be recorded');
      expect(revoked.revokedBy).toBe('Dana Owner');
      expect(revoked.artifacts.every((a) => a.deletedAt !== null && a.storagePath === null)).toBe(true);
      const audit = await system.db.auditEvent.findFirstOrThrow({ where: { subjectType: 'forensic_request', subjectId: id, action: 'forensics.revoke_requested' } });
      expect(audit.data).toMatchObject({ ip: TENANT_IP, userAgent: TENANT_UA });
      expect(await tenant().forensicConsent.view({ token })).toMatchObject({ state: 'revoked', can: { decide: false, revoke: false } });
    });
  });

  it('declines with a reason; a declined request cannot be revoked; share is refused without a report', async () => {
    const f = await caseFor('decline');
    const { id } = await staff().forensics.propose(proposal(f, ['disk_snapshot']));
    await system.tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      await expect(staff().forensics.shareReport({ id })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/no completed report/) });
      await expect(tenant().forensicConsent.revoke({ token, name: 'Dana' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/Only an approved request/) });
      await expect(tenant().forensicConsent.decide({ token, approve: false, reason: 'Not during the sale.', name: 'Dana Owner', email: 'dana@tenant.example' })).resolves.toMatchObject({ decision: 'declined', state: 'declined' });
      await eventually(async () => (await system.db.forensicRequest.findUniqueOrThrow({ where: { id } })).state === 'declined', 'the decline');
      expect(await tenant().forensicConsent.view({ token })).toMatchObject({ state: 'declined', decision: 'declined', can: { decide: false, revoke: false } });
      const audit = await system.db.auditEvent.findFirstOrThrow({ where: { subjectType: 'forensic_request', subjectId: id, action: 'forensics.declined' } });
      expect(audit.data).toMatchObject({ reason: 'Not during the sale.', ip: TENANT_IP, userAgent: TENANT_UA });
    });
    expect(await system.db.forensicArtifact.count({ where: { requestId: id } })).toBe(0);
  });

  it('maps bad links to the right codes: unknown or tampered 404, expired or foreign 403', async () => {
    const f = await caseFor('links');
    const other = await caseFor('links-other');
    const { id } = await staff().forensics.propose(proposal(f));
    const row = await system.db.forensicRequest.findUniqueOrThrow({ where: { id } });
    await system.tw.runUntil(async () => {
      const token = await consentToken(f.contact);
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(tenant().forensicConsent.view({ token: tampered })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(tenant().forensicConsent.decide({ token: tampered, approve: true, name: 'Mallory', email: 'm@evil.example' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(tenant().forensicConsent.revoke({ token: tampered, name: 'Mallory' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(tenant().forensicConsent.view({ token: 'short' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // A tenant case link is not a consent link: no more said than for a made-up token.
      const caseLink = await createAccessLink({ purpose: TENANT_CASE_LINK, subjectId: f.kase.id, tenantId: f.tenant.id, ttlMs: 60_000 }, system.db);
      await expect(tenant().forensicConsent.view({ token: caseLink.token })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const expired = await createAccessLink({ purpose: FORENSIC_CONSENT_LINK, subjectId: id, tenantId: f.tenant.id, ttlMs: 1 }, system.db);
      await new Promise((r) => setTimeout(r, 10));
      await expect(tenant().forensicConsent.view({ token: expired.token })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/expired/i) });
      await expect(tenant().forensicConsent.decide({ token: expired.token, approve: true, name: 'Dana', email: 'dana@tenant.example' })).rejects.toMatchObject({ code: 'FORBIDDEN' });

      // A link bound to another tenant never opens this tenant's request.
      const foreign = await createAccessLink({ purpose: FORENSIC_CONSENT_LINK, subjectId: id, tenantId: other.tenant.id, ttlMs: 60_000 }, system.db);
      await expect(tenant().forensicConsent.view({ token: foreign.token })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(tenant().forensicConsent.decide({ token: foreign.token, approve: true, name: 'Eve', email: 'eve@other.example' })).rejects.toMatchObject({ code: 'FORBIDDEN' });

      // None of that decided anything: the real link still can.
      expect(await tenant().forensicConsent.view({ token })).toMatchObject({ state: 'proposed', can: { decide: true } });
      await terminate(row.workflowId);
    });
    expect((await system.db.forensicRequest.findUniqueOrThrow({ where: { id } })).decision).toBeNull();
  });
});
