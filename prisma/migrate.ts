// Database migrations in Prisma's standard layout (prisma/migrations, `_prisma_migrations`), run through
// Prisma's WebAssembly schema engine because the native one cannot be downloaded (see prisma/README.md).
//   tsx prisma/migrate.ts deploy          apply pending migrations to DATABASE_URL (`prisma migrate deploy`)
//   tsx prisma/migrate.ts create <name>   write a new migration from schema.prisma (`prisma migrate dev --create-only`)
//   tsx prisma/migrate.ts status          applied / pending / edited / failed migrations on DATABASE_URL
//   tsx prisma/migrate.ts diff            SQL the migrations lack to match schema.prisma (exit 2 when there is some)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiagnoseMigrationHistoryOutput, DiffTarget, SchemaFilter } from '@prisma/schema-engine-wasm';
import { required } from '../lib/config';
import pg from 'pg';
import { engineError, redact, withEngine } from './migrate/engine';
import {
  DEFAULT_MIGRATIONS_DIR,
  readMigrationsDir,
  readSchemaFiles,
  validateMigrationName,
  writeMigration,
} from './migrate/files';

export { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH } from './migrate/files';

export interface MigrateOptions {
  /** Progress messages (which migrations were applied or written). */
  log?: (msg: string) => void;
  /** Defaults to prisma/migrations. */
  migrationsDir?: string;
  /** Defaults to prisma/schema.prisma. */
  schemaPath?: string;
}

// Safeguard manages every table in its database; nothing is external.
const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

// What the engine prints for a diff without changes; it is not SQL to apply.
const EMPTY_MIGRATION = '-- This is an empty migration.';

/**
 * `prisma migrate deploy`: applies the committed migrations the database lacks, in order, and records them in
 * `_prisma_migrations`. Refuses a migration edited after it was applied. Safe to run from several processes at
 * once: the engine holds a PostgreSQL advisory lock for the whole run, and the second runner finds nothing to do.
 */
export async function applyMigrations(databaseUrl: string, opts: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const log = opts.log ?? (() => {});
  const migrationsList = await readMigrationsDir(opts.migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new Error(`No migrations found in ${migrationsList.baseDir}`);
  }
  return withDeployLock(databaseUrl, () => withEngine(databaseUrl, {}, async (engine) => {
    const history = await engine.diagnoseMigrationHistory({
      migrationsList,
      optInToShadowDatabase: false,
      filters: NO_FILTER,
    });
    refuseUnsafeHistory(history, databaseUrl, migrationsList.baseDir);
    const { appliedMigrationNames } = await engine
      .applyMigrations({ migrationsList, filters: NO_FILTER })
      .catch(async (err: unknown) => {
        // The wasm engine's error does not say which migration failed; the migrations table does.
        const after = await engine
          .diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTER })
          .catch(() => undefined);
        const failed = after?.failedMigrationNames.filter((n) => !history.failedMigrationNames.includes(n)) ?? [];
        if (failed.length === 0) throw err;
        throw new Error(
          `Migration ${failed.join(', ')} failed to apply to ${redact(databaseUrl)} (its statements were rolled ` +
            `back; it is recorded as failed in _prisma_migrations):\n${engineError(err).message}`,
          { cause: err },
        );
      });
    for (const name of appliedMigrationNames) log(`applied migration ${name}`);
    if (appliedMigrationNames.length === 0) log('database schema is up to date');
    return { applied: appliedMigrationNames };
  }));
}

// Our own lock around check-and-apply: the engine locks only while applying, so a second runner's history check
// could otherwise see the first runner's migration in progress and take it for a failed one.
const DEPLOY_LOCK_ID = 0x5afe_d3b1;

