// Migrations through Prisma's WebAssembly schema engine, against a real PostgreSQL (TEST_DATABASE_URL).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../lib/config';
import {
  applyMigrations,
  createMigration,
  databaseDrift,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  schemaDrift,
} from '../../prisma/migrate';
import { createTestDatabase, type TestDatabase } from '../support/database';

const migrateScript = fileURLToPath(new URL('../../prisma/migrate.ts', import.meta.url));
const committed = fs
  .readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

let tmp: string;
const databases: TestDatabase[] = [];

async function freshDatabase(migrate: boolean): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrate });
  databases.push(database);
  return database;
}

async function appliedRows(url: string): Promise<{ migration_name: string; checksum: string }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** A copy of schema.prisma with one extra column, i.e. a schema the committed migrations do not describe. */
function changedSchema(): string {
  const file = path.join(tmp, 'changed.prisma');
  const original = fs.readFileSync(DEFAULT_SCHEMA_PATH, 'utf8');
  const changed = original.replace('model HealthProbe {', 'model HealthProbe {\n  note String?');
  expect(changed).not.toBe(original);
  fs.writeFileSync(file, changed);
  return file;
}

function copyMigrations(): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'migrations-'));
  fs.cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-migrations-'));
  expect(committed.length).toBeGreaterThan(0);
});

afterEach(async () => {
  await Promise.all(databases.splice(0).map((d) => d.drop()));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('committed migrations', () => {
  it('build exactly the database schema.prisma describes, and a changed schema shows a difference', async () => {
    const { url } = await freshDatabase(true);
    expect(await databaseDrift(url)).toBe('');

    const drift = await databaseDrift(url, { schemaPath: changedSchema() });
    expect(drift).toMatch(/ALTER TABLE "HealthProbe" ADD COLUMN\s+"note" TEXT;/);
  });

  it('are described correctly with a CHECK constraint present (catalog "char" columns reach the engine as characters)', async () => {
    const { url } = await freshDatabase(true);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`ALTER TABLE "Case" ADD CONSTRAINT "Case_category_nonempty" CHECK (length("category") > 0)`);
    await client.end();
    // Prisma does not model CHECK constraints, so the database still matches; before the fix the engine panicked.
    expect(await databaseDrift(url)).toBe('');
  });

  it('match schema.prisma (schemaDrift is empty), and schemaDrift reports a schema change', async () => {
    const server = config().TEST_DATABASE_URL;
    expect(await schemaDrift(server)).toBe('');
    expect(await schemaDrift(server, { schemaPath: changedSchema() })).toMatch(/ADD COLUMN\s+"note" TEXT/);
  });
});

describe('applyMigrations', () => {
  it('records each migration with the sha256 of its file, and does nothing the second time', async () => {
    const { url } = await freshDatabase(false);
    expect(await applyMigrations(url)).toEqual({ applied: committed });
    expect(await applyMigrations(url)).toEqual({ applied: [] });

    const rows = await appliedRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(committed);
    for (const row of rows) {
      const sql = fs.readFileSync(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    }
  });

  it('refuses a migration edited after it was applied', async () => {
    const { url } = await freshDatabase(false);
    const dir = copyMigrations();
    await applyMigrations(url, { migrationsDir: dir });
    const edited = committed[0]!;
    fs.appendFileSync(path.join(dir, edited, 'migration.sql'), '\nCREATE TABLE "Sneaky" ("id" INT);\n');

    await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`${edited}.*changed after they were applied`),
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rowCount } = await client.query(`SELECT 1 FROM pg_tables WHERE tablename = 'Sneaky'`);
    await client.end();
    expect(rowCount).toBe(0);
  });

  it('applies once when two calls race in one process', async () => {
    const { url } = await freshDatabase(false);
    const results = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(committed);
    expect((await appliedRows(url)).map((r) => r.migration_name)).toEqual(committed);
  });

  it('applies once when two `migrate.ts deploy` processes race', async () => {
    const { url } = await freshDatabase(false);
    const deploy = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', migrateScript, 'deploy'], {
        // The child reads DATABASE_URL through lib/config like any deploy does.
        env: { ...process.env, DATABASE_URL: url },
        timeout: 60_000,
      });
    const outputs = await Promise.all([deploy(), deploy()]);
    const appliedLines = outputs.flatMap((o) => o.stdout.split('\n').filter((l) => l.startsWith('applied migration')));
    expect(appliedLines.sort()).toEqual(committed.map((name) => `applied migration ${name}`));
    expect(outputs.some((o) => o.stdout.includes('database schema is up to date'))).toBe(true);
    expect((await appliedRows(url)).map((r) => r.migration_name)).toEqual(committed);
  });

  it('runs a hand-written migration as one script (semicolons inside a function body), and a failing one not at all', async () => {
    const { url } = await freshDatabase(false);
    const dir = copyMigrations();
    fs.mkdirSync(path.join(dir, '29990101000000_function'));
    fs.writeFileSync(
      path.join(dir, '29990101000000_function', 'migration.sql'),
      `CREATE FUNCTION safeguard_two() RETURNS int LANGUAGE plpgsql AS $$ DECLARE x int; BEGIN x := 2; RETURN x; END $$;\n`,
    );
    expect((await applyMigrations(url, { migrationsDir: dir })).applied).toContain('29990101000000_function');

    fs.mkdirSync(path.join(dir, '29990102000000_broken'));
    fs.writeFileSync(
      path.join(dir, '29990102000000_broken', 'migration.sql'),
      'CREATE TABLE "HalfDone" ("id" INT);\nSELECT no_such_function();\n',
    );
    await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(/29990102000000_broken[\s\S]*no_such_function/);
    await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(/29990102000000_broken failed earlier/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const two = await client.query('SELECT safeguard_two() AS v');
    const halfDone = await client.query(`SELECT 1 FROM pg_tables WHERE tablename = 'HalfDone'`);
    await client.end();
    expect(two.rows[0].v).toBe(2);
    expect(halfDone.rowCount).toBe(0);
  });

  it('fails with a clear message when the database does not exist', async () => {
    const url = new URL(config().TEST_DATABASE_URL);
    url.pathname = '/safeguard_test_missing_database';
    await expect(applyMigrations(url.toString())).rejects.toThrow(/safeguard_test_missing_database.*does not exist/);
  });
});

