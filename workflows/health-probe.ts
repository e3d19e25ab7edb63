// The health probe: one (ordinary, not local) activity against the database, so the status page and CLI can prove
// a worker polls both its workflow and its activity task queues.
import { proxyActivities } from '@temporalio/workflow';
import type { HealthProbeInput, HealthProbeResult } from '../domain/contracts';
import type { Activities } from '../activities';
import { dbWrite } from './options';

const { recordHealthProbe } = proxyActivities<Activities>({ startToCloseTimeout: dbWrite.startToCloseTimeout, retry: { ...dbWrite.retry, maximumAttempts: 3 } });

export async function healthProbeWorkflow(input: HealthProbeInput): Promise<HealthProbeResult> {
  return recordHealthProbe({ requestId: input.requestId, requestedBy: input.requestedBy });
}
