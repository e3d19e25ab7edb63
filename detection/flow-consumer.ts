// The detector's side: one durable pull consumer per owned partition, each filtered to `<prefix>.<partition>`. A batch's
// records go to the sink in order, and the batch is acknowledged once the sink has returned for all of them, so a
// detector that dies mid-batch gets it again (at-least-once). Durable names are per partition, not per process: when
// the number of detectors changes, a partition's new owner continues where the old one stopped.
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type ConsumerConfig, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { FlowSink } from '../domain/flows/types';
import { partitionsFor } from './flow-partition';
import { DEFAULT_FLOW_STREAM, DEFAULT_FLOW_SUBJECT_PREFIX, ensureFlowStream, openConnection, partitionSubject, type FlowConnectionOptions, type FlowStreamOptions } from './flow-stream';
import { decodeFlowBatch } from './record-codec';

export interface FlowConsumerOptions extends FlowConnectionOptions, FlowStreamOptions {
  /** The partitions to own: a list, or this detector's place among `of` detectors (round-robin, see partitionsFor). */
  partitions: number[] | { index: number; of: number };
  /** Partitions of the stream; taken from the stream when omitted, refused when it differs. */
  totalPartitions?: number;
  /** Name shared by every detector of a deployment; partition p's durable consumer is `<durableName>-<p>`. */
  durableName: string;
  sink: FlowSink;
  /** Undecodable batches (dropped), sink exceptions (the record is skipped) and consumer failures (retried). Default: console.error. */
  onError?: (err: Error, where: { partition: number; streamSeq?: number }) => void;
  /** Where a durable consumer that does not exist yet starts: everything the stream holds (default) or new batches only. */
  deliver?: 'all' | 'new';
  /** A batch not acknowledged within this is delivered again (default 30 s). */
  ackWaitMs?: number;
  /** Batches asked for at once per partition (default 16). */
  prefetchBatches?: number;
  /** How long a pull request waits for batches (default and least 1 s, below ackWaitMs): also how long stop() may take. */
  pollMs?: number;
}

export interface PartitionStats {
  batches: number;
  records: number;
  /** The stream sequence of the last batch acknowledged. */
  lastSeq: number;
}

export interface FlowConsumerStats {
  batches: number;
  records: number;
  /** Batches delivered more than once (a previous owner stopped or died before acknowledging). */
  redelivered: number;
  decodeErrors: number;
  sinkErrors: number;
  /** The consumer loop of a partition failed and was started again. */
  restarts: number;
  byPartition: Record<number, PartitionStats>;
}

export interface FlowConsumer {
  /** The partitions this process owns. */
  partitions: number[];
  totalPartitions: number;
  /** Lets each partition's pull request end (at most pollMs), handles and acknowledges what it brought, lets go of the connection. */
  stop(): Promise<void>;
  stats(): FlowConsumerStats;
}

const DURABLE = /^[A-Za-z0-9_-]+$/;
const RESTART_DELAY_MS = 1_000;
const MIN_POLL_MS = 1_000;

