// The foundation's end-to-end path: a real workflow, through the real worker, writing a real row.
import { randomUUID } from 'node:crypto';
// A CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds, type HealthProbeResult } from '../../domain/contracts';
import { createDb, type Db } from '../../lib/db';
import type { healthProbeWorkflow } from '../../workflows';
import { createTestDatabase } from '../support/database';
import { maybeRecordHistory } from '../support/histories';
import { startTestWorker, type TestWorker } from '../support/worker';

const { temporal } = proto;

const { EventType } = temporal.api.enums.v1;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let tw: TestWorker;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
  // The probe sends no mail; a transport is still part of the worker's dependencies.
  tw = await startTestWorker({ db, mailer: nodemailer.createTransport({ streamTransport: true }) });
});

afterAll(async () => {
  await tw?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('health probe workflow', () => {
  it('runs on the worker and records a row in PostgreSQL', async () => {
    const requestId = randomUUID();
    const workflowId = workflowIds.healthProbe(requestId);
    const result: HealthProbeResult = await tw.runUntil(() =>
      tw.client.workflow.execute<typeof healthProbeWorkflow>('healthProbeWorkflow', {
        taskQueue: tw.taskQueue,
        workflowId,
        args: [{ requestId, requestedBy: 'integration-test' }],
      }),
    );

    const row = await db.healthProbe.findUniqueOrThrow({ where: { requestId } });
    expect(row).toMatchObject({ requestedBy: 'integration-test', workflowId, workerIdentity: tw.identity });
    expect(result.probeId).toBe(row.id);
    expect(result.databaseLatencyMs).toBeGreaterThanOrEqual(0);

    const handle = tw.client.workflow.getHandle(workflowId);
    await maybeRecordHistory('health-probe', handle);
    const history = await handle.fetchHistory();
    const kinds = history.events?.map((e) => e.eventType) ?? [];
    expect(kinds).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    expect(kinds.at(-1)).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  });

  it('is idempotent per request: a second run with the same request id writes no second row', async () => {
    const requestId = randomUUID();
    for (const suffix of ['a', 'b']) {
      await tw.runUntil(() =>
        tw.client.workflow.execute<typeof healthProbeWorkflow>('healthProbeWorkflow', {
          taskQueue: tw.taskQueue,
          workflowId: `${workflowIds.healthProbe(requestId)}:${suffix}`,
          args: [{ requestId, requestedBy: 'integration-test' }],
        }),
      );
    }
    expect(await db.healthProbe.count({ where: { requestId } })).toBe(1);
  });
});
