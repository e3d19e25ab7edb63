// The JetStream stream that carries flow batches between collectors and detectors: one subject per partition
// (`<prefix>.<partition>`), limits retention (old batches age out whether or not anyone read them), and the partition
// count written into the stream's description so a publisher or consumer configured with another count is refused
// instead of silently splitting a host's records between two detectors.
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { checkPartitionCount } from './flow-partition';

export const DEFAULT_FLOW_STREAM = 'SAFEGUARD_FLOWS';
export const DEFAULT_FLOW_SUBJECT_PREFIX = 'flows';
export const DEFAULT_FLOW_PARTITIONS = 16;

export interface FlowStreamOptions {
  stream?: string;
  subjectPrefix?: string;
  /** Only used when the stream is created: `file` survives a server restart, `memory` is faster. */
  storage?: 'file' | 'memory';
  /** Batches older than this are dropped (default 1 hour). */
  maxAgeMs?: number;
  /** Cap on the stream's size; the oldest batches go first (default -1: only the server's limits). */
  maxBytes?: number;
  /** How long the server remembers batch ids to drop a retried publish (default 2 minutes). */
  duplicateWindowMs?: number;
  /** Copies kept in a clustered server (default 1). */
  replicas?: number;
}

/** Either servers to connect to, or a connection to use (the caller keeps owning it). */
export interface FlowConnectionOptions {
  servers?: string | string[];
  connection?: NatsConnection;
  /** Connection name the server shows in its monitoring. */
  name?: string;
}

/** NATS server error JSStreamNameExistErr: a stream of that name exists with another configuration. */
const STREAM_NAME_IN_USE = 10_058;

const TOKEN = /^[A-Za-z0-9_-]+$/;

export function checkStreamNames(stream: string, subjectPrefix: string): void {
  if (!TOKEN.test(stream)) throw new Error(`stream name ${JSON.stringify(stream)} may only hold letters, digits, '-' and '_'`);
  if (!subjectPrefix.split('.').every((t) => TOKEN.test(t))) throw new Error(`subject prefix ${JSON.stringify(subjectPrefix)} must be dot-separated tokens of letters, digits, '-' and '_'`);
}

export const partitionSubject = (subjectPrefix: string, partition: number) => `${subjectPrefix}.${partition}`;

const streamDescription = (subjectPrefix: string, partitions: number) => `Safeguard flow record batches by source address; subjects ${subjectPrefix}.<partition>; partitions=${partitions}`;

/** The partition count a stream was created with, if it was created by us. */
export function streamPartitions(info: StreamInfo): number | undefined {
  const m = /partitions=(\d+)/.exec(info.config.description ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Creates the stream if it is missing; checks an existing one carries `<prefix>.*` and was made for `partitions`.
 * With `partitions` undefined, an existing stream's count is taken (and the default used for a new one).
 * Returns the partition count in force.
 */
export async function ensureFlowStream(jsm: JetStreamManager, opts: FlowStreamOptions & { partitions?: number }): Promise<number> {
  const stream = opts.stream ?? DEFAULT_FLOW_STREAM;
  const subjectPrefix = opts.subjectPrefix ?? DEFAULT_FLOW_SUBJECT_PREFIX;
  checkStreamNames(stream, subjectPrefix);
  if (opts.partitions !== undefined) checkPartitionCount(opts.partitions);
  const wanted = `${subjectPrefix}.*`;
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(stream);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    const partitions = opts.partitions ?? DEFAULT_FLOW_PARTITIONS;
    try {
      await jsm.streams.add({
        name: stream,
        description: streamDescription(subjectPrefix, partitions),
        subjects: [wanted],
        retention: 'limits',
        discard: 'old',
        storage: opts.storage ?? 'file',
        max_age: nanos(opts.maxAgeMs ?? 3_600_000),
        max_bytes: opts.maxBytes ?? -1,
        duplicate_window: nanos(opts.duplicateWindowMs ?? 120_000),
        num_replicas: opts.replicas ?? 1,
      });
      return partitions;
    } catch (addErr) {
      // Another process created it between our look and our add: check theirs like any existing stream.
      if (!(addErr instanceof JetStreamApiError && addErr.code === STREAM_NAME_IN_USE)) throw addErr;
      info = await jsm.streams.info(stream);
    }
  }
  if (!info.config.subjects?.includes(wanted)) {
    throw new Error(`stream ${stream} exists with subjects ${JSON.stringify(info.config.subjects)}, not ${wanted}: pick another stream or subject prefix`);
  }
  const existing = streamPartitions(info);
  if (existing === undefined) {
    if (opts.partitions === undefined) throw new Error(`stream ${stream} does not say how many partitions it has: pass the partition count explicitly`);
    return opts.partitions;
  }
  if (opts.partitions !== undefined && opts.partitions !== existing) {
    throw new Error(`stream ${stream} was made for ${existing} partitions, not ${opts.partitions}: every publisher and detector must use the same count (a new count needs a new stream)`);
  }
  return existing;
}

/** The connection to use and how to let go of it: ours is drained (pending acks and publishes flushed), a given one is left open. */
export async function openConnection(opts: FlowConnectionOptions, defaultName: string): Promise<{ nc: NatsConnection; release: () => Promise<void> }> {
  if (opts.connection) return { nc: opts.connection, release: async () => {} };
  if (opts.servers === undefined) throw new Error('either servers or connection is required');
  // Reconnect forever once connected: a NATS restart must not end a collector or detector.
  const nc = await connect({ servers: opts.servers, name: opts.name ?? defaultName, maxReconnectAttempts: -1 });
  return {
    nc,
    release: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
