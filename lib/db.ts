// The one place a Prisma client is constructed (PostgreSQL through the pg driver adapter).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import { required } from './config';

export type Db = PrismaClient;

/** A new client for a given URL; tests and scripts that manage their own lifetime use this. */
export function createDb(databaseUrl: string): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}

const globalForDb = globalThis as unknown as { safeguardDb?: Db };

/** The process-wide client (memoized on globalThis so Next.js hot reloads do not leak pools). */
export function db(): Db {
  return (globalForDb.safeguardDb ??= createDb(required('DATABASE_URL')));
}
