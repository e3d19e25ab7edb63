// Tenants for analysts: the list with counts, one tenant with its deployments, their address history, provider actions,
// cases, detections and access requests, and "who held this address at that time?" answered exactly as intake
// answers it (lib/attribution.ts). Read-only; every query is bounded and batched over the page's ids.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Prisma } from '../../../generated/prisma/client';
import type { CaseState } from '../../../domain/cases';
import { categoryLabel } from '../../../domain/notices';
import { allocationsAt, attributeSource, classifySource, type AllocationHit } from '../../../lib/attribution';
import { db } from '../../../lib/db';
import { OPEN_CASE_STATES } from '../case-actions';
import { protectedProcedure, router } from '../trpc';

export const TENANTS_PAGE = { default: 25, max: 100 } as const;
/** What the tenant page shows at most of each kind; the totals say when there is more. */
export const TENANT_PAGE_LIMITS = { deployments: 200, allocations: 2_000, providerActions: 200, cases: 100, detections: 50, accessRequests: 50 } as const;
/** Allocations of the looked-up address shown besides the answer, newest first. */
export const LOOKUP_HISTORY = 20;

export const tenantListInput = z
  .object({
    /** Part of the name, slug, or a contact's email; case does not matter. */
    q: z.string().trim().max(200, 'Search for at most 200 characters.').optional(),
    limit: z.number().int().min(1).max(TENANTS_PAGE.max, `At most ${TENANTS_PAGE.max} tenants a page.`).default(TENANTS_PAGE.default),
    /** The id of the last tenant of the previous page. */
    cursor: z.uuid('That is not a tenant id.').nullish(),
  })
  .default({ limit: TENANTS_PAGE.default });
export const tenantGetInput = z.object({ tenantId: z.uuid('That is not a tenant id.') });
export const addressLookupInput = z.object({
  address: z.string().trim().min(1, 'Enter an address or a CIDR network.').max(100, 'An address is at most 100 characters.'),
  /** When the address was used; now when left out. */
  at: z.date({ error: 'Give a valid date and time.' }).optional(),
});

function searchWhere(q: string | undefined): Prisma.TenantWhereInput {
  if (!q) return {};
  // Prisma passes `contains` to ILIKE as it is: escaped here, so % and _ are searched for as themselves.
  const contains = { contains: q.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const };
  return { OR: [{ name: contains }, { slug: contains }, { securityContactEmail: contains }, { ownerEmail: contains }] };
}

/** Deployments, suspended deployments and open cases for a page of tenants: two grouped queries, whatever the page size. */
async function tenantCounts(tenantIds: string[]) {
  const [deployments, cases] = await Promise.all([
    db().deployment.groupBy({ by: ['tenantId', 'state'], where: { tenantId: { in: tenantIds } }, _count: { _all: true } }),
    db().case.groupBy({ by: ['tenantId'], where: { tenantId: { in: tenantIds }, state: { in: OPEN_CASE_STATES } }, _count: { _all: true } }),
  ]);
  return (tenantId: string) => ({
    deployments: deployments.filter((d) => d.tenantId === tenantId).reduce((n, d) => n + d._count._all, 0),
    suspended: deployments.find((d) => d.tenantId === tenantId && d.state === 'suspended')?._count._all ?? 0,
    openCases: cases.find((c) => c.tenantId === tenantId)?._count._all ?? 0,
  });
}

const caseSelect = { id: true, category: true, state: true, severity: true, openedAt: true, deadlineAt: true, closedAt: true, deploymentId: true } satisfies Prisma.CaseSelect;

function caseOut(c: Prisma.CaseGetPayload<{ select: typeof caseSelect }>) {
  return { ...c, reference: c.id.slice(0, 8), categoryLabel: categoryLabel(c.category), state: c.state as CaseState };
}

