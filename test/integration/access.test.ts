// Just-in-time access on a real Temporal dev server, worker, PostgreSQL and mail catcher: the workflow itself refuses
// self-approval, a second decision, approvers outside the pool and stale second-factor checks; N distinct approvals
// (and the tenant's consent by a single-use link when customer data is in scope) grant access through the provider;
// the grant ends by time or early and is revoked until the provider confirms it; actions under it stop with it, and
// its ending is the last action recorded under it. A used lockbox link shows the answer given with it; the tenant
// hears once when the access they allowed has ended.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_CONSENT_LINK, accessWorkflowId, type AccessSnapshot, type ApprovalInput, type StepUpProof } from '../../domain/access/contracts';
import { DEFAULT_ACCESS_POLICY, type AccessPolicy } from '../../domain/access/policy';
import { FORENSIC_CONSENT_LINK } from '../../domain/forensics/contracts';
import {
  accessSnapshot,
  decideAccess,
  decideTenantConsent,
  endAccess,
  grantForToolToken,
  issueToolToken,
  recordGrantAction,
  requestAccess,
  viewTenantConsent,
  type RequestAccessInput,
} from '../../lib/access';
import { createAccessActivities } from '../../activities/access';
import { createAccessLink, revokeAccessLinks } from '../../lib/access-links';
import { LocalAccessProvider, type AccessBinding, type AccessProvider } from '../../lib/access-provider';
import { resetConfigForTests } from '../../lib/config';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { approveUpdate, tenantConsentUpdate, type accessRequestWorkflow } from '../../workflows/access';
import { createCaseFixtures, type CaseFixtures } from '../support/case-fixtures';
import { maybeRecordHistory } from '../support/histories';
import { startTestWorker, type TestWorker } from '../support/worker';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

/** The local provider, except that revocations of an armed principal fail a given number of times first. */
class FlakyRevokeProvider implements AccessProvider {
  readonly name = 'flaky-local';
  private readonly principals = new Map<string, string>();
  private readonly failures = new Map<string, number>();
  readonly revokeCalls = new Map<string, number>();
  constructor(private readonly inner: LocalAccessProvider) {}
  failRevokes(principal: string, times: number) {
    this.failures.set(principal, times);
  }
  async grant(binding: AccessBinding) {
    const r = await this.inner.grant(binding);
    this.principals.set(r.ref, binding.principal);
    return r;
  }
  async revoke(ref: string) {
    const principal = this.principals.get(ref) ?? '';
    this.revokeCalls.set(principal, (this.revokeCalls.get(principal) ?? 0) + 1);
    const left = this.failures.get(principal) ?? 0;
    if (left > 0) {
      this.failures.set(principal, left - 1);
      throw new Error('the IAM API is unavailable (test)');
    }
    await this.inner.revoke(ref);
  }
  isRevoked(ref: string) {
    return this.inner.isRevoked(ref);
  }
}

let system: WorkerSystem;
let tw: TestWorker;
let fx: CaseFixtures;
let mailbox: Mailbox;
let provider: FlakyRevokeProvider;

beforeAll(async () => {
  process.env.PUBLIC_URL = 'http://console.test';
  resetConfigForTests();
  system = await startWorkerSystem('access');
  provider = new FlakyRevokeProvider(new LocalAccessProvider(system.db));
  tw = await startTestWorker({ db: system.db, mailer: system.mailer, accessProvider: provider });
  mailbox = createMailbox(system.catcher.apiUrl);
  fx = createCaseFixtures({ db: system.db, client: tw.client, mailbox });
});

afterAll(async () => {
  await tw?.close();
  await system?.close();
});

type Role = 'analyst' | 'approver' | 'admin';

async function makeUser(role: Role, tag: string) {
  const n = randomUUID().slice(0, 8);
  return system.db.user.create({ data: { email: `${tag}-${n}@safeguard.test`, name: `${tag[0]!.toUpperCase()}${tag.slice(1)} ${n}`, passwordHash: 'not-a-hash', role } });
}

const fresh = (): StepUpProof => ({ method: 'totp', at: new Date().toISOString() });
const deps = () => ({ db: system.db, temporal: tw.client, taskQueue: tw.taskQueue });
const handle = (requestId: string) => tw.client.workflow.getHandle<typeof accessRequestWorkflow>(accessWorkflowId(requestId));
const approval = (user: { id: string; role: Role }, approve = true, stepUp: StepUpProof = fresh()): ApprovalInput => ({ approverId: user.id, approverRole: user.role, approve, stepUp });

