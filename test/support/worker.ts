// Runs a real Safeguard worker against the integration tests' Temporal dev server, on a task queue of its own.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Transporter } from 'nodemailer';
import { inject } from 'vitest';
import type { Db } from '../../lib/db';
import { createSafeguardWorker } from '../../worker/worker';

export interface TestWorker {
  client: Client;
  worker: Worker;
  taskQueue: string;
  /** Runs the worker until `fn` settles, then shuts it down. */
  runUntil<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startTestWorker(deps: { db: Db; mailer: Transporter }): Promise<TestWorker> {
  const address = inject('temporalAddress');
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const worker = await createSafeguardWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    identity: `test-worker-${taskQueue.slice(5, 13)}`,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  return {
    client,
    worker,
    taskQueue,
    runUntil: (fn) => worker.runUntil(fn),
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
