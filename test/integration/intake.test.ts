// Intake end to end on a real Temporal dev server, a real worker and PostgreSQL with the demo data: the raw report
// is stored first, parsed, attributed to the tenant that held the address at the event time, and attached to the
// one case of its (deployment, category).
import { createHash, randomUUID } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailCatcher } from '../../dev/mailcatcher';
import { caseWorkflowId } from '../../domain/cases';
import { sealAllAudit, verifyAuditLog } from '../../lib/audit';
import type { Db } from '../../lib/db';
import { DetectionValidationError, submitDetection } from '../../lib/detections';
import { storeReport, type StoreReportInput } from '../../lib/intake';
import { sweepIntake, unfinishedReports } from '../../lib/intake-sweeper';
import { MOVED_RANGE, seed } from '../../prisma/seed';
import { caseQuery } from '../../workflows/abuse-case';
import type { TestDatabase } from '../support/database';
import type { TestWorker } from '../support/worker';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

let system: WorkerSystem;
let database: TestDatabase;
let db: Db;
let catcher: MailCatcher;
let mailer: Transporter;
let tw: TestWorker;

beforeAll(async () => {
  system = await startWorkerSystem('intake', { seed: true });
  ({ database, db, catcher, mailer, tw } = system);
});

afterAll(async () => {
  await system?.close();
});

/** An X-ARF v4 login-attack report; every call is a different report unless `id` is repeated. */
function xarf(source: string, timestamp: string, opts: { id?: string; type?: string; category?: string } = {}): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      xarf_version: '4.0.0',
      report_id: opts.id ?? randomUUID(),
      timestamp,
      reporter: { org: 'Example CERT', contact: 'cert@reporter.example', domain: 'reporter.example' },
      sender: { org: 'Example CERT', contact: 'cert@reporter.example', domain: 'reporter.example' },
      source_identifier: source,
      source_port: 51234,
      category: opts.category ?? 'connection',
      type: opts.type ?? 'login_attack',
      protocol: 'tcp',
      destination_ip: '93.184.216.34',
      destination_port: 22,
      first_seen: timestamp,
      last_seen: timestamp,
      evidence_source: 'honeypot',
      description: 'failed SSH logins',
    }),
  );
}

const input = (raw: Uint8Array, extra: Partial<StoreReportInput> = {}): StoreReportInput => ({
  raw,
  channel: 'api',
  contentType: 'application/json',
  reporterEmail: 'cert@reporter.example',
  ...extra,
});

/** Stores a report: intake runs before storeReport returns (parse, attribute, signal the case). */
async function intake(raw: Uint8Array, extra: Partial<StoreReportInput> = {}) {
  const stored = await storeReport(db, tw.client, input(raw, extra), { taskQueue: tw.taskQueue });
  const row = await db.abuseReport.findUniqueOrThrow({ where: { id: stored.reportId } });
  return { stored, outcome: stored.intake, row };
}

/** The case workflow links evidence itself: wait (bounded) until its query shows `count` pieces. */
async function caseEvidence(workflowId: string, count: number) {
  return tw.runUntil(async () => {
    const handle = tw.client.workflow.getHandle(workflowId);
    // Generous: on a loaded 2-core machine the case workflow may take many seconds to open and drain evidence.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const snapshot = await handle.query(caseQuery);
      if (snapshot.evidence >= count) return snapshot;
      await new Promise((r) => setTimeout(r, 200));
    }
    return handle.query(caseQuery);
  });
}

async function actions(reportId: string): Promise<string[]> {
  const trail = await db.auditEvent.findMany({ where: { subjectType: 'report', subjectId: reportId }, orderBy: { seq: 'asc' } });
  return trail.map((e) => e.action);
}

async function deployment(tenantSlug: string, name: string) {
  return db.deployment.findFirstOrThrow({ where: { name, tenant: { slug: tenantSlug } } });
}

