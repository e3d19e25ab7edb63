// The collector-facing decoder for NetFlow v5, v9 and IPFIX: datagrams in, FlowRecords (or fully named records)
// out through a callback. Malformed input is counted in `stats` by reason and dropped; it never throws.
import type { FlowRecord, FlowSink } from '../types';
import { readFlow, applyOptions, type MessageContext } from './flow-reader';
import { readFields, type FieldValue } from './full-record';
import { walkIpfix } from './ipfix';
import type { SetWalker } from './sets';
import { DEFAULT_LIMITS, DecoderState, DomainState, type StateLimits } from './state';
import { createStats, type DatagramDropReason, type DecodeStats } from './stats';
import { fullFields, measureRecord, type Template } from './template';
import type { SetContext } from './template-sets';
import { readV5Fields, readV5Flow, readV5Header, V5_HEADER, V5_RECORD, type V5Header } from './v5';
import { walkV9 } from './v9';

/** One data record with every field by name: the full decode, for the CLI and conformance checks. */
export interface DecodedRecord {
  version: 5 | 9 | 10;
  exporter: string;
  /** The flowset / set id (the template id); 0 for v5. */
  setId: number;
  /** v9 source id, IPFIX observation domain id, v5 engine type * 256 + engine id. */
  domainId: number;
  sequence: number;
  exportMs: number;
  /** 'flow' has addresses (and `flow` set); 'options' came from an options template; 'other' is neither. */
  kind: 'flow' | 'options' | 'other';
  fields: Record<string, FieldValue>;
  flow: FlowRecord | null;
}

export type DecodedSink = (record: DecodedRecord) => void;

export interface NetflowDecoderOptions {
  limits?: Partial<StateLimits>;
  /**
   * Hand the sink the same FlowRecord object every time, refilled per record: the fastest path, for sinks that read
   * the record and return (aggregators, counters). The sink must copy what it keeps. Default false: a new object
   * per record, which the sink may keep.
   */
  reuseRecord?: boolean;
}

const newRecord = (): FlowRecord => ({
  source: 'ipfix',
  exporter: '',
  start: 0,
  end: 0,
  src: 0,
  dst: 0,
  srcPort: 0,
  dstPort: 0,
  protocol: 0,
  tcpFlags: 0,
  packets: 0,
  bytes: 0,
  samplingInterval: 1,
});

/**
 * Decodes datagrams of any of the three versions, keeping templates and sampling state per exporter (the string
 * the caller passes, normally the sender's address) and observation domain / source id. Not re-entrant: a sink
 * must not call back into the same decoder.
 */
export class NetflowDecoder implements SetWalker {
  readonly stats: DecodeStats = createStats();
  readonly state: DecoderState;
  readonly msg: MessageContext;
  readonly setContext: SetContext;
  private readonly reuse: boolean;
  private readonly shared = newRecord();
  private readonly v5: V5Header = { count: 0, sysUptime: 0, exportMs: 0, sequence: 0, engineType: 0, engineId: 0, samplingMode: 0, samplingInterval: 0, rate: 1 };
  private flowSink: FlowSink | null = null;
  private fullSink: DecodedSink | null = null;
  private emitted = 0;

  constructor(options: NetflowDecoderOptions = {}) {
    this.state = new DecoderState({ ...DEFAULT_LIMITS, ...options.limits });
    this.reuse = options.reuseRecord ?? false;
    const none = new DomainState();
    this.msg = { version: 5, source: 'netflow5', exporter: '', exportMs: 0, sysUptime: 0, domain: none, domainId: 0, sequence: 0, setId: 0 };
    this.setContext = { state: this.state, domain: none, stats: this.stats };
  }

  /** The hot path: each flow record of the datagram to `sink`. Returns how many were emitted. */
  decode(datagram: Uint8Array, exporter: string, sink: FlowSink): number {
    this.flowSink = sink;
    this.fullSink = null;
    return this.run(datagram, exporter);
  }

  /** Every data record (flows, options, others) with all its fields by name. Returns how many were emitted. */
  decodeFull(datagram: Uint8Array, exporter: string, sink: DecodedSink): number {
    this.flowSink = null;
    this.fullSink = sink;
    return this.run(datagram, exporter);
  }

