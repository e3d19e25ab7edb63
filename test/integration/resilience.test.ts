// The case survives what production throws at it: a worker process killed (SIGKILL) between the notice and the
// deadline, and the Temporal server itself restarted in the middle of a case. In both, the suspension happens
// exactly once, on time or as soon as someone can act, and no notice is sent twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../dev/net';
import { startTemporalDevServer, type TemporalDevServer } from '../../dev/temporal';
import { caseWorkflowId, type CasePolicy } from '../../domain/cases';
import { sealAllAudit, verifyAuditLog } from '../../lib/audit';
import { createMailbox } from '../../lib/mailbox';
import { createSafeguardWorker } from '../../worker/worker';
import { caseQuery, submitRemediationUpdate, triageUpdate, verifyRemediationUpdate } from '../../workflows/abuse-case';
import { createCaseFixtures, SHORT_POLICY, type CaseFixtures } from '../support/case-fixtures';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

let system: WorkerSystem;
let fx: CaseFixtures;

beforeAll(async () => {
  system = await startWorkerSystem('resilience');
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox: createMailbox(system.catcher.apiUrl) });
});

afterAll(async () => {
  await system?.close();
});

async function providerActions(caseId: string) {
  const rows = await system.db.providerAction.findMany({ where: { caseId }, orderBy: { requestedAt: 'asc' } });
  return rows.map((a) => a.kind);
}

async function notifications(caseId: string) {
  const rows = await system.db.notification.findMany({ where: { caseId } });
  const byKind: Record<string, number> = {};
  for (const r of rows) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  return byKind;
}

const sleepUntil = async (ms: number) => {
  while (Date.now() < ms) await new Promise((r) => setTimeout(r, 200));
};

describe('resilience of a case', () => {
  it('suspends exactly once after the worker process is killed between the notice and the deadline', async () => {
    const { db, catcher, database } = system;
    const taskQueue = `resilience-${process.pid}-${Date.now()}`;
    const env = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      SMTP_URL: catcher.smtpUrl,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    };
    const f = await fx.makeTenant('killed');
    const { report } = await fx.makeReport(f, 'hacking_exploitation');
    const workflowId = caseWorkflowId(f.deployment.id, 'hacking_exploitation');
    const policy: CasePolicy = { ...SHORT_POLICY, remediationWindow: 8_000, reminderOffsets: [3_000] };

    let worker: WorkerProcess | undefined = await startWorkerProcess(env);
    try {
      const handle = await fx.openCase(f, 'hacking_exploitation', report.id, { policy, taskQueue });
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'high', by: 'analyst-1' }] });
      await fx.mail(f.contact, 'Abuse notice');
      const { deadlineAt } = await fx.waitForRow(workflowId, (r) => r.state === 'notified');
      // No shutdown: the process dies holding its cached workflow and its sticky queue.
      await worker.kill('SIGKILL');
      worker = undefined;
      expect(Date.now()).toBeLessThan(deadlineAt!.getTime());

      // The deadline passes on the server's timer while nobody can act on it.
      await sleepUntil(deadlineAt!.getTime() + 1_500);
      await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'running' });

      worker = await startWorkerProcess(env);
      const row = await fx.waitForRow(workflowId, (r) => r.state === 'suspended', 60_000);
      await fx.mail(f.contact, 'suspended');
      await expect(db.deployment.findUniqueOrThrow({ where: { id: f.deployment.id } })).resolves.toMatchObject({ state: 'suspended' });
      // The replacement replayed the history: the notice is not sent again, and a reminder whose time passed
      // while no worker ran is not sent after the deadline.
      expect(await providerActions(row.id)).toEqual(['suspend']);
      expect(await notifications(row.id)).toEqual({ reporter_ack: 1, notice: 1, suspended: 1 });
      const state = await handle.query(caseQuery);
      expect(state.state).toBe('suspended');

      await handle.executeUpdate(submitRemediationUpdate, { args: [{ description: 'Patched and rebuilt.' }] });
      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1' }] });
      await fx.waitForRow(workflowId, (r) => r.state === 'closed', 30_000);
      expect(await providerActions(row.id)).toEqual(['suspend', 'restore']);
      // The row is closed before the workflow's last steps (the reporter's mail and its entries): seal after them.
      await handle.result();
      await sealAllAudit(db);
      await expect(verifyAuditLog(db)).resolves.toMatchObject({ ok: true, unsealed: 0 });
    } finally {
      await worker?.kill('SIGTERM');
    }
  });

  it('keeps the case and its deadline when the Temporal server restarts mid-case', async () => {
    const { db, mailer } = system;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-restart-'));
    const port = await freePort();
    let server: TemporalDevServer | undefined = await startTemporalDevServer({ dataDir, port, uiPort: 0 });
    const native = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    const local = createCaseFixtures({ db, client, mailbox: createMailbox(system.catcher.apiUrl) });
    const taskQueue = `restart-${process.pid}-${Date.now()}`;
    const worker = await createSafeguardWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: { db, mailer, temporal: client },
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const running = worker.run();
    try {
      const f = await local.makeTenant('restart');
      const { report } = await local.makeReport(f, 'malware_hosting');
      const workflowId = caseWorkflowId(f.deployment.id, 'malware_hosting');
      const policy: CasePolicy = { ...SHORT_POLICY, remediationWindow: 15_000, reminderOffsets: [5_000] };
      const handle = await local.openCase(f, 'malware_hosting', report.id, { policy, taskQueue });
      await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'high', by: 'analyst-1' }] });
      await local.mail(f.contact, 'Abuse notice');
      const { deadlineAt, id: caseId } = await local.waitForRow(workflowId, (r) => r.state === 'notified');
      const before = await handle.query(caseQuery);

      await server.stop();
      server = undefined;
      await new Promise((r) => setTimeout(r, 2_000));
      server = await startTemporalDevServer({ dataDir, port, uiPort: 0 });

      // The same workflow, the same deadline, from the server's own store.
      const after = await handle.query(caseQuery);
      expect(after.state).toBe('notified');
      expect(after.deadlineAt).toBe(before.deadlineAt);
      await local.waitForRow(workflowId, (r) => r.state === 'suspended', 60_000);
      expect(Date.now()).toBeGreaterThanOrEqual(deadlineAt!.getTime());
      await local.mail(f.contact, 'suspended');
      expect(await providerActions(caseId)).toEqual(['suspend']);
      expect(await notifications(caseId)).toEqual({ reporter_ack: 1, notice: 1, reminder: 1, suspended: 1 });
      await handle.executeUpdate(submitRemediationUpdate, { args: [{ description: 'Removed the malware, rotated keys.' }] });
      await handle.executeUpdate(verifyRemediationUpdate, { args: [{ accepted: true, by: 'analyst-1' }] });
      await handle.result();
      expect(await providerActions(caseId)).toEqual(['suspend', 'restore']);
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await native.close();
      await server?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
