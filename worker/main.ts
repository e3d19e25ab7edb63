// The worker process: `npm run worker`. Scale out by running more of these against the same task queue.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startAuditSealer } from '../lib/audit';
import { startIntakeSweeper } from '../lib/intake-sweeper';
import { config } from '../lib/config';
import { db } from '../lib/db';
import { childLogger } from '../lib/log';
import { closeMailTransport, mailTransport } from '../lib/mail';
import { temporalConnectionOptions } from '../lib/temporal';
import { installTemporalLogging } from './logging';
import { createSafeguardWorker } from './worker';

const log = childLogger('worker');

async function main(): Promise<void> {
  const c = config();
  installTemporalLogging(childLogger('temporal-sdk'));
  const { address, tls, apiKey } = temporalConnectionOptions();
  const connection = await NativeConnection.connect({ address, tls, apiKey });
  const clientConnection = await Connection.connect({ address, tls, apiKey });
  const temporal = new Client({ connection: clientConnection, namespace: c.TEMPORAL_NAMESPACE });
  const worker = await createSafeguardWorker({
    connection,
    namespace: c.TEMPORAL_NAMESPACE,
    taskQueue: c.TEMPORAL_TASK_QUEUE,
    deps: { db: db(), mailer: mailTransport(), temporal },
    workflowBundle: c.WORKFLOW_BUNDLE_PATH ? { codePath: c.WORKFLOW_BUNDLE_PATH } : undefined,
  });
  // Every worker seals the audit log; the sealers take turns through an advisory lock.
  const sealer = startAuditSealer(db(), { log: childLogger('audit-sealer') });
  // Reports stored while Temporal was unreachable, or left half-way by a crash, are finished here.
  const sweeper = startIntakeSweeper(db(), temporal, { taskQueue: c.TEMPORAL_TASK_QUEUE, log: childLogger('intake-sweeper') });
  log.info({ address, namespace: c.TEMPORAL_NAMESPACE, taskQueue: c.TEMPORAL_TASK_QUEUE }, 'worker polling');
  // Worker.run resolves after SIGINT/SIGTERM once in-flight tasks are done.
  await worker.run();
  await sweeper.stop();
  await sealer.stop();
  await connection.close();
  await clientConnection.close();
  await db().$disconnect();
  closeMailTransport();
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
