// The collector's side: each record is encoded into the open batch of its partition (by source address) as it
// arrives, so the caller may reuse its record object; full batches are published to `<prefix>.<partition>` with
// JetStream acknowledgements. The sink never blocks (a UDP socket cannot wait), so memory is bounded instead: at most
// maxPendingRecords records accepted and not yet acknowledged (open, queued or in flight, at most maxInFlight batches
// on the wire); past that, records are dropped and counted. A producer that can wait awaits writable() and loses none.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { nuid } from '@nats-io/transport-node';
import type { FlowSink } from '../domain/flows/types';
import { checkPartitionCount, flowPartition } from './flow-partition';
import { DEFAULT_FLOW_PARTITIONS, DEFAULT_FLOW_STREAM, DEFAULT_FLOW_SUBJECT_PREFIX, ensureFlowStream, openConnection, partitionSubject, type FlowConnectionOptions, type FlowStreamOptions } from './flow-stream';
import { FlowBatchBuilder, FlowBatchEncoder } from './record-codec';

export interface FlowPublisherOptions extends FlowConnectionOptions, FlowStreamOptions {
  /** Partitions of the stream (default 16); the stream refuses another count than it was made with. */
  partitions?: number;
  /** Records per batch (default 500). */
  batchSize?: number;
  /** A partly filled batch is sent after this long (default 50 ms): the latency a quiet partition adds. */
  maxDelayMs?: number;
  /** Batches published and not yet acknowledged (default 64). */
  maxInFlight?: number;
  /** Records accepted and not yet acknowledged (default 200,000, about 16 MB encoded); the sink drops records past this. */
  maxPendingRecords?: number;
  /** How long one publish waits for its acknowledgement (default 5 s). */
  publishTimeoutMs?: number;
  /** Further attempts after a failed publish (default 3); each carries the same batch id, so the server keeps one copy. */
  publishRetries?: number;
  /** Invalid records, dropped batches and failed publishes; the counts are in stats() as well. Default: console.error. */
  onError?: (err: Error) => void;
}

export interface FlowPublisherStats {
  /** Records accepted by the sink. */
  records: number;
  /** Records refused because the codec cannot carry them (bad port, non-canonical IPv6, ...). */
  invalid: number;
  /** Batches and records the server acknowledged, and their payload bytes. */
  batches: number;
  published: number;
  bytes: number;
  /** Acknowledgements saying the server already had the batch: a retry of a publish that had in fact arrived. */
  duplicates: number;
  retries: number;
  /** Given up after every retry. */
  failedBatches: number;
  failedRecords: number;
  /** Batches that had to wait for an in-flight slot: the server or network is slower than the input. */
  backpressure: number;
  /** Records dropped because maxPendingRecords were pending (or the sink was called after close). */
  dropped: number;
  /** Records accepted and not yet acknowledged or given up. */
  pending: number;
  /** Batches on the wire, batches waiting for a slot, records in partition buffers. */
  inFlight: number;
  queued: number;
  buffered: number;
}

export interface FlowPublisher {
  /** Hand records here: the decoder's or flow-log reader's sink. Never throws, never blocks. */
  sink: FlowSink;
  partitions: number;
  /** Sends every buffered record and resolves once each batch so far is acknowledged or given up. */
  flush(): Promise<void>;
  /** Resolves when at least batchSize more records fit: a producer that awaits it every batchSize records drops none. */
  writable(): Promise<void>;
  /** Flushes, then lets go of the connection (drained if it is ours). */
  close(): Promise<void>;
  stats(): FlowPublisherStats;
}

interface Batch {
  id: string;
  partition: number;
  payload: Uint8Array;
  records: number;
}

/** About 1 MiB, NATS's default payload limit, of 78-byte records. */
const MAX_BATCH_SIZE = 13_000;

const retryDelayMs = (attempt: number) => Math.min(2_000, 100 * 2 ** attempt);