describe('storing', () => {
  it('keeps the raw bytes verbatim with their SHA-256 and audits the arrival before anything else', async () => {
    // CRLF, a BOM and trailing spaces: stored as sent, not as parsed.
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xarf('192.0.2.10', '2026-03-02T08:15:00Z')), Buffer.from('  \r\n')]);
    const { stored, row } = await intake(raw);
    expect(stored.duplicate).toBe(false);
    expect(stored.submissionCount).toBe(1);
    expect(Buffer.compare(Buffer.from(row.raw), raw)).toBe(0);
    expect(row.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(row.sizeBytes).toBe(raw.length);
    expect(await actions(stored.reportId)).toEqual(['report.received', 'report.parsed', 'report.attributed', 'report.routed']);
    await sealAllAudit(db);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true, unsealed: 0 });
  });

  it('counts an identical resubmission instead of storing it twice, and does not route it again', async () => {
    const raw = xarf('192.0.2.11', '2026-03-02T08:15:00Z');
    const first = await intake(raw);
    expect(first.outcome).toMatchObject({ outcome: 'routed' });
    const again = await intake(raw);
    expect(again.stored).toMatchObject({ reportId: first.stored.reportId, duplicate: true, submissionCount: 2, intake: { outcome: 'routed', cases: [] } });
    expect(await db.abuseReport.count({ where: { sha256: first.row.sha256 } })).toBe(1);
    expect(again.row.lastReceivedAt.getTime()).toBeGreaterThan(first.row.lastReceivedAt.getTime());
    expect(await actions(first.stored.reportId)).toEqual(['report.received', 'report.parsed', 'report.attributed', 'report.routed', 'report.resubmitted']);
  });

  it('makes one row for identical reports arriving at the same moment', async () => {
    const raw = xarf('192.0.2.12', '2026-03-02T08:15:00Z');
    const results = await Promise.all(Array.from({ length: 6 }, () => storeReport(db, tw.client, input(raw), { taskQueue: tw.taskQueue })));
    expect(new Set(results.map((r) => r.reportId)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.map((r) => r.submissionCount).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const row = await db.abuseReport.findUniqueOrThrow({ where: { id: results[0]!.reportId } });
    expect(row.submissionCount).toBe(6);
    // Only the first arrival runs intake; the others are counted.
    expect((await actions(row.id)).filter((a) => a === 'report.routed')).toHaveLength(1);
  });

  it('keeps a report while Temporal is unreachable, and the intake sweeper finishes it once it is back', async () => {
    const raw = xarf('192.0.2.13', '2026-03-02T08:15:00Z');
    const down = () => Promise.reject(new Error('connection refused'));
    const stored = await storeReport(db, down, input(raw), { taskQueue: tw.taskQueue });
    expect(stored.intake).toMatchObject({ outcome: 'queued', reason: 'connection refused' });
    expect(await db.abuseReport.findUniqueOrThrow({ where: { id: stored.reportId } })).toMatchObject({ parseStatus: 'pending', routedAt: null, submissionCount: 1 });
    // Sent again meanwhile: counted, and still queued.
    const again = await storeReport(db, down, input(raw), { taskQueue: tw.taskQueue });
    expect(again).toMatchObject({ reportId: stored.reportId, duplicate: true, submissionCount: 2, intake: { outcome: 'queued' } });
    // Young reports are left to the request that stored them; past the grace period the sweeper takes them.
    expect(await unfinishedReports(db, new Date(Date.now() - 60_000))).not.toContain(stored.reportId);
    expect(await unfinishedReports(db, new Date(Date.now() + 1_000))).toContain(stored.reportId);
    await sweepIntake(db, tw.client, { taskQueue: tw.taskQueue, graceMs: -1_000 });
    const row = await db.abuseReport.findUniqueOrThrow({ where: { id: stored.reportId } });
    expect(row.routedAt).not.toBeNull();
    expect(row).toMatchObject({ parseStatus: 'parsed', attribution: 'attributed' });
    expect(await actions(stored.reportId)).toEqual(['report.received', 'report.resubmitted', 'report.parsed', 'report.attributed', 'report.routed']);
    expect(await unfinishedReports(db, new Date(Date.now() + 1_000))).not.toContain(stored.reportId);
  });

  it('keeps a report that does not parse, marks it failed and leaves it for the inbox', async () => {
    const raw = Buffer.from('{"xarf_version": "4.0.0", "source_identifier": ');
    const { outcome, row } = await intake(raw);
    expect(outcome.outcome).toBe('parse_failed');
    expect(row.parseStatus).toBe('failed');
    expect(row.parseError).toMatch(/JSON/i);
    expect(row.attribution).toBe('unattributed');
    expect(Buffer.from(row.raw).toString()).toBe(raw.toString());
    expect(row.caseId).toBeNull();
    expect(await actions(row.id)).toEqual(['report.received', 'report.parse_failed']);
  });
});

