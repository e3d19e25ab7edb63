// The detections page: traffic the detector processes counted (FlowMinute, one row per process per minute) and the
// findings they raised (AbuseReport rows of channel 'detection', the finding's canonical JSON in `normalized`).
// Everything here is read-only; findings are routed to cases by the intake, not by the console.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { Prisma } from '../../../generated/prisma/client';
import { db } from '../../../lib/db';
import { MAX_FINDING_TARGETS } from '../../../lib/detections';
import {
  findingsByHour,
  floorTo,
  HOUR_MS,
  MINUTE_MS,
  rateSeries,
  readDetection,
  seriesStep,
  summarize,
  type HourKindCount,
  type MinuteTotals,
} from '../detection-stats';
import { rawAsText } from './inbox';
import { protectedProcedure, router } from '../trpc';

export const MAX_OVERVIEW_HOURS = 7 * 24;
export const TOP_TALKERS = 20;
export const FINDINGS_PAGE = { default: 50, max: 100 } as const;

export const detectionsOverviewInput = z
  .object({ hours: z.number().int().min(1).max(MAX_OVERVIEW_HOURS, `At most ${MAX_OVERVIEW_HOURS} hours.`).default(24) })
  .default({ hours: 24 });
export const detectionFindingsInput = z.object({
  kind: z.string().trim().min(1).max(200).optional(),
  tenantId: z.uuid('Choose a tenant from the list.').optional(),
  limit: z.number().int().min(1).max(FINDINGS_PAGE.max).default(FINDINGS_PAGE.default),
  /** The id of the last finding of the previous page. */
  cursor: z.uuid().nullish(),
});
export const detectionFindingInput = z.object({ id: z.uuid('That is not a finding id.') });

const uuid = z.uuid();

/** A UTC instant as the `timestamp` (without time zone) Prisma stores, whatever the session's time zone is. */
const utc = (ms: number) => Prisma.sql`(to_timestamp(${ms / 1000}::float8) AT TIME ZONE 'UTC')`;
// Keys are fixed names from this file, written into the SQL as literals (a bound `jsonb -> $1` is ambiguous).
type TalkerKey = 'bytes' | 'packets' | 'records' | 'tenantId' | 'deploymentId';
const field = (key: TalkerKey) => Prisma.raw(`'${key}'`);
/** A top-talker field as a number; anything else in the JSON counts as 0 instead of failing the query. */
const talkerNumber = (key: TalkerKey) => Prisma.sql`CASE WHEN jsonb_typeof(e -> ${field(key)}) = 'number' THEN (e ->> ${field(key)})::float8 ELSE 0 END`;
/** The newest text value of a top-talker field in the group. */
const talkerText = (key: TalkerKey) =>
  Prisma.sql`(array_agg(e ->> ${field(key)} ORDER BY f.minute DESC) FILTER (WHERE jsonb_typeof(e -> ${field(key)}) = 'string'))[1]`;

interface TalkerRow {
  ip: string;
  bytes: number;
  packets: number;
  records: number;
  minutes: number;
  lastSeen: number;
  tenantId: string | null;
  deploymentId: string | null;
}

/** Tenant and deployment names for ids found in rows; ids that are not UUIDs are left unnamed. */
async function names(tenantIds: (string | null)[], deploymentIds: (string | null)[]) {
  const valid = (ids: (string | null)[]) => [...new Set(ids.filter((id): id is string => id !== null && uuid.safeParse(id).success))];
  const [tenants, deployments] = await Promise.all([
    db().tenant.findMany({ where: { id: { in: valid(tenantIds) } }, select: { id: true, name: true } }),
    db().deployment.findMany({ where: { id: { in: valid(deploymentIds) } }, select: { id: true, name: true } }),
  ]);
  const t = new Map(tenants.map((x) => [x.id, x]));
  const d = new Map(deployments.map((x) => [x.id, x]));
  return {
    tenant: (id: string | null) => (id ? (t.get(id) ?? { id, name: null }) : null),
    deployment: (id: string | null) => (id ? (d.get(id) ?? { id, name: null }) : null),
  };
}

