// `npm run bench`: speed figures, printed, never asserted. Suites: parse, audit, temporal (or pass names to pick).
// Needs what the tests need: PostgreSQL at TEST_DATABASE_URL and the Temporal CLI.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import { freePort } from '../dev/net';
import { SQLITE_PRAGMAS, startTemporalDevServer } from '../dev/temporal';
import { workflowIds } from '../domain/contracts';
import { parseReport } from '../domain/reports/detect';
import { appendAudit, sealAllAudit, verifyAuditLog } from '../lib/audit';
import { createDb, type Db } from '../lib/db';
import { createTestDatabase } from '../test/support/database';
import { createSafeguardWorker, workflowsPath } from '../worker/worker';
import type { healthProbeWorkflow } from '../workflows';

const fixtures = fileURLToPath(new URL('../test/fixtures/reports/', import.meta.url));

function row(name: string, value: string, detail = ''): void {
  console.log(`  ${name.padEnd(44)} ${value.padStart(14)}  ${detail}`);
}

const perSecond = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function benchParse(): Promise<void> {
  console.log('\nparse: parseReport on the project fixtures, one core');
  for (const rel of ['xarf-v4/login-attack.json', 'xarf-v3/abusix-portscan.json', 'arf/abuse-complete.eml', 'xarf-0.2/login-attack.eml', 'free-text/ssh-bruteforce.txt']) {
    const bytes = fs.readFileSync(path.join(fixtures, rel));
    for (let i = 0; i < 50; i++) await parseReport(bytes); // warm-up (schema compilation, JIT)
    const n = 2_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) await parseReport(bytes);
    const ms = performance.now() - started;
    row(rel, perSecond(n, ms), `${((ms * 1000) / n).toFixed(0)} µs/report, ${bytes.length} bytes`);
  }
}

async function benchAudit(db: Db): Promise<void> {
  console.log('\naudit: appends to PostgreSQL (no lock), then the sealer chaining them, then verification');
  for (const writers of [1, 8, 32]) {
    const n = 2_000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = w; i < n; i += writers) {
          await appendAudit(db, { actorType: 'system', actorId: 'bench', action: 'bench.append', subjectType: 'case', subjectId: `c${i % 10}`, data: { i } });
        }
      }),
    );
    row(`append, ${writers} concurrent writer${writers > 1 ? 's' : ''}`, perSecond(n, performance.now() - started));
  }
  const sealStarted = performance.now();
  const sealed = await sealAllAudit(db);
  row('seal (chain) the backlog', perSecond(sealed, performance.now() - sealStarted), `${sealed} entries, batches of 2,000`);
  const started = performance.now();
  const verdict = await verifyAuditLog(db);
  row('verify whole chain', perSecond(verdict.entries, performance.now() - started), `${verdict.entries} entries, ok=${verdict.ok}`);
}

async function benchTemporal(db: Db, workflowBundlePath: string, pragmas: readonly string[]): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-'));
  const server = await startTemporalDevServer({ dataDir, port: await freePort(), uiPort: 0, sqlitePragmas: pragmas, log: undefined });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await createSafeguardWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    deps: { db, mailer: nodemailer.createTransport({ streamTransport: true }), temporal: client },
    workflowBundle: { codePath: workflowBundlePath },
  });
  const runOne = async () => {
    const requestId = randomUUID();
    const t0 = performance.now();
    await client.workflow.execute<typeof healthProbeWorkflow>('healthProbeWorkflow', {
      taskQueue,
      workflowId: workflowIds.healthProbe(requestId),
      args: [{ requestId, requestedBy: 'bench' }],
    });
    return performance.now() - t0;
  };
  try {
    await worker.runUntil(async () => {
      for (let i = 0; i < 10; i++) await runOne(); // warm-up
      const n = 300;
      const concurrency = 20;
      const latencies: number[] = [];
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            next++;
            latencies.push(await runOne());
          }
        }),
      );
      const ms = performance.now() - started;
      latencies.sort((a, b) => a - b);
      const label = pragmas.length ? pragmas.join(', ') : 'SQLite defaults (rollback journal)';
      row(`health-probe workflows, ${label}`, perSecond(n, ms), `p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p95 ${quantile(latencies, 0.95).toFixed(0)} ms, ${concurrency} in flight`);
    });
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const run = (name: string) => wanted.size === 0 || wanted.has(name);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log(`Safeguard benchmarks — ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);

  if (run('parse')) await benchParse();
  if (!run('audit') && !run('temporal')) return;
  const database = await createTestDatabase();
  const db = createDb(database.url);
  try {
    if (run('audit')) await benchAudit(db);
    if (run('temporal')) {
      console.log('\ntemporal: a workflow with one database activity, end to end through the dev server and one worker');
      const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
      const bundlePath = path.join(os.tmpdir(), `safeguard-bench-bundle-${process.pid}.js`);
      fs.writeFileSync(bundlePath, bundle.code);
      await benchTemporal(db, bundlePath, SQLITE_PRAGMAS);
      await benchTemporal(db, bundlePath, []);
      fs.rmSync(bundlePath, { force: true });
    }
  } finally {
    await db.$disconnect();
    await database.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