/** The tenant's cases, open ones first (most recent first within each), and how many there are of each. */
async function tenantCases(tenantId: string) {
  const open = { tenantId, state: { in: OPEN_CASE_STATES } };
  const ended = { tenantId, state: { notIn: OPEN_CASE_STATES } };
  const [openRows, endedRows, openCount, endedCount] = await Promise.all([
    db().case.findMany({ where: open, orderBy: [{ openedAt: 'desc' }, { id: 'asc' }], take: TENANT_PAGE_LIMITS.cases, select: caseSelect }),
    db().case.findMany({ where: ended, orderBy: [{ openedAt: 'desc' }, { id: 'asc' }], take: TENANT_PAGE_LIMITS.cases, select: caseSelect }),
    db().case.count({ where: open }),
    db().case.count({ where: ended }),
  ]);
  const rows = [...openRows, ...endedRows].slice(0, TENANT_PAGE_LIMITS.cases);
  return { items: rows.map(caseOut), open: openCount, total: openCount + endedCount };
}

/** Each deployment with its current addresses and its allocation history (current first, then newest first). */
async function deploymentsWithAllocations(tenantId: string) {
  const [deployments, total] = await Promise.all([
    db().deployment.findMany({
      where: { tenantId },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      take: TENANT_PAGE_LIMITS.deployments,
      select: { id: true, name: true, state: true, stateChangedAt: true, createdAt: true, subscription: { select: { id: true, name: true } } },
    }),
    db().deployment.count({ where: { tenantId } }),
  ]);
  const ids = deployments.map((d) => d.id);
  const [allocations, allocationTotal] = await Promise.all([
    db().ipAllocation.findMany({
      where: { deploymentId: { in: ids } },
      orderBy: [{ validTo: { sort: 'desc', nulls: 'first' } }, { validFrom: 'desc' }, { id: 'asc' }],
      take: TENANT_PAGE_LIMITS.allocations,
      select: { id: true, deploymentId: true, cidr: true, validFrom: true, validTo: true, hostGroup: true },
    }),
    db().ipAllocation.count({ where: { deploymentId: { in: ids } } }),
  ]);
  const now = Date.now();
  const held = (a: { validFrom: Date; validTo: Date | null }) => a.validFrom.getTime() <= now && (a.validTo === null || a.validTo.getTime() > now);
  return {
    total,
    allocationsShown: allocations.length,
    allocationTotal,
    items: deployments.map((d) => {
      const history = allocations.filter((a) => a.deploymentId === d.id).map(({ deploymentId: _, ...a }) => ({ ...a, current: held(a) }));
      return { ...d, current: history.filter((a) => a.current).map((a) => a.cidr), allocations: history };
    }),
  };
}

/** Suspensions and restores of all the tenant's deployments (not only those listed), newest first, with their case. */
async function providerActions(tenantId: string) {
  const deploymentIds = (await db().deployment.findMany({ where: { tenantId }, select: { id: true } })).map((d) => d.id);
  const rows = await db().providerAction.findMany({
    where: { deploymentId: { in: deploymentIds } },
    orderBy: [{ requestedAt: 'desc' }, { id: 'asc' }],
    take: TENANT_PAGE_LIMITS.providerActions,
    select: {
      id: true,
      kind: true,
      deploymentId: true,
      provider: true,
      requestedAt: true,
      completedAt: true,
      case: { select: { id: true, category: true, state: true } },
    },
  });
  return rows.map((a) => ({ ...a, case: a.case ? { ...a.case, reference: a.case.id.slice(0, 8), categoryLabel: categoryLabel(a.case.category) } : null }));
}

/** The tenant's detections, across all its deployments. */
async function detections(tenantId: string) {
  const where = { channel: 'detection' as const, tenantId };
  const [items, total] = await Promise.all([
    db().abuseReport.findMany({
      where,
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      take: TENANT_PAGE_LIMITS.detections,
      select: { id: true, receivedAt: true, category: true, sourceIps: true, deploymentId: true, caseId: true },
    }),
    db().abuseReport.count({ where }),
  ]);
  return { items, total };
}

/** Access requests to the tenant's deployments, across all of them. */
async function accessRequests(tenantId: string) {
  const where = { tenantId };
  const [items, total] = await Promise.all([
    db().accessRequest.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: TENANT_PAGE_LIMITS.accessRequests,
      select: { id: true, createdAt: true, state: true, level: true, deploymentId: true, customerData: true, requester: { select: { name: true, email: true } } },
    }),
    db().accessRequest.count({ where }),
  ]);
  return { items, total };
}

