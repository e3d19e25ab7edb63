// Finishes intake that did not finish inline: reports stored while Temporal was unreachable, or left between two
// steps by a crash. Runs in every worker; two sweepers may pick the same report, which is harmless (each step
// writes the same result again and a case links a report once).
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { runInBackground, type BackgroundLoop } from './background';
import type { Db } from './db';
import { processReport } from './intake-pipeline';

export interface IntakeSweeperOptions {
  taskQueue: string;
  /** How often to look. */
  intervalMs?: number;
  /** Leave reports younger than this to the request that stored them. */
  graceMs?: number;
  log?: Logger;
}

/** Reports whose intake has not finished and is not waiting for anyone (a web-form report waits for confirmation). */
export async function unfinishedReports(db: Db, olderThan: Date, take = 200): Promise<string[]> {
  const rows = await db.abuseReport.findMany({
    where: {
      receivedAt: { lt: olderThan },
      OR: [{ channel: { not: 'web_form' } }, { confirmedAt: { not: null } }],
      AND: [{ OR: [{ parseStatus: 'pending' }, { parseStatus: 'parsed', attribution: { in: ['pending', 'attributed'] }, routedAt: null }] }],
    },
    orderBy: { receivedAt: 'asc' },
    select: { id: true },
    take,
  });
  return rows.map((r) => r.id);
}

/** One pass: processes what is unfinished; returns how many it finished and how many failed again. */
export async function sweepIntake(db: Db, temporal: Client, opts: IntakeSweeperOptions): Promise<{ finished: number; failed: number }> {
  const ids = await unfinishedReports(db, new Date(Date.now() - (opts.graceMs ?? 10_000)));
  let finished = 0;
  let failed = 0;
  for (const id of ids) {
    try {
      await processReport(db, temporal, id, { taskQueue: opts.taskQueue, actor: { type: 'system', id: 'intake-sweeper' } });
      finished++;
    } catch (err) {
      failed++;
      opts.log?.warn({ err, reportId: id }, 'intake of a stored report failed again; the next sweep retries');
    }
  }
  if (finished) opts.log?.info({ finished, failed }, 'finished the intake of stored reports');
  return { finished, failed };
}

export function startIntakeSweeper(db: Db, temporal: Client, opts: IntakeSweeperOptions): BackgroundLoop {
  return runInBackground(async () => {
    await sweepIntake(db, temporal, opts).catch((err: unknown) => opts.log?.warn({ err }, 'intake sweep failed'));
    return false;
  }, opts.intervalMs ?? 15_000);
}