describe('createMigration', () => {
  it('writes the SQL for a schema change as a new migration that closes the drift', async () => {
    const { url } = await freshDatabase(true);
    const dir = copyMigrations();
    const schemaPath = changedSchema();

    const created = await createMigration(url, 'add_probe_note', { migrationsDir: dir, schemaPath });
    expect(created.name).toMatch(/^\d{14}_add_probe_note$/);
    expect(created.empty).toBe(false);
    expect(fs.readFileSync(path.join(created.path, 'migration.sql'), 'utf8')).toMatch(/ADD COLUMN\s+"note" TEXT/);
    expect(fs.readFileSync(path.join(dir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');

    expect(await schemaDrift(url, { migrationsDir: dir, schemaPath })).toBe('');
    expect(await applyMigrations(url, { migrationsDir: dir })).toEqual({ applied: [created.name] });
    expect(await databaseDrift(url, { schemaPath })).toBe('');
  });

  it('applies pending migrations first when the development database is empty', async () => {
    const { url } = await freshDatabase(false);
    const dir = copyMigrations();
    const created = await createMigration(url, 'add_probe_note', { migrationsDir: dir, schemaPath: changedSchema() });
    expect(fs.readFileSync(path.join(created.path, 'migration.sql'), 'utf8')).toMatch(/ADD COLUMN\s+"note" TEXT/);
    expect(await applyMigrations(url, { migrationsDir: dir })).toEqual({ applied: [created.name] });
  });
});