  private run(b: Uint8Array, exporter: string): number {
    this.emitted = 0;
    this.stats.datagrams++;
    const version = b.length >= 2 ? (b[0]! << 8) | b[1]! : -1;
    if (version === 5) this.walkV5(b, exporter);
    else if (version === 9) walkV9(b, b.length, exporter, this);
    else if (version === 10) walkIpfix(b, b.length, exporter, this);
    else this.drop(version < 0 ? 'too-short' : 'unsupported-version');
    this.flowSink = null;
    this.fullSink = null;
    return this.emitted;
  }

  drop(reason: DatagramDropReason): void {
    this.stats.droppedDatagrams++;
    this.stats.dropped[reason]++;
  }

  private walkV5(b: Uint8Array, exporter: string): void {
    const h = this.v5;
    const problem = readV5Header(b, b.length, h);
    if (problem) return this.drop(problem);
    const msg = this.msg;
    msg.version = 5;
    msg.source = 'netflow5';
    msg.exporter = exporter;
    msg.exportMs = h.exportMs;
    msg.sysUptime = h.sysUptime;
    msg.domainId = h.engineType * 256 + h.engineId;
    msg.sequence = h.sequence;
    msg.setId = 0;
    const sink = this.flowSink;
    for (let i = 0, o = V5_HEADER; i < h.count; i++, o += V5_RECORD) {
      if (sink) {
        const r = this.reuse ? this.shared : newRecord();
        readV5Flow(b, o, h, msg, r);
        sink(r);
      } else {
        const flow = newRecord();
        readV5Flow(b, o, h, msg, flow);
        this.emitFull('flow', readV5Fields(b, o, h), flow);
      }
    }
    this.stats.flows += h.count;
    this.emitted += h.count;
  }

  dataSet(t: Template, b: Uint8Array, start: number, end: number): void {
    let o = start;
    if (t.fixed) {
      const n = t.recordLength;
      const sink = this.flowSink;
      if (sink && t.flow) {
        // The hot loop: fixed offsets, one FlowRecord per record, nothing else.
        const msg = this.msg;
        let count = 0;
        for (; end - o >= n; o += n, count++) {
          const r = this.reuse ? this.shared : newRecord();
          readFlow(t, b, o, msg, r);
          sink(r);
        }
        this.stats.flows += count;
        this.emitted += count;
        return;
      }
      for (; end - o >= n; o += n) this.record(t, b, o);
      return;
    }
    // Fewer bytes than the shortest record are padding; a record that starts but does not fit is an error.
    while (end - o >= t.recordLength) {
      const n = measureRecord(t, b, o, end);
      if (n < 0) {
        this.stats.setErrors['record-overrun']++;
        return;
      }
      this.record(t, b, o);
      o += n;
    }
  }

  private record(t: Template, b: Uint8Array, o: number): void {
    const msg = this.msg;
    if (t.options) {
      applyOptions(t, b, o, msg.domain);
      this.stats.optionRecords++;
      if (this.fullSink) this.emitFull('options', this.fields(t, b, o), null);
    } else if (t.flow) {
      const flow = this.flowSink && this.reuse ? this.shared : newRecord();
      readFlow(t, b, o, msg, flow);
      this.stats.flows++;
      if (this.flowSink) {
        this.emitted++;
        this.flowSink(flow);
      } else this.emitFull('flow', this.fields(t, b, o), flow);
    } else {
      this.stats.otherRecords++;
      if (this.fullSink) this.emitFull('other', this.fields(t, b, o), null);
    }
  }

  private fields(t: Template, b: Uint8Array, o: number): Record<string, FieldValue> {
    t.full ??= fullFields(t);
    return readFields(t, t.full, b, o, this.msg);
  }

  private emitFull(kind: DecodedRecord['kind'], fields: Record<string, FieldValue>, flow: FlowRecord | null): void {
    const m = this.msg;
    this.emitted++;
    this.fullSink!({ version: m.version, exporter: m.exporter, setId: m.setId, domainId: m.domainId, sequence: m.sequence, exportMs: m.exportMs, kind, fields, flow });
  }
}
