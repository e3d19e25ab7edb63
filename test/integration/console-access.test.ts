// The console's access procedures through createCaller with real sessions (second factors enrolled and checked with
// real TOTP codes), against a real PostgreSQL, the integration Temporal dev server with a real worker, and the mail
// catcher; POST /api/access/actions called as Next calls it. The tenant's lockbox procedures use the link from the
// real consent mail.
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accessWorkflowId } from '../../domain/access/contracts';
import type { Role } from '../../domain/roles';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { NO_SECOND_FACTOR_MESSAGE, STEP_UP_REQUIRED_MESSAGE, TOTP_PERIOD_SECONDS, totpStepAt } from '../../lib/mfa';
import { createSession, SESSION_COOKIE } from '../../lib/session';
import { POST } from '../../web/app/api/access/actions/route';
import { createContext } from '../../web/server/context';
import { createCaller } from '../../web/server/root';
import { createCaseFixtures, HOSTILE, type CaseFixtures } from '../support/case-fixtures';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';
import { eventually } from '../support/eventually';

let system: WorkerSystem;
let fx: CaseFixtures;
let mailbox: Mailbox;

type Caller = ReturnType<typeof createCaller>;
interface Staff {
  id: string;
  name: string;
  /** A session that passed a TOTP step-up. */
  stepped: Caller;
  /** Another session of the same person that never did. */
  plain: Caller;
}
const staff = {} as Record<'analyst' | 'otherAnalyst' | 'approver' | 'admin', Staff>;

/** The code an authenticator app shows `stepOffset` steps from now. */
const codeAt = (secret: string, stepOffset = 0) => generate({ secret, epoch: (totpStepAt(new Date()) + stepOffset) * TOTP_PERIOD_SECONDS });

/** A signed-in session as a request with its cookie has it. */
async function signIn(userId: string, ip = '198.51.100.10'): Promise<Caller> {
  const { token } = await createSession(db(), userId, {});
  const req = new Request('http://console.test/api/trpc', { headers: { cookie: `${SESSION_COOKIE}=${token}`, 'x-forwarded-for': ip } });
  const ctx = await createContext({ req, resHeaders: new Headers() });
  if (!ctx.user) throw new Error('the session did not sign in');
  return createCaller(ctx);
}

async function makeStaff(email: string, name: string, role: Role, secondFactor: boolean): Promise<Staff> {
  const u = await db().user.create({ data: { email, name, role, passwordHash: 'unused' } });
  const stepped = await signIn(u.id);
  if (secondFactor) {
    // Enrolled through the mfa procedures as on the Security page, then a step-up with the next code.
    const { secret } = await stepped.mfa.totpBegin();
    await stepped.mfa.totpConfirm({ code: await codeAt(secret) });
    await stepped.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) });
  }
  return { id: u.id, name, stepped, plain: await signIn(u.id) };
}

beforeAll(async () => {
  system = await startWorkerSystem('console-access');
  process.env.DATABASE_URL = system.database.url;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.PUBLIC_URL = 'http://console.test';
  process.env.TEMPORAL_TASK_QUEUE = system.tw.taskQueue;
  // One step-up per person lasts the whole file, however slow the machine.
  process.env.STEP_UP_MAX_AGE = '1 hour';
  resetConfigForTests();
  mailbox = createMailbox(system.catcher.apiUrl);
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox });
  staff.analyst = await makeStaff('ana@console.test', 'Ana Lyst', 'analyst', true);
  staff.otherAnalyst = await makeStaff('otto@console.test', 'Otto Other', 'analyst', false);
  staff.approver = await makeStaff('marcus@console.test', 'Marcus Approver', 'approver', true);
  staff.admin = await makeStaff('sofia@console.test', 'Sofia Admin', 'admin', true);
});

afterAll(async () => {
  const open = await system?.db.accessRequest.findMany({ select: { id: true } });
  for (const r of open ?? []) await system.tw.client.workflow.getHandle(accessWorkflowId(r.id)).terminate('test finished').catch(() => undefined);
  await db().$disconnect();
  await system?.close();
});

const deploymentRequest = (deploymentId: string, over: Record<string, unknown> = {}) => ({
  targetKind: 'deployment' as const,
  deploymentId,
  level: 'read' as const,
  customerData: false,
  reason: `Check the web server's logs for ${HOSTILE}`,
  durationMinutes: 60,
  ...over,
});


const rowState = (id: string) => system.db.accessRequest.findUniqueOrThrow({ where: { id }, select: { state: true } }).then((r) => r.state);