/** Top talkers summed over the window; each minute holds only that minute's heaviest senders per detector. */
async function topTalkers(from: number, to: number) {
  const rows = await db().$queryRaw<TalkerRow[]>`
    SELECT e ->> 'ip' AS ip,
      sum(${talkerNumber('bytes')})::float8 AS bytes,
      sum(${talkerNumber('packets')})::float8 AS packets,
      sum(${talkerNumber('records')})::float8 AS records,
      count(DISTINCT f.minute)::int AS minutes,
      (extract(epoch FROM max(f.minute)) * 1000)::float8 AS "lastSeen",
      ${talkerText('tenantId')} AS "tenantId",
      ${talkerText('deploymentId')} AS "deploymentId"
    FROM "FlowMinute" f
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f."topTalkers") = 'array' THEN f."topTalkers" ELSE '[]'::jsonb END) AS e
    WHERE f.minute >= ${utc(from)} AND f.minute < ${utc(to)} AND jsonb_typeof(e) = 'object' AND jsonb_typeof(e -> 'ip') = 'string'
    GROUP BY 1
    ORDER BY bytes DESC, ip
    LIMIT ${TOP_TALKERS}`;
  const named = await names(rows.map((r) => r.tenantId), rows.map((r) => r.deploymentId));
  return rows.map((r) => ({
    ip: r.ip,
    bytes: r.bytes,
    packets: r.packets,
    records: r.records,
    minutes: r.minutes,
    lastSeen: new Date(r.lastSeen),
    tenant: named.tenant(r.tenantId),
    deployment: named.deployment(r.deploymentId),
  }));
}

async function minuteTotals(from: number, to: number): Promise<MinuteTotals[]> {
  const rows = await db().flowMinute.groupBy({
    by: ['minute'],
    where: { minute: { gte: new Date(from), lt: new Date(to) } },
    _sum: { records: true, packets: true, bytes: true, findings: true },
    _count: { _all: true },
    orderBy: { minute: 'asc' },
  });
  return rows.map((r) => ({
    minute: r.minute,
    records: Number(r._sum.records ?? 0n),
    packets: Number(r._sum.packets ?? 0n),
    bytes: Number(r._sum.bytes ?? 0n),
    findings: r._sum.findings ?? 0,
    detectors: r._count._all,
  }));
}

/** Findings per hour of their window start (the receive time while not parsed) and kind. */
async function findingCounts(from: number): Promise<HourKindCount[]> {
  return db().$queryRaw<HourKindCount[]>`
    SELECT (extract(epoch FROM date_trunc('hour', COALESCE(r."eventTime", r."receivedAt"))) * 1000)::float8 AS hour,
      r.normalized ->> 'kind' AS kind,
      count(*)::int AS count
    FROM "AbuseReport" r
    WHERE r.channel = 'detection' AND COALESCE(r."eventTime", r."receivedAt") >= ${utc(from)}
    GROUP BY 1, 2`;
}

const findingSelect = {
  id: true,
  receivedAt: true,
  lastReceivedAt: true,
  submissionCount: true,
  parseStatus: true,
  category: true,
  sourceIps: true,
  confidence: true,
  normalized: true,
  tenantId: true,
  deploymentId: true,
  caseId: true,
} satisfies Prisma.AbuseReportSelect;
type FindingRow = Prisma.AbuseReportGetPayload<{ select: typeof findingSelect }>;

/** What the list shows of a finding; fields the stored JSON does not hold are null. */
function findingSummary(r: FindingRow, named: Awaited<ReturnType<typeof names>>) {
  const d = readDetection(r.normalized);
  return {
    id: r.id,
    receivedAt: r.receivedAt,
    lastReceivedAt: r.lastReceivedAt,
    submissionCount: r.submissionCount,
    parseStatus: r.parseStatus,
    detector: d?.detector ?? null,
    kind: d?.kind ?? null,
    category: d?.category ?? r.category,
    severity: d?.severity ?? null,
    confidence: d?.confidence ?? r.confidence,
    sourceIp: d?.sourceIp ?? r.sourceIps[0] ?? null,
    targets: d?.targets ?? [],
    /** The finding kept only the heaviest targets: its counts say how many there were. */
    targetsCapped: (d?.targets.length ?? 0) >= MAX_FINDING_TARGETS,
    windowStart: d?.windowStart ?? null,
    windowEnd: d?.windowEnd ?? null,
    tenant: named.tenant(r.tenantId),
    deployment: named.deployment(r.deploymentId),
    caseId: r.caseId,
  };
}

/** The source's own traffic in the top-talker statistics during the finding's window (minute-aligned). */
async function sourceTraffic(ip: string, windowStart: Date, windowEnd: Date) {
  const from = floorTo(windowStart.getTime(), MINUTE_MS);
  const to = floorTo(windowEnd.getTime(), MINUTE_MS) + MINUTE_MS;
  const [row] = await db().$queryRaw<{ bytes: number | null; packets: number | null; records: number | null; minutes: number }[]>`
    SELECT sum(${talkerNumber('bytes')})::float8 AS bytes, sum(${talkerNumber('packets')})::float8 AS packets,
      sum(${talkerNumber('records')})::float8 AS records, count(DISTINCT f.minute)::int AS minutes
    FROM "FlowMinute" f
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f."topTalkers") = 'array' THEN f."topTalkers" ELSE '[]'::jsonb END) AS e
    WHERE f.minute >= ${utc(from)} AND f.minute < ${utc(to)} AND jsonb_typeof(e) = 'object' AND e ->> 'ip' = ${ip}`;
  if (!row || row.minutes === 0) return null;
  return { bytes: row.bytes ?? 0, packets: row.packets ?? 0, records: row.records ?? 0, minutes: row.minutes, from: new Date(from), to: new Date(to) };
}