async function ask(requester: { id: string }, over: Partial<RequestAccessInput>) {
  return requestAccess(deps(), {
    requesterId: requester.id,
    targetKind: 'infrastructure',
    infraScope: 'network',
    level: 'read',
    customerData: false,
    reason: 'Investigate packet loss on the edge routers.',
    durationMinutes: 60,
    stepUp: fresh(),
    ...over,
  });
}

async function waitFor(requestId: string, pred: (s: AccessSnapshot) => boolean, timeoutMs = 30_000): Promise<AccessSnapshot> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await accessSnapshot(tw.client, requestId);
    if (pred(s)) return s;
    if (Date.now() > until) throw new Error(`request ${requestId} did not get there; last: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The workflow's own refusal type for an update sent straight through the Temporal client. */
async function refusalOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
    throw err;
  }
  return undefined;
}

const auditActions = async (requestId: string) =>
  (await system.db.auditEvent.findMany({ where: { subjectType: 'access_request', subjectId: requestId }, orderBy: { seq: 'asc' } })).map((e) => e.action);

const mailTo = (address: string, subject: string) =>
  mailbox.waitForMessage((m) => m.To.some((t) => t.Address === address) && m.Subject.includes(subject), { timeoutMs: 20_000, intervalMs: 100 });

async function mailCount(address: string, subject = '') {
  const page = await mailbox.listMessages({ limit: 500 });
  return page.messages.filter((m) => m.To.some((t) => t.Address === address) && m.Subject.includes(subject)).length;
}

/** The ending recorded under a grant: who, how, and when (the grant's own end). */
const grantActions = (grantId: string) => system.db.grantAction.findMany({ where: { grantId }, orderBy: { at: 'asc' } });

describe('just-in-time access', () => {
  it('refuses self-approval in the workflow itself, and lets the requester withdraw', async () => {
    const requester = await makeUser('approver', 'selfie');
    await makeUser('approver', 'colleague');
    const analyst = await makeUser('analyst', 'bystander');
    const req = await ask(requester, {});
    const outcome = await tw.runUntil(async () => {
      const h = handle(req.id);
      // Straight to the workflow, as a page that forgot the check would send it.
      expect(await refusalOf(h.executeUpdate(approveUpdate, { args: [approval(requester)] }))).toBe('SelfApproval');
      await expect(decideAccess(deps(), req.id, approval(requester))).rejects.toMatchObject({ code: 'forbidden', refusal: 'SelfApproval', message: 'You cannot approve your own request.' });
      await expect(decideAccess(deps(), req.id, approval(analyst))).rejects.toMatchObject({ code: 'forbidden', refusal: 'NotApprover' });
      // A role claimed by the caller does not count: the analyst is an analyst in the database.
      await expect(decideAccess(deps(), req.id, { ...approval(analyst), approverRole: 'admin' })).rejects.toMatchObject({ refusal: 'NotApprover' });
      // Someone who does not exist cannot decide, and the refusal leaves the request waiting for real approvers.
      const ghost = { id: randomUUID(), role: 'approver' as const };
      expect(await refusalOf(h.executeUpdate(approveUpdate, { args: [approval(ghost)] }))).toBe('DecisionNotRecorded');
      await expect(decideAccess(deps(), req.id, approval(ghost))).rejects.toMatchObject({ code: 'forbidden' });
      expect(await accessSnapshot(tw.client, req.id)).toMatchObject({ state: 'pending', approvals: [] });
      // Not a tenant-consent request.
      expect(await refusalOf(h.executeUpdate(tenantConsentUpdate, { args: [{ approve: true, by: { name: 'x', email: 'x@tenant.example', textShown: 'x' } }] }))).toBe('ConsentNotRequired');
      // Only the requester withdraws a pending request.
      await expect(endAccess(deps(), req.id, { userId: analyst.id, role: 'analyst' })).rejects.toMatchObject({ code: 'forbidden', refusal: 'NotAllowedToEnd' });
      const s = await endAccess(deps(), req.id, { userId: requester.id, role: 'approver', reason: 'Found it in the logs.' });
      expect(s).toMatchObject({ state: 'cancelled', approvals: [] });
      return h.result();
    });
    expect(outcome).toBe('cancelled');
    await maybeRecordHistory('access-withdrawn', handle(req.id));
    expect(await system.db.accessApproval.count({ where: { requestId: req.id } })).toBe(0);
    await expect(system.db.accessRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ state: 'cancelled', closedReason: 'withdrawn by the requester: Found it in the logs.' });
    expect(await system.db.accessGrant.count({ where: { requestId: req.id } })).toBe(0);
    expect(await auditActions(req.id)).toEqual(['access.requested', 'access.email_sent', 'access.cancelled']);
  });

  it('needs N distinct approvers from the pool, then grants, and revokes when the grant runs out', async () => {
    const requester = await makeUser('analyst', 'operator');
    const [a, b, outsider] = [await makeUser('approver', 'alice'), await makeUser('admin', 'bob'), await makeUser('approver', 'carol')];
    const policy: AccessPolicy = {
      ...DEFAULT_ACCESS_POLICY,
      rules: [{ name: 'infrastructure admin', match: { targetKind: 'infrastructure', levels: ['admin'] }, approvals: 2, approvers: [a.email, b.email], tenantConsent: false, maxDuration: '4 hours' }, ...DEFAULT_ACCESS_POLICY.rules],
    };
    const req = await ask(requester, { level: 'admin', infraScope: 'hypervisors', policy, durationOverride: '4 seconds' });
    expect(req).toMatchObject({ requiredApprovals: 2, policyRule: 'infrastructure admin' });
    expect([...req.approverPool].sort()).toEqual([a.id, b.id].sort());
    const outcome = await tw.runUntil(async () => {
      const h = handle(req.id);
      await mailTo(a.email, 'asks for admin access');
      await mailTo(b.email, 'asks for admin access');
      const first = await decideAccess(deps(), req.id, { ...approval(a), comment: 'Change ticket 4711.' });
      expect(first.state).toBe('pending');
      expect(first.approvals.map((x) => x.approverId)).toEqual([a.id]);
      expect(await refusalOf(h.executeUpdate(approveUpdate, { args: [approval(a)] }))).toBe('AlreadyDecided');
      expect(await refusalOf(h.executeUpdate(approveUpdate, { args: [approval(outsider)] }))).toBe('NotInApproverPool');
      await expect(decideAccess(deps(), req.id, approval(outsider))).rejects.toMatchObject({ code: 'forbidden', refusal: 'NotInApproverPool' });
      expect((await accessSnapshot(tw.client, req.id)).state).toBe('pending');
      expect(await system.db.accessGrant.count({ where: { requestId: req.id } })).toBe(0);
      await decideAccess(deps(), req.id, approval(b));
      const active = await waitFor(req.id, (s) => s.state === 'active');
      const grant = await system.db.accessGrant.findUniqueOrThrow({ where: { requestId: req.id } });
      expect(active.grantId).toBe(grant.id);
      const binding = await system.db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: grant.id } });
      expect(binding).toMatchObject({ principal: requester.email, scope: 'infrastructure:hypervisors', level: 'admin', revokedAt: null });
      expect(grant.providerRef).toBe(binding.id);
      await mailTo(requester.email, 'Access granted');
      // A decision after the grant is refused: the request takes no more.
      await expect(decideAccess(deps(), req.id, approval(outsider))).rejects.toMatchObject({ refusal: 'NotInApproverPool' });
      return h.result();
    });
    expect(outcome).toBe('ended');
    await maybeRecordHistory('access-granted-expired', handle(req.id));
    const row = await system.db.accessRequest.findUniqueOrThrow({ where: { id: req.id }, include: { grant: true, approvals: true } });
    expect(row).toMatchObject({ state: 'ended', closedReason: 'expired' });
    expect(row.approvals.map((x) => x.approverId).sort()).toEqual([a.id, b.id].sort());
    // The workflow keeps the times as stored; recording a decision again (a workflow task run again) hands back the
    // first one's time and writes nothing.
    const snapshot = await tw.runUntil(() => accessSnapshot(tw.client, req.id));
    expect(snapshot.approvals.map((x) => [x.approverId, x.at]).sort()).toEqual(row.approvals.map((x) => [x.approverId, x.at.toISOString()]).sort());
    const aRow = row.approvals.find((x) => x.approverId === a.id)!;
    const again = await createAccessActivities({ db: system.db, mailer: system.mailer }).recordAccessApproval({ requestId: req.id, approval: approval(a), at: new Date(aRow.at.getTime() + 157).toISOString() });
    expect(again).toEqual({ at: aRow.at.toISOString() });
    expect((await auditActions(req.id)).filter((x) => x === 'access.approved_by')).toHaveLength(2);
    expect(row.grant).toMatchObject({ endReason: 'expired', endedBy: 'system', revokeAttempts: 1 });
    expect(row.grant!.revokedAt!.getTime()).toBeGreaterThanOrEqual(row.grant!.expiresAt.getTime());
    expect(row.grant!.expiresAt.getTime() - row.grant!.issuedAt.getTime()).toBeGreaterThanOrEqual(3_900);
    await expect(system.db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: row.grant!.id } })).resolves.toMatchObject({ revokedAt: expect.any(Date) });
    // The expiry is an action under the grant like any other, at the moment the grant ended.
    const actions = await grantActions(row.grant!.id);
    expect(actions).toEqual([expect.objectContaining({ actorId: 'system', source: 'workflow', action: 'grant.expired', detail: { reason: 'expired' }, at: row.grant!.endedAt })]);
    const ended = await mailTo(requester.email, 'Access ended');
    expect(ended.Text).toContain('expired');
    expect(await mailCount(outsider.email)).toBe(0);
    expect(await auditActions(req.id)).toEqual([
      'access.requested',
      'access.email_sent',
      'access.approved_by',
      'access.approved_by',
      'access.approved',
      'access.granted',
      'access.email_sent',
      'access.ended',
      'access.revoked',
      'access.email_sent',
    ]);
  });

  it('expires when the approval window passes without enough approvals', async () => {
    const requester = await makeUser('analyst', 'patient');
    const approver = await makeUser('approver', 'busy');
    const req = await ask(requester, { approvalWindow: '3 seconds' });
    const outcome = await tw.runUntil(() => handle(req.id).result());
    expect(outcome).toBe('expired');
    await maybeRecordHistory('access-expired', handle(req.id));
    await expect(system.db.accessRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ state: 'expired', decidedAt: null });
    expect(await system.db.accessGrant.count({ where: { requestId: req.id } })).toBe(0);
    await mailTo(requester.email, 'Access request expired');
    // The workflow is gone: a late approval is refused, not lost in silence.
    await expect(decideAccess(deps(), req.id, approval(approver))).rejects.toMatchObject({ code: 'conflict' });
    expect(await auditActions(req.id)).toContain('access.expired');
  });

  it("grants customer-data access only after two approvals and the tenant's consent by a single-use link", async () => {
    const requester = await makeUser('analyst', 'lockbox');
    const [a, b] = [await makeUser('approver', 'dora'), await makeUser('approver', 'ezra')];
    const f = await fx.makeTenant('lockbox');
    const other = await fx.makeTenant('lockbox-other');
    const req = await ask(requester, { targetKind: 'deployment', infraScope: undefined, deploymentId: f.deployment.id, customerData: true, level: 'read', reason: 'Customer reports lost mail; check the queue contents.', durationMinutes: 120 });
    expect(req).toMatchObject({ requiredApprovals: 2, tenantConsentRequired: true, tenantId: f.tenant.id, policyRule: 'customer data' });
    const { outcome, token } = await tw.runUntil(async () => {
      const mail = await mailTo(f.contact, 'Your consent is needed');
      expect(mail.Text).toContain(f.deployment.name);
      expect(mail.Text).toContain(requester.name);
      expect(mail.Text).toContain('Customer reports lost mail');
      expect(mail.Text).toContain('2 hours');
      const token = /http:\/\/console\.test\/l\/([A-Za-z0-9_-]{43})/.exec(mail.Text)?.[1];
      if (!token) throw new Error(`no consent link in:\n${mail.Text}`);

      const view = await viewTenantConsent(system.db, token);
      expect(view).toMatchObject({ requestId: req.id, state: 'pending', tenantConsent: null, canDecide: true, deploymentName: f.deployment.name, requesterName: requester.name });
      expect(view.text).toContain('including the customer data');
      expect(view.deadline.getTime()).toBe(req.approvalDeadline.getTime());

      // Links that are not this tenant's consent link for this request.
      const foreign = await createAccessLink({ purpose: ACCESS_CONSENT_LINK, subjectId: req.id, tenantId: other.tenant.id, ttlMs: 60_000, path: '/l/' }, system.db);
      await expect(viewTenantConsent(system.db, foreign.token)).rejects.toMatchObject({ code: 'wrong-subject' });
      await expect(decideTenantConsent(deps(), foreign.token, { approve: true, name: 'Mallory' })).rejects.toMatchObject({ code: 'wrong-subject' });
      const forensic = await createAccessLink({ purpose: FORENSIC_CONSENT_LINK, subjectId: req.id, tenantId: f.tenant.id, ttlMs: 60_000 }, system.db);
      await expect(viewTenantConsent(system.db, forensic.token)).rejects.toMatchObject({ code: 'unknown' });

      // Both approvals are not enough without the tenant.
      await decideAccess(deps(), req.id, approval(a));
      const afterTwo = await decideAccess(deps(), req.id, approval(b));
      expect(afterTwo.state).toBe('pending');
      await new Promise((r) => setTimeout(r, 500));
      expect((await accessSnapshot(tw.client, req.id)).state).toBe('pending');
      expect(await system.db.providerAccessBinding.count({ where: { scope: { contains: f.deployment.id } } })).toBe(0);

      const consented = await decideTenantConsent(deps(), token, { approve: true, name: 'Dana Security', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' });
      expect(consented.tenantConsent).toBe('approved');
      // Reopened, the used link shows the answer as recorded, and takes no second one.
      const reopened = await viewTenantConsent(system.db, token);
      expect(reopened).toMatchObject({ requestId: req.id, tenantConsent: 'approved', canDecide: false });
      expect(reopened.answer).toEqual({ decision: 'approved', at: expect.any(Date), name: 'Dana Security', email: f.contact, textShown: view.text });
      await expect(decideTenantConsent(deps(), token, { approve: false, name: 'Dana Security' })).rejects.toMatchObject({ code: 'used' });
      expect((await viewTenantConsent(system.db, token)).answer).toMatchObject({ decision: 'approved', name: 'Dana Security' });
      const active = await waitFor(req.id, (s) => s.state === 'active');
      const binding = await system.db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: active.grantId! } });
      expect(binding.scope).toBe(`deployment:${f.deployment.id}:customer-data`);

      const row = await system.db.accessRequest.findUniqueOrThrow({ where: { id: req.id } });
      expect(row.tenantConsent).toBe('approved');
      expect(row.tenantConsentBy).toEqual({ name: 'Dana Security', email: f.contact, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)', textShown: view.text });
      expect((await viewTenantConsent(system.db, token)).answer!.at.getTime()).toBe(row.tenantConsentAt!.getTime());
      for (const action of ['mailq', 'postcat -q 4BC2F1']) await recordGrantAction(system.db, { grantId: active.grantId!, actorId: requester.id, source: 'api', action, target: 'mx1' });
      const ended = await endAccess(deps(), req.id, { userId: requester.id, role: 'analyst', reason: 'Done.' });
      expect(ended.endReason).toBe(`ended early by ${requester.name}`);
      return { outcome: await handle(req.id).result(), token };
    });
    expect(outcome).toBe('ended');
    await maybeRecordHistory('access-tenant-consent', handle(req.id));

    // The tenant hears, at the address the link went to, when and how it ended and how much was done under it.
    const grant = await system.db.accessGrant.findUniqueOrThrow({ where: { requestId: req.id } });
    const endMail = await mailTo(f.contact, 'has ended');
    expect(endMail.Subject).toContain(f.deployment.name);
    expect(endMail.Text).toContain(`has ended (ended early by ${requester.name}), and our access provider has confirmed that it was removed.`);
    expect(endMail.Text).toContain('2 actions were recorded under it.');
    expect(endMail.Text).toContain(`The access ended at: ${grant.endedAt!.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    // Once, however often the mail activity runs again (a retry finds it sent).
    const activities = createAccessActivities({ db: system.db, mailer: system.mailer });
    for (let retry = 0; retry < 2; retry++) {
      await expect(activities.notifyAccess({ requestId: req.id, kind: 'access_ended' })).resolves.toEqual({
        sent: [{ to: requester.email, sentNow: false }, { to: f.contact, sentNow: false }],
      });
    }
    expect(await mailCount(f.contact, 'has ended')).toBe(1);
    expect(await system.db.notification.findMany({ where: { kind: 'access_tenant_ended', toAddress: f.contact } })).toEqual([
      expect.objectContaining({ idempotencyKey: `access-grant:${grant.id}:tenant_ended`, status: 'sent' }),
    ]);

    // Used and past its time, the link still shows the answer; an unused one past its time, and a withdrawn one, say so.
    const unused = await createAccessLink({ purpose: ACCESS_CONSENT_LINK, subjectId: req.id, tenantId: f.tenant.id, ttlMs: 60_000, path: '/l/' }, system.db);
    await system.db.accessLink.updateMany({ where: { purpose: ACCESS_CONSENT_LINK, subjectId: req.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect((await viewTenantConsent(system.db, token)).answer).toMatchObject({ decision: 'approved' });
    await expect(viewTenantConsent(system.db, unused.token)).rejects.toMatchObject({ code: 'expired' });
    await revokeAccessLinks(ACCESS_CONSENT_LINK, req.id, system.db);
    await expect(viewTenantConsent(system.db, token)).rejects.toMatchObject({ code: 'revoked' });
    await expect(decideTenantConsent(deps(), token, { approve: false, name: 'Dana Security' })).rejects.toMatchObject({ code: 'revoked' });
    const actions = await auditActions(req.id);
    expect(actions.filter((x) => x === 'access.tenant_consented')).toHaveLength(1);
    expect(actions.indexOf('access.granted')).toBeGreaterThan(actions.indexOf('access.tenant_consented'));
    const consent = await system.db.auditEvent.findFirstOrThrow({ where: { subjectId: req.id, action: 'access.tenant_consented' } });
    expect(consent).toMatchObject({ actorType: 'tenant', actorId: f.contact });
  });

  it('is denied when the tenant declines', async () => {
    const requester = await makeUser('analyst', 'declined');
    await makeUser('approver', 'fay');
    await makeUser('approver', 'gus');
    const f = await fx.makeTenant('decline');
    const req = await ask(requester, { targetKind: 'deployment', infraScope: undefined, deploymentId: f.deployment.id, customerData: true });
    const outcome = await tw.runUntil(async () => {
      const mail = await mailTo(f.contact, 'Your consent is needed');
      const token = /\/l\/([A-Za-z0-9_-]{43})/.exec(mail.Text)![1]!;
      const s = await decideTenantConsent(deps(), token, { approve: false, reason: 'Not without a ticket from us.', name: 'Dana Security' });
      expect(s).toMatchObject({ state: 'denied', tenantConsent: 'declined' });
      const reopened = await viewTenantConsent(system.db, token);
      expect(reopened).toMatchObject({ tenantConsent: 'declined', canDecide: false });
      expect(reopened.answer).toMatchObject({ decision: 'declined', name: 'Dana Security', email: f.contact, reason: 'Not without a ticket from us.', textShown: reopened.text });
      await expect(decideTenantConsent(deps(), token, { approve: true, name: 'Someone Else' })).rejects.toMatchObject({ code: 'used' });
      return handle(req.id).result();
    });
    expect(outcome).toBe('denied');
    await maybeRecordHistory('access-tenant-declined', handle(req.id));
    await expect(system.db.accessRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ state: 'denied', tenantConsent: 'declined', closedReason: 'denied by the tenant (Dana Security)' });
    const mail = await mailTo(requester.email, 'Access denied');
    expect(mail.Text).toContain('Not without a ticket from us.');
    expect(await system.db.accessGrant.count({ where: { requestId: req.id } })).toBe(0);
    expect(await auditActions(req.id)).toEqual(expect.arrayContaining(['access.tenant_declined', 'access.denied']));
  });

  it('ends early by the requester or by an approver, not by an unrelated analyst; actions stop with the grant', async () => {
    const requester = await makeUser('analyst', 'early');
    const approver = await makeUser('approver', 'hana');
    const otherApprover = await makeUser('approver', 'ivan');
    const bystander = await makeUser('analyst', 'nosy');
    const f = await fx.makeTenant('early');
    const byRequester = await ask(requester, { targetKind: 'deployment', infraScope: undefined, deploymentId: f.deployment.id, level: 'operate' });
    const byApprover = await ask(requester, {});
    await tw.runUntil(async () => {
      for (const r of [byRequester, byApprover]) await decideAccess(deps(), r.id, approval(approver));
      const active = await waitFor(byRequester.id, (s) => s.state === 'active');
      await waitFor(byApprover.id, (s) => s.state === 'active');

      // Actions under the grant: a tool token for the requester only, shown once, replaced when issued again.
      await expect(issueToolToken(system.db, byRequester.id, approver.id)).rejects.toMatchObject({ code: 'forbidden' });
      const old = await issueToolToken(system.db, byRequester.id, requester.id);
      const { token } = await issueToolToken(system.db, byRequester.id, requester.id);
      await expect(grantForToolToken(system.db, old.token)).rejects.toMatchObject({ code: 'unknown' });
      const grant = await grantForToolToken(system.db, token);
      expect(grant.id).toBe(active.grantId);
      await recordGrantAction(system.db, { grantId: grant.id, actorId: requester.id, source: 'api', action: 'systemctl restart postfix', target: 'mx1', detail: { exit: 0 } });
      await recordGrantAction(system.db, { grantId: grant.id, actorId: requester.id, source: 'console', action: 'viewed queue' });
      await expect(recordGrantAction(system.db, { grantId: grant.id, actorId: bystander.id, source: 'console', action: 'looked around' })).rejects.toMatchObject({ code: 'forbidden' });

      await expect(endAccess(deps(), byRequester.id, { userId: bystander.id, role: 'analyst' })).rejects.toMatchObject({ code: 'forbidden', refusal: 'NotAllowedToEnd' });
      const ended = await endAccess(deps(), byRequester.id, { userId: requester.id, role: 'analyst', reason: 'Queue flushed.' });
      expect(ended).toMatchObject({ endReason: `ended early by ${requester.name}`, endedAt: expect.any(String) });
      // Ended means ended at once, before the provider has confirmed the revocation.
      await expect(recordGrantAction(system.db, { grantId: grant.id, actorId: requester.id, source: 'api', action: 'one more thing' })).rejects.toMatchObject({ code: 'forbidden', message: 'This grant has ended.' });
      await expect(grantForToolToken(system.db, token)).rejects.toMatchObject({ code: 'forbidden', message: 'This grant has ended.' });
      await expect(endAccess(deps(), byRequester.id, { userId: requester.id, role: 'analyst' })).rejects.toMatchObject({ code: 'conflict' });

      const second = await endAccess(deps(), byApprover.id, { userId: otherApprover.id, role: 'approver', reason: 'Incident closed.' });
      expect(second.endReason).toBe(`ended early by ${otherApprover.name}`);
      expect(await handle(byRequester.id).result()).toBe('ended');
      expect(await handle(byApprover.id).result()).toBe('ended');
    });
    await maybeRecordHistory('access-ended-early', handle(byRequester.id));
    for (const [r, by] of [[byRequester, requester], [byApprover, otherApprover]] as const) {
      const row = await system.db.accessRequest.findUniqueOrThrow({ where: { id: r.id }, include: { grant: true } });
      expect(row).toMatchObject({ state: 'ended', closedReason: `ended early by ${by.name}` });
      expect(row.grant).toMatchObject({ endedBy: by.id, revokedAt: expect.any(Date) });
      // Ended long before it would have expired.
      expect(row.grant!.expiresAt.getTime() - row.grant!.endedAt!.getTime()).toBeGreaterThan(30 * 60_000);
      await expect(system.db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: row.grant!.id } })).resolves.toMatchObject({ revokedAt: expect.any(Date) });
    }
    const actions = await system.db.grantAction.findMany({ where: { grant: { requestId: byRequester.id } }, orderBy: { at: 'asc' } });
    expect(actions.map((x) => [x.source, x.action, x.actorId])).toEqual([
      ['api', 'systemctl restart postfix', requester.id],
      ['console', 'viewed queue', requester.id],
      ['workflow', 'grant.ended_early', requester.id],
    ]);
    // An approver who is not the holder ending it: recorded under the grant all the same, with who, how and why.
    const approverGrant = await system.db.accessGrant.findUniqueOrThrow({ where: { requestId: byApprover.id } });
    const approverActions = await grantActions(approverGrant.id);
    expect(approverActions).toEqual([
      expect.objectContaining({ actorId: otherApprover.id, source: 'workflow', action: 'grant.ended_early', at: approverGrant.endedAt, detail: { reason: `ended early by ${otherApprover.name}`, comment: 'Incident closed.' } }),
    ]);
    const endAudit = await system.db.auditEvent.findFirstOrThrow({ where: { subjectId: byApprover.id, action: 'access.ended' } });
    expect(endAudit).toMatchObject({ actorType: 'user', actorId: otherApprover.id, data: expect.objectContaining({ actionId: approverActions[0]!.id }) });
    const audit = await auditActions(byRequester.id);
    expect(audit.filter((x) => x === 'access.action')).toHaveLength(2);
    expect(audit.filter((x) => x === 'access.tool_token_issued')).toHaveLength(2);
    expect(audit.slice(audit.indexOf('access.ended'))).toEqual(['access.ended', 'access.revoked', 'access.email_sent']);
    // No customer data, no consent: the tenant is not mailed when it ends.
    expect(await mailCount(f.contact)).toBe(0);
  });

  it('retries the revocation until the provider confirms it', async () => {
    const requester = await makeUser('analyst', 'sticky');
    const approver = await makeUser('approver', 'jo');
    provider.failRevokes(requester.email, 3);
    const req = await ask(requester, { durationOverride: '2 seconds' });
    const outcome = await tw.runUntil(async () => {
      await decideAccess(deps(), req.id, approval(approver));
      return handle(req.id).result();
    });
    expect(outcome).toBe('ended');
    await maybeRecordHistory('access-revoke-retried', handle(req.id));
    const grant = await system.db.accessGrant.findUniqueOrThrow({ where: { requestId: req.id } });
    expect(grant.revokeAttempts).toBeGreaterThanOrEqual(4);
    expect(provider.revokeCalls.get(requester.email)).toBe(4);
    expect(grant.revokedAt).not.toBeNull();
    await expect(system.db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: grant.id } })).resolves.toMatchObject({ revokedAt: expect.any(Date) });
    const audit = await auditActions(req.id);
    expect(audit.filter((x) => x === 'access.revoke_failed')).toHaveLength(3);
    expect(audit.filter((x) => x === 'access.revoked')).toHaveLength(1);
    await expect(system.db.accessRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ state: 'ended' });
  });

  it("records an operator's cancellation of an active grant as its revocation, and revokes it", async () => {
    const requester = await makeUser('analyst', 'halted');
    const approver = await makeUser('approver', 'lee');
    const req = await ask(requester, {});
    const outcome = await tw.runUntil(async () => {
      await decideAccess(deps(), req.id, approval(approver));
      await waitFor(req.id, (s) => s.state === 'active');
      await handle(req.id).cancel();
      return handle(req.id).result();
    });
    expect(outcome).toBe('ended');
    const grant = await system.db.accessGrant.findUniqueOrThrow({ where: { requestId: req.id } });
    expect(grant).toMatchObject({ endedBy: 'system', endReason: 'revoked: its workflow was cancelled by an operator', revokedAt: expect.any(Date) });
    expect(await grantActions(grant.id)).toEqual([
      expect.objectContaining({ actorId: 'system', source: 'workflow', action: 'grant.revoked', at: grant.endedAt, detail: { reason: grant.endReason } }),
    ]);
  });

  it('refuses a stale second-factor check when asking and when approving', async () => {
    const requester = await makeUser('analyst', 'stale');
    const approver = await makeUser('approver', 'kim');
    const stale: StepUpProof = { method: 'webauthn', at: new Date(Date.now() - 10 * 60_000).toISOString() };
    const before = await system.db.accessRequest.count();
    await expect(ask(requester, { stepUp: stale })).rejects.toMatchObject({ code: 'forbidden', refusal: 'StepUpRequired' });
    expect(await system.db.accessRequest.count()).toBe(before);
    const req = await ask(requester, {});
    await tw.runUntil(async () => {
      const h = handle(req.id);
      expect(await refusalOf(h.executeUpdate(approveUpdate, { args: [approval(approver, true, stale)] }))).toBe('StepUpRequired');
      const missing = { approverId: approver.id, approverRole: 'approver' } as ApprovalInput;
      expect(await refusalOf(h.executeUpdate(approveUpdate, { args: [missing] }))).toBe('StepUpRequired');
      await expect(decideAccess(deps(), req.id, approval(approver, true, stale))).rejects.toMatchObject({ code: 'forbidden', refusal: 'StepUpRequired' });
      expect((await accessSnapshot(tw.client, req.id)).approvals).toEqual([]);
      // With a fresh check the same approver is accepted.
      await decideAccess(deps(), req.id, approval(approver, false));
      expect(await h.result()).toBe('denied');
    });
    const mail = await mailTo(requester.email, 'Access denied');
    expect(mail.Text).toContain(approver.name);
  });

  it('validates a request against the policy before anything starts', async () => {
    const requester = await makeUser('analyst', 'careless');
    const f = await fx.makeTenant('careless');
    const before = await system.db.accessRequest.count();
    const refused = async (over: Partial<RequestAccessInput>, code: string, message: RegExp) => {
      await expect(ask(requester, over)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    };
    await refused({ reason: 'because' }, 'bad-request', /reason of 10 to 2000/);
    await refused({ reason: 'x'.repeat(2001) }, 'bad-request', /reason of 10 to 2000/);
    await refused({ infraScope: 'the-moon' }, 'bad-request', /must be one of: network/);
    await refused({ customerData: true }, 'bad-request', /only reachable through a deployment/);
    await refused({ durationMinutes: 8 * 60 + 1 }, 'bad-request', /allows grants of 1 to 480 minutes/);
    await refused({ targetKind: 'deployment', infraScope: undefined, deploymentId: f.deployment.id, customerData: true, durationMinutes: 5 * 60 }, 'bad-request', /"customer data" allows grants of 1 to 240/);
    await refused({ targetKind: 'deployment', infraScope: undefined, deploymentId: randomUUID() }, 'not-found', /no such deployment/);
    await refused({ caseId: randomUUID() }, 'not-found', /no such case/);
    const policy: AccessPolicy = {
      ...DEFAULT_ACCESS_POLICY,
      rules: [{ name: 'two named', match: {}, approvals: 2, approvers: [requester.email, 'nobody@safeguard.test'], tenantConsent: false, maxDuration: '1 hours' }],
    };
    // The requester is named, but never counts as an approver of their own request.
    await refused({ policy }, 'conflict', /needs 2 approvers other than you, and only 0 can approve/);
    expect(await system.db.accessRequest.count()).toBe(before);
  });
});
