import type { Command } from 'commander';
import { config } from '../lib/config';
import { db } from '../lib/db';
import { runStatusChecks } from '../lib/health';
import { closeMailTransport, mailTransport } from '../lib/mail';
import { getTemporalClient } from '../lib/temporal';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('check the database, Temporal, the workers and mail, as the console status page does')
    .option('--json', 'one JSON object instead of lines')
    .action(async (opts: { json?: boolean }) => {
      const c = config();
      const { ok, checks } = await runStatusChecks({
        db: db(),
        temporal: getTemporalClient,
        mail: mailTransport,
        namespace: c.TEMPORAL_NAMESPACE,
        taskQueue: c.TEMPORAL_TASK_QUEUE,
      });
      if (opts.json) console.log(JSON.stringify({ ok, checks }));
      else for (const x of checks) console.log(`${x.ok ? 'ok  ' : 'FAIL'}  ${x.name.padEnd(8)}  ${x.message} (${x.latencyMs} ms)`);
      process.exitCode = ok ? 0 : 1;
      await db().$disconnect();
      closeMailTransport();
      await (await getTemporalClient().catch(() => undefined))?.connection.close();
    });
}