export const detectionsRouter = router({
  /** Traffic rates, top talkers and findings per hour over the last `hours`. */
  overview: protectedProcedure.input(detectionsOverviewInput).query(async ({ input }) => {
    const now = Date.now();
    // The current minute is still being counted; its row is written when it ends.
    const to = floorTo(now, MINUTE_MS);
    const from = to - input.hours * HOUR_MS;
    const step = seriesStep(input.hours * 60);
    const [minutes, talkers, counts, detectors] = await Promise.all([
      minuteTotals(from, to),
      topTalkers(from, to),
      findingCounts(floorTo(from, HOUR_MS)),
      db().flowMinute.groupBy({ by: ['detector'], where: { minute: { gte: new Date(from), lt: new Date(to) } }, _max: { minute: true }, orderBy: { detector: 'asc' } }),
    ]);
    return {
      from: new Date(from),
      to: new Date(to),
      stepMinutes: step,
      // No rows at all means no detector reported in the window: the page says so instead of drawing a flat line.
      series: minutes.length ? rateSeries(minutes, from, to, step) : [],
      totals: summarize(minutes),
      detectors: detectors.map((d) => ({ name: d.detector, lastMinute: d._max.minute })),
      topTalkers: talkers,
      findingsByHour: findingsByHour(counts, from, now),
      serverTime: new Date(now),
    };
  }),

  /** Choices for the findings filters: kinds seen, and tenants that have findings. */
  filters: protectedProcedure.query(async () => {
    const [kinds, tenantRows] = await Promise.all([
      db().$queryRaw<{ kind: string }[]>`
        SELECT DISTINCT r.normalized ->> 'kind' AS kind FROM "AbuseReport" r
        WHERE r.channel = 'detection' AND r.normalized ->> 'kind' IS NOT NULL ORDER BY 1 LIMIT 500`,
      db().abuseReport.findMany({ where: { channel: 'detection', tenantId: { not: null } }, distinct: ['tenantId'], select: { tenantId: true } }),
    ]);
    const ids = tenantRows.map((t) => t.tenantId).filter((id): id is string => id !== null);
    const tenants = await db().tenant.findMany({ where: { id: { in: ids } }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
    return { kinds: kinds.map((k) => k.kind), tenants };
  }),

  /** Findings newest first, a page at a time. */
  findings: protectedProcedure.input(detectionFindingsInput).query(async ({ input }) => {
    const where: Prisma.AbuseReportWhereInput = {
      channel: 'detection',
      ...(input.kind ? { normalized: { path: ['kind'], equals: input.kind } } : {}),
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
    };
    const rows = await db().abuseReport.findMany({
      where,
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      take: input.limit + 1,
      ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      select: findingSelect,
    });
    const page = rows.slice(0, input.limit);
    const named = await names(page.map((r) => r.tenantId), page.map((r) => r.deploymentId));
    return { items: page.map((r) => findingSummary(r, named)), nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null };
  }),

  /** One finding with its full evidence, the case it went to, and its source's traffic in the window. */
  finding: protectedProcedure.input(detectionFindingInput).query(async ({ input }) => {
    const r = await db().abuseReport.findUnique({
      where: { id: input.id },
      select: {
        ...findingSelect,
        channel: true,
        parseError: true,
        attribution: true,
        attributionNote: true,
        summary: true,
        warnings: true,
        case: { select: { id: true, state: true, category: true, severity: true } },
      },
    });
    if (!r || r.channel !== 'detection') throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such finding.' });
    const d = readDetection(r.normalized);
    const [named, traffic, raw] = await Promise.all([
      names([r.tenantId], [r.deploymentId]),
      d ? sourceTraffic(d.sourceIp, d.windowStart, d.windowEnd) : null,
      // Until the intake has parsed it, the stored bytes are all there is to show.
      d ? null : db().abuseReport.findUnique({ where: { id: r.id }, select: { raw: true } }).then((x) => (x ? rawAsText(x.raw) : null)),
    ]);
    return {
      ...findingSummary(r, named),
      counts: d?.counts ?? {},
      evidence: d?.evidence ?? null,
      summary: r.summary,
      warnings: r.warnings,
      parseError: r.parseError,
      attribution: r.attribution,
      attributionNote: r.attributionNote,
      case: r.case,
      stored: r.normalized === null ? null : JSON.stringify(r.normalized, null, 2),
      raw,
      sourceTraffic: traffic,
    };
  }),
});
