// Reading the migrations folder and database URLs for the schema engine (prisma/migrate/files.ts, engine.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineError, parseDatabaseUrl, redact } from '../../prisma/migrate/engine';
import { readMigrationsDir, validateMigrationName, writeMigration } from '../../prisma/migrate/files';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-migdir-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function migration(name: string, sql?: string): void {
  fs.mkdirSync(path.join(dir, name));
  if (sql !== undefined) fs.writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}

describe('readMigrationsDir', () => {
  it('lists migration folders in timestamp order with their SQL and the lock file', async () => {
    migration('20260102000000_second', 'SELECT 2;');
    migration('20260101000000_first', 'SELECT 1;');
    fs.writeFileSync(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    fs.writeFileSync(path.join(dir, 'README.txt'), 'not a migration');

    const list = await readMigrationsDir(dir);
    expect(list.baseDir).toBe(dir);
    expect(list.lockfile).toEqual({ path: 'migration_lock.toml', content: 'provider = "postgresql"\n' });
    expect(list.migrationDirectories).toEqual([
      { path: '20260101000000_first', migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: 'SELECT 1;' } } },
      { path: '20260102000000_second', migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: 'SELECT 2;' } } },
    ]);
  });

  it('reports a folder without migration.sql as an error entry, and a missing folder as an empty history', async () => {
    migration('20260101000000_broken');
    const list = await readMigrationsDir(dir);
    expect(list.lockfile.content).toBeNull();
    expect(list.migrationDirectories[0]?.migrationFile.content).toMatchObject({ tag: 'error', value: expect.stringMatching(/ENOENT/) });

    const missing = await readMigrationsDir(path.join(dir, 'nope'));
    expect(missing.migrationDirectories).toEqual([]);
  });

  it('writes a new migration and the lock file, and never overwrites an existing migration', async () => {
    const folder = await writeMigration(dir, '20260101000000_init', 'CREATE TABLE t ();\n', 'postgresql');
    expect(fs.readFileSync(path.join(folder, 'migration.sql'), 'utf8')).toBe('CREATE TABLE t ();\n');
    expect(fs.readFileSync(path.join(dir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
    await expect(writeMigration(dir, '20260101000000_init', 'DROP TABLE t;', 'postgresql')).rejects.toThrow(/already exists/);
    expect(fs.readFileSync(path.join(folder, 'migration.sql'), 'utf8')).toBe('CREATE TABLE t ();\n');
  });
});

describe('validateMigrationName', () => {
  it('accepts snake_case names and rejects anything that is not a safe folder suffix', () => {
    expect(validateMigrationName(' add_case_priority ')).toBe('add_case_priority');
    for (const bad of ['', 'add column', '../escape', 'a-b', 'x'.repeat(201)]) {
      expect(() => validateMigrationName(bad)).toThrow(/letters, digits or underscores/);
    }
  });
});

describe('parseDatabaseUrl', () => {
  it('splits the URL into separate fields, decoding the password', () => {
    expect(parseDatabaseUrl('postgresql://app:p%40ss@db.internal:6543/safeguard?schema=tenant_a')).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'app',
      password: 'p@ss',
      database: 'safeguard',
      schema: 'tenant_a',
    });
    expect(parseDatabaseUrl('postgres://127.0.0.1/x')).toMatchObject({ port: 5432, user: 'postgres', schema: 'public' });
  });

  it('rejects URLs it cannot use, without echoing the password', () => {
    expect(() => parseDatabaseUrl('mysql://u@h/db')).toThrow(/postgresql:\/\//);
    expect(() => parseDatabaseUrl('postgresql://u:secret@h:5432/')).toThrow(/names no database/);
    expect(() => parseDatabaseUrl('postgresql://u:secret@h:5432/')).not.toThrow(/secret/);
    expect(() => parseDatabaseUrl('not a url')).toThrow(/Not a valid database URL/);
    expect(redact('postgresql://u:secret@h/db')).toBe('postgresql://u:***@h/db');
  });
});

describe('engineError', () => {
  it('keeps the Prisma error code and message and drops the Rust backtrace', () => {
    const raw = Object.assign(new Error('Timed out acquiring the advisory lock\n   0: schema_engine_wasm::x\n      at engine.rs:1'), {
      code: 'P1002',
    });
    expect(engineError(raw).message).toBe('P1002: Timed out acquiring the advisory lock');
  });
});
