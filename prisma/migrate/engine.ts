// Prisma's WebAssembly schema engine, connected to PostgreSQL through @prisma/adapter-pg.
// The native engine cannot be downloaded here and the Prisma 7.10 CLI never loads the wasm one it ships,
// so this module does the wiring the CLI would do, plus fixes for four adapter-pg 7.10 bugs (see README.md).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';

type WasmBindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let bindings: Promise<WasmBindings> | undefined;

// The engine reports a Rust panic here just before it traps; without a registry the report itself crashes.
const panics = globalThis as unknown as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
let lastPanic: string | undefined;

/** Instantiates the engine's WebAssembly once per process (its entry file imports .wasm, which Node cannot). */
function loadBindings(): Promise<WasmBindings> {
  panics.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      lastPanic = message;
      // The trap that follows may surface as an uncaught exception saying only "unreachable".
      process.stderr.write(`Prisma schema engine panic: ${message}\n`);
    },
  };
  return (bindings ??= (async () => {
    const glue: WasmBindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await fs.promises.readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })());
}

/** The parts of a postgres:// URL, as separate fields (a connectionString would override `database`, bug 2). */
export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  /** PostgreSQL schema the engine works in (adapter-pg ignores `?schema=` in the URL). */
  schema: string;
}

export function parseDatabaseUrl(databaseUrl: string): PgTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error(`Not a valid database URL: ${redact(databaseUrl)}`);
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(`Migrations need a postgresql:// URL, got ${url.protocol}//…`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`The database URL names no database: ${redact(databaseUrl)}`);
  return {
    host: decodeURIComponent(url.hostname) || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
    schema: url.searchParams.get('schema') || 'public',
  };
}

/** The URL with its password hidden, for messages. */
export function redact(databaseUrl: string): string {
  return databaseUrl.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

function poolConfig(target: PgTarget, database = target.database): pg.PoolConfig {
  // One session per pool: the engine's `pg_advisory_lock` is session-scoped and is released only when
  // that session ends, so every statement must run on the session that holds it.
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database,
    max: 1,
    idleTimeoutMillis: 0,
    application_name: 'safeguard-migrate',
  };
}

// PostgreSQL's internal single-byte `"char"` type (pg_class.relkind, pg_constraint.contype, …).
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

interface PgQueryableInternals {
  performIO(query: SqlQuery): Promise<pg.QueryResult | pg.QueryResult[]>;
  queryRaw(query: SqlQuery): Promise<SqlResultSet>;
}

/**
 * Bug 1: adapter-pg rejects `"char"` columns, and the engine reads them as single characters (reporting them as
 * text makes it panic on the first CHECK constraint). So the column passes the adapter as text and reaches the
 * engine typed as Character.
 */
function patchCharColumns<T extends object>(queryable: T): T {
  const q = queryable as unknown as PgQueryableInternals;
  if (typeof q.performIO !== 'function' || typeof q.queryRaw !== 'function') {
    throw new Error('@prisma/adapter-pg changed its internals (no performIO); re-check prisma/migrate/engine.ts');
  }
  const charColumns = new WeakMap<SqlQuery, number[]>();
  const performIO = q.performIO.bind(queryable);
  const queryRaw = q.queryRaw.bind(queryable);
  q.performIO = async (query) => {
    const result = await performIO(query);
    if (!Array.isArray(result)) {
      const indexes = result.fields.flatMap((field, i) => (field.dataTypeID === PG_CHAR_OID ? [i] : []));
      for (const i of indexes) result.fields[i]!.dataTypeID = PG_TEXT_OID;
      if (indexes.length > 0) charColumns.set(query, indexes);
    }
    return result;
  };
  q.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
  return queryable;
}

function patchAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  patchCharColumns(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => patchCharColumns(await startTransaction(isolationLevel));
  // Bug 4: adapter-pg splits scripts on every `;`, which breaks function bodies and string literals and leaves a
  // failed migration half applied; run each migration as one multi-statement query, as the native engine does.
  adapter.executeScript = async (script) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

async function connectAdapter(target: PgTarget, database?: string): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool(poolConfig(target, database));
  const factory = new PrismaPg(pool, { schema: target.schema, disposeExternalPool: true });
  return patchAdapter(await factory.connect());
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The adapter factory handed to the engine: the main database, and throwaway shadow databases on the same server. */
class MigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  /** Adapters the engine has not disposed yet; closed when the engine is done, so no pool outlives it. */
  private readonly open = new Set<SqlDriverAdapter>();

  constructor(private readonly target: PgTarget) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.track(connectAdapter(this.target));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const name = `prisma_migrate_shadow_db_${crypto.randomUUID().replaceAll('-', '')}`;
    await adminQuery(this.target, `CREATE DATABASE ${quoteIdent(name)}`);
    const adapter = await connectAdapter(this.target, name).catch(async (err: unknown) => {
      await adminQuery(this.target, `DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      throw err;
    });
    const dispose = adapter.dispose.bind(adapter);
    // Bug 3: close the shadow pool first, then drop (adapter-pg drops while its own pool is still connected).
    adapter.dispose = async () => {
      await dispose();
      await adminQuery(this.target, `DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    };
    return this.track(Promise.resolve(adapter));
  }

  async closeAll(): Promise<void> {
    const adapters = [...this.open];
    this.open.clear();
    await Promise.all(adapters.map((a) => a.dispose()));
  }

  private async track(connecting: Promise<SqlDriverAdapter>): Promise<SqlDriverAdapter> {
    const adapter = await connecting;
    const dispose = adapter.dispose.bind(adapter);
    let disposed = false;
    adapter.dispose = async () => {
      this.open.delete(adapter);
      if (disposed) return;
      disposed = true;
      await dispose();
    };
    this.open.add(adapter);
    return adapter;
  }
}

/** Runs one statement on the server's maintenance connection (the target database itself). */
async function adminQuery(target: PgTarget, sql: string): Promise<void> {
  const client = new pg.Client(poolConfig(target));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface EngineOptions {
  /** Schema files as [path, content] pairs; only commands that read the schema need them. */
  schemaFiles?: [string, string][];
  /** Engine trace lines (JSON); ignored by default. */
  onEngineLog?: (line: string) => void;
}

/**
 * Runs `fn` with a schema engine connected to `databaseUrl`, and always frees the engine afterwards:
 * dropping the engine closes its connection, which is what releases the migration advisory lock.
 */
export async function withEngine<T>(
  databaseUrl: string,
  options: EngineOptions,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const glue = await loadBindings();
  const adapters = new MigrationAdapterFactory(parseDatabaseUrl(databaseUrl));
  try {
    const engine = await glue.SchemaEngine.new(
      { datamodels: options.schemaFiles },
      (line: string) => options.onEngineLog?.(line),
      bindMigrationAwareSqlAdapterFactory(adapters),
    );
    try {
      return await fn(engine);
    } finally {
      engine.free();
    }
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      // A panicked instance is not safe to reuse: the next engine gets a fresh one.
      bindings = undefined;
      const panic = lastPanic;
      lastPanic = undefined;
      throw new Error(`The schema engine crashed: ${panic ?? err.message}`, { cause: err });
    }
    throw engineError(err);
  } finally {
    await adapters.closeAll();
  }
}

/** Engine errors carry a Prisma code (P3xxx) and a Rust backtrace; keep the code and the message, drop the trace. */
export function engineError(err: unknown): Error {
  const e = (err && typeof err === 'object' ? err : {}) as { message?: unknown; code?: unknown };
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const message = raw.split(/\n\s+0: /)[0]!.trim();
  const code = typeof e.code === 'string' && /^P\d{4}$/.test(e.code) && !message.includes(e.code) ? `${e.code}: ` : '';
  const cleaned = new Error(`${code}${message}`, { cause: err });
  return cleaned;
}