function postAction(body: unknown, opts: { token?: string; contentType?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  return POST(new Request('http://console.test/api/access/actions', { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) }));
}

describe('asking for access', () => {
  it('needs a fresh second-factor check: without one the request is refused with PRECONDITION_FAILED and nothing is stored', async () => {
    const f = await fx.makeTenant('stepup');
    await expect(staff.analyst.plain.access.create(deploymentRequest(f.deployment.id))).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: STEP_UP_REQUIRED_MESSAGE,
    });
    // No second factor at all: the same code, and the message says where to add one.
    await expect(staff.otherAnalyst.stepped.access.create(deploymentRequest(f.deployment.id))).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: NO_SECOND_FACTOR_MESSAGE,
    });
    expect(await system.db.accessRequest.count({ where: { deploymentId: f.deployment.id } })).toBe(0);
  });

  it('shows the policy for a target, refuses what it does not allow, and lists a request for approvers only', async () => {
    const f = await fx.makeTenant('ask');
    const policy = await staff.analyst.plain.access.policy({ target: { targetKind: 'deployment', level: 'read', customerData: true } });
    expect(policy.preview).toMatchObject({ rule: 'customer data', approvals: 2, tenantConsent: true, maxMinutes: 240 });
    expect(policy.infraScopes).toContain('network');
    const targets = await staff.analyst.plain.access.targets();
    expect(targets.deployments).toContainEqual(expect.objectContaining({ id: f.deployment.id, tenantName: f.tenant.name }));

    await expect(staff.analyst.stepped.access.create(deploymentRequest(f.deployment.id, { durationMinutes: 10_000 }))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/allows grants of 1 to 480 minutes/),
    });
    await expect(staff.analyst.stepped.access.create(deploymentRequest(f.deployment.id, { reason: 'short' }))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(staff.analyst.stepped.access.create(deploymentRequest('00000000-0000-4000-8000-000000000000'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const created = await staff.analyst.stepped.access.create(deploymentRequest(f.deployment.id));
    expect(created).toMatchObject({ state: 'pending', requiredApprovals: 1, tenantConsentRequired: false });
    const row = await system.db.accessRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(row).toMatchObject({ requesterId: staff.analyst.id, requestStepUp: 'totp', reason: deploymentRequest(f.deployment.id).reason });

    expect((await staff.analyst.plain.access.mine()).items.map((r) => r.id)).toContain(created.id);
    expect((await staff.approver.plain.access.waitingForMe()).items).toContainEqual(
      expect.objectContaining({ id: created.id, requester: { id: staff.analyst.id, name: 'Ana Lyst' }, target: `${f.deployment.name} (${f.tenant.name})` }),
    );
    expect((await staff.admin.plain.access.waitingForMe()).items.map((r) => r.id)).toContain(created.id);
    expect((await staff.analyst.plain.access.waitingForMe()).items).toEqual([]);
    expect((await staff.otherAnalyst.plain.access.waitingForMe()).items).toEqual([]);

    // Analysts see their own requests only.
    await expect(staff.otherAnalyst.plain.access.get({ id: created.id })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/own access requests/) });
    const view = await staff.approver.plain.access.get({ id: created.id });
    expect(view).toMatchObject({ state: 'pending', isRequester: false, can: { decide: true, withdraw: false, end: false, issueToolToken: false } });
    expect(view.timeline.map((e) => e.action)).toContain('access.requested');
    // Withdrawn by its requester, it leaves the approvers' list.
    await system.tw.runUntil(async () => {
      await expect(staff.otherAnalyst.plain.access.end({ id: created.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await staff.analyst.plain.access.end({ id: created.id, reason: 'asked by mistake' });
      await eventually(async () => (await rowState(created.id)) === 'cancelled', 'the withdrawal');
    });
    expect((await staff.approver.plain.access.waitingForMe()).items.map((r) => r.id)).not.toContain(created.id);
    expect((await staff.analyst.plain.access.history()).items.map((r) => r.id)).toContain(created.id);
  });
});

describe('deciding', () => {
  it('refuses analysts, approvers without a fresh check, and self-approval, with clear messages', async () => {
    const f = await fx.makeTenant('self');
    await system.tw.runUntil(async () => {
      const own = await staff.approver.stepped.access.create(deploymentRequest(f.deployment.id, { level: 'operate' }));
      expect((await staff.approver.plain.access.waitingForMe()).items.map((r) => r.id)).not.toContain(own.id);
      expect((await staff.approver.plain.access.get({ id: own.id })).can.decide).toBe(false);

      await expect(staff.analyst.stepped.access.decide({ id: own.id, approve: true })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'This needs the approver role; you are analyst.',
      });
      await expect(staff.admin.plain.access.decide({ id: own.id, approve: true })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
      await expect(staff.approver.stepped.access.decide({ id: own.id, approve: true })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'You cannot approve your own request.',
      });
      expect(await system.db.accessApproval.count({ where: { requestId: own.id } })).toBe(0);

      // The admin denies it; a second decision is refused.
      await expect(staff.admin.stepped.access.decide({ id: own.id, approve: false, comment: 'Use read access.' })).resolves.toMatchObject({ state: 'denied' });
      await expect(staff.admin.stepped.access.decide({ id: own.id, approve: true })).rejects.toMatchObject({ code: 'CONFLICT' });
      await eventually(async () => (await rowState(own.id)) === 'denied', 'the denial');
      const view = await staff.approver.plain.access.get({ id: own.id });
      expect(view.approvals).toEqual([expect.objectContaining({ approverName: 'Sofia Admin', decision: 'deny', comment: 'Use read access.', stepUpMethod: 'totp' })]);
    });
  });

  it('approves into an active grant; the holder gets a tool token, tools report actions, and the grant ends early', async () => {
    const f = await fx.makeTenant('grant');
    await system.tw.runUntil(async () => {
      const { id } = await staff.analyst.stepped.access.create(deploymentRequest(f.deployment.id));
      await expect(staff.approver.stepped.access.decide({ id, approve: true, comment: 'Go ahead.' })).resolves.toMatchObject({ id });
      await eventually(async () => (await rowState(id)) === 'active', 'the grant');

      expect((await staff.analyst.plain.access.active()).items).toContainEqual(expect.objectContaining({ id, grant: expect.objectContaining({ endedAt: null }) }));
      expect((await staff.admin.plain.access.active()).items.map((r) => r.id)).toContain(id);
      expect((await staff.otherAnalyst.plain.access.active()).items.map((r) => r.id)).not.toContain(id);

      const held = await staff.analyst.plain.access.get({ id });
      expect(held).toMatchObject({ state: 'active', isRequester: true, can: { issueToolToken: true, end: true, decide: false }, grant: { active: true, hasToolToken: false } });
      expect(held.approvals).toEqual([expect.objectContaining({ approverName: 'Marcus Approver', decision: 'approve', comment: 'Go ahead.' })]);
      expect(held.grant!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
      // The holder looking at the grant is recorded under it, once per while, not on every refresh.
      expect(held.grant!.actions.filter((a) => a.action === 'console.viewed')).toHaveLength(1);
      await staff.analyst.plain.access.get({ id });
      expect(await system.db.grantAction.count({ where: { grantId: held.grant!.id, action: 'console.viewed' } })).toBe(1);
      // Approvers looking are not the holder acting.
      await staff.approver.plain.access.get({ id });
      expect(await system.db.grantAction.count({ where: { grantId: held.grant!.id, actorId: staff.approver.id } })).toBe(0);

      await expect(staff.approver.plain.access.issueToolToken({ id })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/Only the requester/) });
      const { token, endpoint } = await staff.analyst.plain.access.issueToolToken({ id });
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(endpoint).toBe('http://console.test/api/access/actions');

      // A tool reports an action with the token.
      const ok = await postAction({ action: 'ssh.login', target: 'web-1', detail: { command: 'tail -f /var/log/nginx/error.log' } }, { token });
      expect(ok.status).toBe(201);
      const { id: actionId } = (await ok.json()) as { id: string };
      await expect(system.db.grantAction.findUniqueOrThrow({ where: { id: actionId } })).resolves.toMatchObject({
        grantId: held.grant!.id,
        actorId: staff.analyst.id,
        source: 'api',
        action: 'ssh.login',
        target: 'web-1',
        detail: { command: 'tail -f /var/log/nginx/error.log' },
      });
      // Refusals, each with its status and a JSON message; nothing recorded for them.
      const bad = await postAction({ action: 'x' }, { token: 'A'.repeat(43) });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: 'invalid_token', message: expect.any(String) });
      expect((await postAction({ action: 'x' })).status).toBe(401);
      expect((await postAction({ action: 'x' }, { token, contentType: 'text/plain' })).status).toBe(415);
      expect((await postAction(null, { token, raw: JSON.stringify({ action: 'x', detail: 'y'.repeat(17_000) }) })).status).toBe(413);
      const invalid = await postAction({ action: '', extra: 1 }, { token });
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toMatchObject({ error: 'invalid_body', message: expect.stringMatching(/action/) });
      expect((await postAction(null, { token, raw: '{not json' })).status).toBe(400);
      expect(await system.db.grantAction.count({ where: { grantId: held.grant!.id, source: 'api' } })).toBe(1);

      // Only the holder or an approver may end it; the holder ends it early.
      await expect(staff.otherAnalyst.plain.access.end({ id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(staff.analyst.plain.access.end({ id, reason: 'done early' })).resolves.toMatchObject({ id, endedAt: expect.any(String) });
      const after = await postAction({ action: 'ssh.login' }, { token });
      expect(after.status).toBe(403);
      expect(await after.json()).toMatchObject({ error: 'grant_ended', message: expect.stringMatching(/ended/) });
      await eventually(async () => (await rowState(id)) === 'ended', 'the revocation');

      const ended = await staff.analyst.plain.access.get({ id });
      expect(ended).toMatchObject({ state: 'ended', can: { end: false, issueToolToken: false }, grant: { active: false, hasToolToken: true } });
      expect(ended.grant!.revokedAt).toBeInstanceOf(Date);
      expect(ended.grant!.actions.map((a) => a.action).sort()).toEqual(['console.end_requested', 'console.tool_token_issued', 'console.viewed', 'grant.ended_early', 'ssh.login']);
      // Each action names who did it: here the holder, by name.
      expect(ended.grant!.actions.find((a) => a.action === 'grant.ended_early')?.actor).toMatchObject({ label: 'Ana Lyst' });
      expect(ended.timeline.map((e) => e.action)).toEqual(
        expect.arrayContaining(['access.requested', 'access.approved_by', 'access.granted', 'access.tool_token_issued', 'access.action', 'access.ended', 'access.revoked']),
      );
      expect((await staff.analyst.plain.access.active()).items.map((r) => r.id)).not.toContain(id);
      expect((await staff.admin.plain.access.history()).items.map((r) => r.id)).toContain(id);
      expect((await staff.otherAnalyst.plain.access.history()).items.map((r) => r.id)).not.toContain(id);
      await expect(staff.analyst.plain.access.issueToolToken({ id })).rejects.toMatchObject({ code: 'CONFLICT' });
    });
  });
});

