// `npm run bench:intake`: the abuse desk's intake, end to end on the local stack (Temporal dev server on SQLite
// with WAL, PostgreSQL, the worker, the built console, the mail catcher), printed as figures:
//  1. reports/s accepted end to end (HTTP POST /api/reports in, stored, parsed, attributed, case signalled: the 202
//     comes after all of that), and in
//     the same run on the same server the rate of empty workflows, with the ratio (target ≥ 0.7);
//  2. p50/p99 from a report received to the tenant's notice email, for a category that skips triage, at a steady
//     50 reports/s (target p99 < 2 s), each report opening a new case; and again at a lower steady rate
//     (BENCH_STEADY_RATES, default 50,20), with the rate at which the notices actually went out, so an overloaded
//     run shows this machine's capacity and the lower rate shows the latency below it.
// Each run also prints the CPU each process spent per report (from /proc): wall-clock rates swing with whatever else
// the machine runs, CPU per report much less, so compare those between changes.
// Needs PostgreSQL at TEST_DATABASE_URL and the Temporal CLI (built into the cache on first use), like the tests.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startStack, type Stack } from '../dev/stack';
import { createApiKey } from '../lib/api-keys';
import { createDb, type Db } from '../lib/db';
import { log } from '../lib/log';
import { createMailbox, type MessageSummary } from '../lib/mailbox';
import { createTestDatabase } from '../test/support/database';

const THROUGHPUT_REPORTS = Number(process.env.BENCH_REPORTS ?? 1_000);
const THROUGHPUT_DEPLOYMENTS = 200;
const CONCURRENCY = 32;
const STEADY_RATES = (process.env.BENCH_STEADY_RATES ?? '50,20').split(',').map(Number).filter((r) => r > 0);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
/** Skips triage for the latency run: a notice goes out as soon as the case opens. */
const FAST_CATEGORY = 'hacking_login_attack';

const row = (name: string, value: string, detail = '') => console.log(`  ${name.padEnd(52)} ${value.padStart(12)}  ${detail}`);
const rate = (n: number, ms: number) => (n * 1000) / ms;
const fmtRate = (r: number) => `${r.toFixed(1)}/s`;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── CPU per process, from /proc (Linux); elsewhere the figures are left out ──
const CLOCK_TICKS = 100; // USER_HZ, what /proc/<pid>/stat counts in on every Linux architecture
/** `postgres`: the backends serving this run's database; `bench`: this process (the HTTP client, the mail catcher,
 * the empty-workflow worker). */
type Group = 'console' | 'worker' | 'temporal' | 'postgres' | 'bench';
const GROUPS: Group[] = ['console', 'worker', 'temporal', 'postgres', 'bench'];
type CpuUse = Record<Group, number> & { machine: number };
type CpuMeter = ReturnType<typeof cpuMeter>;

/** Busy CPU seconds of the whole machine so far (/proc/stat), to show what else ran meanwhile. */
function machineBusy(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // Everything but idle and iowait.
  return (fields.reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!) / CLOCK_TICKS;
}

/** utime+stime (seconds) and parent of every process, by pid. */
function readProcs(): Map<number, { ppid: number; cpu: number }> {
  const out = new Map<number, { ppid: number; cpu: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): state ppid ... utime(14) stime(15), counted from 1.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Samples the stack's processes every second, so a process that exits mid-phase keeps the CPU it used. */
function cpuMeter(stack: Stack, db: Db) {
  const roots = new Map<number, Group>();
  if (stack.pids.console) roots.set(stack.pids.console, 'console');
  if (stack.pids.worker) roots.set(stack.pids.worker, 'worker');
  const last = new Map<number, { group: Group; cpu: number }>();
  const groupOf = (pid: number, procs: Map<number, { ppid: number }>): Group | undefined => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 10; p = procs.get(p)?.ppid, hops++) {
      const root = roots.get(p);
      if (root) return root;
      if (p === process.pid) return 'bench';
    }
    return undefined;
  };
  const sample = async () => {
    if (!fs.existsSync('/proc/self/stat')) return;
    const procs = readProcs();
    // The dev server is this process's child; pick it out by its executable name.
    for (const [pid, p] of procs) {
      if (p.ppid !== process.pid || roots.has(pid)) continue;
      try {
        if (path.basename(fs.readlinkSync(`/proc/${pid}/exe`)) === 'temporal') roots.set(pid, 'temporal');
      } catch {
        // not ours to read
      }
    }
    const backends = await db.$queryRaw<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.catch(() => []);
    for (const { pid } of backends) {
      const p = procs.get(pid);
      if (p) last.set(pid, { group: 'postgres', cpu: p.cpu });
    }
    for (const [pid, p] of procs) {
      const group = groupOf(pid, procs);
      if (group) last.set(pid, { group, cpu: p.cpu });
    }
  };
  const totals = () => {
    const t = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
    for (const { group, cpu } of last.values()) t[group] += cpu;
    return t;
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    async start(): Promise<() => Promise<CpuUse>> {
      await sample();
      const before = totals();
      const machineBefore = machineBusy();
      timer ??= setInterval(() => void sample(), 1_000);
      return async () => {
        await sample();
        const after = totals();
        const used = Object.fromEntries(GROUPS.map((g) => [g, after[g] - before[g]])) as Record<Group, number>;
        return { ...used, machine: machineBusy() - machineBefore };
      };
    },
    stop: () => clearInterval(timer),
  };
}

