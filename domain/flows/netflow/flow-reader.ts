// The hot path: one data record of a compiled template into a FlowRecord, and options records into sampler state.
// Reads only the fields the layout names, at offsets fixed when the template arrived.
import type { FlowRecord, FlowSource } from '../types';
import { ipv6Text, u32, uintN } from './bytes';
import type { DomainState } from './state';
import { RATE, TIME, type RateSource, type Template, type TimeKind } from './template';

/** The message a record came in: the header fields that record times and rates depend on. */
export interface MessageContext {
  version: 5 | 9 | 10;
  source: FlowSource;
  exporter: string;
  /** Export time from the header, ms since the epoch. */
  exportMs: number;
  /** v5/v9 header sysUptime (ms since the device booted), the base of FIRST/LAST_SWITCHED. */
  sysUptime: number;
  domain: DomainState;
  /** v9 source id, IPFIX observation domain id, v5 engine type and id (type * 256 + id). */
  domainId: number;
  /** The header's sequence number (v9 counts packets, v5 and IPFIX count records). */
  sequence: number;
  /** The set (flowset) id the record came in: its template id (0 for v5). */
  setId: number;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch. */
const NTP_OFFSET_S = 2208988800;

/** Samplers kept per domain: options data naming more ids than this are ignored past it. */
const MAX_SAMPLERS = 4096;

export function readFlow(t: Template, b: Uint8Array, rec: number, msg: MessageContext, out: FlowRecord): void {
  const L = t.flow!;
  const offs = t.offsets;
  const lens = t.lengths;
  out.source = msg.source;
  out.exporter = msg.exporter;
  if (L.src4 >= 0 && (L.src6 < 0 || u32(b, rec + offs[L.src4]!) !== 0 || u32(b, rec + offs[L.dst4]!) !== 0)) {
    out.src = u32(b, rec + offs[L.src4]!);
    out.dst = u32(b, rec + offs[L.dst4]!);
  } else {
    out.src = ipv6Text(b, rec + offs[L.src6]!);
    out.dst = ipv6Text(b, rec + offs[L.dst6]!);
  }
  out.srcPort = L.srcPort >= 0 ? uintN(b, rec + offs[L.srcPort]!, lens[L.srcPort]!) : 0;
  out.dstPort = L.dstPort >= 0 ? uintN(b, rec + offs[L.dstPort]!, lens[L.dstPort]!) : 0;
  out.protocol = L.protocol >= 0 ? uintN(b, rec + offs[L.protocol]!, lens[L.protocol]!) : 0;
  out.tcpFlags = L.tcpFlags >= 0 ? uintN(b, rec + offs[L.tcpFlags]!, lens[L.tcpFlags]!) : 0;
  // NetFlow's convention for ICMP: type * 256 + code in the destination port.
  if (L.icmpTypeCode >= 0 && out.dstPort === 0 && (out.protocol === 1 || out.protocol === 58)) {
    out.dstPort = uintN(b, rec + offs[L.icmpTypeCode]!, lens[L.icmpTypeCode]!);
  }
  let start = L.start >= 0 ? timeOf(L.startKind, b, rec + offs[L.start]!, lens[L.start]!, t, rec, msg) : -1;
  let end = L.end >= 0 ? timeOf(L.endKind, b, rec + offs[L.end]!, lens[L.end]!, t, rec, msg) : -1;
  if (end < 0 && start >= 0 && L.duration >= 0) {
    const d = uintN(b, rec + offs[L.duration]!, lens[L.duration]!);
    end = start + (L.durationMicros ? Math.round(d / 1000) : d);
  }
  if (start < 0) start = end >= 0 ? end : msg.exportMs;
  if (end < 0) end = start;
  out.start = start;
  out.end = end;
  let rate = L.rate.kind !== RATE.NONE ? rateOf(L.rate, b, rec, t) : 0;
  if (!(rate >= 1)) {
    const d = msg.domain;
    rate = L.sampler >= 0 ? (d.samplerRates.get(uintN(b, rec + offs[L.sampler]!, lens[L.sampler]!)) ?? d.defaultRate) : d.defaultRate;
    if (!(rate >= 1)) rate = 1;
  }
  out.samplingInterval = rate;
  out.packets = (L.packets >= 0 ? uintN(b, rec + offs[L.packets]!, lens[L.packets]!) : 0) * rate;
  out.bytes = (L.bytes >= 0 ? uintN(b, rec + offs[L.bytes]!, lens[L.bytes]!) : 0) * rate;
}

/** A time field in ms since the epoch, or -1 when it cannot be placed (sysUpTime-relative without a boot time). */
function timeOf(kind: TimeKind, b: Uint8Array, o: number, len: number, t: Template, rec: number, msg: MessageContext): number {
  switch (kind) {
    case TIME.UPTIME: {
      const v = uintN(b, o, len);
      // v9: relative to the header's sysUptime; the int32 difference survives the 49.7-day uptime wrap.
      if (msg.version !== 10) return msg.exportMs - ((msg.sysUptime - v) | 0);
      const L = t.flow!;
      const init = L.systemInit >= 0 ? uintN(b, rec + t.offsets[L.systemInit]!, t.lengths[L.systemInit]!) : msg.domain.systemInitMs;
      return init > 0 ? init + v : -1;
    }
    case TIME.SECONDS:
      return uintN(b, o, len) * 1000;
    case TIME.MILLIS:
      return uintN(b, o, len);
    case TIME.NTP:
      return (u32(b, o) - NTP_OFFSET_S) * 1000 + Math.floor((u32(b, o + 4) * 1000) / 4294967296);
    case TIME.DELTA_MICROS:
      return msg.exportMs - Math.round(uintN(b, o, len) / 1000);
    default:
      return -1;
  }
}

/** A 1-in-N sampling rate from a record's own fields; 0 when they say nothing usable. */
function rateOf(r: RateSource, b: Uint8Array, rec: number, t: Template): number {
  const offs = t.offsets;
  const lens = t.lengths;
  const a = r.a >= 0 ? rec + offs[r.a]! : 0;
  switch (r.kind) {
    case RATE.INTERVAL:
      return uintN(b, a, lens[r.a]!);
    case RATE.SPACING: {
      // samplingPacketInterval packets taken, then samplingPacketSpace skipped (RFC 5477 8.2.2)
      const taken = uintN(b, a, lens[r.a]!);
      return taken > 0 ? (taken + uintN(b, rec + offs[r.b]!, lens[r.b]!)) / taken : 0;
    }
    case RATE.POPULATION: {
      const size = uintN(b, a, lens[r.a]!);
      return size > 0 ? uintN(b, rec + offs[r.b]!, lens[r.b]!) / size : 0;
    }
    case RATE.PROBABILITY: {
      const view = new DataView(b.buffer, b.byteOffset + a, lens[r.a]!);
      const p = lens[r.a] === 8 ? view.getFloat64(0) : view.getFloat32(0);
      return p > 0 && p <= 1 ? 1 / p : 0;
    }
    default:
      return 0;
  }
}

/** An options data record: remember the sampler rate or boot time it announces for the exporter's later flows. */
export function applyOptions(t: Template, b: Uint8Array, rec: number, domain: DomainState): void {
  const S = t.sampling;
  if (!S) return;
  const offs = t.offsets;
  const lens = t.lengths;
  if (S.systemInit >= 0) domain.systemInitMs = uintN(b, rec + offs[S.systemInit]!, lens[S.systemInit]!);
  if (S.rate.kind === RATE.NONE) return;
  const rate = rateOf(S.rate, b, rec, t);
  if (!(rate >= 1)) return;
  if (S.sampler < 0) domain.defaultRate = rate;
  else {
    const id = uintN(b, rec + offs[S.sampler]!, lens[S.sampler]!);
    if (domain.samplerRates.has(id) || domain.samplerRates.size < MAX_SAMPLERS) domain.samplerRates.set(id, rate);
  }
}
