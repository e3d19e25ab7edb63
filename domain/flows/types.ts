// One network flow as every source gives it: NetFlow v5/v9, IPFIX, VPC/NSG flow logs, Zeek conn.log, our JSON lines.
// Built for the hot path: addresses are numbers for IPv4 (no string per record), canonical text only for IPv6.

/** An address as a map key: IPv4 as an unsigned 32-bit integer, IPv6 as its canonical (RFC 5952) text. */
export type IpKey = number | string;

export const PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

/** TCP flag bits as NetFlow and IPFIX carry them. */
export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export type FlowSource = 'netflow5' | 'netflow9' | 'ipfix' | 'vpc' | 'nsg' | 'zeek' | 'jsonl';

export interface FlowRecord {
  source: FlowSource;
  /** Who exported it: the exporter's address for NetFlow/IPFIX, the log's account/resource id for logs. */
  exporter: string;
  /** Flow start and end, milliseconds since the epoch (UTC). */
  start: number;
  end: number;
  src: IpKey;
  dst: IpKey;
  srcPort: number;
  dstPort: number;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP, ...). */
  protocol: number;
  /** OR of the TCP flags seen; 0 when unknown. */
  tcpFlags: number;
  /** Counts as the network carried them: already multiplied by the sampling interval when the exporter samples. */
  packets: number;
  bytes: number;
  /** 1 when unsampled. */
  samplingInterval: number;
}

/** Records arrive through a callback so a decoder can hand over thousands per datagram without building arrays. */
export type FlowSink = (record: FlowRecord) => void;

export function ipv4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipKeyToString(key: IpKey): string {
  return typeof key === 'number' ? ipv4ToString(key) : key;
}

/** Parses dotted-quad IPv4 to its integer key, or returns undefined. */
export function ipv4ToKey(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const octet = Number(p);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}
