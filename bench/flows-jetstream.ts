// `npx tsx bench/flows-jetstream.ts`: flow records through NATS JetStream on loopback (127.0.0.1:4222, or FLOWS_NATS_URL
// as the first argument). The batch codec on one core; publishing a backlog (memory and file storage); two consumers
// draining it; and publisher plus two consumers live at once. Everything runs in this one process (one JavaScript
// thread shared by publisher and consumers), so the live figure is a floor for collectors and detectors on their own
// machines. Figures are printed, never asserted; benchJetstream() returns them. Each run uses throwaway streams.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nuid } from '@nats-io/transport-node';
import { createFlowPublisher, startFlowConsumer, type FlowPublisherOptions } from '../detection/jetstream';
import { decodeFlowBatch, FlowBatchBuilder, FlowBatchEncoder } from '../detection/record-codec';
import { ipv4ToKey, type FlowRecord } from '../domain/flows/types';

export interface JetstreamFigure {
  name: string;
  records: number;
  ms: number;
  recordsPerSecond: number;
  detail: string;
}

/** A mix like a provider's edge: 4,096 IPv4 sources, a fifth of the records IPv6, a few exporters. */
function workload(n: number): FlowRecord[] {
  const base = ipv4ToKey('198.51.100.0')!;
  return Array.from({ length: n }, (_, i) => ({
    source: i % 2 ? 'netflow9' : 'ipfix',
    exporter: `192.0.2.${1 + (i % 8)}`,
    start: 1_718_000_000_000 + i,
    end: 1_718_000_000_000 + i + 2_000,
    src: i % 5 === 0 ? `2001:db8:${(1 + (i % 7)).toString(16)}::${(1 + (i % 1_024)).toString(16)}` : base + (i % 4_096),
    dst: ipv4ToKey('203.0.113.0')! + (i % 251),
    srcPort: 1_024 + (i % 60_000),
    dstPort: 443,
    protocol: 6,
    tcpFlags: 0x1b,
    packets: 1 + (i % 40),
    bytes: 60 * (1 + (i % 40)),
    samplingInterval: 1,
  }));
}

const rate = (records: number, ms: number) => (records * 1000) / ms;

function benchCodec(records: FlowRecord[], budgetMs: number): JetstreamFigure[] {
  const encoder = new FlowBatchEncoder();
  const builder = new FlowBatchBuilder(encoder, 500);
  const batches: Uint8Array[] = [];
  const encodeAll = () => {
    for (const r of records) {
      if (encoder.check(r)) throw new Error('the workload has an invalid record');
      builder.add(r);
      if (builder.count === 500) batches.push(builder.finish());
    }
  };
  encodeAll(); // warm-up (JIT, address cache)
  let n = 0;
  let started = performance.now();
  while (performance.now() - started < budgetMs) {
    batches.length = 0;
    encodeAll();
    n += records.length;
  }
  const encodeMs = performance.now() - started;
  const bytes = batches.reduce((sum, b) => sum + b.length, 0);
  let decoded = 0;
  let checksum = 0;
  started = performance.now();
  while (performance.now() - started < budgetMs) {
    for (const b of batches) {
      const rs = decodeFlowBatch(b);
      decoded += rs.length;
      checksum += rs[rs.length - 1]!.bytes;
    }
  }
  const decodeMs = performance.now() - started;
  if (checksum === 0) throw new Error('decoded nothing');
  return [
    { name: 'codec: check + encode (FlowBatchBuilder)', records: n, ms: encodeMs, recordsPerSecond: rate(n, encodeMs), detail: `${(bytes / records.length).toFixed(1)} bytes/record on the wire` },
    { name: 'codec: decode', records: decoded, ms: decodeMs, recordsPerSecond: rate(decoded, decodeMs), detail: 'a new object per record' },
  ];
}

