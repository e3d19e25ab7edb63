// From UDP datagrams to a tenant's email: NetFlow v5 records of an outbound flood from a tenant's address reach the
// collector, the detectors open a finding, intake routes it to the deployment's DoS case (which skips triage for our
// own detections), and the tenant's security contact gets the notice. An attack *on* a tenant warns that tenant.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDetector, type Detector } from '../../detection/runtime';
import { caseWorkflowId } from '../../domain/cases';
import { log } from '../../lib/log';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { createCaseFixtures, type CaseFixtures } from '../support/case-fixtures';
import { v5Packet, type V5Flow } from '../support/netflow-builder';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

let system: WorkerSystem;
let fx: CaseFixtures;
let mailbox: Mailbox;
let detector: Detector;

beforeAll(async () => {
  system = await startWorkerSystem('flows');
  mailbox = createMailbox(system.catcher.apiUrl);
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox });
});

afterAll(async () => {
  await detector?.stop();
  await system?.close();
});

async function allocate(address: string) {
  const f = await fx.makeTenant('flows');
  await system.db.ipAllocation.create({ data: { deploymentId: f.deployment.id, cidr: `${address}/32`, validFrom: new Date(Date.now() - 86_400_000) } });
  return f;
}

/** v5 datagrams of one-second flows ending in the last `seconds` seconds, 30 records each. */
function flood(src: string, dst: string, seconds: number, packetsPerSecond: number): Uint8Array[] {
  const now = Date.now();
  const sysUptime = 3_600_000;
  const flows: V5Flow[] = [];
  for (let s = seconds; s >= 1; s--) {
    for (let port = 0; port < 3; port++) {
      const last = sysUptime - s * 1_000 + 1_000;
      flows.push({ src, dst, packets: Math.round(packetsPerSecond / 3), bytes: Math.round(packetsPerSecond / 3) * 64, first: last - 1_000, last, srcPort: 40_000 + port, dstPort: 80, protocol: 17 });
    }
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < flows.length; i += 30) out.push(v5Packet({ sysUptime, unixSecs: Math.floor(now / 1000), unixNsecs: (now % 1000) * 1e6, sequence: i }, flows.slice(i, i + 30)));
  return out;
}

async function send(port: number, datagrams: Uint8Array[]) {
  const socket = dgram.createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

describe('flows to a case', () => {
  it('turns an outbound flood into one DoS case and a notice to the tenant, and warns the tenant under attack', async () => {
    const attacker = await allocate('198.51.100.77');
    const victim = await allocate('198.51.100.78');
    const { db, tw } = system;
    detector = await startDetector({
      db,
      temporal: async () => tw.client,
      taskQueue: tw.taskQueue,
      udpPorts: [0],
      host: '127.0.0.1',
      mailer: system.mailer,
      log: log.child({ component: 'detector' }, { level: 'warn' }),
      name: 'test-detector',
    });
    const port = detector.addresses[0]!.port;

    await tw.runUntil(async () => {
      // 60,000 small packets a second for 12 s: three times FastNetMon's default 20,000 pps ban threshold.
      await send(port, flood('198.51.100.77', '198.51.100.78', 12, 60_000));
      await detector.drain();
      const workflowId = caseWorkflowId(attacker.deployment.id, 'dos');
      const row = await fx.waitForRow(workflowId, (r) => r.state === 'notified', 60_000);
      const notice = await fx.mail(attacker.contact, 'Abuse notice', 30_000);
      expect(notice.Text).toContain('198.51.100.77');
      const reports = await db.abuseReport.findMany({ where: { caseId: row.id } });
      expect(reports.length).toBeGreaterThanOrEqual(1);
      expect(reports[0]).toMatchObject({ channel: 'detection', category: 'dos', sourceIps: ['198.51.100.77'] });
      expect(reports[0]!.summary).toContain('netflow-outbound-dos');
      // The victim, another tenant, is warned; it has no case of its own.
      const warning = await fx.mail(victim.contact, 'denial-of-service', 30_000);
      expect(warning.Text).toContain('198.51.100.78');
      expect(await db.case.count({ where: { deploymentId: victim.deployment.id } })).toBe(0);

      // More of the same attack feeds the same finding window: no second case, no second notice.
      await send(port, flood('198.51.100.77', '198.51.100.78', 4, 60_000));
      await detector.drain();
      expect(await db.case.count({ where: { deploymentId: attacker.deployment.id } })).toBe(1);
      await fx.mails(attacker.contact, 'Abuse notice', 1);
    });
    const stats = detector.stats();
    expect(stats.records).toBe(48);
    expect(stats.decodeErrors).toBe(0);
    expect(stats.findingsSubmitted).toBeGreaterThanOrEqual(1);
  });
});
