// Activities behind the health probe: proof that a worker reaches the database.
import { Context } from '@temporalio/activity';
import type { HealthProbeResult } from '../domain/contracts';
import type { Db } from '../lib/db';

export interface RecordHealthProbeInput {
  requestId: string;
  requestedBy: string;
}

export function createHealthActivities({ db, identity }: { db: Db; identity: string }) {
  return {
    /** Idempotent on requestId: a retry finds the row it already wrote. */
    async recordHealthProbe(input: RecordHealthProbeInput): Promise<HealthProbeResult> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'standalone';
      const started = performance.now();
      await db.$queryRaw`SELECT 1`;
      const databaseLatencyMs = Math.round((performance.now() - started) * 10) / 10;
      const row = await db.healthProbe.upsert({
        where: { requestId: input.requestId },
        create: {
          requestId: input.requestId,
          requestedBy: input.requestedBy,
          workflowId,
          workerIdentity: identity,
        },
        update: {},
      });
      return { probeId: row.id, workerIdentity: row.workerIdentity, databaseLatencyMs, completedAt: row.createdAt.toISOString() };
    },
  };
}
