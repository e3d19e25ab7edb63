// Demo data for `npm start` and `npm run db:seed`: tenants with contacts, subscriptions, deployments, address ranges
// over time (one range changes hands, so attribution must use the time of the event), and three staff users.
// Idempotent: a second run finds everything by its natural key and creates nothing; passwords are never reset.
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { Prisma, type DeploymentState, type Role } from '../generated/prisma/client';
import { required } from '../lib/config';
import { createDb, type Db } from '../lib/db';
import { childLogger } from '../lib/log';
import { generatePassword, hashPassword } from '../lib/passwords';

export interface DemoAllocation {
  /** Documentation ranges only (RFC 5737, RFC 3849): never a real network. */
  cidr: string;
  validFrom: string;
  /** Exclusive end; absent while the deployment still holds the range. */
  validTo?: string;
}

export interface DemoDeployment {
  subscription: string;
  name: string;
  state: DeploymentState;
  allocations: DemoAllocation[];
}

export interface DemoTenant {
  slug: string;
  name: string;
  timeZone: string;
  securityContactName?: string;
  securityContactEmail?: string;
  ownerName: string;
  ownerEmail: string;
  subscriptions: string[];
  deployments: DemoDeployment[];
}

/** 203.0.113.128/25 moved from Kestrel's matchmaking to Sakura's storefront at this instant. */
export const MOVED_RANGE = { cidr: '203.0.113.128/25', at: '2026-06-01T00:00:00.000Z' } as const;

export const DEMO_TENANTS: readonly DemoTenant[] = [
  {
    slug: 'northwind-analytics',
    name: 'Northwind Analytics GmbH',
    timeZone: 'Europe/Berlin',
    securityContactName: 'Lena Hoffmann',
    securityContactEmail: 'security@northwind.example.com',
    ownerName: 'Jonas Weber',
    ownerEmail: 'jonas.weber@northwind.example.com',
    subscriptions: ['production', 'staging'],
    deployments: [
      {
        subscription: 'production',
        name: 'analytics-api',
        state: 'running',
        allocations: [
          { cidr: '192.0.2.0/26', validFrom: '2025-03-01T00:00:00.000Z' },
          { cidr: '2001:db8:100::/48', validFrom: '2025-03-01T00:00:00.000Z' },
        ],
      },
      {
        subscription: 'production',
        name: 'etl-workers',
        state: 'running',
        allocations: [{ cidr: '192.0.2.64/26', validFrom: '2025-04-15T00:00:00.000Z' }],
      },
      {
        subscription: 'staging',
        name: 'analytics-api-staging',
        state: 'suspended',
        allocations: [{ cidr: '192.0.2.192/28', validFrom: '2025-05-01T00:00:00.000Z' }],
      },
    ],
  },
  {
    slug: 'bluefin-health',
    name: 'Bluefin Health Ltd',
    timeZone: 'Europe/London',
    securityContactName: 'Amara Okafor',
    securityContactEmail: 'soc@bluefin.example.net',
    ownerName: 'Oliver Grant',
    ownerEmail: 'oliver.grant@bluefin.example.net',
    subscriptions: ['production'],
    deployments: [
      {
        subscription: 'production',
        name: 'patient-portal',
        state: 'running',
        allocations: [
          { cidr: '198.51.100.0/25', validFrom: '2025-01-20T00:00:00.000Z' },
          { cidr: '2001:db8:200::/48', validFrom: '2025-01-20T00:00:00.000Z' },
        ],
      },
      {
        subscription: 'production',
        name: 'mail-relay',
        state: 'running',
        allocations: [{ cidr: '198.51.100.128/28', validFrom: '2025-06-01T00:00:00.000Z' }],
      },
    ],
  },
  {
    slug: 'kestrel-games',
    name: 'Kestrel Games Inc.',
    timeZone: 'America/Los_Angeles',
    // No security contact on file: notices go to the owner.
    ownerName: 'Maya Chen',
    ownerEmail: 'maya@kestrel.example.org',
    subscriptions: ['production'],
    deployments: [
      {
        subscription: 'production',
        name: 'game-servers',
        state: 'running',
        allocations: [
          { cidr: '203.0.113.0/25', validFrom: '2025-02-01T00:00:00.000Z' },
          { cidr: '2001:db8:300::/48', validFrom: '2025-02-01T00:00:00.000Z' },
        ],
      },
      {
        subscription: 'production',
        name: 'matchmaking',
        state: 'running',
        allocations: [{ cidr: MOVED_RANGE.cidr, validFrom: '2025-02-01T00:00:00.000Z', validTo: MOVED_RANGE.at }],
      },
    ],
  },
  {
    slug: 'sakura-retail',
    name: 'Sakura Retail K.K.',
    timeZone: 'Asia/Tokyo',
    securityContactName: 'Haruto Sato',
    securityContactEmail: 'csirt@sakura.example.com',
    ownerName: 'Yui Tanaka',
    ownerEmail: 'yui.tanaka@sakura.example.com',
    subscriptions: ['production'],
    deployments: [
      {
        subscription: 'production',
        name: 'storefront',
        state: 'running',
        allocations: [
          { cidr: MOVED_RANGE.cidr, validFrom: MOVED_RANGE.at },
          { cidr: '2001:db8:400::/48', validFrom: '2026-06-01T00:00:00.000Z' },
        ],
      },
    ],
  },
];

