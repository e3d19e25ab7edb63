// The embedded PostgreSQL of `npm start` when DATABASE_URL is unset: PGlite persisted under <dataDir>/postgres,
// served over the PostgreSQL wire protocol so Prisma, the migration runner, the worker and the console share it.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import { childLogger } from '../lib/log';
import { isPortFree } from './net';
import { PGliteWireServer } from './pglite-server';

export const DEFAULT_EMBEDDED_POSTGRES_PORT = 5433;

export interface EmbeddedPostgresOptions {
  /** The data folder; the cluster lives in <dataDir>/postgres. */
  dataDir: string;
  port?: number;
  host?: string;
  log?: Logger;
  /** See PGliteWireServerOptions.idleInTransactionTimeoutMs. */
  idleInTransactionTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** postgresql://… for pg, Prisma's adapter-pg and psql. */
  url: string;
  port: number;
  clusterDir: string;
  stop(): Promise<void>;
}

interface LockOwner {
  pid: number;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process at a time may open the cluster: two PGlite instances on one folder would corrupt it.
 * A lock left by a process that died is taken over; PostgreSQL then recovers from its WAL as after a crash.
 */
function acquireLock(lockFile: string, log: Logger): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() } satisfies LockOwner), {
        flag: 'wx',
      });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockOwner;
    } catch {
      owner = undefined; // a half-written lock: its writer died before finishing
    }
    if (owner && owner.pid !== process.pid && alive(owner.pid)) {
      throw new Error(
        `The embedded PostgreSQL data in ${path.dirname(lockFile)} is in use by process ${owner.pid} (since ${owner.startedAt}). ` +
          'Stop that process (is another `npm start` running?) or use another SAFEGUARD_DATA_DIR.',
      );
    }
    if (owner?.pid === process.pid) throw new Error(`The embedded PostgreSQL in ${path.dirname(lockFile)} is already running in this process`);
    log.warn({ previousPid: owner?.pid }, 'the previous embedded PostgreSQL did not stop cleanly; it will recover from its write-ahead log');
    fs.rmSync(lockFile, { force: true });
  }
  throw new Error(`Could not lock ${lockFile}`);
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? childLogger('postgres');
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_EMBEDDED_POSTGRES_PORT;
  const clusterDir = path.join(path.resolve(opts.dataDir), 'postgres');
  fs.mkdirSync(clusterDir, { recursive: true });

  if (port !== 0 && !(await isPortFree(port, host))) {
    throw new Error(
      `Port ${port} on ${host} is in use, so the embedded PostgreSQL cannot listen there. ` +
        'Stop whatever uses it, choose another port (EMBEDDED_POSTGRES_PORT), or set DATABASE_URL to use an existing server.',
    );
  }

  const releaseLock = acquireLock(path.join(opts.dataDir, 'postgres.lock'), log);
  const fresh = !fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
  let db: PGlite | undefined;
  let server: PGliteWireServer | undefined;
  try {
    const started = Date.now();
    db = await PGlite.create({ dataDir: clusterDir });
    server = new PGliteWireServer({ db, host, port, log, idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs });
    const actualPort = await server.listen();
    // PGlite trusts every connection; the password only satisfies clients that insist on one.
    const url = `postgresql://postgres:postgres@${host}:${actualPort}/postgres`;
    log.info({ url, clusterDir, fresh, ms: Date.now() - started }, fresh ? 'embedded PostgreSQL created' : 'embedded PostgreSQL started');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        try {
          await server!.close();
          await db!.close();
        } finally {
          releaseLock();
        }
        log.info({ clusterDir }, 'embedded PostgreSQL stopped');
      })());
    return { url, port: actualPort, clusterDir, stop };
  } catch (err) {
    await server?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    releaseLock();
    throw err;
  }
}
