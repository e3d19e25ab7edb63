import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { workflowIds } from '../domain/contracts';
import { config } from '../lib/config';
import { getTemporalClient, temporalUiLink } from '../lib/temporal';
import type { healthProbeWorkflow } from '../workflows';

export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description('run the health-probe workflow through a worker and wait for it (proves Temporal, worker and database)')
    .option('--timeout <seconds>', 'give up after this many seconds', '30')
    .action(async (opts: { timeout: string }) => {
      const client = await getTemporalClient();
      const requestId = randomUUID();
      const workflowId = workflowIds.healthProbe(requestId);
      const started = Date.now();
      try {
        const result = await client.workflow.execute<typeof healthProbeWorkflow>('healthProbeWorkflow', {
          taskQueue: config().TEMPORAL_TASK_QUEUE,
          workflowId,
          args: [{ requestId, requestedBy: 'cli' }],
          workflowExecutionTimeout: `${Number(opts.timeout)} seconds`,
        });
        console.log(JSON.stringify({ ok: true, ms: Date.now() - started, workflowId, ...result, link: temporalUiLink(workflowId) }));
      } finally {
        await client.connection.close();
      }
    });
}