async function withDeployLock<T>(databaseUrl: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect().catch((err: unknown) => {
    throw engineError(err);
  });
  try {
    await client.query(`SET lock_timeout = '10min'`);
    await client.query('SELECT pg_advisory_lock($1)', [DEPLOY_LOCK_ID]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [DEPLOY_LOCK_ID]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The engine's deploy ignores edited files; we do not, since the database would silently differ from the SQL in git. */
function refuseUnsafeHistory(history: DiagnoseMigrationHistoryOutput, databaseUrl: string, dir: string): void {
  const where = redact(databaseUrl);
  if (history.editedMigrationNames.length > 0) {
    throw new Error(
      `Refusing to migrate ${where}: migration(s) ${history.editedMigrationNames.join(', ')} were changed after ` +
        'they were applied (checksum differs from _prisma_migrations). Restore the committed file and put the ' +
        'change in a new migration (npm run db:migration -- <name>).',
    );
  }
  if (history.failedMigrationNames.length > 0) {
    throw new Error(
      `Refusing to migrate ${where}: migration(s) ${history.failedMigrationNames.join(', ')} failed earlier and are ` +
        'recorded as failed in _prisma_migrations. Repair the database by hand, then mark the row rolled back.',
    );
  }
  if (history.history?.diagnostic === 'historiesDiverge') {
    throw new Error(
      `Refusing to migrate ${where}: its migration history diverges from ${dir} after ` +
        `${history.history.lastCommonMigrationName ?? 'the first migration'} (database has ` +
        `${history.history.unpersistedMigrationNames.join(', ')} that the folder lacks).`,
    );
  }
}

/**
 * `prisma migrate dev --create-only --name <name>`: applies pending migrations to the development database at
 * `databaseUrl`, then writes <migrations>/<timestamp>_<name>/migration.sql with the SQL that takes the migrations
 * to schema.prisma. Replays the history on a throwaway shadow database, so the role must be allowed to create databases.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  opts: MigrateOptions = {},
): Promise<{ name: string; path: string; empty: boolean; warnings: string[] }> {
  const log = opts.log ?? (() => {});
  const migrationName = validateMigrationName(name);
  const schemaFiles = await readSchemaFiles(opts.schemaPath);
  const schema = { files: schemaFiles.map(([file, content]) => ({ path: file, content })) };
  // Pending migrations go first, through their own engine session: an engine that has just applied migrations
  // refuses to open a shadow database ("must be provided through an external factory").
  const { applied } = await applyMigrations(databaseUrl, { migrationsDir: opts.migrationsDir });
  for (const m of applied) log(`applied pending migration ${m} first`);
  return withEngine(databaseUrl, { schemaFiles }, async (engine) => {
    const migrationsList = await readMigrationsDir(opts.migrationsDir);
    const { action } = await engine.devDiagnostic({ migrationsList, filters: NO_FILTER });
    if (action.tag === 'reset') {
      throw new Error(
        `The development database ${redact(databaseUrl)} does not match the migrations: ${action.reason}\n` +
          'Point DATABASE_URL at a fresh database (or drop and recreate this one; its data is lost), then retry.',
      );
    }
    const loss = await engine.evaluateDataLoss({ migrationsList, schema, filters: NO_FILTER });
    if (loss.unexecutableSteps.length > 0) {
      throw new Error(
        `The change cannot be applied as generated:\n${loss.unexecutableSteps.map((s) => `  - ${s.message}`).join('\n')}\n` +
          'Make the change in steps (e.g. add the column as optional, backfill, then make it required).',
      );
    }
    const warnings = loss.warnings.map((w) => w.message);
    const created = await engine.createMigration({
      draft: true,
      migrationName,
      migrationsList,
      schema,
      filters: NO_FILTER,
    });
    if (created.migrationScript === null) throw new Error('The schema engine returned no migration script');
    const folder = await writeMigration(
      migrationsList.baseDir,
      created.generatedMigrationName,
      created.migrationScript,
      created.connectorType,
    );
    const empty = loss.migrationSteps === 0;
    log(`wrote ${path.relative(process.cwd(), path.join(folder, 'migration.sql'))}${empty ? ' (empty: schema.prisma has no changes)' : ''}`);
    for (const warning of warnings) log(`warning: ${warning}`);
    return { name: created.generatedMigrationName, path: folder, empty, warnings };
  });
}

/**
 * SQL that would take the committed migrations to the current schema.prisma; '' means they match (the CI guard
 * that the committed SQL was generated from the committed schema). The migrations are replayed on a throwaway
 * shadow database on the server of `databaseUrl`; that database itself is not touched.
 */
export function schemaDrift(
  databaseUrl: string = required('DATABASE_URL'),
  opts: Omit<MigrateOptions, 'log'> = {},
): Promise<string> {
  return diffToSchema(databaseUrl, 'migrations', opts);
}

/** SQL that would take the live database at `databaseUrl` to schema.prisma; '' means it matches exactly. */
export function databaseDrift(databaseUrl: string, opts: Omit<MigrateOptions, 'log'> = {}): Promise<string> {
  return diffToSchema(databaseUrl, 'database', opts);
}

/** The engine's exit code and its output must agree, so a silent failure cannot pass for "no changes". */
async function diffToSchema(
  databaseUrl: string,
  from: 'migrations' | 'database',
  opts: Omit<MigrateOptions, 'log'>,
): Promise<string> {
  const schemaFiles = await readSchemaFiles(opts.schemaPath);
  const files = schemaFiles.map(([file, content]) => ({ path: file, content }));
  let source: DiffTarget;
  if (from === 'migrations') {
    const migrationsList = await readMigrationsDir(opts.migrationsDir);
    if (migrationsList.migrationDirectories.length === 0) {
      throw new Error(`No migrations found in ${migrationsList.baseDir}`);
    }
    source = { tag: 'migrations', ...migrationsList };
  } else {
    // The live database, reached through the engine's own adapter (the schema only names the provider).
    source = { tag: 'schemaDatasource', files, configDir: process.cwd() };
  }
  const result = await withEngine(databaseUrl, { schemaFiles }, (engine) =>
    engine.diff({ from: source, to: { tag: 'schemaDatamodel', files }, script: true, exitCode: true, filters: NO_FILTER }),
  );
  if (typeof result.stdout !== 'string') {
    throw new Error(`The schema engine returned no diff output (exit code ${result.exitCode})`);
  }
  const sql = result.stdout.trim() === EMPTY_MIGRATION ? '' : result.stdout.trim();
  if (result.exitCode === 0 && sql === '') return '';
  if (result.exitCode === 2 && sql !== '') return `${sql}\n`;
  throw new Error(
    `The schema engine's diff is inconsistent (exit code ${result.exitCode}, output: ${JSON.stringify(result.stdout)})`,
  );
}

export interface MigrationStatus {
  /** Committed migrations, in order. */
  local: string[];
  /** Committed migrations the database has not applied yet. */
  pending: string[];
  /** Applied migrations missing from the folder. */
  unknown: string[];
  edited: string[];
  failed: string[];
  upToDate: boolean;
}

/** `prisma migrate status`: how the database's `_prisma_migrations` compares with the migrations folder. */
export async function migrationStatus(databaseUrl: string, opts: Omit<MigrateOptions, 'log'> = {}): Promise<MigrationStatus> {
  const migrationsList = await readMigrationsDir(opts.migrationsDir);
  const history = await withEngine(databaseUrl, {}, (engine) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTER }),
  );
  const h = history.history;
  const pending = h?.diagnostic === 'databaseIsBehind' || h?.diagnostic === 'historiesDiverge' ? h.unappliedMigrationNames : [];
  const unknown = h && h.diagnostic !== 'databaseIsBehind' ? h.unpersistedMigrationNames : [];
  return {
    local: migrationsList.migrationDirectories.map((d) => d.path),
    pending,
    unknown,
    edited: history.editedMigrationNames,
    failed: history.failedMigrationNames,
    upToDate: h === null && history.editedMigrationNames.length === 0 && history.failedMigrationNames.length === 0,
  };
}

const USAGE = `usage: tsx prisma/migrate.ts <command>
  deploy          apply pending migrations to DATABASE_URL
  create <name>   write prisma/migrations/<timestamp>_<name>/migration.sql from schema.prisma
  status          compare DATABASE_URL's applied migrations with prisma/migrations
  diff            print SQL the migrations lack to match schema.prisma (exit 2 if any)`;

/** The command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (msg: string) => console.log(msg);
  switch (command) {
    case 'deploy': {
      await applyMigrations(required('DATABASE_URL'), { log });
      return 0;
    }
    case 'create': {
      if (rest.length !== 1 || !rest[0]) {
        console.error(`create needs exactly one migration name, e.g. add_case_priority\n\n${USAGE}`);
        return 1;
      }
      await createMigration(required('DATABASE_URL'), rest[0], { log });
      return 0;
    }
    case 'status': {
      const s = await migrationStatus(required('DATABASE_URL'));
      console.log(`${s.local.length} migration(s) in ${path.relative(process.cwd(), DEFAULT_MIGRATIONS_DIR)}`);
      for (const [label, names] of [
        ['pending', s.pending],
        ['applied but missing from the folder', s.unknown],
        ['edited after being applied', s.edited],
        ['failed', s.failed],
      ] as const) {
        if (names.length > 0) console.log(`${label}:\n${names.map((n) => `  ${n}`).join('\n')}`);
      }
      console.log(s.upToDate ? 'database schema is up to date' : 'database schema is NOT up to date');
      return s.upToDate ? 0 : 1;
    }
    case 'diff': {
      const sql = await schemaDrift(required('DATABASE_URL'));
      if (sql === '') {
        console.log('-- prisma/migrations matches schema.prisma');
        return 0;
      }
      process.stdout.write(sql);
      console.error('schema.prisma has changes no migration contains: run npm run db:migration -- <name>');
      return 2;
    }
    default:
      console.error(command ? `unknown command "${command}"\n\n${USAGE}` : USAGE);
      return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