describe("the tenant's lockbox page procedures", () => {
  it('shows the text of the consent mail, takes one answer with who gave it, and refuses the used link', async () => {
    const f = await fx.makeTenant('lockbox');
    await system.tw.runUntil(async () => {
      const { id, tenantConsentRequired } = await staff.analyst.stepped.access.create(deploymentRequest(f.deployment.id, { customerData: true }));
      expect(tenantConsentRequired).toBe(true);
      const mail = await mailbox.waitForMessage((m) => m.To.some((t) => t.Address === f.contact) && m.Subject.includes('consent'), { timeoutMs: 30_000 });
      const token = /http:\/\/console\.test\/l\/([A-Za-z0-9_-]{43})/.exec(mail.Text)?.[1];
      if (!token) throw new Error(`no lockbox link in:\n${mail.Text}`);

      const tenant = createCaller({ user: null, secure: false, resHeaders: new Headers(), ip: '203.0.113.5', userAgent: 'Tenant browser' });
      const headers = new Headers();
      const view = await createCaller({ user: null, secure: false, resHeaders: headers }).accessConsent.view({ token });
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(view).toMatchObject({ requestId: id, state: 'pending', tenantConsent: null, canDecide: true, tenantName: f.tenant.name });
      // Exactly what the mail said, line by line (the reason with its markup, as text).
      for (const line of view.text.split('\n')) expect(mail.Text).toContain(line);
      expect(view.text).toContain(HOSTILE);

      await expect(tenant.accessConsent.decide({ token, approve: true, name: '  ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(tenant.accessConsent.decide({ token, approve: true, name: 'Dana Owner' })).resolves.toMatchObject({ decision: 'approved' });
      // Reopened, the link shows the answer it gave and takes no other.
      await expect(tenant.accessConsent.view({ token })).resolves.toMatchObject({ canDecide: false, answer: { decision: 'approved', name: 'Dana Owner' } });
      await expect(tenant.accessConsent.decide({ token, approve: false, name: 'Dana Owner' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(tenant.accessConsent.view({ token: 'x'.repeat(43) })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const consent = await eventually(async () => (await staff.approver.plain.access.get({ id })).tenantConsent.decision && (await staff.approver.plain.access.get({ id })).tenantConsent, 'the consent');
      expect(consent).toMatchObject({ required: true, decision: 'approved', by: { name: 'Dana Owner', email: f.contact, ip: '203.0.113.5', userAgent: 'Tenant browser', textShown: view.text } });
    });
  });
});
