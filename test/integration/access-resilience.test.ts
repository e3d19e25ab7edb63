// A grant ends on time even when no worker is alive at that moment: the worker process holding the workflow is
// killed (SIGKILL) while the grant is active, the expiry passes with nobody running, and a new worker process revokes
// it as soon as it starts: once, with nothing granted, mailed or audited twice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accessWorkflowId, type StepUpProof } from '../../domain/access/contracts';
import { decideAccess, recordGrantAction, requestAccess } from '../../lib/access';
import { sealAllAudit, verifyAuditLog } from '../../lib/audit';
import type { accessRequestWorkflow } from '../../workflows/access';
import { maybeRecordHistory } from '../support/histories';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

let system: WorkerSystem;

beforeAll(async () => {
  system = await startWorkerSystem('access-resilience');
});

afterAll(async () => {
  await system?.close();
});

const fresh = (): StepUpProof => ({ method: 'webauthn', at: new Date().toISOString() });

async function waitForState(requestId: string, state: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await system.db.accessRequest.findUniqueOrThrow({ where: { id: requestId }, include: { grant: true } });
    if (row.state === state) return row;
    if (Date.now() > until) throw new Error(`request ${requestId} did not become ${state}; last: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('resilience of a grant', () => {
  it('revokes an expired grant exactly once after the worker process was killed while it was active', async () => {
    const { db, catcher, database, tw } = system;
    const taskQueue = `access-resilience-${process.pid}-${Date.now()}`;
    const env = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      SMTP_URL: catcher.smtpUrl,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    };
    const n = randomUUID().slice(0, 8);
    const requester = await db.user.create({ data: { email: `requester-${n}@safeguard.test`, name: 'Robin Requester', passwordHash: 'x', role: 'analyst' } });
    const approver = await db.user.create({ data: { email: `approver-${n}@safeguard.test`, name: 'Alex Approver', passwordHash: 'x', role: 'approver' } });

    let worker: WorkerProcess | undefined = await startWorkerProcess(env);
    try {
      const req = await requestAccess(
        { db, temporal: tw.client, taskQueue },
        {
          requesterId: requester.id,
          targetKind: 'infrastructure',
          infraScope: 'databases',
          level: 'operate',
          customerData: false,
          reason: 'Fail over the primary database during maintenance.',
          durationMinutes: 30,
          stepUp: fresh(),
          durationOverride: '10 seconds',
        },
      );
      await decideAccess({ db, temporal: tw.client }, req.id, { approverId: approver.id, approverRole: 'approver', approve: true, stepUp: fresh() });
      const active = await waitForState(req.id, 'active', 30_000);
      const grant = active.grant!;
      await expect(db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: grant.id } })).resolves.toMatchObject({ revokedAt: null });

      // No shutdown: the process dies holding the workflow in its cache and its timer pending on the server.
      await worker.kill('SIGKILL');
      worker = undefined;
      expect(Date.now()).toBeLessThan(grant.expiresAt.getTime());

      while (Date.now() < grant.expiresAt.getTime() + 2_000) await new Promise((r) => setTimeout(r, 200));
      // Nobody has revoked it yet, but it is over: nothing more is accepted under it.
      await expect(db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: grant.id } })).resolves.toMatchObject({ revokedAt: null });
      await expect(recordGrantAction(db, { grantId: grant.id, actorId: requester.id, source: 'api', action: 'late write' })).rejects.toMatchObject({ code: 'forbidden', message: 'This grant has ended.' });

      worker = await startWorkerProcess(env);
      const ended = await waitForState(req.id, 'ended', 90_000);
      const handle = tw.client.workflow.getHandle<typeof accessRequestWorkflow>(accessWorkflowId(req.id));
      expect(await handle.result()).toBe('ended');
      await maybeRecordHistory('access-worker-killed', handle);

      expect(ended.closedReason).toBe('expired');
      // Ended by time: its end is its expiry, though the revocation could only happen once a worker was back.
      expect(ended.grant).toMatchObject({ endReason: 'expired', revokeAttempts: 1 });
      expect(ended.grant!.endedAt!.getTime()).toBe(grant.expiresAt.getTime());
      expect(ended.grant!.revokedAt!.getTime()).toBeGreaterThan(grant.expiresAt.getTime() + 2_000);
      const binding = await db.providerAccessBinding.findUniqueOrThrow({ where: { grantId: grant.id } });
      expect(binding.revokedAt).not.toBeNull();
      expect(await db.providerAccessBinding.count({ where: { principal: requester.email } })).toBe(1);

      const audit = (await db.auditEvent.findMany({ where: { subjectType: 'access_request', subjectId: req.id }, orderBy: { seq: 'asc' } })).map((e) => e.action);
      for (const once of ['access.granted', 'access.ended', 'access.revoked']) expect(audit.filter((a) => a === once)).toHaveLength(1);
      const mails = await db.notification.findMany({ where: { idempotencyKey: { startsWith: `access:${req.id}:` } } });
      const byKind: Record<string, number> = {};
      for (const m of mails) byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
      expect(byKind).toEqual({ access_request: 1, access_granted: 1, access_ended: 1 });
      expect(mails.every((m) => m.status === 'sent')).toBe(true);
      await sealAllAudit(db);
      await expect(verifyAuditLog(db)).resolves.toMatchObject({ ok: true, unsealed: 0 });
    } finally {
      await worker?.kill('SIGTERM');
    }
  });
});
