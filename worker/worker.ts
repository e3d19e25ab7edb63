// Builds a Temporal worker that runs workflows/ and every activity, against the given dependencies.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { ensureSearchAttributes } from '../lib/search-attributes';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface SafeguardWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: Omit<ActivityDeps, 'identity'>;
  identity?: string;
  /** Pre-bundled workflow code (tests share one bundle across workers). */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createSafeguardWorker(opts: SafeguardWorkerOptions): Promise<Worker> {
  const identity = opts.identity ?? `${process.pid}@${os.hostname()}`;
  // Before any workflow this worker (or its intake sweeper) starts: a start with an unknown attribute is refused.
  await ensureSearchAttributes(opts.connection, opts.namespace);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    identity,
    activities: createActivities({ ...opts.deps, identity }),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
  });
}