/** Publishes `records` as a producer that waits for room (no drops) and resolves when every batch is acknowledged. */
async function publishAll(opts: FlowPublisherOptions, records: FlowRecord[], rounds: number): Promise<{ ms: number; stats: string }> {
  const publisher = await createFlowPublisher(opts);
  const batchSize = opts.batchSize ?? 500;
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < records.length; i++) {
      if (i % batchSize === 0) await publisher.writable();
      publisher.sink(records[i]!);
    }
  }
  await publisher.close();
  const ms = performance.now() - started;
  const s = publisher.stats();
  if (s.published !== records.length * rounds) throw new Error(`published ${s.published} of ${records.length * rounds}`);
  return { ms, stats: `${s.batches.toLocaleString('en-US')} batches, ${(s.bytes / 1_048_576).toFixed(0)} MiB, backpressure ${s.backpressure}` };
}

/** Two consumers (index 0 and 1 of 2) until they hold `total` records between them. */
async function consumeAll(where: FlowPublisherOptions, total: number, durableName: string) {
  let count = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let sum = 0;
  const sink = (r: FlowRecord) => {
    sum += r.bytes;
    if (++count === total) done();
  };
  const consumers = await Promise.all([0, 1].map((index) => startFlowConsumer({ ...where, partitions: { index, of: 2 }, durableName, sink })));
  return {
    finished: finished.then(() => sum),
    stop: () => Promise.all(consumers.map((c) => c.stop())),
  };
}

export async function benchJetstream(opts: { servers?: string; records?: number; codecMs?: number } = {}): Promise<JetstreamFigure[]> {
  const servers = opts.servers ?? '127.0.0.1:4222';
  const n = opts.records ?? 1_000_000;
  const records = workload(100_000);
  const rounds = Math.max(1, Math.round(n / records.length));
  const total = records.length * rounds;
  const figures = benchCodec(records, opts.codecMs ?? 1_500);

  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  const streams: string[] = [];
  const fresh = (storage: 'memory' | 'file'): FlowPublisherOptions => {
    const id = nuid.next();
    streams.push(`SAFEGUARD_FLOWS_BENCH_${id}`);
    return { servers, stream: `SAFEGUARD_FLOWS_BENCH_${id}`, subjectPrefix: `flows-bench-${id}`, storage };
  };
  try {
    for (const storage of ['memory', 'file'] as const) {
      const where = fresh(storage);
      await publishAll(where, records.slice(0, 20_000), 1); // warm-up (JIT, connection)
      const backlog = await publishAll(where, records, rounds);
      figures.push({ name: `publish a backlog, ${storage} storage`, records: total, ms: backlog.ms, recordsPerSecond: rate(total, backlog.ms), detail: `acknowledged; ${backlog.stats}` });
      const started = performance.now();
      const drain = await consumeAll(where, total + 20_000, 'bench');
      await drain.finished;
      const ms = performance.now() - started;
      await drain.stop();
      figures.push({ name: `2 consumers drain it, ${storage} storage`, records: total + 20_000, ms, recordsPerSecond: rate(total + 20_000, ms), detail: 'decoded, handed to the sink, acknowledged' });
    }
    const where = fresh('memory');
    const live = await consumeAll(where, total, 'live');
    const started = performance.now();
    const published = await publishAll(where, records, rounds);
    await live.finished;
    const ms = performance.now() - started;
    await live.stop();
    figures.push({ name: 'live: publish and 2 consumers at once, memory', records: total, ms, recordsPerSecond: rate(total, ms), detail: `first publish to last record consumed; publishing alone took ${published.ms.toFixed(0)} ms` });
  } finally {
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
    await nc.close();
  }
  return figures;
}

export function printFigures(figures: JetstreamFigure[]): void {
  console.log('\nflows over JetStream: loopback, batches of 500, 16 partitions, one process');
  for (const f of figures) {
    console.log(`  ${f.name.padEnd(48)} ${`${Math.round(f.recordsPerSecond).toLocaleString('en-US')}/s`.padStart(14)}  ${f.records.toLocaleString('en-US')} in ${f.ms.toFixed(0)} ms; ${f.detail}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  printFigures(await benchJetstream({ servers: process.argv[2] }));
}
