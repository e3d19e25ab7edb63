// The tenants section through createCaller against a real PostgreSQL: search and keyset pages with counts, one tenant's
// deployments, allocation history, provider actions, cases, detections and access requests, and the address lookup
// answered as intake answers it (held now, held only in the past, a network, a private range, nobody, bad input).
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseState } from '../../domain/cases';
import type { Role } from '../../domain/roles';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { TENANT_PAGE_LIMITS } from '../../web/server/routers/tenants';
import { createCaller } from '../../web/server/root';
import { createTestDatabase, type TestDatabase } from '../support/database';

const HOSTILE = 'Acme <img src=x onerror=alert(1)> & "Co"';
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

let database: TestDatabase;
let analyst: { id: string; email: string; name: string; role: Role };
const ids = {} as Record<'acme' | 'other' | 'web' | 'dbDeployment' | 'otherDeployment' | 'openOld' | 'openNew' | 'closed' | 'otherCase' | 'detection' | 'access', string>;

const as = (signedIn: boolean) =>
  createCaller({ user: signedIn ? { ...analyst, sessionId: 'test' } : null, secure: false, resHeaders: new Headers() });

async function tenantWithSubscription(slug: string, name: string, extra: { securityContactEmail?: string; ownerEmail?: string; timeZone?: string } = {}) {
  const tenant = await db().tenant.create({
    data: { slug, name, ownerName: 'Owner', ownerEmail: extra.ownerEmail ?? `owner@${slug}.example`, securityContactEmail: extra.securityContactEmail, timeZone: extra.timeZone },
  });
  const sub = await db().subscription.create({ data: { tenantId: tenant.id, name: 'main' } });
  return { tenant, sub };
}

async function makeCase(tenantId: string, deploymentId: string, state: CaseState, openedAt: Date) {
  const c = await db().case.create({ data: { workflowId: `case:${randomUUID()}`, tenantId, deploymentId, category: 'phishing', state, openedAt } });
  return c.id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetConfigForTests();
  const u = await db().user.create({ data: { email: 'analyst@tenants.test', name: 'Ana', role: 'analyst', passwordHash: 'unused' } });
  analyst = { id: u.id, email: u.email, name: u.name, role: 'analyst' };

  const acme = await tenantWithSubscription('acme-hosting', HOSTILE, { securityContactEmail: 'soc@acme.example', timeZone: 'Europe/Berlin' });
  ids.acme = acme.tenant.id;
  const web = await db().deployment.create({ data: { tenantId: ids.acme, subscriptionId: acme.sub.id, name: 'web' } });
  const dbDep = await db().deployment.create({ data: { tenantId: ids.acme, subscriptionId: acme.sub.id, name: 'db', state: 'suspended' } });
  ids.web = web.id;
  ids.dbDeployment = dbDep.id;
  await db().ipAllocation.createMany({
    data: [
      { deploymentId: ids.web, cidr: '198.51.100.0/28', validFrom: day('2025-01-01') },
      { deploymentId: ids.web, cidr: '2001:db8:1::/48', validFrom: day('2025-02-01'), hostGroup: 'mail-relay' },
      // Held by db in the first half of 2024 only; nobody since.
      { deploymentId: ids.dbDeployment, cidr: '203.0.113.16/28', validFrom: day('2024-01-01'), validTo: day('2024-06-01') },
    ],
  });

  const other = await tenantWithSubscription('globex', 'Globex', { ownerEmail: 'boss@globex.example' });
  ids.other = other.tenant.id;
  const otherDep = await db().deployment.create({ data: { tenantId: ids.other, subscriptionId: other.sub.id, name: 'api' } });
  ids.otherDeployment = otherDep.id;
  await db().ipAllocation.create({ data: { deploymentId: ids.otherDeployment, cidr: '203.0.113.64/26', validFrom: day('2023-01-01') } });

  ids.closed = await makeCase(ids.acme, ids.web, 'closed', day('2025-06-01'));
  ids.openOld = await makeCase(ids.acme, ids.dbDeployment, 'suspended', day('2025-03-01'));
  ids.openNew = await makeCase(ids.acme, ids.web, 'notified', day('2025-05-01'));
  ids.otherCase = await makeCase(ids.other, ids.otherDeployment, 'triage', day('2025-05-01'));

  await db().providerAction.createMany({
    data: [
      { idempotencyKey: `suspend-${ids.openOld}`, kind: 'suspend', deploymentId: ids.dbDeployment, caseId: ids.openOld, provider: 'local', requestedAt: day('2025-03-03'), completedAt: day('2025-03-03') },
      { idempotencyKey: `restore-${ids.closed}`, kind: 'restore', deploymentId: ids.web, caseId: ids.closed, provider: 'local', requestedAt: day('2025-06-05') },
      { idempotencyKey: `suspend-${ids.otherCase}`, kind: 'suspend', deploymentId: ids.otherDeployment, caseId: ids.otherCase, provider: 'local' },
    ],
  });

  const raw = Buffer.from(`finding ${randomUUID()}`);
  const finding = await db().abuseReport.create({
    data: {
      channel: 'detection',
      contentType: 'application/json',
      raw,
      sha256: createHash('sha256').update(raw).digest('hex'),
      sizeBytes: raw.length,
      parseStatus: 'parsed',
      category: 'scanning',
      sourceIps: ['198.51.100.3'],
      attribution: 'attributed',
      tenantId: ids.acme,
      deploymentId: ids.web,
    },
  });
  ids.detection = finding.id;
  const access = await db().accessRequest.create({
    data: {
      requesterId: analyst.id,
      targetKind: 'deployment',
      deploymentId: ids.dbDeployment,
      tenantId: ids.acme,
      level: 'read',
      reason: 'Look at the suspended database',
      durationMinutes: 60,
      requiredApprovals: 1,
      policyRule: 'deployment read',
      approvalDeadline: new Date(Date.now() + 3_600_000),
      requestStepUp: 'totp',
    },
  });
  ids.access = access.id;

  // Five more for the pages, all findable by one word in their names.
  for (const n of [3, 1, 5, 2, 4]) await tenantWithSubscription(`paged-${n}`, `Paged tenant ${n}`);
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
});

