// `npm test`: prepares what the suite needs on this machine, then typechecks and runs every vitest project.
// Needs: PostgreSQL reachable at TEST_DATABASE_URL (default 127.0.0.1:5432, user postgres), Go or a Temporal CLI,
// and Chromium (installed with apt-get when running as root on Debian).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';
import { config } from '../lib/config';
import { childLogger } from '../lib/log';
import { ensureTemporalCli } from '../dev/temporal';
import { CHROMIUM_PATH } from '../test/support/browser';

const log = childLogger('test');

function run(cmd: string, args: string[]): number {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  return result.status ?? 1;
}

async function checkPostgres(): Promise<void> {
  const url = config().TEST_DATABASE_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${url} (${String(err)}); start it or set TEST_DATABASE_URL`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function ensureChromium(): void {
  if (fs.existsSync(CHROMIUM_PATH)) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium)`);
  }
  log.info('installing Debian chromium for the browser tests');
  if (run('apt-get', ['update', '-qq']) !== 0 || run('apt-get', ['install', '-y', '-qq', 'chromium']) !== 0) {
    throw new Error('apt-get install chromium failed');
  }
}

async function main(): Promise<number> {
  await checkPostgres();
  await ensureTemporalCli(log);
  ensureChromium();
  const extra = process.argv.slice(2);
  if (extra.length === 0) {
    log.info('typechecking');
    if (run('npx', ['tsc', '-p', 'tsconfig.json']) !== 0) return 1;
    log.info('linting');
    if (run('npx', ['eslint', '.']) !== 0) return 1;
  }
  return run('npx', ['vitest', 'run', ...extra]);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