describe('attribution', () => {
  it('attributes a moved range to whoever held it at the event time', async () => {
    const movedIp = MOVED_RANGE.cidr.replace('128/25', '130');
    const before = await intake(xarf(movedIp, '2026-05-31T23:59:00Z'));
    const after = await intake(xarf(movedIp, '2026-06-01T00:00:01Z'));
    expect(before.row.attribution).toBe('attributed');
    expect(after.row.attribution).toBe('attributed');
    expect(before.row.deploymentId).not.toBe(after.row.deploymentId);
    expect(before.row.tenantId).not.toBe(after.row.tenantId);
    const oldHolder = await db.tenant.findUniqueOrThrow({ where: { id: before.row.tenantId! } });
    const newHolder = await db.tenant.findUniqueOrThrow({ where: { id: after.row.tenantId! } });
    expect(oldHolder.slug).toMatch(/kestrel/);
    expect(newHolder.slug).toMatch(/sakura/);
    expect(before.row.attributionNote).toContain('2026-05-31T23:59:00.000Z');
  });

  it('looks an address up at the time received when the event time lies in the future', async () => {
    // A range that a deployment will hold only from next month: an event "then" was not sent by it.
    const d = await deployment('northwind-analytics', 'analytics-api');
    const from = new Date(Date.now() + 30 * 86_400_000);
    await db.ipAllocation.create({ data: { deploymentId: d.id, cidr: '192.0.2.248/29', validFrom: from } });
    const later = new Date(from.getTime() + 86_400_000).toISOString();
    const { row, outcome } = await intake(xarf('192.0.2.250', later));
    expect(outcome.outcome).toBe('unattributed');
    expect(row.eventTime!.toISOString()).toBe(later);
    expect(row.attributionNote).toContain(`the report's event time ${later} is later than its arrival; looked up at the time received (${row.receivedAt.toISOString()})`);
    // Within the allowed clock difference the event time stands.
    const { row: skewed } = await intake(xarf('192.0.2.1', new Date(Date.now() + 60_000).toISOString()));
    expect(skewed.attribution).toBe('attributed');
    expect(skewed.attributionNote).not.toContain('later than its arrival');
  });

  it('attributes IPv6 sources', async () => {
    const d = await deployment('northwind-analytics', 'analytics-api');
    const { row, outcome } = await intake(xarf('2001:db8:100::5', '2026-03-02T08:15:00Z'));
    expect(row.sourceIps).toEqual(['2001:db8:100::5']);
    expect(row.deploymentId).toBe(d.id);
    expect(outcome).toEqual({ reportId: row.id, outcome: 'routed', cases: [caseWorkflowId(d.id, 'hacking_login_attack')] });
  });

  it('sends an address no one held to the unattributed inbox', async () => {
    for (const ip of ['8.8.8.8', '198.51.100.200']) {
      const { row, outcome } = await intake(xarf(ip, '2026-03-02T08:15:00Z'));
      expect(outcome.outcome).toBe('unattributed');
      expect(row.attribution).toBe('unattributed');
      expect(row.attributionNote).toContain(`no allocation held ${ip}`);
      expect(row.caseId).toBeNull();
      expect(await actions(row.id)).toEqual(['report.received', 'report.parsed', 'report.unattributed']);
    }
  });

  it('an address before its range was allocated is unattributed', async () => {
    // 192.0.2.64/26 was allocated on 2025-04-15.
    const { row } = await intake(xarf('192.0.2.70', '2025-04-14T12:00:00Z'));
    expect(row.attribution).toBe('unattributed');
  });

  it('sends private and other never-routable addresses to the inbox without a lookup', async () => {
    for (const ip of ['10.1.2.3', 'fd00::1', '100.64.0.9']) {
      const { row } = await intake(xarf(ip, '2026-03-02T08:15:00Z'));
      expect(row.parseStatus).toBe('parsed');
      expect(row.attribution).toBe('unattributed');
      expect(row.attributionNote).toMatch(/never routed/);
    }
  });

  it('attributes a CIDR source inside one allocation and refuses one that spans two', async () => {
    const inside = await intake(xarf('192.0.2.0/28', '2026-03-02T08:15:00Z'));
    expect(inside.row.attribution).toBe('attributed');
    // 192.0.2.0/25 covers 192.0.2.0/26 and 192.0.2.64/26, held by different deployments.
    const spanning = await intake(xarf('192.0.2.0/25', '2026-03-02T08:15:00Z'));
    expect(spanning.row.attribution).toBe('unattributed');
    expect(spanning.row.attributionNote).toMatch(/spans 2 allocations/);
  });
});

