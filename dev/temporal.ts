// The embedded Temporal server: `temporal server start-dev` on a SQLite file, so running cases survive a restart.
// The CLI comes from TEMPORAL_CLI_PATH, PATH, the cache, or is built into the cache with Go;
// on a machine with neither Go nor the CLI, the SDK's own ephemeral-server download is the fallback.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { config } from '../lib/config';
import { childLogger } from '../lib/log';
import { isPortFree, waitFor } from './net';

const run = promisify(execFile);

/** The last tag that `go install …@version` accepts; later tags carry a replace directive in go.mod. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** SQLite settings for the dev server's store: WAL makes it several times faster under load. */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

// One partition per task queue: a single-node server with a few workers otherwise spreads tasks over four partitions
// that the pollers must find, and loses sync matches (≈+50 % empty workflows/s here, `npm run bench:intake`).
export const DYNAMIC_CONFIG = ['matching.numTaskqueueReadPartitions=1', 'matching.numTaskqueueWritePartitions=1'] as const;

async function runs(binary: string): Promise<boolean> {
  try {
    await run(binary, ['--version'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function cachedCliPath(): string {
  return path.join(config().SAFEGUARD_CACHE_DIR, 'bin', 'temporal');
}

/**
 * Finds a runnable `temporal` CLI, building it into the cache with `go install` when needed.
 * Returns undefined only when there is no CLI and no Go toolchain (the caller may then fall back to the SDK download).
 */
export async function findOrBuildTemporalCli(log: Logger = childLogger('temporal')): Promise<string | undefined> {
  const explicit = config().TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!(await runs(explicit))) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not a runnable temporal binary`);
    return explicit;
  }
  const fromPath = await onPath('temporal');
  if (fromPath && (await runs(fromPath))) return fromPath;
  const cached = cachedCliPath();
  if (fs.existsSync(cached) && (await runs(cached))) return cached;

  const go = (await onPath('go')) ?? (fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) return undefined;
  log.info({ module: TEMPORAL_CLI_MODULE, into: path.dirname(cached) }, 'building the Temporal CLI with go install (a few minutes, once)');
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const started = Date.now();
  try {
    await run(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: path.dirname(cached), GOFLAGS: '-trimpath' },
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed:\n${stderr.slice(-4000)}`);
  }
  log.info({ seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal CLI built');
  return cached;
}

/** Like findOrBuildTemporalCli, but fails with an explanation when no CLI can be had. */
export async function ensureTemporalCli(log?: Logger): Promise<string> {
  const cli = await findOrBuildTemporalCli(log);
  if (!cli) {
    throw new Error(
      'No Temporal CLI: put `temporal` on PATH, set TEMPORAL_CLI_PATH, or install Go so it can be built ' +
        `(go install ${TEMPORAL_CLI_MODULE}).`,
    );
  }
  return cli;
}

/** True when the SQLite file's header says it is in WAL mode (bytes 18 and 19 are 2). */
export function sqliteUsesWal(dbFile: string): boolean {
  const fd = fs.openSync(dbFile, 'r');
  try {
    const header = Buffer.alloc(20);
    fs.readSync(fd, header, 0, 20, 0);
    return header[18] === 2 && header[19] === 2;
  } finally {
    fs.closeSync(fd);
  }
}

export interface TemporalDevServerOptions {
  /** Folder for the SQLite store; the file is <dataDir>/temporal/temporal.db. */
  dataDir: string;
  ip?: string;
  port?: number;
  /** Web UI port; 0 disables the UI. */
  uiPort?: number;
  namespace?: string;
  log?: Logger;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
  /** SQLite pragmas for the store; the benchmark compares against none. */
  sqlitePragmas?: readonly string[];
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | undefined;
  dbFile: string;
  stop(): Promise<void>;
}

// Forwards the server's JSON log lines to pino at their own level.
function forwardLogs(child: ChildProcess, log: Logger, tail: string[]): void {
  const onLine = (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      const level = entry.level === 'error' || entry.level === 'fatal' ? 'error' : entry.level === 'warn' ? 'warn' : 'debug';
      log[level]({ server: entry }, entry.msg ?? 'temporal');
    } catch {
      log.debug(line);
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
}

async function waitUntilServing(address: string, namespace: string, timeoutMs: number, abort: () => Error | undefined) {
  await waitFor(
    `the Temporal frontend at ${address}`,
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      } finally {
        await connection.close();
      }
    },
    { timeoutMs, intervalMs: 300, abort },
  );
}

/** Starts `temporal server start-dev` and resolves once the frontend answers for the namespace. */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = opts.log ?? childLogger('temporal');
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  const namespace = opts.namespace ?? 'default';
  const address = `${ip}:${port}`;
  const uiUrl = uiPort ? `http://localhost:${uiPort}` : undefined;
  const dbFile = path.join(opts.dataDir, 'temporal', 'temporal.db');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });

  for (const p of uiPort ? [port, uiPort] : [port]) {
    if (!(await isPortFree(p, ip))) {
      throw new Error(`Port ${p} on ${ip} is in use: is another Temporal server running? Stop it, or set TEMPORAL_ADDRESS to use it.`);
    }
  }

  const cli = await findOrBuildTemporalCli(log);
  if (!cli) return startWithSdkDownload({ ...opts, ip, port, uiPort, namespace, dbFile, log });

  const args = ['server', 'start-dev', '--db-filename', dbFile, '--ip', ip, '--port', String(port), '--log-format', 'json', '--log-level', 'warn'];
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const pragma of opts.sqlitePragmas ?? SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  for (const setting of DYNAMIC_CONFIG) args.push('--dynamic-config-value', setting);

  // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which stops the server after the worker.
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail: string[] = [];
  forwardLogs(child, log, tail);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
  });
  // Never leave the server behind if this process dies without calling stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (exit) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilServing(address, namespace, opts.readyTimeoutMs ?? 60_000, () =>
      exit ? new Error(`temporal server start-dev exited (${exit.code ?? exit.signal}):\n${tail.join('\n')}`) : undefined,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  if ((opts.sqlitePragmas ?? SQLITE_PRAGMAS).includes('journal_mode=wal') && !sqliteUsesWal(dbFile)) log.warn({ dbFile }, 'the Temporal SQLite store is not in WAL mode: expect it to be slow');
  log.info({ address, uiUrl, dbFile }, 'Temporal dev server ready');
  return { address, uiUrl, dbFile, stop };
}

// Fallback for a machine with internet but neither Go nor the CLI: the SDK downloads the CLI itself.
async function startWithSdkDownload(
  opts: Required<Pick<TemporalDevServerOptions, 'ip' | 'port' | 'uiPort' | 'namespace'>> & { dbFile: string; log: Logger },
): Promise<TemporalDevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  opts.log.warn('no Temporal CLI and no Go: using the SDK download of the Temporal CLI');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download', downloadDir: path.join(config().SAFEGUARD_CACHE_DIR, 'sdk-download') },
      ip: opts.ip,
      port: opts.port,
      ui: opts.uiPort !== 0,
      uiPort: opts.uiPort || undefined,
      namespace: opts.namespace,
      dbFilename: opts.dbFile,
      extraArgs: [...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]), ...DYNAMIC_CONFIG.flatMap((d) => ['--dynamic-config-value', d])],
    },
  });
  return {
    address: `${opts.ip}:${opts.port}`,
    uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : undefined,
    dbFile: opts.dbFile,
    stop: () => env.teardown(),
  };
}