export async function startFlowConsumer(opts: FlowConsumerOptions): Promise<FlowConsumer> {
  const stream = opts.stream ?? DEFAULT_FLOW_STREAM;
  const subjectPrefix = opts.subjectPrefix ?? DEFAULT_FLOW_SUBJECT_PREFIX;
  const onError = opts.onError ?? ((err: Error, where: { partition: number }) => console.error(`flow consumer, partition ${where.partition}: ${err.message}`));
  const prefetch = opts.prefetchBatches ?? 16;
  const pollMs = opts.pollMs ?? 1_000;
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  if (!DURABLE.test(opts.durableName)) throw new Error(`durableName ${JSON.stringify(opts.durableName)} may only hold letters, digits, '-' and '_'`);
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new RangeError(`prefetchBatches must be a positive integer, got ${prefetch}`);
  if (!Number.isInteger(ackWaitMs) || ackWaitMs < 1) throw new RangeError(`ackWaitMs must be a positive integer, got ${ackWaitMs}`);
  // The NATS client refuses a pull request that waits less than a second, and a pull that outlasts ackWaitMs would
  // see its own batches delivered again.
  if (!Number.isInteger(pollMs) || pollMs < MIN_POLL_MS || pollMs >= ackWaitMs) throw new RangeError(`pollMs must be an integer from ${MIN_POLL_MS} to below ackWaitMs (${ackWaitMs}), got ${pollMs}`);

  const { nc, release } = await openConnection(opts, `safeguard-detector-${opts.durableName}`);
  let total: number;
  let owned: number[];
  try {
    const jsm = await jetstreamManager(nc);
    total = await ensureFlowStream(jsm, { ...opts, stream, subjectPrefix, partitions: opts.totalPartitions });
    owned = Array.isArray(opts.partitions) ? [...opts.partitions] : partitionsFor(opts.partitions.index, opts.partitions.of, total);
    for (const p of owned) {
      if (!Number.isInteger(p) || p < 0 || p >= total) throw new RangeError(`partition ${p} is not one of the stream's ${total} (0-${total - 1})`);
    }
    if (new Set(owned).size !== owned.length) throw new Error(`partitions ${JSON.stringify(owned)} name one twice`);
    for (const p of owned) {
      await ensureDurable(jsm, stream, {
        durable_name: `${opts.durableName}-${p}`,
        filter_subject: partitionSubject(subjectPrefix, p),
        ack_policy: 'explicit',
        deliver_policy: opts.deliver ?? 'all',
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: prefetch * 4,
        replay_policy: 'instant',
      });
    }
  } catch (err) {
    await release();
    throw err;
  }

  const js = jetstream(nc);
  const stats: FlowConsumerStats = { batches: 0, records: 0, redelivered: 0, decodeErrors: 0, sinkErrors: 0, restarts: 0, byPartition: {} };
  for (const p of owned) stats.byPartition[p] = { batches: 0, records: 0, lastSeq: 0 };
  let stopping = false;
  let wake: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (wake = resolve));

  const handle = (partition: number, m: JsMsg): void => {
    const part = stats.byPartition[partition]!;
    let records;
    try {
      records = decodeFlowBatch(m.data);
    } catch (err) {
      // A batch that cannot be read now never will: redelivering it would only block the partition.
      stats.decodeErrors++;
      onError(err instanceof Error ? err : new Error(String(err)), { partition, streamSeq: m.seq });
      m.term();
      return;
    }
    if (m.redelivered) stats.redelivered++;
    for (const record of records) {
      try {
        opts.sink(record);
      } catch (err) {
        stats.sinkErrors++;
        onError(err instanceof Error ? err : new Error(String(err)), { partition, streamSeq: m.seq });
      }
    }
    m.ack();
    stats.batches++;
    stats.records += records.length;
    part.batches++;
    part.records += records.length;
    part.lastSeq = m.seq;
  };

  // One pull request at a time per partition, each ending by itself (full or expired): on stop nothing is left that the
  // server sent and nobody read, which would come back only after ackWaitMs, too late for the detectors' windows.
  const run = async (partition: number): Promise<void> => {
    const name = `${opts.durableName}-${partition}`;
    while (!stopping) {
      try {
        const consumer = await js.consumers.get(stream, name);
        while (!stopping) {
          const messages = await consumer.fetch({ max_messages: prefetch, expires: pollMs });
          for await (const m of messages) handle(partition, m);
        }
      } catch (err) {
        if (stopping) return;
        stats.restarts++;
        onError(new Error(`consumer ${name} failed, starting again: ${err instanceof Error ? err.message : String(err)}`), { partition });
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS).unref())]);
      }
    }
  };
  const loops = owned.map((p) => run(p));

  let stopping_: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping = true;
    wake();
    // Each loop finishes its pull request (at most pollMs) and acknowledges what it brought.
    await Promise.all(loops);
    await nc.flush();
    await release();
  };

  return {
    partitions: owned,
    totalPartitions: total,
    stop: () => (stopping_ ??= stop()),
    stats: () => ({ ...stats, byPartition: Object.fromEntries(Object.entries(stats.byPartition).map(([k, v]) => [k, { ...v }])) }),
  };
}

/** Creates the durable consumer, or checks an existing one reads the same partition and brings its timing up to date. */
async function ensureDurable(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string; filter_subject: string }): Promise<void> {
  let existing;
  try {
    existing = await jsm.consumers.info(stream, config.durable_name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(stream, config);
    return;
  }
  if (existing.config.filter_subject !== config.filter_subject) {
    throw new Error(`durable consumer ${config.durable_name} on ${stream} reads ${existing.config.filter_subject ?? 'everything'}, not ${config.filter_subject}: use another durableName`);
  }
  if (existing.config.ack_wait !== config.ack_wait || existing.config.max_ack_pending !== config.max_ack_pending) {
    await jsm.consumers.update(stream, config.durable_name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
  }
}
