// The console's detections procedures through createCaller against a real PostgreSQL: traffic rates summed over
// detector processes, top talkers merged over the window, findings per hour by kind, the findings list and one
// finding with its evidence exactly as the detector sent it.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../domain/roles';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { canonicalDetection, DETECTION_CONTENT_TYPE, DetectionInputSchema, MAX_FINDING_TARGETS, parseStoredDetection, type DetectionInput } from '../../lib/detections';
import { createCaller } from '../../web/server/root';
import type { Prisma } from '../../generated/prisma/client';
import { createTestDatabase, type TestDatabase } from '../support/database';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes" \u202e';
const MIN = 60_000;
const HOUR = 60 * MIN;

let database: TestDatabase;
const users: Record<'analyst' | 'admin', { id: string; email: string; name: string; role: Role }> = {} as never;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetConfigForTests();
  for (const role of ['analyst', 'admin'] as const) {
    const u = await db().user.create({ data: { email: `${role}@detections.test`, name: role, role, passwordHash: 'unused' } });
    users[role] = { id: u.id, email: u.email, name: u.name, role };
  }
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
});

const as = (role: 'analyst' | 'admin' | null) =>
  createCaller({ user: role ? { ...users[role], sessionId: 'test' } : null, secure: false, resHeaders: new Headers(), ip: '203.0.113.99' });

async function makeDeployment(tag: string) {
  const n = randomUUID().slice(0, 8);
  const tenant = await db().tenant.create({ data: { slug: `${tag}-${n}`, name: `Tenant ${tag} ${n}`, ownerName: 'Owner', ownerEmail: `owner-${n}@tenant.example` } });
  const sub = await db().subscription.create({ data: { tenantId: tenant.id, name: 'main' } });
  const deployment = await db().deployment.create({ data: { tenantId: tenant.id, subscriptionId: sub.id, name: `web-${n}` } });
  return { tenant, deployment };
}
type Fixture = Awaited<ReturnType<typeof makeDeployment>>;

// Minutes and hours relative to the start of the current minute, as the procedures count them.
const minuteStart = Math.floor(Date.now() / MIN) * MIN;
const minute = (offset: number) => new Date(minuteStart + offset * MIN);

async function flowMinute(at: Date, detector: string, totals: { records: number; packets: number; bytes: number; findings?: number }, topTalkers: unknown) {
  await db().flowMinute.create({
    data: {
      minute: at,
      detector,
      records: BigInt(totals.records),
      packets: BigInt(totals.packets),
      bytes: BigInt(totals.bytes),
      findings: totals.findings ?? 0,
      topTalkers: topTalkers as Prisma.InputJsonValue,
    },
  });
}