export async function createFlowPublisher(opts: FlowPublisherOptions): Promise<FlowPublisher> {
  const subjectPrefix = opts.subjectPrefix ?? DEFAULT_FLOW_SUBJECT_PREFIX;
  const batchSize = opts.batchSize ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 50;
  const maxInFlight = opts.maxInFlight ?? 64;
  const maxPending = opts.maxPendingRecords ?? 200_000;
  const retries = opts.publishRetries ?? 3;
  const timeout = opts.publishTimeoutMs ?? 5_000;
  const onError = opts.onError ?? ((err: Error) => console.error(`flow publisher: ${err.message}`));
  checkPartitionCount(opts.partitions ?? DEFAULT_FLOW_PARTITIONS);
  if (batchSize > MAX_BATCH_SIZE) throw new RangeError(`batchSize must be at most ${MAX_BATCH_SIZE} (a batch must fit one NATS message), got ${batchSize}`);
  for (const [name, value, min] of [['batchSize', batchSize, 1], ['maxDelayMs', maxDelayMs, 0], ['maxInFlight', maxInFlight, 1], ['maxPendingRecords', maxPending, batchSize], ['publishRetries', retries, 0], ['publishTimeoutMs', timeout, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }

  const { nc, release } = await openConnection(opts, 'safeguard-flow-publisher');
  let partitions: number;
  let js: JetStreamClient;
  try {
    partitions = await ensureFlowStream(await jetstreamManager(nc), { ...opts, stream: opts.stream ?? DEFAULT_FLOW_STREAM, partitions: opts.partitions ?? DEFAULT_FLOW_PARTITIONS });
    js = jetstream(nc, { timeout });
  } catch (err) {
    await release();
    throw err;
  }
  // A batch is cut before the next record would take it past the server's payload limit (less room for headers).
  const payloadLimit = (nc.info?.max_payload ?? 1_048_576) - 1_024;
  const encoder = new FlowBatchEncoder();
  const publisherId = nuid.next();
  let batchSeq = 0;

  const stats: FlowPublisherStats = { records: 0, invalid: 0, batches: 0, published: 0, bytes: 0, duplicates: 0, retries: 0, failedBatches: 0, failedRecords: 0, backpressure: 0, dropped: 0, pending: 0, inFlight: 0, queued: 0, buffered: 0 };
  const builders = Array.from({ length: partitions }, () => new FlowBatchBuilder(encoder, batchSize));
  const queue: Batch[] = [];
  let idleWaiters: (() => void)[] = [];
  let roomWaiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  // A flood of bad records must not become a flood of log lines: the first ten, then one in ten thousand.
  const noisy = (count: number) => count <= 10 || count % 10_000 === 0;

  const settle = () => {
    if (stats.pending + batchSize <= maxPending && roomWaiters.length > 0) {
      const waiters = roomWaiters;
      roomWaiters = [];
      for (const w of waiters) w();
    }
    if (queue.length === 0 && stats.inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  const send = (batch: Batch, attempt: number): void => {
    stats.inFlight++;
    js.publish(partitionSubject(subjectPrefix, batch.partition), batch.payload, { msgID: batch.id, timeout })
      .then((ack) => {
        if (ack.duplicate) stats.duplicates++;
        stats.batches++;
        stats.published += batch.records;
        stats.bytes += batch.payload.length;
        stats.pending -= batch.records;
        stats.inFlight--;
        pump();
      })
      .catch((err: unknown) => {
        if (attempt < retries) {
          stats.retries++;
          // The slot stays taken while we wait: a struggling server slows intake instead of growing the queue.
          setTimeout(() => {
            stats.inFlight--;
            send(batch, attempt + 1);
          }, retryDelayMs(attempt)).unref();
          return;
        }
        stats.inFlight--;
        stats.pending -= batch.records;
        stats.failedBatches++;
        stats.failedRecords += batch.records;
        onError(new Error(`publishing ${batch.records} records to ${partitionSubject(subjectPrefix, batch.partition)} failed after ${attempt + 1} attempts: ${err instanceof Error ? err.message : String(err)}`));
        pump();
      });
  };

  const pump = (): void => {
    while (stats.inFlight < maxInFlight && queue.length > 0) send(queue.shift()!, 0);
    stats.queued = queue.length;
    settle();
  };

  /** Closes the partition's open batch and queues it. */
  const take = (partition: number): void => {
    const builder = builders[partition]!;
    const records = builder.count;
    if (records === 0) return;
    stats.buffered -= records;
    if (stats.inFlight + queue.length >= maxInFlight) stats.backpressure++;
    queue.push({ id: `${publisherId}-${++batchSeq}`, partition, payload: builder.finish(), records });
  };

  const flushBuffers = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (let p = 0; p < partitions; p++) take(p);
    pump();
  };

  const sink: FlowSink = (record) => {
    if (closed || stats.pending >= maxPending) {
      stats.dropped++;
      if (!closed && noisy(stats.dropped)) onError(new Error(`${maxPending} records are waiting for the server: dropping records (${stats.dropped} so far)`));
      return;
    }
    const problem = encoder.check(record);
    if (problem) {
      stats.invalid++;
      if (noisy(stats.invalid)) onError(new Error(`flow record refused (${stats.invalid} so far): ${problem}`));
      return;
    }
    const p = flowPartition(record, partitions);
    const builder = builders[p]!;
    if (builder.count > 0 && builder.sizeWith(record) > payloadLimit) take(p);
    // A full exporter table closes the batch; the record starts the next one.
    if (!builder.add(record)) {
      take(p);
      builder.add(record);
    }
    stats.records++;
    stats.pending++;
    stats.buffered++;
    if (builder.count >= batchSize) {
      take(p);
      pump();
    } else if (!timer) {
      timer = setTimeout(flushBuffers, maxDelayMs);
      timer.unref();
    }
  };

  const flush = async (): Promise<void> => {
    flushBuffers();
    if (queue.length === 0 && stats.inFlight === 0) return;
    await new Promise<void>((resolve) => idleWaiters.push(resolve));
  };

  return {
    sink,
    partitions,
    flush,
    writable: () => {
      if (stats.pending + batchSize <= maxPending) return Promise.resolve();
      // The producer waits for room: partly filled buffers are all that could make it, so send them now, not after maxDelayMs.
      if (stats.buffered > 0) flushBuffers();
      return new Promise<void>((resolve) => roomWaiters.push(resolve));
    },
    close: () =>
      (closing ??= (async () => {
        closed = true;
        await flush();
        await release();
      })()),
    stats: () => ({ ...stats }),
  };
}
