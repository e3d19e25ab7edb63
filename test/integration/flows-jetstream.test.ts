// Flows between machines: a publisher partitions records by source address into a real JetStream stream, and two
// detector processes (two consumers, each its own connection) split the partitions. Each test gets a fresh stream and
// subject prefix, deleted afterwards. Skips when no NATS server listens on 127.0.0.1:4222.
import net from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nuid, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFlowPublisher, flowPartition, partitionsFor, startFlowConsumer, type FlowConsumer, type FlowPublisherOptions } from '../../detection/jetstream';
import { ipv4ToKey, type FlowRecord, type FlowSink, type IpKey } from '../../domain/flows/types';

const HOST = '127.0.0.1';
const PORT = 4222;
const SERVERS = `${HOST}:${PORT}`;

const reachable = await new Promise<boolean>((resolve) => {
  const socket = net.connect({ host: HOST, port: PORT, timeout: 1_000 });
  socket.once('connect', () => resolve(true));
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => resolve(false));
}).then((ok) => {
  if (!ok) console.warn(`flows-jetstream: skipped, no NATS server with JetStream at ${SERVERS}`);
  return ok;
});

const T0 = 1_718_000_000_000;

/** `perSource` records from each of `v4` IPv4 and `v6` IPv6 sources, interleaved; `start` numbers them uniquely. */
function traffic(v4: number, v6: number, perSource: number, firstId: number): FlowRecord[] {
  const sources: IpKey[] = [];
  for (let i = 0; i < v4; i++) sources.push(ipv4ToKey('198.51.100.0')! + i * 7);
  for (let i = 0; i < v6; i++) sources.push(`2001:db8:${(1 + (i % 5)).toString(16)}::${(i + 1).toString(16)}`);
  const records: FlowRecord[] = [];
  for (let round = 0; round < perSource; round++) {
    for (const [s, src] of sources.entries()) {
      const id = firstId + records.length;
      records.push({
        source: s % 3 === 0 ? 'ipfix' : 'netflow9',
        exporter: `192.0.2.${1 + (s % 4)}`,
        start: T0 + id,
        end: T0 + id + 1_000,
        src,
        dst: s % 2 ? ipv4ToKey('203.0.113.10')! : '2001:db8:ffff::10',
        srcPort: 40_000 + round,
        dstPort: 443,
        protocol: 6,
        tcpFlags: 0x1b,
        packets: 10 + round,
        bytes: 1_500 * (10 + round),
        samplingInterval: 1,
      });
    }
  }
  return records;
}

