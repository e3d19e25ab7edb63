// Connectivity checks shared by the console's status page and `safeguard status`.
import type { Client } from '@temporalio/client';
// A CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import type { Transporter } from 'nodemailer';
import type { Db } from './db';

const { temporal } = proto;

export interface CheckResult {
  name: 'database' | 'temporal' | 'worker' | 'mail';
  ok: boolean;
  /** One line a person can act on. */
  message: string;
  latencyMs: number;
}

async function timed(name: CheckResult['name'], timeoutMs: number, probe: () => Promise<string>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const message = await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name, ok: true, message, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // Prisma puts the cause on the last line of a multi-line message.
    const message = text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? 'failed without a message';
    return { name, ok: false, message, latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

export function checkDatabase(db: Db, timeoutMs = 3_000): Promise<CheckResult> {
  return timed('database', timeoutMs, async () => {
    const [row] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`;
    return `connected; ${row?.n ?? 0} migrations applied`;
  });
}

export function checkTemporal(client: () => Promise<Client>, namespace: string, timeoutMs = 3_000): Promise<CheckResult> {
  return timed('temporal', timeoutMs, async () => {
    const c = await client();
    const info = await c.workflowService.getSystemInfo({});
    await c.workflowService.describeNamespace({ namespace });
    return `serving namespace ${namespace} (server ${info.serverVersion || 'unknown version'})`;
  });
}

/** Workers are seen through the pollers Temporal recorded on the task queue. */
export function checkWorkers(client: () => Promise<Client>, namespace: string, taskQueue: string, timeoutMs = 3_000): Promise<CheckResult> {
  return timed('worker', timeoutMs, async () => {
    const c = await client();
    const res = await c.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const pollers = res.pollers ?? [];
    if (pollers.length === 0) throw new Error(`no worker is polling task queue ${taskQueue}`);
    const last = Math.max(...pollers.map((p) => Number(p.lastAccessTime?.seconds ?? 0) * 1000));
    const ago = last > 0 ? `, last poll ${Math.max(0, Math.round((Date.now() - last) / 1000))} s ago` : '';
    return `${pollers.length} worker${pollers.length === 1 ? '' : 's'} polling ${taskQueue}${ago}`;
  });
}

export function checkMail(transport: () => Transporter, timeoutMs = 3_000): Promise<CheckResult> {
  return timed('mail', timeoutMs, async () => {
    await transport().verify();
    return 'SMTP server accepts connections';
  });
}

/** Every check the status page shows, run at once. */
export async function runStatusChecks(deps: {
  db: Db;
  temporal: () => Promise<Client>;
  mail: () => Transporter;
  namespace: string;
  taskQueue: string;
}): Promise<{ ok: boolean; checks: CheckResult[] }> {
  const checks = await Promise.all([
    checkDatabase(deps.db),
    checkTemporal(deps.temporal, deps.namespace),
    checkWorkers(deps.temporal, deps.namespace, deps.taskQueue),
    checkMail(deps.mail),
  ]);
  return { ok: checks.every((x) => x.ok), checks };
}
