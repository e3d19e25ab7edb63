// A fresh, uniquely named PostgreSQL database per test file, on the server named by TEST_DATABASE_URL.
import crypto from 'node:crypto';
import pg from 'pg';
import { config } from '../../lib/config';
import { applyMigrations } from '../../prisma/migrate';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Ends every session on it and drops it. */
  drop(): Promise<void>;
}

async function onServer<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at TEST_DATABASE_URL (${err.message})`);
  });
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database and, unless `migrate: false`, applies prisma/migrations to it. */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = config().TEST_DATABASE_URL;
  // Lower case, letters and digits only: needs no quoting and fits PostgreSQL's 63-byte identifier limit.
  const name = `safeguard_test_${Date.now().toString(36)}_${crypto.randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await onServer(serverUrl, async (client) => {
      // Pools a test forgot to close would otherwise make DROP DATABASE fail with "being accessed by other users".
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      await client.query(`DROP DATABASE IF EXISTS ${name}`);
    });
  };

  if (opts.migrate !== false) {
    try {
      await applyMigrations(url.toString());
    } catch (err) {
      await drop();
      throw err;
    }
  }
  return { url: url.toString(), drop };
}