/** A finding stored the way the intake leaves it: canonical JSON as the bytes, parsed fields on the row. */
async function makeFinding(input: DetectionInput, opts: { receivedAt: Date; at?: Fixture; caseId?: string }) {
  const raw = Buffer.from(canonicalDetection(DetectionInputSchema.parse(input)));
  const parsed = parseStoredDetection(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  const { normalized, ...fields } = parsed.fields;
  return db().abuseReport.create({
    data: {
      channel: 'detection',
      contentType: DETECTION_CONTENT_TYPE,
      raw,
      sha256: createHash('sha256').update(raw).digest('hex'),
      sizeBytes: raw.length,
      parseStatus: 'parsed',
      ...fields,
      normalized: normalized as Prisma.InputJsonValue,
      receivedAt: opts.receivedAt,
      lastReceivedAt: opts.receivedAt,
      attribution: opts.at ? 'attributed' : 'unattributed',
      tenantId: opts.at?.tenant.id,
      deploymentId: opts.at?.deployment.id,
      caseId: opts.caseId,
    },
  });
}

const finding = (kind: string, windowStart: Date, more: Partial<DetectionInput> = {}): DetectionInput => ({
  detector: 'netflow-test',
  kind,
  category: 'dos',
  sourceIp: '198.51.100.7',
  targets: ['203.0.113.5'],
  windowStart,
  windowEnd: new Date(windowStart.getTime() + MIN),
  counts: { packets: 1000 },
  severity: 'high',
  confidence: 'medium',
  ...more,
});

describe('before any detector has reported', () => {
  it('gives empty series, talkers and findings, so the page can say there is no data yet', async () => {
    const o = await as('analyst').detections.overview();
    expect(o.series).toEqual([]);
    expect(o.topTalkers).toEqual([]);
    expect(o.detectors).toEqual([]);
    expect(o.findingsByHour.kinds).toEqual([]);
    // The hour grid is still there (zeros), 24 hours back to this one.
    expect(o.findingsByHour.hours.length).toBeGreaterThanOrEqual(25);
    expect(o.findingsByHour.hours.every((h) => h.total === 0)).toBe(true);
    await expect(as('analyst').detections.findings({})).resolves.toEqual({ items: [], nextCursor: null });
  });
});

describe('detections overview', () => {
  let holder: Fixture;

  beforeAll(async () => {
    holder = await makeDeployment('holder');
    const held = { tenantId: holder.tenant.id, deploymentId: holder.deployment.id };
    // Two detector processes write minute -3; minute -4 nobody writes (no traffic); one row is outside 24 hours.
    await flowMinute(minute(-5), 'det-a', { records: 600, packets: 6_000, bytes: 6_000_000, findings: 1 }, [
      { ip: '198.51.100.7', bytes: 4_000_000, packets: 4_000, records: 400, ...held },
      { ip: '192.0.2.1', bytes: 1_000_000, packets: 1_000, records: 100 },
      { ip: '192.0.2.99', bytes: 2_000_000, packets: 7, records: 2, deploymentId: holder.deployment.id },
    ]);
    await flowMinute(minute(-3), 'det-a', { records: 1_200, packets: 12_000, bytes: 9_000_000 }, [
      { ip: '192.0.2.1', bytes: 5_000_000, packets: 5_000, records: 500 },
      { ip: '198.51.100.7', bytes: 2_000_000, packets: 2_000, records: 200, ...held },
    ]);
    await flowMinute(minute(-3), 'det-b', { records: 2_400, packets: 24_000, bytes: 3_000_000, findings: 2 }, [
      { ip: '198.51.100.7', bytes: 2_500_000, packets: 2_500, records: 250, ...held },
      // A malformed entry and a non-numeric field must not break the sums.
      'not an object',
      { ip: '192.0.2.99', bytes: 'lots', packets: 3, records: 1, tenantId: 'not-a-uuid' },
    ]);
    // A row whose top talkers are not even a list: counted in the rates, skipped in the talkers.
    await flowMinute(minute(-2), 'det-b', { records: 60, packets: 60, bytes: 60 }, { broken: true });
    // Twenty-five talkers in one minute, each lighter than the ones above: only twenty make the table.
    await flowMinute(
      minute(-1),
      'det-c',
      { records: 25, packets: 25, bytes: 25_000 },
      Array.from({ length: 25 }, (_, i) => ({ ip: `10.9.0.${i + 1}`, bytes: 1_000 - i, packets: 1, records: 1 })),
    );
    await flowMinute(minute(-30 * 60), 'det-old', { records: 999_999, packets: 1, bytes: 1 }, [{ ip: '203.0.113.250', bytes: 9e12, packets: 1, records: 1 }]);
  });

  it('sums the detectors per minute into rates on a gap-free minute grid', async () => {
    const o = await as('analyst').detections.overview({ hours: 24 });
    expect(o.stepMinutes).toBe(1);
    expect(o.series).toHaveLength(24 * 60);
    expect(o.to.getTime() - o.from.getTime()).toBe(24 * HOUR);
    const at = (d: Date) => o.series.find((p) => p.at.getTime() === d.getTime());
    expect(at(minute(-3))).toEqual({ at: minute(-3), recordsPerSec: 3_600 / 60, packetsPerSec: 36_000 / 60, bytesPerSec: 12_000_000 / 60, findings: 2, detectors: 2 });
    expect(at(minute(-5))).toMatchObject({ recordsPerSec: 10, packetsPerSec: 100, bytesPerSec: 100_000, findings: 1, detectors: 1 });
    // A minute nobody wrote is no traffic, not a hole.
    expect(at(minute(-4))).toMatchObject({ recordsPerSec: 0, packetsPerSec: 0, bytesPerSec: 0, detectors: 0 });
    expect(o.totals).toMatchObject({ records: 600 + 1_200 + 2_400 + 60 + 25, bytes: 6_000_000 + 9_000_000 + 3_000_000 + 60 + 25_000, findings: 3, peakRecordsPerSec: 60 });
    expect(o.totals.peakAt).toEqual(minute(-3));
    expect(o.detectors.map((d) => d.name)).toEqual(['det-a', 'det-b', 'det-c']);
    expect(o.detectors.find((d) => d.name === 'det-b')?.lastMinute).toEqual(minute(-2));
  });

  it('averages several minutes per point over long windows and keeps short ones per minute', async () => {
    const week = await as('analyst').detections.overview({ hours: 168 });
    expect(week.stepMinutes).toBe(7);
    expect(week.series).toHaveLength(1_440);
    // Every minute of the week lands in exactly one point: the records add up.
    const records = week.series.reduce((sum, p) => sum + p.recordsPerSec * week.stepMinutes * 60, 0);
    expect(Math.round(records)).toBe(600 + 1_200 + 2_400 + 60 + 25 + 999_999);
    const hour = await as('analyst').detections.overview({ hours: 1 });
    expect(hour.series).toHaveLength(60);
    expect(hour.totals.records).toBe(600 + 1_200 + 2_400 + 60 + 25);
  });

  it('merges the top talkers over the window by address, heaviest first, top twenty, with tenant names', async () => {
    const { topTalkers } = await as('analyst').detections.overview();
    expect(topTalkers).toHaveLength(20);
    expect(topTalkers[0]).toEqual({
      ip: '198.51.100.7',
      bytes: 8_500_000,
      packets: 8_500,
      records: 850,
      minutes: 2,
      lastSeen: minute(-3),
      tenant: { id: holder.tenant.id, name: holder.tenant.name },
      deployment: { id: holder.deployment.id, name: holder.deployment.name },
    });
    expect(topTalkers[1]).toMatchObject({ ip: '192.0.2.1', bytes: 6_000_000, packets: 6_000, records: 600, minutes: 2, tenant: null, deployment: null });
    // The non-numeric byte count adds nothing; the newest tenant id wins even when it is no UUID (kept, not named).
    expect(topTalkers[2]).toMatchObject({ ip: '192.0.2.99', bytes: 2_000_000, packets: 10, records: 3, minutes: 2, tenant: { id: 'not-a-uuid', name: null } });
    expect(topTalkers[2]?.deployment).toEqual({ id: holder.deployment.id, name: holder.deployment.name });
    expect(topTalkers.slice(3).map((t) => t.ip)).toEqual(Array.from({ length: 17 }, (_, i) => `10.9.0.${i + 1}`));
    // The old row is outside 24 hours; a week reaches it.
    expect(topTalkers.map((t) => t.ip)).not.toContain('203.0.113.250');
    const week = await as('analyst').detections.overview({ hours: 168 });
    expect(week.topTalkers[0]).toMatchObject({ ip: '203.0.113.250', bytes: 9e12 });
  });

  it('refuses windows it does not offer', async () => {
    await expect(as('analyst').detections.overview({ hours: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(as('analyst').detections.overview({ hours: 169 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(as('analyst').detections.overview({ hours: 1.5 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('findings', () => {
  let one: Fixture;
  let two: Fixture;
  let caseId: string;
  const ids = {} as Record<'synA' | 'synB' | 'scan' | 'old' | 'pending' | 'mail', string>;
  const hourStart = Math.floor(Date.now() / HOUR) * HOUR;
  const hour = (offset: number, plusMinutes = 0) => new Date(hourStart + offset * HOUR + plusMinutes * MIN);

  beforeAll(async () => {
    one = await makeDeployment('one');
    two = await makeDeployment('two');
    caseId = (await db().case.create({ data: { workflowId: `case:${one.deployment.id}:dos`, tenantId: one.tenant.id, deploymentId: one.deployment.id, category: 'dos', state: 'triage' } })).id;
    ids.synA = (await makeFinding(finding('syn-flood', hour(-2, 10)), { receivedAt: hour(-2, 12), at: one, caseId })).id;
    ids.synB = (await makeFinding(finding('syn-flood', hour(-2, 40), { sourceIp: '198.51.100.8' }), { receivedAt: hour(-2, 42), at: two })).id;
    ids.scan = (
      await makeFinding(finding('port-scan', hour(-5, 5), { category: 'hacking_port_scan', targets: ['203.0.113.0/24', 'https://victim.example/login'], evidence: HOSTILE }), {
        receivedAt: hour(-1, 0),
        at: one,
        caseId,
      })
    ).id;
    ids.old = (await makeFinding(finding('syn-flood', hour(-40)), { receivedAt: hour(-40, 1) })).id;
    // Received but not parsed yet: no normalized form, counted under no kind at its receive time.
    const raw = Buffer.from(`{"pending":"${randomUUID()}"}`);
    ids.pending = (
      await db().abuseReport.create({
        data: { channel: 'detection', contentType: DETECTION_CONTENT_TYPE, raw, sha256: createHash('sha256').update(raw).digest('hex'), sizeBytes: raw.length, receivedAt: hour(0) },
      })
    ).id;
    // An ordinary report is no finding.
    const mail = Buffer.from(`mail ${randomUUID()}`);
    ids.mail = (
      await db().abuseReport.create({
        data: { channel: 'mail', contentType: 'message/rfc822', raw: mail, sha256: createHash('sha256').update(mail).digest('hex'), sizeBytes: mail.length, receivedAt: hour(0) },
      })
    ).id;
    // The source's traffic during the port-scan window, as the detector's top talkers saw it.
    await flowMinute(hour(-5, 5), 'det-scan', { records: 10, packets: 10, bytes: 10 }, [{ ip: '198.51.100.7', bytes: 777, packets: 7, records: 3 }]);
    await flowMinute(hour(-5, 6), 'det-scan', { records: 10, packets: 10, bytes: 10 }, [{ ip: '198.51.100.7', bytes: 223, packets: 3, records: 1 }]);
    await flowMinute(hour(-5, 7), 'det-scan', { records: 10, packets: 10, bytes: 10 }, [{ ip: '198.51.100.7', bytes: 5_000, packets: 5, records: 5 }]);
  });

  it('counts findings per hour of their window by kind, largest kind first', async () => {
    const { findingsByHour } = await as('analyst').detections.overview({ hours: 24 });
    expect(findingsByHour.kinds).toEqual([
      { kind: 'syn-flood', total: 2 },
      { kind: 'port-scan', total: 1 },
      { kind: null, total: 1 },
    ]);
    const at = (d: Date) => findingsByHour.hours.find((h) => h.at.getTime() === d.getTime());
    expect(at(hour(-2))).toEqual({ at: hour(-2), counts: [2, 0, 0], total: 2 });
    // By the window's start, not by when it arrived.
    expect(at(hour(-5))).toEqual({ at: hour(-5), counts: [0, 1, 0], total: 1 });
    expect(at(hour(-1))?.total).toBe(0);
    expect(at(hour(0))).toMatchObject({ counts: [0, 0, 1], total: 1 });
    expect(findingsByHour.hours.reduce((n, h) => n + h.total, 0)).toBe(4);
  });

  it('lists findings newest first with kind, source, targets, window, tenant names and case', async () => {
    const { items, nextCursor } = await as('analyst').detections.findings({});
    expect(nextCursor).toBeNull();
    expect(items.map((i) => i.id)).toEqual([ids.pending, ids.scan, ids.synB, ids.synA, ids.old]);
    expect(items.find((i) => i.id === ids.synA)).toEqual({
      id: ids.synA,
      receivedAt: hour(-2, 12),
      lastReceivedAt: hour(-2, 12),
      submissionCount: 1,
      parseStatus: 'parsed',
      detector: 'netflow-test',
      kind: 'syn-flood',
      category: 'dos',
      severity: 'high',
      confidence: 'medium',
      sourceIp: '198.51.100.7',
      targets: ['203.0.113.5'],
      targetsCapped: false,
      windowStart: hour(-2, 10),
      windowEnd: hour(-2, 11),
      tenant: { id: one.tenant.id, name: one.tenant.name },
      deployment: { id: one.deployment.id, name: one.deployment.name },
      caseId,
    });
    expect(items.find((i) => i.id === ids.pending)).toMatchObject({ kind: null, parseStatus: 'pending', sourceIp: null, tenant: null, caseId: null });
  });

  it('filters by kind and tenant, and pages with a cursor', async () => {
    const api = as('analyst');
    expect((await api.detections.findings({ kind: 'syn-flood' })).items.map((i) => i.id)).toEqual([ids.synB, ids.synA, ids.old]);
    expect((await api.detections.findings({ tenantId: one.tenant.id })).items.map((i) => i.id)).toEqual([ids.scan, ids.synA]);
    expect((await api.detections.findings({ kind: 'syn-flood', tenantId: two.tenant.id })).items.map((i) => i.id)).toEqual([ids.synB]);
    expect((await api.detections.findings({ kind: 'no-such-kind' })).items).toEqual([]);
    const first = await api.detections.findings({ limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual([ids.pending, ids.scan]);
    expect(first.nextCursor).toBe(ids.scan);
    const second = await api.detections.findings({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((i) => i.id)).toEqual([ids.synB, ids.synA]);
    const third = await api.detections.findings({ limit: 2, cursor: second.nextCursor });
    expect(third).toEqual({ items: [expect.objectContaining({ id: ids.old })], nextCursor: null });
    await expect(api.detections.findings({ limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.detections.findings({ tenantId: 'nope' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('offers the kinds seen and the tenants with findings as filter choices', async () => {
    const f = await as('analyst').detections.filters();
    expect(f.kinds).toEqual(['port-scan', 'syn-flood']);
    expect(f.tenants.map((t) => t.id).sort()).toEqual([one.tenant.id, two.tenant.id].sort());
  });

  it('returns a finding with its evidence verbatim, its case and its source traffic in the window', async () => {
    const f = await as('analyst').detections.finding({ id: ids.scan });
    // Escaping is the page's job: the text comes back exactly as the detector wrote it.
    expect(f.evidence).toBe(HOSTILE);
    expect(f.summary).toContain(HOSTILE);
    expect(f.stored).toContain(JSON.stringify(HOSTILE));
    expect(f).toMatchObject({
      kind: 'port-scan',
      category: 'hacking_port_scan',
      targets: ['203.0.113.0/24', 'https://victim.example/login'],
      counts: { packets: 1000 },
      case: { id: caseId, state: 'triage', category: 'dos' },
      tenant: { name: one.tenant.name },
      raw: null,
      // Minutes 5 and 6 of the hour hold the window [5, 6]; minute 7 is after it.
      sourceTraffic: { bytes: 1_000, packets: 10, records: 4, minutes: 2, from: hour(-5, 5), to: hour(-5, 7) },
    });
    const noTraffic = await as('admin').detections.finding({ id: ids.synB });
    expect(noTraffic.sourceTraffic).toBeNull();
    expect(noTraffic.case).toBeNull();
  });

  it('shows the stored bytes of a finding the intake has not parsed yet', async () => {
    const f = await as('analyst').detections.finding({ id: ids.pending });
    expect(f).toMatchObject({ kind: null, evidence: null, stored: null, sourceTraffic: null, parseStatus: 'pending' });
    expect(f.raw?.text).toMatch(/^\{"pending":"/);
  });

  it('says when a finding kept only its heaviest targets', async () => {
    const many = Array.from({ length: MAX_FINDING_TARGETS }, (_, i) => `203.0.${113 + (i >> 8)}.${i & 255}`);
    const capped = await makeFinding(finding('capped-scan', hour(-1, 5), { targets: many, counts: { destinations: 399 } }), { receivedAt: hour(-1, 6) });
    expect(await as('analyst').detections.finding({ id: capped.id })).toMatchObject({ targetsCapped: true, targets: many });
    expect(await as('analyst').detections.finding({ id: ids.scan })).toMatchObject({ targetsCapped: false });
  });

  it('knows only findings', async () => {
    await expect(as('analyst').detections.finding({ id: ids.mail })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(as('analyst').detections.finding({ id: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(as('analyst').detections.finding({ id: 'not-a-uuid' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('access', () => {
  it('refuses every detections procedure without a signed-in user', async () => {
    const anon = as(null).detections;
    await expect(anon.overview()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anon.filters()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anon.findings({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(anon.finding({ id: randomUUID() })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