/** A sink that keeps what it gets and can be waited on until it holds n records. */
function collector(onRecord?: (count: number) => void) {
  const records: FlowRecord[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const sink: FlowSink = (r) => {
    records.push(r);
    onRecord?.(records.length);
    if (waiters.length === 0) return;
    waiters = waiters.filter((w) => (records.length >= w.n ? (w.resolve(), false) : true));
  };
  const reach = (n: number, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      if (records.length >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`only ${records.length} of ${n} records arrived within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { records, sink, reach };
}

const ids = (records: FlowRecord[]) => records.map((r) => r.start - T0);

describe.skipIf(!reachable)('flows over NATS JetStream', () => {
  let nc: NatsConnection;
  const streams: string[] = [];
  const running: FlowConsumer[] = [];

  /** A fresh stream and subject prefix: streams must not share subjects, and a run must not see another's data. */
  const fresh = (): Pick<FlowPublisherOptions, 'servers' | 'stream' | 'subjectPrefix' | 'storage'> => {
    const id = nuid.next();
    streams.push(`SAFEGUARD_FLOWS_TEST_${id}`);
    return { servers: SERVERS, stream: `SAFEGUARD_FLOWS_TEST_${id}`, subjectPrefix: `flows-test-${id}`, storage: 'memory' };
  };

  beforeAll(async () => {
    nc = await connect({ servers: SERVERS });
  });

  afterAll(async () => {
    await Promise.all(running.map((c) => c.stop()));
    if (!nc) return;
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  });

  test('two consumers split the partitions: each gets only its own, every record exactly once, each source in one place', async () => {
    const where = fresh();
    const records = traffic(600, 200, 25, 0); // 20,000 records from 800 sources
    const publisher = await createFlowPublisher({ ...where, partitions: 16, batchSize: 100 });
    const started = performance.now();
    for (const r of records) publisher.sink(r);
    await publisher.close();
    expect(publisher.stats()).toMatchObject({ records: records.length, published: records.length, invalid: 0, dropped: 0, failedRecords: 0, inFlight: 0, queued: 0, buffered: 0 });

    const c0 = collector();
    const c1 = collector();
    const first = await startFlowConsumer({ ...where, partitions: { index: 0, of: 2 }, durableName: 'detector', sink: c0.sink });
    const second = await startFlowConsumer({ ...where, partitions: { index: 1, of: 2 }, durableName: 'detector', sink: c1.sink });
    running.push(first, second);
    expect(first.partitions).toEqual(partitionsFor(0, 2, 16));
    expect(second.partitions).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
    expect(first.totalPartitions).toBe(16);

    const expected0 = records.filter((r) => first.partitions.includes(flowPartition(r, 16)));
    const expected1 = records.filter((r) => second.partitions.includes(flowPartition(r, 16)));
    expect(expected0.length + expected1.length).toBe(records.length);
    expect(expected0.length).toBeGreaterThan(records.length / 4);
    await Promise.all([c0.reach(expected0.length), c1.reach(expected1.length)]);
    const seconds = (performance.now() - started) / 1000;
    console.log(`flows-jetstream: ${records.length} records published and consumed by 2 consumers in ${seconds.toFixed(2)} s (${Math.round(records.length / seconds).toLocaleString('en-US')} records/s)`);
    await Promise.all([first.stop(), second.stop()]);

    // Only their own partitions, in publish order within each partition, and exactly the records sent there.
    for (const [c, expected, consumer] of [[c0, expected0, first], [c1, expected1, second]] as const) {
      expect(c.records.every((r) => consumer.partitions.includes(flowPartition(r, 16)))).toBe(true);
      for (const p of consumer.partitions) {
        expect(ids(c.records.filter((r) => flowPartition(r, 16) === p))).toEqual(ids(expected.filter((r) => flowPartition(r, 16) === p)));
      }
      expect(consumer.stats()).toMatchObject({ records: expected.length, decodeErrors: 0, sinkErrors: 0, redelivered: 0 });
    }
    // The union is every record exactly once, decoded to what was published.
    const all = [...c0.records, ...c1.records].sort((a, b) => a.start - b.start);
    expect(all).toEqual(records);
    // Every record of one source address reached one consumer.
    const owner = new Map<IpKey, Set<number>>();
    for (const [i, c] of [c0, c1].entries()) for (const r of c.records) owner.set(r.src, (owner.get(r.src) ?? new Set()).add(i));
    expect(owner.size).toBe(800);
    expect([...owner.values()].every((s) => s.size === 1)).toBe(true);
    expect([...owner.keys()].some((k) => typeof k === 'string')).toBe(true);
    // Nothing left pending or unacknowledged on any partition's durable consumer.
    const jsm = await jetstreamManager(nc);
    for (let p = 0; p < 16; p++) {
      const info = await jsm.consumers.info(where.stream!, `detector-${p}`);
      expect({ p, pending: info.num_pending, unacked: info.num_ack_pending }).toEqual({ p, pending: 0, unacked: 0 });
    }
  });

  test('a consumer stopped mid-stream and started again with the same durable name loses and repeats nothing it acknowledged', async () => {
    const where = fresh();
    const wave1 = traffic(300, 100, 30, 0); // 12,000 records
    const publisher = await createFlowPublisher({ ...where, batchSize: 50 });
    for (const r of wave1) publisher.sink(r);
    await publisher.flush();
    const mine = (r: FlowRecord) => partitionsFor(0, 2, 16).includes(flowPartition(r, 16));
    const expected1 = wave1.filter(mine);

    // Stops itself from inside the sink after a third of its records, while batches are still arriving.
    let first: FlowConsumer | undefined;
    let stopping: Promise<void> | undefined;
    const before = collector((n) => {
      if (n === Math.floor(expected1.length / 3)) stopping = first!.stop();
    });
    first = await startFlowConsumer({ ...where, partitions: { index: 0, of: 2 }, durableName: 'resume', sink: before.sink, prefetchBatches: 2 });
    await before.reach(Math.floor(expected1.length / 3));
    await stopping;
    expect(before.records.length).toBeLessThan(expected1.length);
    // A clean stop leaves nothing delivered and unacknowledged (it would come back only after ackWaitMs).
    const jsm = await jetstreamManager(nc);
    for (const p of first.partitions) expect((await jsm.consumers.info(where.stream!, `resume-${p}`)).num_ack_pending).toBe(0);

    // New records arrive while the detector is away.
    const wave2 = traffic(300, 100, 5, wave1.length);
    for (const r of wave2) publisher.sink(r);
    await publisher.close();
    const expected = [...expected1, ...wave2.filter(mine)];

    const after = collector();
    const second = await startFlowConsumer({ ...where, partitions: { index: 0, of: 2 }, durableName: 'resume', sink: after.sink, prefetchBatches: 2 });
    running.push(second);
    await after.reach(expected.length - before.records.length);
    await second.stop();

    expect(second.stats().redelivered).toBe(0);
    const seen = new Set(ids(before.records));
    expect(ids(after.records).filter((id) => seen.has(id))).toEqual([]);
    expect([...before.records, ...after.records].sort((a, b) => a.start - b.start)).toEqual(expected.sort((a, b) => a.start - b.start));
  });

  test('going from two detectors to three moves partitions with their progress: the new owners start where the old stopped', async () => {
    const where = fresh();
    const publisher = await createFlowPublisher({ ...where });
    const wave1 = traffic(200, 50, 8, 0);
    for (const r of wave1) publisher.sink(r);
    await publisher.flush();
    const two = [collector(), collector()];
    const firstTeam = await Promise.all(two.map((c, index) => startFlowConsumer({ ...where, partitions: { index, of: 2 }, durableName: 'team', sink: c.sink })));
    await Promise.all(two.map((c, i) => c.reach(wave1.filter((r) => firstTeam[i]!.partitions.includes(flowPartition(r, 16))).length)));
    await Promise.all(firstTeam.map((c) => c.stop()));

    const wave2 = traffic(200, 50, 4, wave1.length);
    for (const r of wave2) publisher.sink(r);
    await publisher.close();
    const three = [collector(), collector(), collector()];
    const secondTeam = await Promise.all(three.map((c, index) => startFlowConsumer({ ...where, partitions: { index, of: 3 }, durableName: 'team', sink: c.sink })));
    running.push(...secondTeam);
    await Promise.all(three.map((c, i) => c.reach(wave2.filter((r) => secondTeam[i]!.partitions.includes(flowPartition(r, 16))).length)));
    await Promise.all(secondTeam.map((c) => c.stop()));
    expect([...three.flatMap((c) => c.records)].sort((a, b) => a.start - b.start)).toEqual(wave2);
    expect([...two.flatMap((c) => c.records)].sort((a, b) => a.start - b.start)).toEqual(wave1);
  });

  test('a collector that refills one record object for every flow (NetflowDecoder reuseRecord) publishes every value', async () => {
    const where = fresh();
    const records = traffic(50, 10, 10, 0);
    const publisher = await createFlowPublisher({ ...where, partitions: 2 });
    const reused = { ...records[0]! };
    for (const r of records) publisher.sink(Object.assign(reused, r));
    await publisher.close();
    const c = collector();
    const consumer = await startFlowConsumer({ ...where, partitions: { index: 0, of: 1 }, durableName: 'reuse', sink: c.sink });
    running.push(consumer);
    await c.reach(records.length);
    await consumer.stop();
    expect(c.records.sort((a, b) => a.start - b.start)).toEqual(records);
  });

  test('a batch that cannot be decoded is reported and skipped; the partition goes on', async () => {
    const where = fresh();
    const publisher = await createFlowPublisher({ ...where, partitions: 4 });
    const records = traffic(200, 40, 4, 0).filter((r) => flowPartition(r, 4) === 2);
    const half = records.length >> 1;
    for (const r of records.slice(0, half)) publisher.sink(r);
    await publisher.flush();
    await jetstream(nc).publish(`${where.subjectPrefix}.2`, new TextEncoder().encode('not a flow batch'));
    for (const r of records.slice(half)) publisher.sink(r);
    await publisher.close();

    const errors: { message: string; partition: number; streamSeq?: number }[] = [];
    const c = collector();
    const consumer = await startFlowConsumer({ ...where, partitions: [2], durableName: 'poison', sink: c.sink, onError: (err, at) => errors.push({ message: err.message, ...at }) });
    running.push(consumer);
    await c.reach(records.length);
    await consumer.stop();
    expect(ids(c.records)).toEqual(ids(records));
    expect(errors).toEqual([{ message: 'not a flow batch (bad magic)', partition: 2, streamSeq: expect.any(Number) }]);
    expect(consumer.stats()).toMatchObject({ decodeErrors: 1, records: records.length });
  });

  test('a sink that throws costs that record only', async () => {
    const where = fresh();
    const records = traffic(10, 0, 3, 0);
    const publisher = await createFlowPublisher({ ...where, partitions: 1 });
    for (const r of records) publisher.sink(r);
    await publisher.close();
    const got: number[] = [];
    const errors: string[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const consumer = await startFlowConsumer({
      ...where,
      partitions: [0],
      durableName: 'throwing',
      onError: (err) => errors.push(err.message),
      sink: (r) => {
        if (r.start - T0 === records.length - 1) done();
        if ((r.start - T0) % 10 === 3) throw new Error(`detector bug on ${r.start - T0}`);
        got.push(r.start - T0);
      },
    });
    running.push(consumer);
    await finished;
    await consumer.stop();
    expect(got).toEqual(ids(records).filter((id) => id % 10 !== 3));
    expect(errors).toEqual(['detector bug on 3', 'detector bug on 13', 'detector bug on 23']);
    expect(consumer.stats()).toMatchObject({ sinkErrors: 3, records: records.length, redelivered: 0 });
  });

  test('a publisher faster than the server drops and counts instead of growing; a producer that waits on writable() loses nothing', async () => {
    const where = fresh();
    const records = traffic(100, 20, 20, 0); // 2,400
    const errors: string[] = [];
    const limits = { batchSize: 10, maxInFlight: 1, maxPendingRecords: 50 };
    const hasty = await createFlowPublisher({ ...where, ...limits, onError: (err) => errors.push(err.message) });
    for (const r of records) hasty.sink(r); // synchronously: no acknowledgement can come back meanwhile
    expect(hasty.stats()).toMatchObject({ records: 50, pending: 50, dropped: records.length - 50 });
    await hasty.close();
    const s = hasty.stats();
    expect(s).toMatchObject({ published: 50, pending: 0, dropped: records.length - 50 });
    expect(s.backpressure).toBeGreaterThan(0);
    expect(errors[0]).toBe('50 records are waiting for the server: dropping records (1 so far)');
    expect(errors.length).toBeLessThanOrEqual(11);

    const patient = await createFlowPublisher({ ...where, ...limits });
    let mostPending = 0;
    for (const [i, r] of records.entries()) {
      if (i % limits.batchSize === 0) await patient.writable();
      patient.sink(r);
      mostPending = Math.max(mostPending, patient.stats().pending);
    }
    await patient.close();
    expect(patient.stats()).toMatchObject({ published: records.length, dropped: 0, pending: 0 });
    expect(mostPending).toBeLessThanOrEqual(50);
    const stored = (await (await jetstreamManager(nc)).streams.info(where.stream!)).state.messages;
    expect(stored).toBe(s.batches + patient.stats().batches);
  });

  test('a batch is cut before it outgrows the server\'s message size', async () => {
    const where = fresh();
    // Distinct long exporters make a record cost ~280 bytes: 13,000 of them would be 3.6 MB, the server takes 1 MiB.
    const records = traffic(1, 0, 13_000, 0).map((r, i) => ({ ...r, exporter: `/subscriptions/${i}/${'x'.repeat(190)}` }));
    const publisher = await createFlowPublisher({ ...where, partitions: 1, batchSize: 13_000 });
    for (const r of records) publisher.sink(r);
    await publisher.close();
    const s = publisher.stats();
    expect(s).toMatchObject({ published: records.length, failedRecords: 0, dropped: 0 });
    expect(s.batches).toBeGreaterThanOrEqual(4);
    expect(s.bytes / s.batches).toBeLessThanOrEqual(nc.info!.max_payload);
    await expect(createFlowPublisher({ ...where, partitions: 1, batchSize: 20_000 })).rejects.toThrow(/batchSize must be at most 13000/);
  });

  test('publishes that keep failing are retried, then given up, counted and reported', async () => {
    const where = fresh();
    const errors: string[] = [];
    const publisher = await createFlowPublisher({ ...where, partitions: 1, publishRetries: 2, publishTimeoutMs: 500, onError: (err) => errors.push(err.message) });
    await (await jetstreamManager(nc)).streams.delete(where.stream!);
    for (const r of traffic(10, 0, 3, 0)) publisher.sink(r);
    await publisher.close();
    expect(publisher.stats()).toMatchObject({ records: 30, published: 0, failedBatches: 1, failedRecords: 30, retries: 2, pending: 0, inFlight: 0 });
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^publishing 30 records to ${where.subjectPrefix}\\.0 failed after 3 attempts: `))]);
  });

  test('records the codec cannot carry are refused at the sink and counted; the rest go through', async () => {
    const where = fresh();
    const errors: string[] = [];
    const publisher = await createFlowPublisher({ ...where, onError: (err) => errors.push(err.message) });
    const [good] = traffic(1, 0, 1, 0);
    publisher.sink({ ...good!, srcPort: 70_000 });
    publisher.sink({ ...good!, src: '2001:DB8::1' });
    publisher.sink(good!);
    await publisher.close();
    expect(publisher.stats()).toMatchObject({ invalid: 2, records: 1, published: 1 });
    expect(errors).toEqual(['flow record refused (1 so far): srcPort 70000 is not 0-65535', expect.stringMatching(/^flow record refused \(2 so far\): src "2001:DB8::1" is not canonical/)]);
    publisher.sink(good!);
    expect(publisher.stats().dropped).toBe(1);
  });

  test('publishers and consumers configured with another partition count than the stream are refused', async () => {
    const where = fresh();
    await (await createFlowPublisher({ ...where, partitions: 8 })).close();
    await expect(createFlowPublisher({ ...where, partitions: 16 })).rejects.toThrow(/was made for 8 partitions, not 16/);
    await expect(startFlowConsumer({ ...where, totalPartitions: 4, partitions: [0], durableName: 'x', sink: () => {} })).rejects.toThrow(/was made for 8 partitions, not 4/);
    await expect(startFlowConsumer({ ...where, partitions: [8], durableName: 'x', sink: () => {} })).rejects.toThrow(/partition 8 is not one of the stream's 8/);
    // Timing the NATS client would refuse later, on the first pull, is refused at once.
    await expect(startFlowConsumer({ ...where, partitions: [0], durableName: 'x', sink: () => {}, pollMs: 500 })).rejects.toThrow(/pollMs must be an integer from 1000 to below ackWaitMs \(30000\), got 500/);
    await expect(startFlowConsumer({ ...where, partitions: [0], durableName: 'x', sink: () => {}, pollMs: 2_000, ackWaitMs: 2_000 })).rejects.toThrow(/below ackWaitMs \(2000\)/);
    const consumer = await startFlowConsumer({ ...where, partitions: { index: 2, of: 3 }, durableName: 'x', sink: () => {} });
    expect([consumer.partitions, consumer.totalPartitions]).toEqual([[2, 5], 8]);
    await consumer.stop();
  });
});