function cpuRows(used: CpuUse, n: number, ms: number, what = 'report'): void {
  if (!fs.existsSync('/proc/self/stat')) return;
  const total = GROUPS.reduce((sum, g) => sum + used[g], 0);
  const each = GROUPS.map((g) => `${g} ${((used[g] * 1000) / n).toFixed(1)}`).join(', ');
  row(`CPU per ${what} (ms)`, ((total * 1000) / n).toFixed(1), each);
  const cores = (s: number) => ((s * 1000) / ms).toFixed(2);
  row('CPU busy during the run (cores)', cores(total), `${GROUPS.map((g) => `${g} ${cores(used[g])}`).join(', ')}; whole machine ${cores(used.machine)}`);
}

/** Runs `n` jobs with at most `concurrency` at once. */
async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await job(next++);
  }));
}

/** Tenants with one deployment each, holding one IPv6 address from the documentation range since a year ago. */
async function makeTenants(db: Db, tag: string, n: number): Promise<{ address: string; contact: string }[]> {
  const out: { address: string; contact: string }[] = [];
  const validFrom = new Date(Date.now() - 365 * 86_400_000);
  for (let i = 0; i < n; i++) {
    const slug = `${tag}-${i}`;
    const contact = `security@${slug}.bench.example`;
    const tenant = await db.tenant.create({ data: { slug, name: `Bench ${slug}`, timeZone: 'UTC', securityContactEmail: contact, ownerName: 'Owner', ownerEmail: `owner@${slug}.bench.example` } });
    const sub = await db.subscription.create({ data: { tenantId: tenant.id, name: 'main' } });
    const dep = await db.deployment.create({ data: { tenantId: tenant.id, subscriptionId: sub.id, name: `vm-${i}` } });
    const address = `2001:db8:${tag === 'tp' ? 'a' : 'b'}::${(i + 1).toString(16)}`;
    await db.ipAllocation.create({ data: { deploymentId: dep.id, cidr: `${address}/128`, validFrom } });
    out.push({ address, contact });
  }
  return out;
}

/** An X-ARF v4 login-attack report about `address`; unique, so no two are duplicates of each other. */
function xarfReport(address: string): string {
  const now = new Date();
  return JSON.stringify({
    xarf_version: '4.0.0',
    report_id: randomUUID(),
    timestamp: now.toISOString(),
    reporter: { org: 'Bench CERT', contact: 'cert@bench-reporter.example', domain: 'bench-reporter.example' },
    sender: { org: 'Bench CERT', contact: 'cert@bench-reporter.example', domain: 'bench-reporter.example' },
    source_identifier: address,
    source_port: 40_000 + Math.floor(Math.random() * 20_000),
    category: 'connection',
    type: 'login_attack',
    protocol: 'tcp',
    destination_ip: '198.51.100.20',
    destination_port: 22,
    first_seen: new Date(now.getTime() - 600_000).toISOString(),
    last_seen: now.toISOString(),
    evidence_source: 'honeypot',
    description: 'failed SSH logins for root',
  });
}

