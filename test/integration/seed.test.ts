// prisma/seed.ts against a freshly migrated PostgreSQL: idempotent, passwords shown once, attribution by time works.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../lib/db';
import { verifyPassword } from '../../lib/passwords';
import { DEMO_STAFF, MOVED_RANGE, seed } from '../../prisma/seed';
import { createTestDatabase, type TestDatabase } from '../support/database';

const run = promisify(execFile);
const silent = { info: () => undefined } as unknown as Logger;

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** The deployment that held `address` at `at`: the query case attribution will use. */
async function holder(address: string, at: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ who: string }[]>`
    SELECT t.slug || '/' || d.name AS who
    FROM "IpAllocation" a JOIN "Deployment" d ON d.id = a."deploymentId" JOIN "Tenant" t ON t.id = d."tenantId"
    WHERE a.cidr >>= ${address}::inet AND a."validFrom" <= ${new Date(at)} AND (a."validTo" IS NULL OR a."validTo" > ${new Date(at)})`;
  return rows.map((r) => r.who);
}

describe('demo seed', () => {
  it('creates tenants, deployments, ranges and staff users whose printed passwords work', async () => {
    const first = await seed(db, { log: silent });
    expect(first.created).toEqual({ tenants: 4, subscriptions: 5, deployments: 8, allocations: 12 });
    expect(first.credentials.map((c) => c.role).sort()).toEqual(['admin', 'analyst', 'approver']);
    for (const c of first.credentials) {
      const user = await db.user.findUniqueOrThrow({ where: { email: c.email } });
      expect(user.role).toBe(c.role);
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(user.passwordHash, c.password)).toBe(true);
    }
    const tenant = await db.tenant.findUniqueOrThrow({ where: { slug: 'kestrel-games' } });
    expect(tenant).toMatchObject({ timeZone: 'America/Los_Angeles', securityContactEmail: null, ownerEmail: 'maya@kestrel.example.org' });
    expect(await db.deployment.count({ where: { state: 'suspended' } })).toBe(1);
    // Its history agrees with its state: the suspension is on record, and dates come from the address ranges.
    const suspended = await db.deployment.findFirstOrThrow({ where: { state: 'suspended' } });
    expect(await db.providerAction.findMany({ where: { deploymentId: suspended.id } })).toEqual([
      expect.objectContaining({ kind: 'suspend', requestedAt: suspended.stateChangedAt, completedAt: suspended.stateChangedAt }),
    ]);
    expect(suspended.createdAt.toISOString()).toBe('2025-05-01T00:00:00.000Z');
    expect(tenant.createdAt.toISOString()).toBe('2025-02-01T00:00:00.000Z');
  });

  it('attributes the moved range to whoever held it at the time', async () => {
    expect(await holder('203.0.113.200', '2026-05-31T12:00:00Z')).toEqual(['kestrel-games/matchmaking']);
    expect(await holder('203.0.113.200', MOVED_RANGE.at)).toEqual(['sakura-retail/storefront']);
    expect(await holder('2001:db8:200::beef', '2026-01-01T00:00:00Z')).toEqual(['bluefin-health/patient-portal']);
    expect(await holder('192.0.2.1', '2024-01-01T00:00:00Z')).toEqual([]);
  });

  it('creates nothing on a second run and never resets a password', async () => {
    const hashes = await db.user.findMany({ select: { email: true, passwordHash: true }, orderBy: { email: 'asc' } });
    const again = await seed(db, { log: silent });
    expect(again.created).toEqual({ tenants: 0, subscriptions: 0, deployments: 0, allocations: 0 });
    expect(again.credentials).toEqual([]);
    expect(again.existingUsers.sort()).toEqual(DEMO_STAFF.map((s) => s.email).sort());
    expect(await db.user.findMany({ select: { email: true, passwordHash: true }, orderBy: { email: 'asc' } })).toEqual(hashes);
    expect(await db.ipAllocation.count()).toBe(12);
  });

  it('runs as `tsx prisma/seed.ts` and then prints no password', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts'], {
      env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' },
    });
    expect(stdout).toMatch(/Staff users already exist \(analyst@safeguard\.example\.com/);
    expect(stdout).not.toMatch(/shown once/);
  });
});
