// The whole system on one machine, in order: Temporal, PostgreSQL, migrations, seed, mail catcher, worker, console.
// Each embedded service is skipped when its address is given; the rest is started here and stopped in reverse.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
// Default import: the package is CommonJS and Node's ESM loader sees no named exports in it.
import proto from '@temporalio/proto';
import type { Logger } from 'pino';
import { DEFAULT_TASK_QUEUE } from '../domain/contracts';
import nodemailer from 'nodemailer';
import { loadThresholds } from '../cli/flows-detect';
import { startDetector } from '../detection/runtime';
import { startIntakeSmtp } from '../intake/smtp';
import { config } from '../lib/config';
import { createDb } from '../lib/db';
import { childLogger, log as rootLog } from '../lib/log';
import { embeddedSecretsKey } from '../lib/secret-box';
import { applyMigrations } from '../prisma/migrate';
import { seed as seedDemoData, type SeedResult } from '../prisma/seed';
import { spawnChild, type Child, type ChildExit } from './child';
import { startMailCatcher } from './mailcatcher';
import { freePort, isPortFree, waitFor } from './net';
import { startEmbeddedPostgres } from './postgres';
import { startTemporalDevServer } from './temporal';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface StackOptions {
  /** Where the embedded services keep their data (Temporal SQLite, PGlite, caught mail). */
  dataDir: string;
  /** Existing services: when given, the embedded one is not started. */
  databaseUrl?: string;
  temporalAddress?: string;
  /** The Temporal UI of an existing cluster (links from the console). */
  temporalUiUrl?: string;
  smtpUrl?: string;
  /** Mailpit-compatible API of the existing mail server's catcher, if it has one. */
  mailboxUrl?: string;
  namespace?: string;
  taskQueue?: string;
  /** 0 picks a free port. */
  ports?: { console?: number; postgres?: number; smtp?: number; mailbox?: number; temporal?: number; temporalUi?: number; intakeSmtp?: number; flows?: number };
  /** The console's address as users reach it; defaults to http://localhost:<console port>. */
  publicUrl?: string;
  /** Interface the console binds to; loopback by default, since the demo users' passwords are printed. */
  consoleHost?: string;
  seed?: boolean;
  worker?: boolean;
  /** build: `next build` when stale, then `next start`; dev: `next dev`; false: no console. */
  web?: 'build' | 'dev' | false;
  /** Extra environment for the children (LOG_LEVEL, …). */
  env?: Record<string, string>;
  log?: Logger;
  /** Aborting stops what has started and makes startStack reject. */
  signal?: AbortSignal;
}

export interface Stack {
  /** The environment the worker and console run with. */
  env: Record<string, string>;
  urls: { console?: string; temporalUi?: string; mailbox?: string; mailboxApi?: string; database: string; temporal: string; intakeSmtp: string; flows?: string };
  seeded?: SeedResult;
  /** Process ids of the worker and console (for supervision and tests). */
  pids: Record<string, number>;
  /** Resolves when a child process exits on its own (it never does while the stack is healthy). */
  childExited: Promise<ChildExit>;
  stop(): Promise<void>;
}

type Stopper = { name: string; stop(): Promise<unknown> };

/** Newest modification time of the files the console is built from. */
export function newestSourceMtime(root = ROOT): number {
  let newest = 0;
  const visit = (p: string) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) {
        // Build output and files Next.js writes itself would make every build look stale.
        if (entry === 'node_modules' || entry.startsWith('.') || entry === 'next-env.d.ts') continue;
        visit(path.join(p, entry));
      }
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const p of ['web', 'lib', 'domain', 'generated', 'package.json', 'tsconfig.json']) visit(path.join(root, p));
  return newest;
}

/** True when web/.next holds a production build newer than every source file it was built from. */
export function consoleBuildIsFresh(root = ROOT): boolean {
  try {
    return fs.statSync(path.join(root, 'web', '.next', 'BUILD_ID')).mtimeMs >= newestSourceMtime(root);
  } catch {
    return false;
  }
}

async function ensurePortFree(port: number, what: string, hint: string): Promise<void> {
  if (port !== 0 && !(await isPortFree(port))) throw new Error(`Port ${port} is in use, so ${what} cannot listen there. ${hint}`);
}

async function waitForPoller(address: string, namespace: string, taskQueue: string, child: Child): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    await waitFor(
      `the worker to poll task queue ${taskQueue}`,
      async () => {
        const res = await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (res.pollers?.length ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, abort: () => exitedError(child) },
    );
  } finally {
    await connection.close();
  }
}

const exits = new WeakMap<Child, ChildExit>();

function exitedError(child: Child): Error | undefined {
  const exit = exits.get(child);
  return exit ? new Error(`${child.name} exited (${exit.code ?? exit.signal}) while starting:\n${child.tail()}`) : undefined;
}

