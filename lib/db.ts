// The one place a Prisma client is constructed (PostgreSQL through the pg driver adapter).
import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import { required } from './config';

export type Db = PrismaClient;

// Every statement runs as a named prepared statement, so PostgreSQL parses and plans it once per connection instead
// of on every call (intake makes the same few statements thousands of times). The app has a few hundred distinct
// statements; past MAX_NAMED, say a statement built with ever-changing text, the rest run unnamed as before.
const MAX_NAMED = 1_000;
const statementNames = new Map<string, string>();

function statementName(query: { sql: string }): string {
  let name = statementNames.get(query.sql);
  if (name === undefined) {
    if (statementNames.size >= MAX_NAMED) return '';
    name = `sg_${createHash('sha1').update(query.sql).digest('hex').slice(0, 32)}`;
    statementNames.set(query.sql, name);
  }
  return name;
}

// Under a burst, wait for a pooled connection rather than fail with P2028 after Prisma's default 2 s.
const TRANSACTIONS = { maxWait: 15_000, timeout: 15_000 };

/** A new client for a given URL; tests and scripts that manage their own lifetime use this. */
export function createDb(databaseUrl: string): Db {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl }, { statementNameGenerator: statementName }),
    transactionOptions: TRANSACTIONS,
  });
}

const globalForDb = globalThis as unknown as { safeguardDb?: Db };

/** The process-wide client (memoized on globalThis so Next.js hot reloads do not leak pools). */
export function db(): Db {
  return (globalForDb.safeguardDb ??= createDb(required('DATABASE_URL')));
}