/** Allocations with their deployment and tenant named: one query each, whatever the number of rows. */
async function named(rows: AllocationHit[]) {
  const [deployments, tenants] = await Promise.all([
    db().deployment.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.deploymentId))] } }, select: { id: true, name: true, state: true } }),
    db().tenant.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.tenantId))] } }, select: { id: true, name: true, slug: true } }),
  ]);
  const d = new Map(deployments.map((x) => [x.id, x]));
  const t = new Map(tenants.map((x) => [x.id, x]));
  return rows.map((r) => ({
    allocationId: r.allocationId,
    cidr: r.cidr,
    validFrom: r.validFrom,
    validTo: r.validTo,
    deployment: d.get(r.deploymentId) ?? { id: r.deploymentId, name: null, state: null },
    tenant: t.get(r.tenantId) ?? { id: r.tenantId, name: null, slug: null },
  }));
}

/** Every allocation that ever contained the address or network, newest first: context for "nobody held it then". */
async function allocationHistory(address: string) {
  return db().$queryRaw<AllocationHit[]>`
    SELECT a.id AS "allocationId", a.cidr::text AS cidr, a."deploymentId", d."tenantId", a."validFrom", a."validTo"
    FROM "IpAllocation" a JOIN "Deployment" d ON d.id = a."deploymentId"
    WHERE a.cidr >>= ${address}::inet
    ORDER BY a."validFrom" DESC, a.id
    LIMIT ${LOOKUP_HISTORY}`;
}

export const tenantsRouter = router({
  /** Tenants by name, a page at a time, with what an analyst looks for first. */
  list: protectedProcedure.input(tenantListInput).query(async ({ input }) => {
    const rows = await db().tenant.findMany({
      where: searchWhere(input.q),
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      take: input.limit + 1,
      ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      select: { id: true, name: true, slug: true, timeZone: true, securityContactEmail: true, ownerEmail: true },
    });
    const page = rows.slice(0, input.limit);
    const counts = await tenantCounts(page.map((t) => t.id));
    return { items: page.map((t) => ({ ...t, ...counts(t.id) })), nextCursor: rows.length > input.limit ? page.at(-1)!.id : null };
  }),

  get: protectedProcedure.input(tenantGetInput).query(async ({ input }) => {
    const tenant = await db().tenant.findUnique({
      where: { id: input.tenantId },
      select: {
        id: true,
        name: true,
        slug: true,
        timeZone: true,
        securityContactName: true,
        securityContactEmail: true,
        ownerName: true,
        ownerEmail: true,
        createdAt: true,
      },
    });
    if (!tenant) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such tenant.' });
    const deployments = await deploymentsWithAllocations(tenant.id);
    const [actions, cases, found, access] = await Promise.all([providerActions(tenant.id), tenantCases(tenant.id), detections(tenant.id), accessRequests(tenant.id)]);
    return { tenant, deployments, providerActions: actions, cases, detections: found, accessRequests: access, serverTime: new Date() };
  }),

  /** Who held an address or network at `at`: intake's own verdict, the holder named, and the address's allocation history. */
  lookup: protectedProcedure.input(addressLookupInput).query(async ({ input }) => {
    const at = input.at ?? new Date();
    const source = classifySource(input.address);
    if (source.kind === 'invalid') throw new TRPCError({ code: 'BAD_REQUEST', message: `Enter an address or CIDR network: ${source.reason}.` });
    if (source.kind === 'not-routable') {
      return { address: source.address, range: source.range, at, outcome: 'not-routable' as const, note: source.reason, holder: null, containing: [], history: [] };
    }
    const [verdict, containing, history] = await Promise.all([
      attributeSource(db(), source.address, at),
      allocationsAt(db(), source.address, at),
      allocationHistory(source.address),
    ]);
    const [containingNamed, historyNamed] = await Promise.all([named(containing), named(history)]);
    const holder = verdict.status === 'attributed' ? (containingNamed.find((h) => h.allocationId === verdict.allocation) ?? null) : null;
    return {
      address: source.address,
      range: source.range,
      at,
      outcome: holder ? ('held' as const) : ('not-held' as const),
      note: verdict.note,
      holder,
      /** Every allocation containing it at `at`, most specific first (nested allocations, or a conflict). */
      containing: containingNamed,
      history: historyNamed,
    };
  }),
});
