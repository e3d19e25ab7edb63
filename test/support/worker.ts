// Runs real Safeguard workers against the integration tests' Temporal dev server, on a task queue of their own.
// A Worker runs once, so each runUntil builds a fresh one (the workflow bundle is shared and prebuilt).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Transporter } from 'nodemailer';
import { inject } from 'vitest';
import type { AccessProvider } from '../../lib/access-provider';
import type { Db } from '../../lib/db';
import { log } from '../../lib/log';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { installTemporalLogging } from '../../worker/logging';
import { createSafeguardWorker } from '../../worker/worker';

// Test output stays readable: only the SDK's warnings and errors.
installTemporalLogging(log, 'WARN');

export interface TestWorker {
  client: Client;
  taskQueue: string;
  identity: string;
  /** Runs a worker until `fn` settles, then shuts it down. */
  runUntil<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startTestWorker(deps: { db: Db; mailer: Transporter; accessProvider?: AccessProvider }): Promise<TestWorker> {
  // Activities that signal other workflows use the same client as the test.
  const address = inject('temporalAddress');
  const taskQueue = `test-${randomUUID()}`;
  const identity = `test-worker-${taskQueue.slice(5, 13)}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  // Tests may start workflows before their first runUntil builds a worker (which registers them too).
  await ensureSearchAttributes(connection, 'default');
  return {
    client,
    taskQueue,
    identity,
    async runUntil(fn) {
      const worker = await createSafeguardWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        deps: { ...deps, temporal: client },
        identity,
        workflowBundle: { codePath: inject('workflowBundlePath') },
      });
      return worker.runUntil(fn);
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