/** Posts one report; the 202 comes once it is stored, parsed, attributed and its case signalled (intake 'routed'). */
async function post(consoleUrl: string, key: string, body: string): Promise<{ reportId: string; intake: string }> {
  const res = await fetch(`${consoleUrl}/api/reports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { reportId?: string; intake?: string; message?: string };
  if (res.status !== 202 || !json.reportId || !json.intake) throw new Error(`POST /api/reports answered ${res.status}: ${json.message ?? JSON.stringify(json)}`);
  return { reportId: json.reportId, intake: json.intake };
}

async function benchEmpty(client: Client, address: string, n: number, meter: CpuMeter): Promise<{ startOnly: number; completed: number; cpu: () => void }> {
  const native = await NativeConnection.connect({ address });
  const taskQueue = `bench-empty-${randomUUID()}`;
  const worker = await Worker.create({ connection: native, taskQueue, workflowsPath: fileURLToPath(new URL('./workflows/empty.ts', import.meta.url)) });
  try {
    return await worker.runUntil(async () => {
      const run = (tag: string) => async (i: number) => {
        await client.workflow.start('emptyWorkflow', { taskQueue, workflowId: `bench-empty-${tag}-${i}`, args: [] });
      };
      await pool(20, 4, run('warm'));
      // Start calls alone (the server acknowledges; the worker runs them meanwhile)...
      const t0 = performance.now();
      await pool(n, CONCURRENCY, run('a'));
      const startOnly = rate(n, performance.now() - t0);
      await pool(n, CONCURRENCY, async (i) => void (await client.workflow.getHandle(`bench-empty-a-${i}`).result()));
      // ...and started and finished, which is what an accepted report costs at least.
      const done = await meter.start();
      const t1 = performance.now();
      await pool(n, CONCURRENCY, async (i) => {
        await client.workflow.execute('emptyWorkflow', { taskQueue, workflowId: `bench-empty-b-${i}`, args: [] });
      });
      const ms = performance.now() - t1;
      const used = await done();
      return { startOnly, completed: rate(n, ms), cpu: () => cpuRows(used, n, ms, 'workflow') };
    });
  } finally {
    await native.close();
  }
}

async function benchThroughput(stack: Stack, key: string, targets: { address: string }[], meter: CpuMeter): Promise<{ rate: number; cpu: () => void }> {
  let routed = 0;
  const done = await meter.start();
  const t0 = performance.now();
  await pool(THROUGHPUT_REPORTS, CONCURRENCY, async (i) => {
    const { intake } = await post(stack.urls.console!, key, xarfReport(targets[i % targets.length]!.address));
    if (intake === 'routed') routed++;
  });
  const ms = performance.now() - t0;
  const used = await done();
  if (routed !== THROUGHPUT_REPORTS) throw new Error(`only ${routed} of ${THROUGHPUT_REPORTS} reports reached a case`);
  return { rate: rate(routed, ms), cpu: () => cpuRows(used, routed, ms) };
}

async function benchLatency(stack: Stack, key: string, targets: { address: string; contact: string }[], meter: CpuMeter, steadyRate: number): Promise<void> {
  const done = await meter.start();
  const mailbox = createMailbox(stack.urls.mailboxApi!);
  const sentAt = new Map<string, number>();
  const n = targets.length;
  const started = Date.now();
  const inFlight: Promise<unknown>[] = [];
  let refused = 0;
  const accepted: number[] = [];
  for (let i = 0; i < n; i++) {
    // A steady schedule: report i leaves at started + i/rate, however long the previous ones take.
    const due = started + (i * 1000) / steadyRate;
    if (due > Date.now()) await sleep(due - Date.now());
    const target = targets[i]!;
    sentAt.set(target.contact, Date.now());
    // An overloaded console answers 503 (nothing stored, retry later): counted, not fatal.
    const sent = Date.now();
    inFlight.push(
      post(stack.urls.console!, key, xarfReport(target.address)).then(
        () => void accepted.push(Date.now() - sent),
        () => void refused++,
      ),
    );
  }
  const offered = rate(n, Date.now() - started);
  await Promise.all(inFlight);
  const latencies: number[] = [];
  let lastNotice = 0;
  const deadline = Date.now() + 60_000;
  while (latencies.length < n - refused && Date.now() < deadline) {
    latencies.length = 0;
    lastNotice = 0;
    const messages: MessageSummary[] = [];
    for (let start = 0; ; start += 500) {
      const page = await mailbox.listMessages({ start, limit: 500 });
      messages.push(...page.messages);
      if (page.messages.length < 500) break;
    }
    for (const m of messages) {
      if (!m.Subject.includes('Abuse notice')) continue;
      for (const to of m.To) {
        const sent = sentAt.get(to.Address);
        if (sent === undefined) continue;
        const at = new Date(m.Created).getTime();
        latencies.push(at - sent);
        lastNotice = Math.max(lastNotice, at);
      }
    }
    if (latencies.length < n - refused) await sleep(500);
  }
  const used = await done();
  const spent = Date.now() - started;
  latencies.sort((a, b) => a - b);
  row(`offered rate (${n} reports, one new case each)`, fmtRate(offered));
  row('notices received', `${latencies.length}/${n}`, refused ? `${refused} reports refused with 503 (overloaded)` : '');
  // Below capacity this is the offered rate; above it, what this machine can carry.
  if (latencies.length) row('notices sent per second (first report … last notice)', fmtRate(rate(latencies.length, lastNotice - started)));
  accepted.sort((a, b) => a - b);
  if (accepted.length) row('report received → 202 (stored, case signalled), p50/p99', `${quantile(accepted, 0.5)}/${quantile(accepted, 0.99)} ms`);
  // Until the last notice arrived (or the wait gave up), so the case workflows' share is in.
  cpuRows(used, n, spent);
  if (latencies.length === 0) return;
  row('report received → tenant notice, p50', `${quantile(latencies, 0.5).toFixed(0)} ms`);
  row('report received → tenant notice, p99', `${quantile(latencies, 0.99).toFixed(0)} ms`, `${steadyRate === 50 ? 'target < 2000 ms; ' : ''}max ${latencies.at(-1)!.toFixed(0)} ms`);
}

/** Waits until every report is linked to its case and no notification was written for a second; returns how long. */
async function settle(db: Db): Promise<number> {
  const started = Date.now();
  let last = -1;
  for (;;) {
    const [unlinked, notes] = await Promise.all([db.abuseReport.count({ where: { caseId: null, attribution: 'attributed' } }), db.notification.count()]);
    if (unlinked === 0 && notes === last) return Date.now() - started - 1_000;
    last = notes;
    await sleep(1_000);
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log(`bench:intake — ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-intake-'));
  const database = await createTestDatabase({ migrate: false });
  let stack: Stack | undefined;
  const db = createDb(database.url);
  let connection: Connection | undefined;
  let meter: CpuMeter | undefined;
  try {
    stack = await startStack({
      dataDir,
      databaseUrl: database.url,
      seed: false,
      ports: { console: 0, postgres: 0, smtp: 0, mailbox: 0, temporal: 0, temporalUi: 0, intakeSmtp: 0, flows: 0 },
      web: 'build',
      log: log.child({ component: 'stack' }, { level: 'warn' }),
      env: { ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}), LOG_LEVEL: 'warn', CASE_POLICY: JSON.stringify({ categories: { [FAST_CATEGORY]: { skipTriage: true } } }) },
    });
    meter = cpuMeter(stack, db);
    connection = await Connection.connect({ address: stack.urls.temporal });
    const client = new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE ?? 'default' });
    const reporter = await db.reporter.create({ data: { name: 'Bench CERT', email: 'cert@bench-reporter.example' } });
    const { key } = await createApiKey(db, { reporterId: reporter.id, label: 'bench' });
    const many = await makeTenants(db, 'tp', THROUGHPUT_DEPLOYMENTS);
    const fresh = await makeTenants(db, 'lt', STEADY_RATES.reduce((sum, r) => sum + r * STEADY_SECONDS, 0));
    // Warm the console's routes and the worker's caches before anything is timed.
    await pool(20, 4, async (i) => void (await post(stack!.urls.console!, key, xarfReport(many[i]!.address))));
    await sleep(2_000);

    console.log('\n1. throughput on one Temporal dev server (SQLite, WAL) and one worker');
    const empty = await benchEmpty(client, stack.urls.temporal, THROUGHPUT_REPORTS, meter);
    row('empty workflows started (start calls only)', fmtRate(empty.startOnly), `${CONCURRENCY} in flight`);
    row('empty workflows started and completed', fmtRate(empty.completed), `${CONCURRENCY} in flight`);
    empty.cpu();
    const reports = await benchThroughput(stack, key, many, meter);
    row('reports end to end (HTTP in … case signalled)', fmtRate(reports.rate), `${THROUGHPUT_DEPLOYMENTS} deployments`);
    row('ratio to empty workflows started and completed', (reports.rate / empty.completed).toFixed(2), 'target ≥ 0.7');
    row('ratio to empty-workflow start calls alone', (reports.rate / empty.startOnly).toFixed(2));
    reports.cpu();

    // The cases still link evidence and acknowledge reporters after the last 202: let that finish first, so the
    // latency run measures itself and not the throughput run's backlog.
    const drained = await meter.start();
    const settled = await settle(db);
    row('backlog after the last 202 drained in', `${(settled / 1000).toFixed(1)} s`, 'every report linked to its case, no mail pending');
    cpuRows(await drained(), THROUGHPUT_REPORTS, settled + 1_000);

    let from = 0;
    for (const [i, steadyRate] of STEADY_RATES.entries()) {
      console.log(`\n2${String.fromCharCode(97 + i)}. latency at a steady ${steadyRate} reports/s, category ${FAST_CATEGORY} skipping triage`);
      const targets = fresh.slice(from, (from += steadyRate * STEADY_SECONDS));
      await benchLatency(stack, key, targets, meter, steadyRate);
      // The next rate starts on a drained system.
      await settle(db);
    }
  } finally {
    meter?.stop();
    await connection?.close();
    await db.$disconnect();
    await stack?.stop();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
