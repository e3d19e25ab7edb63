// dev/stack.ts without the console (the e2e project covers that): embedded Temporal and mail, an external PostgreSQL,
// migrations, seed and the worker as a child process; a workflow runs through it; a dying worker is reported;
// stop leaves no process behind; a second start finds the data again.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack, type StackOptions } from '../../dev/stack';
import { workflowIds, type HealthProbeResult } from '../../domain/contracts';
import { createDb } from '../../lib/db';
import { log } from '../../lib/log';
import { createMailbox } from '../../lib/mailbox';
import type { healthProbeWorkflow } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../support/database';

let dataDir: string;
let database: TestDatabase;
let stack: Stack | undefined;

const options = (): StackOptions => ({
  dataDir,
  databaseUrl: database.url,
  ports: { console: 0, postgres: 0, smtp: 0, mailbox: 0, temporal: 0, temporalUi: 0, flows: 0 },
  web: false,
  taskQueue: `stack-test-${randomUUID().slice(0, 8)}`,
  env: { LOG_LEVEL: 'warn' },
  log: log.child({ component: 'stack-test' }, { level: 'warn' }),
});

/** Processes whose command line mentions the data folder (the Temporal server does, through --db-filename). */
function processesUsing(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(dir) && !line.includes('ps -eo'));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-stack-'));
  database = await createTestDatabase({ migrate: false }); // the stack migrates it
});

afterAll(async () => {
  await stack?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('startStack', () => {
  let workflowId: string;

  it('brings up Temporal, migrations, seed, mail and a worker that runs a workflow against the database', async () => {
    stack = await startStack(options());
    expect(stack.env).toMatchObject({ DATABASE_URL: database.url, TEMPORAL_NAMESPACE: 'default' });
    expect(stack.env.SMTP_URL).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.urls.temporalUi).toMatch(/^http:\/\/localhost:\d+$/);
    expect(stack.seeded?.credentials).toHaveLength(3);
    expect((await fetch(stack.urls.temporalUi!)).status).toBe(200);

    const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
    try {
      const client = new Client({ connection });
      const requestId = randomUUID();
      workflowId = workflowIds.healthProbe(requestId);
      const result = await client.workflow.execute<typeof healthProbeWorkflow>('healthProbeWorkflow', {
        taskQueue: stack.env.TEMPORAL_TASK_QUEUE!,
        workflowId,
        args: [{ requestId, requestedBy: 'stack-test' }],
      });
      const db = createDb(database.url);
      try {
        const row = await db.healthProbe.findUniqueOrThrow({ where: { requestId } });
        expect(row.id).toBe((result as HealthProbeResult).probeId);
        expect(row.workerIdentity).toContain(String(stack.pids.worker));
      } finally {
        await db.$disconnect();
      }
    } finally {
      await connection.close();
    }

    const transport = nodemailer.createTransport(stack.env.SMTP_URL!);
    await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'through the stack', text: 'hello' });
    transport.close();
    const mail = await createMailbox(stack.env.MAILBOX_URL!).waitForMessage((m) => m.Subject === 'through the stack');
    expect(mail.Text.trim()).toBe('hello');
  });

  it('reports a worker that dies, and stops everything without leaving a process behind', async () => {
    const workerPid = stack!.pids.worker!;
    expect(processesUsing(dataDir).length).toBeGreaterThan(0); // the Temporal server
    process.kill(workerPid, 'SIGKILL');
    const exit = await stack!.childExited;
    expect(exit).toMatchObject({ name: 'worker', signal: 'SIGKILL' });
    await stack!.stop();
    stack = undefined;
    expect(alive(workerPid)).toBe(false);
    expect(processesUsing(dataDir)).toEqual([]);
  });

  it('finds its data again on the next start', async () => {
    stack = await startStack(options());
    expect(stack.seeded?.credentials).toEqual([]);
    expect(stack.seeded?.existingUsers).toHaveLength(3);
    const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
    try {
      const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('COMPLETED'); // from the Temporal SQLite file in dataDir
    } finally {
      await connection.close();
    }
    const page = await createMailbox(stack.env.MAILBOX_URL!).listMessages();
    expect(page.messages.map((m) => m.Subject)).toEqual(['through the stack']);
  });
});
