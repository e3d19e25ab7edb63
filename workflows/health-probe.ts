// The health probe: one activity against the database, so the status page and CLI can prove a worker is serving.
import { proxyActivities } from '@temporalio/workflow';
import type { HealthProbeInput, HealthProbeResult } from '../domain/contracts';
import type { Activities } from '../activities';
import { dbWrite } from './options';

const { recordHealthProbe } = proxyActivities<Activities>({ ...dbWrite, retry: { ...dbWrite.retry, maximumAttempts: 3 } });

export async function healthProbeWorkflow(input: HealthProbeInput): Promise<HealthProbeResult> {
  return recordHealthProbe({ requestId: input.requestId, requestedBy: input.requestedBy });
}