describe('tenant list', () => {
  it('is for signed-in staff only', async () => {
    await expect(as(false).tenants.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(as(false).tenants.get({ tenantId: ids.acme })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(as(false).tenants.lookup({ address: '198.51.100.1' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('searches by name, slug, security contact and owner email, whatever the case', async () => {
    const names = async (q: string) => (await as(true).tenants.list({ q })).items.map((t) => t.name);
    expect(await names('ACME <IMG')).toEqual([HOSTILE]);
    expect(await names('acme-host')).toEqual([HOSTILE]);
    expect(await names('soc@ACME.example')).toEqual([HOSTILE]);
    expect(await names('boss@globex')).toEqual(['Globex']);
    expect(await names('nothing like this')).toEqual([]);
    // Wildcards are searched for as themselves.
    expect(await names('%')).toEqual([]);
    expect(await names('acme_hosting')).toEqual([]);
    expect(await names('"co"')).toEqual([HOSTILE]);
    expect((await as(true).tenants.list({})).items).toHaveLength(7);
  });

  it('gives each tenant its deployments, suspended deployments and open cases', async () => {
    const { items } = await as(true).tenants.list({ q: 'acme' });
    expect(items[0]).toMatchObject({ id: ids.acme, slug: 'acme-hosting', securityContactEmail: 'soc@acme.example', deployments: 2, suspended: 1, openCases: 2 });
    const [globex] = (await as(true).tenants.list({ q: 'globex' })).items;
    expect(globex).toMatchObject({ deployments: 1, suspended: 0, openCases: 1 });
    const [empty] = (await as(true).tenants.list({ q: 'paged tenant 1' })).items;
    expect(empty).toMatchObject({ deployments: 0, suspended: 0, openCases: 0 });
  });

  it('pages by name with a cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = await as(true).tenants.list({ q: 'paged', limit: 2, cursor });
      seen.push(...page.items.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => `Paged tenant ${n}`));
  });

  it('refuses bad paging input', async () => {
    await expect(as(true).tenants.list({ limit: 101 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/At most 100 tenants/) });
    await expect(as(true).tenants.list({ cursor: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('tenant page', () => {
  it('shows the tenant, its deployments with current and past allocations', async () => {
    const view = await as(true).tenants.get({ tenantId: ids.acme });
    expect(view.tenant).toMatchObject({ name: HOSTILE, slug: 'acme-hosting', timeZone: 'Europe/Berlin', securityContactEmail: 'soc@acme.example', ownerEmail: 'owner@acme-hosting.example' });
    expect(view.deployments.total).toBe(2);
    const [dbDep, web] = view.deployments.items;
    expect(dbDep).toMatchObject({ id: ids.dbDeployment, name: 'db', state: 'suspended', current: [], subscription: { name: 'main' } });
    expect(dbDep!.allocations).toEqual([
      { id: expect.any(String), cidr: '203.0.113.16/28', validFrom: day('2024-01-01'), validTo: day('2024-06-01'), hostGroup: null, current: false },
    ]);
    expect(web).toMatchObject({ id: ids.web, name: 'web', state: 'running', current: ['2001:db8:1::/48', '198.51.100.0/28'] });
    expect(web!.allocations.map((a) => [a.cidr, a.current, a.hostGroup])).toEqual([
      ['2001:db8:1::/48', true, 'mail-relay'],
      ['198.51.100.0/28', true, null],
    ]);
    // Another tenant's allocation never shows here.
    expect(view.deployments.allocationTotal).toBe(3);
  });

  it('lists its provider actions with their case, its cases open first, its detections and access requests', async () => {
    const view = await as(true).tenants.get({ tenantId: ids.acme });
    expect(view.providerActions.map((a) => [a.kind, a.deploymentId, a.case?.id])).toEqual([
      ['restore', ids.web, ids.closed],
      ['suspend', ids.dbDeployment, ids.openOld],
    ]);
    expect(view.providerActions[1]).toMatchObject({ provider: 'local', completedAt: day('2025-03-03'), case: { state: 'suspended', reference: ids.openOld.slice(0, 8) } });
    expect(view.cases).toMatchObject({ open: 2, total: 3 });
    expect(view.cases.items.map((c) => [c.id, c.state])).toEqual([
      [ids.openNew, 'notified'],
      [ids.openOld, 'suspended'],
      [ids.closed, 'closed'],
    ]);
    expect(view.detections).toEqual({ total: 1, items: [expect.objectContaining({ id: ids.detection, deploymentId: ids.web, sourceIps: ['198.51.100.3'] })] });
    expect(view.accessRequests).toEqual({ total: 1, items: [expect.objectContaining({ id: ids.access, deploymentId: ids.dbDeployment, state: 'pending', requester: { name: 'Ana', email: analyst.email } })] });
  });

  it("counts detections, access requests and provider actions of every deployment, beyond the deployments listed", async () => {
    const { tenant, sub } = await tenantWithSubscription('big-fleet', 'Big fleet');
    const names = Array.from({ length: TENANT_PAGE_LIMITS.deployments + 1 }, (_, i) => `vm-${String(i).padStart(4, '0')}`);
    await db().deployment.createMany({ data: names.map((name) => ({ tenantId: tenant.id, subscriptionId: sub.id, name })) });
    // The last by name: not among the deployments the page lists.
    const last = await db().deployment.findFirstOrThrow({ where: { tenantId: tenant.id, name: names.at(-1) } });
    const raw = Buffer.from(`finding ${randomUUID()}`);
    const finding = await db().abuseReport.create({
      data: { channel: 'detection', contentType: 'application/json', raw, sha256: createHash('sha256').update(raw).digest('hex'), sizeBytes: raw.length, parseStatus: 'parsed', category: 'dos', sourceIps: ['198.51.100.200'], attribution: 'attributed', tenantId: tenant.id, deploymentId: last.id },
    });
    const access = await db().accessRequest.create({
      data: { requesterId: analyst.id, targetKind: 'deployment', deploymentId: last.id, tenantId: tenant.id, level: 'read', reason: 'Look', durationMinutes: 60, requiredApprovals: 1, policyRule: 'deployment read', approvalDeadline: new Date(Date.now() + 3_600_000), requestStepUp: 'totp' },
    });
    await db().providerAction.create({ data: { idempotencyKey: `suspend-${last.id}`, kind: 'suspend', deploymentId: last.id, provider: 'local' } });

    const view = await as(true).tenants.get({ tenantId: tenant.id });
    expect(view.deployments).toMatchObject({ total: names.length });
    expect(view.deployments.items).toHaveLength(TENANT_PAGE_LIMITS.deployments);
    expect(view.deployments.items.map((d) => d.id)).not.toContain(last.id);
    expect(view.detections).toEqual({ total: 1, items: [expect.objectContaining({ id: finding.id, deploymentId: last.id })] });
    expect(view.accessRequests).toEqual({ total: 1, items: [expect.objectContaining({ id: access.id, deploymentId: last.id })] });
    expect(view.providerActions.map((a) => [a.kind, a.deploymentId])).toEqual([['suspend', last.id]]);
  });

  it('says when there is no such tenant', async () => {
    await expect(as(true).tenants.get({ tenantId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no such tenant.' });
    await expect(as(true).tenants.get({ tenantId: 'nope' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('address lookup', () => {
  const lookup = (address: string, at?: Date) => as(true).tenants.lookup({ address, at });

  it('names the holder of an address held now', async () => {
    const r = await lookup('198.51.100.5');
    expect(r).toMatchObject({
      address: '198.51.100.5',
      outcome: 'held',
      holder: { cidr: '198.51.100.0/28', validFrom: day('2025-01-01'), validTo: null, tenant: { id: ids.acme, name: HOSTILE }, deployment: { id: ids.web, name: 'web', state: 'running' } },
    });
    expect(r.note).toMatch(/^198\.51\.100\.5 in 198\.51\.100\.0\/28 held by deployment/);
    expect(Date.now() - r.at.getTime()).toBeLessThan(60_000);
    const v6 = await lookup('[2001:db8:1::53]');
    expect(v6).toMatchObject({ address: '2001:db8:1::53', outcome: 'held', holder: { cidr: '2001:db8:1::/48', deployment: { id: ids.web } } });
  });

  it('finds an address held only in the past at that time, and says nobody holds it now', async () => {
    const then = await lookup('203.0.113.20', day('2024-03-01'));
    expect(then).toMatchObject({
      outcome: 'held',
      at: day('2024-03-01'),
      holder: { cidr: '203.0.113.16/28', validFrom: day('2024-01-01'), validTo: day('2024-06-01'), tenant: { id: ids.acme }, deployment: { id: ids.dbDeployment, state: 'suspended' } },
    });
    // The end of a window is exclusive, as in intake.
    expect((await lookup('203.0.113.20', day('2024-06-01'))).outcome).toBe('not-held');
    const now = await lookup('203.0.113.20');
    expect(now).toMatchObject({ outcome: 'not-held', holder: null, containing: [] });
    expect(now.note).toMatch(/^no allocation held 203\.0\.113\.20 at /);
    expect(now.history).toEqual([expect.objectContaining({ cidr: '203.0.113.16/28', validTo: day('2024-06-01'), deployment: expect.objectContaining({ id: ids.dbDeployment }) })]);
  });

  it('looks up a CIDR network inside an allocation, and explains one that spans more than it', async () => {
    const inside = await lookup('198.51.100.0/29');
    expect(inside).toMatchObject({ address: '198.51.100.0/29', outcome: 'held', holder: { cidr: '198.51.100.0/28', deployment: { id: ids.web } } });
    const wide = await lookup('203.0.113.0/24', day('2024-03-01'));
    expect(wide).toMatchObject({ outcome: 'not-held', holder: null });
    expect(wide.note).toMatch(/203\.0\.113\.0\/24 spans 2 allocations/);
  });

  it('explains a private address without looking it up', async () => {
    const r = await lookup('10.1.2.3');
    expect(r).toMatchObject({ address: '10.1.2.3', outcome: 'not-routable', range: 'private', holder: null, history: [] });
    expect(r.note).toBe('10.1.2.3 is a private address, never routed on the Internet');
  });

  it('says nobody held an unallocated public address', async () => {
    const r = await lookup('192.0.2.77');
    expect(r).toMatchObject({ outcome: 'not-held', holder: null, containing: [], history: [] });
    expect(r.note).toMatch(/^no allocation held 192\.0\.2\.77 at \d{4}-/);
  });

  it('refuses malformed input with its reason', async () => {
    await expect(lookup('not-an-ip')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: "Enter an address or CIDR network: 'not-an-ip' is not an IPv4 or IPv6 address." });
    await expect(lookup('198.51.100.0/40')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/prefix longer than 32 bits/) });
    await expect(lookup('   ')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(lookup('198.51.100.5', new Date('nonsense'))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