export const DEMO_STAFF: readonly { email: string; name: string; role: Role }[] = [
  { email: 'analyst@safeguard.example.com', name: 'Priya Raman', role: 'analyst' },
  { email: 'approver@safeguard.example.com', name: 'Marcus Obi', role: 'approver' },
  { email: 'admin@safeguard.example.com', name: 'Sofia Lind', role: 'admin' },
];

export interface SeededCredential {
  email: string;
  name: string;
  role: Role;
  password: string;
}

export interface SeedResult {
  /** Users created by this run with their one-time passwords; empty when they all existed. */
  credentials: SeededCredential[];
  /** Staff users that already existed (their passwords are not shown again). */
  existingUsers: string[];
  created: { tenants: number; subscriptions: number; deployments: number; allocations: number };
}

/** When the demo's suspended deployment was suspended (by hand, before Safeguard: no case). */
const DEMO_SUSPENDED_AT = new Date('2026-09-14T08:30:00.000Z');

/** The earliest start among allocations: when a tenant or deployment first held an address. */
function earliest(allocations: readonly DemoAllocation[]): Date {
  return new Date(Math.min(...allocations.map((a) => Date.parse(a.validFrom))));
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export async function seed(db: Db, { log = childLogger('seed') }: { log?: Logger } = {}): Promise<SeedResult> {
  const created = { tenants: 0, subscriptions: 0, deployments: 0, allocations: 0 };

  for (const t of DEMO_TENANTS) {
    const { subscriptions, deployments, ...fields } = t;
    let tenant = await db.tenant.findUnique({ where: { slug: t.slug } });
    if (!tenant) {
      // A customer since its first address range, not since the seed ran: the pages show both dates side by side.
      tenant = await db.tenant.create({ data: { ...fields, createdAt: earliest(deployments.flatMap((d) => d.allocations)) } });
      created.tenants++;
    }
    const subscriptionIds = new Map<string, string>();
    for (const name of subscriptions) {
      let sub = await db.subscription.findUnique({ where: { tenantId_name: { tenantId: tenant.id, name } } });
      if (!sub) {
        sub = await db.subscription.create({ data: { tenantId: tenant.id, name } });
        created.subscriptions++;
      }
      subscriptionIds.set(name, sub.id);
    }
    for (const d of deployments) {
      const subscriptionId = subscriptionIds.get(d.subscription);
      if (!subscriptionId) throw new Error(`Seed data: ${t.slug}/${d.name} names unknown subscription ${d.subscription}`);
      let deployment = await db.deployment.findUnique({ where: { subscriptionId_name: { subscriptionId, name: d.name } } });
      if (!deployment) {
        const since = earliest(d.allocations);
        const stateChangedAt = d.state === 'suspended' ? DEMO_SUSPENDED_AT : since;
        deployment = await db.deployment.create({ data: { tenantId: tenant.id, subscriptionId, name: d.name, state: d.state, createdAt: since, stateChangedAt } });
        created.deployments++;
        // A suspended deployment was suspended through the provider, like any other: the tenant's page lists it.
        if (d.state === 'suspended') {
          await db.providerAction.create({
            data: { idempotencyKey: `seed:suspend:${deployment.id}`, kind: 'suspend', deploymentId: deployment.id, provider: 'demo seed', requestedAt: stateChangedAt, completedAt: stateChangedAt },
          });
        }
      }
      for (const a of d.allocations) {
        const validFrom = new Date(a.validFrom);
        const existing = await db.ipAllocation.findFirst({ where: { deploymentId: deployment.id, cidr: a.cidr, validFrom } });
        if (existing) continue;
        await db.ipAllocation.create({
          data: { deploymentId: deployment.id, cidr: a.cidr, validFrom, validTo: a.validTo ? new Date(a.validTo) : null },
        });
        created.allocations++;
      }
    }
  }

  const credentials: SeededCredential[] = [];
  const existingUsers: string[] = [];
  for (const staff of DEMO_STAFF) {
    if (await db.user.findUnique({ where: { email: staff.email } })) {
      existingUsers.push(staff.email);
      continue;
    }
    const password = generatePassword();
    try {
      await db.user.create({ data: { ...staff, passwordHash: await hashPassword(password) } });
      credentials.push({ ...staff, password });
    } catch (err) {
      // Another seed run created the user between our read and our write: theirs stands.
      if (!isUniqueViolation(err)) throw err;
      existingUsers.push(staff.email);
    }
  }

  log.info({ created, usersCreated: credentials.length, usersExisting: existingUsers.length }, 'demo data seeded');
  return { credentials, existingUsers, created };
}

/** The one-time password notice, for a terminal (never a log line: logs are kept and shipped). */
export function formatCredentials(result: SeedResult): string {
  if (result.credentials.length === 0) {
    return result.existingUsers.length
      ? `Staff users already exist (${result.existingUsers.join(', ')}); their passwords were shown when they were created.\n`
      : '';
  }
  const width = Math.max(...result.credentials.map((c) => c.email.length));
  const lines = result.credentials.map((c) => `  ${c.role.padEnd(8)} ${c.email.padEnd(width)}  ${c.password}`);
  return ['', 'Staff sign-in (shown once; store these now):', ...lines, ''].join('\n') + '\n';
}

async function main(): Promise<void> {
  const db = createDb(required('DATABASE_URL'));
  try {
    const result = await seed(db);
    process.stdout.write(formatCredentials(result));
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    childLogger('seed').fatal({ err }, 'seeding failed');
    process.exit(1);
  });
}
