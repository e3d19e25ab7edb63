// NetFlow v5 export packets: a 24-byte header and up to 30 fixed 48-byte records, no templates. The header's
// sampling field carries the mode in its top 2 bits and the 1-in-N interval in the low 14.
import type { FlowRecord } from '../types';
import { u16, u32 } from './bytes';
import type { FieldValue } from './full-record';
import { isoMillis } from './full-record';
import type { MessageContext } from './flow-reader';
import type { DatagramDropReason } from './stats';

export const V5_HEADER = 24;
export const V5_RECORD = 48;
export const V5_MAX_RECORDS = 30;

export interface V5Header {
  count: number;
  sysUptime: number;
  exportMs: number;
  sequence: number;
  engineType: number;
  engineId: number;
  samplingMode: number;
  /** The raw 14-bit interval as sent (0 when unsampled). */
  samplingInterval: number;
  /** The interval counts are scaled by: the raw one, or 1. */
  rate: number;
}

/** Fills `h` from the header, or says why the datagram is not a usable v5 packet. */
export function readV5Header(b: Uint8Array, len: number, h: V5Header): DatagramDropReason | null {
  if (len < V5_HEADER) return 'too-short';
  const count = u16(b, 2);
  if (count > V5_MAX_RECORDS) return 'bad-count';
  if (V5_HEADER + count * V5_RECORD > len) return 'bad-length';
  h.count = count;
  h.sysUptime = u32(b, 4);
  h.exportMs = u32(b, 8) * 1000 + Math.floor(u32(b, 12) / 1e6);
  h.sequence = u32(b, 16);
  h.engineType = b[20]!;
  h.engineId = b[21]!;
  const sampling = u16(b, 22);
  h.samplingMode = sampling >> 14;
  h.samplingInterval = sampling & 0x3fff;
  h.rate = h.samplingInterval > 1 ? h.samplingInterval : 1;
  return null;
}

/** FIRST/LAST_SWITCHED are sysUptime ms; the int32 difference survives the 49.7-day uptime wrap. */
const switched = (h: V5Header, v: number): number => h.exportMs - ((h.sysUptime - v) | 0);

export function readV5Flow(b: Uint8Array, o: number, h: V5Header, msg: MessageContext, out: FlowRecord): void {
  out.source = 'netflow5';
  out.exporter = msg.exporter;
  out.src = u32(b, o);
  out.dst = u32(b, o + 4);
  out.packets = u32(b, o + 16) * h.rate;
  out.bytes = u32(b, o + 20) * h.rate;
  out.start = switched(h, u32(b, o + 24));
  out.end = switched(h, u32(b, o + 28));
  out.srcPort = u16(b, o + 32);
  out.dstPort = u16(b, o + 34);
  out.tcpFlags = b[o + 37]!;
  out.protocol = b[o + 38]!;
  out.samplingInterval = h.rate;
}

const ip4 = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** Every field of a v5 record and its header, named as logstash-codec-netflow names them. */
export function readV5Fields(b: Uint8Array, o: number, h: V5Header): Record<string, FieldValue> {
  return {
    flow_records: h.count,
    engine_type: h.engineType,
    engine_id: h.engineId,
    sampling_algorithm: h.samplingMode,
    sampling_interval: h.samplingInterval,
    ipv4_src_addr: ip4(b, o),
    ipv4_dst_addr: ip4(b, o + 4),
    ipv4_next_hop: ip4(b, o + 8),
    input_snmp: u16(b, o + 12),
    output_snmp: u16(b, o + 14),
    in_pkts: u32(b, o + 16),
    in_bytes: u32(b, o + 20),
    first_switched: isoMillis(switched(h, u32(b, o + 24))),
    last_switched: isoMillis(switched(h, u32(b, o + 28))),
    l4_src_port: u16(b, o + 32),
    l4_dst_port: u16(b, o + 34),
    tcp_flags: b[o + 37]!,
    protocol: b[o + 38]!,
    src_tos: b[o + 39]!,
    src_as: u16(b, o + 40),
    dst_as: u16(b, o + 42),
    src_mask: b[o + 44]!,
    dst_mask: b[o + 45]!,
  };
}
