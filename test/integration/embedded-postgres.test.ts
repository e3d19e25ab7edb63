// The embedded PostgreSQL (PGlite behind dev/pglite-server.ts): many pooled clients at once, as the migration runner,
// the worker and the console use it, and data that survives a clean and an unclean stop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../dev/postgres';
import { createDb } from '../../lib/db';

let dataDir: string;
let server: EmbeddedPostgres;
const pools: pg.Pool[] = [];

function pool(max = 4): pg.Pool {
  const p = new pg.Pool({ connectionString: server.url, max });
  p.on('error', () => undefined); // a test below cuts connections off on purpose
  pools.push(p);
  return p;
}

async function endPools(): Promise<void> {
  await Promise.all(pools.splice(0).map((p) => p.end()));
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-pg-'));
  server = await startEmbeddedPostgres({ dataDir, port: 0, idleInTransactionTimeoutMs: 1_500 });
  const setup = new pg.Client(server.url);
  await setup.connect();
  await setup.query('CREATE TABLE item (id int PRIMARY KEY, owner text NOT NULL, cidr inet)');
  await setup.end();
});

afterAll(async () => {
  await endPools();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  it('serves two pools of clients at once: interleaved queries, errors, prepared statements and transactions', async () => {
    const a = pool();
    const b = pool();
    const committed: number[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 240 }, async (_, i) => {
        const p = i % 2 ? a : b;
        switch (i % 4) {
          case 0: {
            // Same statement name on every connection of both pools: the server keeps them apart.
            const r = await p.query({ name: 'echo', text: 'SELECT $1::int AS n, $2::text AS s', values: [i, `v${i}`] });
            return r.rows[0].n === i && r.rows[0].s === `v${i}`;
          }
          case 1: {
            const err = await p.query('SELECT 1 / ($1::int - $1::int)', [i]).then(() => undefined, (e: Error) => e);
            return /division by zero/.test(String(err));
          }
          case 2: {
            const c = await p.connect();
            try {
              await c.query('BEGIN');
              await c.query('INSERT INTO item (id, owner, cidr) VALUES ($1, $2, $3)', [i, `tx${i}`, '192.0.2.0/24']);
              await new Promise((r) => setTimeout(r, 3)); // other clients queue meanwhile
              const seen = await c.query('SELECT owner FROM item WHERE id = $1', [i]);
              const commit = i % 8 === 2;
              await c.query(commit ? 'COMMIT' : 'ROLLBACK');
              if (commit) committed.push(i);
              return seen.rows[0]?.owner === `tx${i}`;
            } finally {
              c.release();
            }
          }
          default: {
            const r = await p.query("SELECT $1::inet <<= '192.0.2.0/24'::inet AS inside", ['192.0.2.77']);
            return r.rows[0].inside === true;
          }
        }
      }),
    );
    const failures = results.filter((r) => r.status === 'rejected' || r.value !== true);
    expect(failures).toEqual([]);
    const rows = await a.query('SELECT id FROM item ORDER BY id');
    expect(rows.rows.map((r) => r.id)).toEqual(committed.sort((x, y) => x - y));
    await a.query('DELETE FROM item');
  });

  it('rolls back what a vanished client left open, without blocking the others', async () => {
    const p = pool();
    const quitter = new pg.Client(server.url);
    quitter.on('error', () => undefined);
    await quitter.connect();
    await quitter.query('BEGIN');
    await quitter.query("INSERT INTO item (id, owner) VALUES (1, 'never committed')");
    // Drop the TCP connection with no Terminate message, as a crashed process would.
    (quitter as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const r = await p.query('SELECT count(*)::int AS n FROM item');
    expect(r.rows[0].n).toBe(0);
  });

  it('cuts off a client idle in a transaction once the timeout passes', async () => {
    const p = pool();
    const idler = new pg.Client(server.url);
    const idlerErrors: Error[] = [];
    idler.on('error', (e) => idlerErrors.push(e));
    await idler.connect();
    await idler.query('BEGIN');
    await idler.query("INSERT INTO item (id, owner) VALUES (2, 'idle')");
    const started = Date.now();
    const r = await p.query('SELECT count(*)::int AS n FROM item'); // waits for the idler to be cut off
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(r.rows[0].n).toBe(0);
    await expect(idler.query('SELECT 1')).rejects.toThrow();
    expect(idlerErrors.map(String).join(' ')).toMatch(/idle-in-transaction timeout/);
  });

  it('works for Prisma through adapter-pg, interactive transactions included', async () => {
    const db = createDb(server.url);
    try {
      const rows0 = await db.$queryRaw<{ version: string }[]>`SELECT version()`;
      expect(rows0[0]?.version).toMatch(/PGlite/);
      await expect(
        db.$transaction(async (tx) => {
          await tx.$executeRaw`INSERT INTO item (id, owner) VALUES (3, 'rolled back')`;
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await db.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO item (id, owner) VALUES (4, 'kept')`;
      });
      const rows = await db.$queryRaw<{ id: number }[]>`SELECT id FROM item ORDER BY id`;
      expect(rows.map((r) => r.id)).toEqual([4]);
    } finally {
      await db.$disconnect();
    }
  });

  it('keeps its data across a stop and a start, and refuses a second server on the same data', async () => {
    await endPools();
    await server.stop();
    expect(fs.existsSync(path.join(dataDir, 'postgres.lock'))).toBe(false);
    server = await startEmbeddedPostgres({ dataDir, port: 0 });
    const r = await pool().query('SELECT owner FROM item');
    expect(r.rows).toEqual([{ owner: 'kept' }]);
    await expect(startEmbeddedPostgres({ dataDir, port: 0 })).rejects.toThrow(/already running in this process/);

    await endPools();
    await server.stop();
    // A lock held by another live process (our parent stands in for a second `npm start`).
    fs.writeFileSync(path.join(dataDir, 'postgres.lock'), JSON.stringify({ pid: process.ppid, startedAt: 'earlier' }));
    await expect(startEmbeddedPostgres({ dataDir, port: 0 })).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    fs.rmSync(path.join(dataDir, 'postgres.lock'));
    server = await startEmbeddedPostgres({ dataDir, port: 0 });
  });

  it('recovers committed data after the process holding it is killed', async () => {
    await endPools();
    await server.stop();
    const postgresModule = fileURLToPath(new URL('../../dev/postgres.ts', import.meta.url));
    const script = `
      import pg from 'pg';
      import { startEmbeddedPostgres } from ${JSON.stringify(postgresModule)};
      const s = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: 0 });
      const c = new pg.Client(s.url);
      await c.connect();
      await c.query("INSERT INTO item (id, owner) VALUES (5, 'before the crash')");
      console.log('COMMITTED');
      setInterval(() => c.query('SELECT 1'), 10);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('COMMITTED') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(path.join(dataDir, 'postgres.lock'))).toBe(true); // left behind, as after a crash

    server = await startEmbeddedPostgres({ dataDir, port: 0 });
    const r = await pool().query('SELECT id, owner FROM item ORDER BY id');
    expect(r.rows).toEqual([
      { id: 4, owner: 'kept' },
      { id: 5, owner: 'before the crash' },
    ]);
  });
});