describe('routing', () => {
  it('puts two reports for the same deployment and category into one case', async () => {
    const d = await deployment('northwind-analytics', 'analytics-api');
    const a = await intake(xarf('192.0.2.20', '2026-03-02T08:15:00Z', { type: 'port_scan' }));
    const b = await intake(xarf('192.0.2.21', '2026-03-03T09:00:00Z', { type: 'port_scan' }));
    const workflowId = caseWorkflowId(d.id, 'hacking_port_scan');
    expect(a.outcome).toMatchObject({ outcome: 'routed', cases: [workflowId] });
    expect(b.outcome).toMatchObject({ outcome: 'routed', cases: [workflowId] });
    expect((await caseEvidence(workflowId, 2)).evidence).toBe(2);
    const row = await db.case.findUniqueOrThrow({ where: { workflowId }, include: { reports: true } });
    expect(row.reports.map((r) => r.id).sort()).toEqual([a.stored.reportId, b.stored.reportId].sort());
    expect(await db.case.count({ where: { deploymentId: d.id, category: 'hacking_port_scan' } })).toBe(1);
  });

  it('lets detections and reports meet in the same case', async () => {
    const d = await deployment('northwind-analytics', 'analytics-api');
    const workflowId = caseWorkflowId(d.id, 'compromised_host');
    const report = await intake(xarf('192.0.2.30', '2026-03-02T08:15:00Z', { category: 'infrastructure', type: 'botnet' }));
    expect(report.outcome).toMatchObject({ outcome: 'routed', cases: [workflowId] });
    const detection = {
      detector: 'netflow-c2',
      kind: 'beaconing',
      category: 'compromised_host' as const,
      sourceIp: '192.0.2.31',
      targets: ['203.0.113.250:443'],
      windowStart: '2026-03-02T08:00:00Z',
      windowEnd: '2026-03-02T08:10:00Z',
      counts: { flows: 120 },
      severity: 'high' as const,
      confidence: 'medium' as const,
    };
    const found = await tw.runUntil(async () => {
      const stored = await submitDetection(db, tw.client, detection, { taskQueue: tw.taskQueue });
      const outcome = stored.intake;
      // The same finding sent again is counted, not a second piece of evidence.
      const again = await submitDetection(db, tw.client, { ...detection, windowStart: new Date(detection.windowStart) }, { taskQueue: tw.taskQueue });
      return { stored, outcome, again };
    });
    expect(found.outcome).toMatchObject({ outcome: 'routed', cases: [workflowId] });
    expect(found.again).toMatchObject({ reportId: found.stored.reportId, duplicate: true });
    const row = await db.abuseReport.findUniqueOrThrow({ where: { id: found.stored.reportId } });
    expect(row).toMatchObject({ channel: 'detection', format: 'safeguard-detection', category: 'compromised_host', sourceIps: ['192.0.2.31'], confidence: 'medium' });
    expect(row.summary).toContain('netflow-c2 detected beaconing');
    expect((await caseEvidence(workflowId, 2)).evidence).toBe(2);
    const kase = await db.case.findUniqueOrThrow({ where: { workflowId }, include: { reports: { select: { id: true, channel: true } } } });
    expect(kase.reports.map((r) => r.id).sort()).toEqual([report.stored.reportId, found.stored.reportId].sort());
    await expect(submitDetection(db, tw.client, { ...detection, windowEnd: '2026-03-01T00:00:00Z' })).rejects.toThrow(DetectionValidationError);
    await expect(submitDetection(db, tw.client, { ...detection, sourceIp: 'not-an-ip' })).rejects.toThrow(/sourceIp/);
  });
});