function track(child: Child): Child {
  void child.exited.then((e) => exits.set(child, e));
  return child;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? childLogger('stack');
  const sub = (component: string) => (opts.log ? opts.log.child({ component }) : childLogger(component));
  // Children log with their own `component`; their lines are re-emitted under `proc` only.
  const procLog = opts.log ?? rootLog;
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const ports = { ...opts.ports };
  // Next.js and the Temporal CLI need a concrete port; the others resolve 0 themselves.
  for (const key of ['console', 'temporal', 'temporalUi'] as const) if (ports[key] === 0) ports[key] = await freePort();
  const namespace = opts.namespace ?? 'default';
  const taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
  const web = opts.web ?? 'build';
  const started: Stopper[] = [];
  const children: Child[] = [];
  let stopping = false;

  const stopAll = async () => {
    stopping = true;
    for (const s of started.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.error({ err }, `stopping ${s.name} failed`);
      }
    }
  };
  const checkpoint = () => {
    if (opts.signal?.aborted) throw new Error('start-up was interrupted');
  };

  try {
    checkpoint();
    const consolePort = ports.console ?? 3000;
    if (web) await ensurePortFree(consolePort, 'the console', 'Stop what uses it or set CONSOLE_PORT.');

    // 1. Temporal
    let temporalAddress = opts.temporalAddress;
    let temporalUiUrl = opts.temporalUiUrl;
    if (!temporalAddress) {
      const server = await startTemporalDevServer({
        dataDir,
        port: ports.temporal ?? 7233,
        uiPort: ports.temporalUi ?? 8233,
        namespace,
        log: sub('temporal'),
      });
      started.push({ name: 'Temporal', stop: server.stop });
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    } else {
      log.info({ address: temporalAddress }, 'using the Temporal cluster at TEMPORAL_ADDRESS');
    }
    checkpoint();

    // 2. PostgreSQL
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir, port: ports.postgres, log: sub('postgres') });
      started.push({ name: 'PostgreSQL', stop: pg.stop });
      databaseUrl = pg.url;
    } else {
      log.info('using the PostgreSQL server at DATABASE_URL');
    }
    checkpoint();

    // 3. Migrations, 4. demo data
    const { applied } = await applyMigrations(databaseUrl);
    log.info({ applied: applied.length }, applied.length ? 'migrations applied' : 'database schema up to date');
    checkpoint();
    let seeded: SeedResult | undefined;
    if (opts.seed ?? true) {
      const db = createDb(databaseUrl);
      try {
        seeded = await seedDemoData(db, { log: sub('seed') });
      } finally {
        await db.$disconnect();
      }
    }
    checkpoint();

    // 5. Mail
    let smtpUrl = opts.smtpUrl;
    let mailboxUrl = opts.mailboxUrl;
    if (!smtpUrl) {
      const catcher = await startMailCatcher({
        dataDir,
        smtpPort: ports.smtp,
        httpPort: ports.mailbox,
        log: sub('mail'),
      });
      started.push({ name: 'mail catcher', stop: catcher.stop });
      smtpUrl = catcher.smtpUrl;
      mailboxUrl = catcher.apiUrl;
    }
    checkpoint();

    const publicUrl = opts.publicUrl ?? `http://localhost:${consolePort}`;
    const env: Record<string, string> = {
      ...opts.env,
      SAFEGUARD_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SMTP_URL: smtpUrl,
      PUBLIC_URL: publicUrl,
      CONSOLE_PORT: String(consolePort),
      ...(temporalUiUrl ? { TEMPORAL_UI_URL: temporalUiUrl } : {}),
      ...(mailboxUrl ? { MAILBOX_URL: mailboxUrl } : {}),
    };
    // Telemetry off: a local tool on a machine that may be offline has no business phoning home.
    // The console runs as a production build, which needs SECRETS_KEY: unless one is given, the data folder's own.
    const childEnv = { NEXT_TELEMETRY_DISABLED: '1', ...process.env, ...env, SECRETS_KEY: env.SECRETS_KEY || config().SECRETS_KEY?.toString('base64') || embeddedSecretsKey(dataDir) };

    let reportExit!: (e: ChildExit) => void;
    const childExited = new Promise<ChildExit>((resolve) => (reportExit = resolve));
    const supervise = (child: Child) => {
      children.push(track(child));
      started.push({ name: child.name, stop: () => child.stop(15_000) });
      void child.exited.then((e) => {
        if (stopping) return;
        log.error({ proc: e.name, code: e.code, signal: e.signal }, `${e.name} exited unexpectedly`);
        reportExit(e);
      });
    };

    // 6. Worker
    if (opts.worker ?? true) {
      const worker = spawnChild('worker', process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: ROOT, env: childEnv, log: procLog });
      supervise(worker);
      await waitForPoller(temporalAddress, namespace, taskQueue, worker);
      log.info({ taskQueue }, 'worker is polling');
    }
    checkpoint();

    // 6b. SMTP intake for mailed abuse reports (a free port unless one is given: tests run beside `npm start`)
    const intakeDb = createDb(databaseUrl);
    const intakeConnection = await Connection.connect({ address: temporalAddress, connectTimeout: 5_000 });
    started.push({ name: 'intake connections', stop: async () => Promise.all([intakeDb.$disconnect(), intakeConnection.close()]) });
    const intake = await startIntakeSmtp({
      port: ports.intakeSmtp ?? 0,
      db: intakeDb,
      temporal: new Client({ connection: intakeConnection, namespace }),
      taskQueue,
      log: sub('smtp-intake'),
    });
    started.push({ name: 'SMTP intake', stop: intake.stop });
    log.info({ url: intake.url }, 'SMTP intake is listening for abuse reports');
    checkpoint();

    // 6c. Flow collector and detectors (in this process by default; docs/scale-out.md for more machines)
    const flowPort = ports.flows ?? config().FLOW_UDP_PORT;
    let flowsUrl: string | undefined;
    if (flowPort !== undefined && (flowPort > 0 || ports.flows === 0)) {
      const detector = await startDetector({
        db: intakeDb,
        temporal: async () => new Client({ connection: intakeConnection, namespace }),
        taskQueue,
        udpPorts: [flowPort],
        host: '127.0.0.1',
        mailer: nodemailer.createTransport(smtpUrl),
        log: sub('detector'),
        engine: { thresholds: config().DETECTION_THRESHOLDS ? await loadThresholds(config().DETECTION_THRESHOLDS!) : undefined },
      });
      started.push({ name: 'flow collector', stop: detector.stop });
      flowsUrl = `udp://127.0.0.1:${detector.addresses[0]!.port}`;
      log.info({ url: flowsUrl }, 'flow collector is listening for NetFlow v5/v9 and IPFIX');
    }
    checkpoint();

    // 7. Console
    let consoleUrl: string | undefined;
    if (web) {
      const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
      const host = opts.consoleHost ?? '127.0.0.1';
      // Another build of the same tree (a second `npm start`, a test run) holds Next's build lock: wait for it, then
      // use its result if it is fresh.
      const buildDeadline = Date.now() + 10 * 60_000;
      while (web === 'build' && !consoleBuildIsFresh()) {
        log.info('building the console (next build web; a minute or two, again only after its sources change)');
        const build = spawnChild('next build', process.execPath, [next, 'build', 'web'], {
          cwd: ROOT,
          env: { ...childEnv, NODE_ENV: 'production' },
          log: procLog,
        });
        const abort = () => void build.stop(2_000);
        opts.signal?.addEventListener('abort', abort);
        const result = await build.exited;
        opts.signal?.removeEventListener('abort', abort);
        checkpoint();
        if (result.code === 0) break;
        if (/Another next build process is already running/.test(build.tail()) && Date.now() < buildDeadline) {
          log.info('another next build of this tree is running; waiting for it');
          await new Promise((r) => setTimeout(r, 5_000));
          checkpoint();
          continue;
        }
        throw new Error(`next build web failed (${result.code ?? result.signal}):\n${build.tail()}`);
      }
      const args = web === 'build' ? ['start', 'web'] : ['dev', 'web'];
      const consoleChild = spawnChild('console', process.execPath, [next, ...args, '-p', String(consolePort), '-H', host], {
        cwd: ROOT,
        env: { ...childEnv, NODE_ENV: web === 'build' ? 'production' : 'development' },
        log: procLog,
      });
      supervise(consoleChild);
      consoleUrl = `http://${host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host}:${consolePort}`;
      const probeUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${consolePort}/`;
      await waitFor(
        `the console at ${consoleUrl}`,
        async () => ((await fetch(probeUrl, { redirect: 'manual', signal: AbortSignal.timeout(5_000) })).status < 500 ? true : undefined),
        { timeoutMs: 180_000, intervalMs: 500, abort: () => exitedError(consoleChild) },
      );
      log.info({ url: consoleUrl }, 'console is up');
    }

    return {
      env,
      urls: {
        console: consoleUrl,
        temporalUi: temporalUiUrl,
        mailbox: mailboxUrl && consoleUrl ? `${consoleUrl}/mailbox` : undefined,
        mailboxApi: mailboxUrl,
        database: databaseUrl,
        temporal: temporalAddress,
        intakeSmtp: intake.url,
        flows: flowsUrl,
      },
      seeded,
      pids: Object.fromEntries(children.filter((c) => c.process.pid).map((c) => [c.name, c.process.pid!])),
      childExited,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
