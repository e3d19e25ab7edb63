// Two detector processes as `npm run detector` wires them when scaled out: a collector publishes to JetStream with the
// allocation history choosing what goes to the destination partitions, and each detector's runtime (partitioned) runs
// one engine on its source partitions and one on its destination partitions. A flood against one tenant host from
// sources on both detectors warns its tenant once; an outbound flood is submitted once. Skips without NATS.
import net from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nuid } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowPublisher, flowPartition, startFlowConsumer, type FlowConsumer } from '../../detection/jetstream';
import { startDetector, watchAllocations, type Detector, type WatchedAllocations } from '../../detection/runtime';
import { receivedByTenant } from '../../domain/detection';
import { ipv4ToKey, type FlowRecord } from '../../domain/flows/types';
import { log } from '../../lib/log';
import { createMailbox } from '../../lib/mailbox';
import { createCaseFixtures, type CaseFixtures } from '../support/case-fixtures';
import { eventually } from '../support/eventually';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

const SERVERS = '127.0.0.1:4222';
const reachable = await new Promise<boolean>((resolve) => {
  const socket = net.connect({ host: '127.0.0.1', port: 4222, timeout: 1_000 });
  socket.once('connect', () => (socket.destroy(), resolve(true)));
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => (socket.destroy(), resolve(false)));
});

const quiet = log.child({ component: 'detector' }, { level: 'warn' });

/** One-second UDP flows of small packets ending in the last `seconds` seconds: `pps` in all, spread over the sources. */
function flood(sources: string[], dst: string, seconds: number, pps: number): FlowRecord[] {
  const now = Date.now();
  const packets = Math.round(pps / sources.length);
  const records: FlowRecord[] = [];
  for (let s = seconds; s >= 1; s--) {
    for (const [i, src] of sources.entries()) {
      const end = now - s * 1_000 + 1_000;
      records.push({ source: 'netflow5', exporter: '192.0.2.1', start: end - 1_000, end, src: ipv4ToKey(src)!, dst: ipv4ToKey(dst)!, srcPort: 40_000 + i, dstPort: 80, protocol: 17, tcpFlags: 0, packets, bytes: packets * 64, samplingInterval: 1 });
    }
  }
  return records;
}

describe.skipIf(!reachable)('detection scaled out over two detectors', () => {
  let system: WorkerSystem;
  let fx: CaseFixtures;
  let allocations: WatchedAllocations | undefined;
  const detectors: Detector[] = [];
  const consumers: FlowConsumer[] = [];
  const stream = `SAFEGUARD_FLOWS_TEST_${nuid.next()}`;

  beforeAll(async () => {
    system = await startWorkerSystem('flows-partitioned');
    fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox: createMailbox(system.catcher.apiUrl) });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(detectors.map((d) => d.stop()));
    allocations?.stop();
    const nc = await connect({ servers: SERVERS });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
    await nc.close();
    await system?.close();
  });

  async function allocate(address: string) {
    const f = await fx.makeTenant('flows-partitioned');
    await system.db.ipAllocation.create({ data: { deploymentId: f.deployment.id, cidr: `${address}/32`, validFrom: new Date(Date.now() - 86_400_000) } });
    return f;
  }

  it('warns the victim of a flood from sources on both detectors once, and submits an outbound flood once', async () => {
    const victim = await allocate('198.51.100.88');
    await allocate('198.51.100.87');
    const { db, tw } = system;
    allocations = await watchAllocations(db, quiet);
    const where = { servers: SERVERS, stream, subjectPrefix: `flows-partitioned-${nuid.next()}`, storage: 'memory' as const };
    for (const name of ['detector-0', 'detector-1']) {
      detectors.push(await startDetector({ db, temporal: async () => tw.client, taskQueue: tw.taskQueue, udpPorts: [], mailer: system.mailer, log: quiet, name, allocations, partitioned: true }));
    }
    const publisher = await createFlowPublisher({ ...where, toDestination: (r) => receivedByTenant(allocations!.resolver, r) });
    for (const [index, d] of detectors.entries()) {
      consumers.push(await startFlowConsumer({ ...where, partitions: { index, of: 2 }, durableName: 'detectors', sink: d.sink, inboundSink: d.inboundSink! }));
    }

    // 30,000 pps from 200 sources for 12 s: 1.5 times the inbound threshold, so half of it on each detector is below.
    const sources = Array.from({ length: 200 }, (_, i) => `45.6.${i >> 6}.${1 + (i & 63)}`);
    const inbound = flood(sources, '198.51.100.88', 12, 30_000);
    expect(new Set(inbound.map((r) => flowPartition(r, 16) % 2))).toEqual(new Set([0, 1]));
    // 60,000 pps from one tenant host outwards: three times the outbound threshold.
    const outbound = flood(['198.51.100.87'], '45.2.0.1', 12, 60_000);
    const records = [...inbound, ...outbound].sort((a, b) => a.end - b.end);
    for (const r of records) publisher.sink(r);
    await publisher.close();
    // Every record by source; the flood once more by destination; the outbound flood goes to no tenant.
    expect(publisher.stats()).toMatchObject({ records: records.length, toDestination: inbound.length, dropped: 0, failedRecords: 0 });

    const sum = (f: (d: Detector) => number) => detectors.reduce((n, d) => n + f(d), 0);
    await eventually(async () => sum((d) => d.stats().records) === records.length && sum((d) => d.stats().inboundRecords) === inbound.length, 'every record at its detectors', 60_000);
    await Promise.all(detectors.map((d) => d.drain()));

    await fx.mail(victim.contact, 'denial-of-service', 30_000);
    const stats = detectors.map((d) => d.stats());
    expect(stats.map((s) => s.warningsSent).sort()).toEqual([0, 1]);
    expect(stats.map((s) => s.findingsSubmitted).sort()).toEqual([0, 1]);
    expect(sum((d) => d.stats().findingsOpened)).toBe(2);
    expect(sum((d) => d.stats().submitFailures)).toBe(0);
    // Each side of each record scored once: the flood on its receiving side, the outbound flood on its sending side.
    expect(sum((d) => d.stats().engine.inbound)).toBe(inbound.length);
    expect(sum((d) => d.stats().engine.outbound)).toBe(outbound.length);
    expect(await fx.mails(victim.contact, 'denial-of-service', 1)).toHaveLength(1);
    expect(await db.case.count({ where: { deploymentId: victim.deployment.id } })).toBe(0);
  });
});
