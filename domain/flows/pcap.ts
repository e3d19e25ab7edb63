// UDP datagrams out of a classic libpcap capture (not pcapng): either byte order, micro- or nanosecond stamps;
// Ethernet (with VLAN tags), Linux cooked SLL and SLL2, BSD loopback and raw IP link types; IPv4 and IPv6.
// Everything that is not a whole, unfragmented UDP datagram is skipped and counted.
import { ipv6Text } from './netflow/bytes';
import { ipv4ToString } from './types';

export interface UdpDatagram {
  /** The sender's address: the exporter, for flow export captured on the collector side. */
  exporter: string;
  srcPort: number;
  dstPort: number;
  /** Capture time, ms since the epoch. */
  timestampMs: number;
  /** A view into the capture's bytes (no copy). */
  payload: Uint8Array;
}

export interface PcapCounts {
  packets: number;
  udp: number;
  /** Frames that are not IPv4/IPv6 (ARP, LLDP, ...) or of a link type we do not read. */
  notIp: number;
  /** IP packets that are not UDP. */
  notUdp: number;
  /** IPv4 or IPv6 fragments: skipped, not reassembled. */
  fragments: number;
  /** Frames cut short by the snap length or by the end of the file, or with impossible lengths. */
  truncated: number;
}

export const createPcapCounts = (): PcapCounts => ({ packets: 0, udp: 0, notIp: 0, notUdp: 0, fragments: 0, truncated: 0 });

/** The file is not a classic pcap capture we can read. */
export class PcapError extends Error {}

const LINK = { NULL: 0, ETHERNET: 1, RAW: 101, RAW_BSD: 12, RAW_OPENBSD: 14, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;
/** A record larger than this is a corrupt length field, not a frame. */
const MAX_RECORD = 1 << 20;

interface Header {
  le: boolean;
  nanos: boolean;
  linkType: number;
}

function readHeader(b: Uint8Array): Header {
  if (b.length < 24) throw new PcapError('not a pcap file: shorter than the 24-byte file header');
  const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  let le: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) [le, nanos] = [false, magic === 0xa1b23c4d];
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) [le, nanos] = [true, magic === 0x4d3cb2a1];
  else if (magic === 0x0a0d0d0a) throw new PcapError('pcapng captures are not supported: save as classic pcap (editcap -F pcap)');
  else throw new PcapError(`not a pcap file: magic ${magic.toString(16).padStart(8, '0')}`);
  // The link type's low 16 bits; the upper bits may carry FCS information (pcap-linktype(7)).
  const linkType = u32(b, 20, le) & 0xffff;
  return { le, nanos, linkType };
}

function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? ((b[o + 3]! << 24) | (b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

/** The UDP datagrams of a capture in file order. Throws PcapError (before the first one) when the file is not a pcap. */
export function* udpDatagrams(bytes: Uint8Array, counts: PcapCounts = createPcapCounts()): Generator<UdpDatagram> {
  const h = readHeader(bytes);
  let o = 24;
  while (o < bytes.length) {
    if (bytes.length - o < 16) {
      counts.truncated++;
      return;
    }
    const seconds = u32(bytes, o, h.le);
    const fraction = u32(bytes, o + 4, h.le);
    const captured = u32(bytes, o + 8, h.le);
    const start = o + 16;
    if (captured > MAX_RECORD || start + captured > bytes.length) {
      counts.truncated++;
      return;
    }
    o = start + captured;
    counts.packets++;
    const frame = bytes.subarray(start, start + captured);
    const timestampMs = seconds * 1000 + Math.floor(h.nanos ? fraction / 1e6 : fraction / 1e3);
    const ip = ipOffset(frame, h);
    if (ip < 0) {
      counts.notIp++;
      continue;
    }
    const d = udpOf(frame, ip, counts);
    if (!d) continue;
    counts.udp++;
    d.timestampMs = timestampMs;
    yield d;
  }
}

/** Where the IP header starts in a frame, or -1 when the frame does not carry IPv4/IPv6. */
function ipOffset(f: Uint8Array, h: Header): number {
  switch (h.linkType) {
    case LINK.ETHERNET: {
      let o = 12;
      let type = u16be(f, o);
      // 802.1Q, 802.1ad and the older QinQ tag types, possibly stacked
      while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && o + 6 <= f.length) {
        o += 4;
        type = u16be(f, o);
      }
      return f.length >= o + 2 && (type === 0x0800 || type === 0x86dd) ? o + 2 : -1;
    }
    case LINK.LINUX_SLL:
      return f.length >= 16 && isIpEtherType(u16be(f, 14)) ? 16 : -1;
    case LINK.LINUX_SLL2:
      return f.length >= 20 && isIpEtherType(u16be(f, 0)) ? 20 : -1;
    case LINK.NULL: {
      // The address family in the capturing host's byte order: 2 is IPv4; 24, 28 and 30 are IPv6 on the BSDs.
      if (f.length < 4) return -1;
      const family = f[0] !== 0 ? f[0]! : f[3]!;
      return family === 2 || family === 24 || family === 28 || family === 30 ? 4 : -1;
    }
    case LINK.RAW:
    case LINK.RAW_BSD:
    case LINK.RAW_OPENBSD:
    case LINK.IPV4:
    case LINK.IPV6:
      return 0;
    default:
      return -1;
  }
}

const isIpEtherType = (t: number): boolean => t === 0x0800 || t === 0x86dd;

function udpOf(f: Uint8Array, ip: number, counts: PcapCounts): UdpDatagram | null {
  if (f.length < ip + 1) {
    counts.truncated++;
    return null;
  }
  const version = f[ip]! >> 4;
  let udp: number;
  let exporter: string;
  if (version === 4) {
    const ihl = (f[ip]! & 0x0f) * 4;
    if (ihl < 20 || f.length < ip + ihl) {
      counts.truncated++;
      return null;
    }
    const flagsOffset = u16be(f, ip + 6);
    if (flagsOffset & 0x3fff) {
      counts.fragments++; // more-fragments set or a non-zero offset
      return null;
    }
    if (f[ip + 9] !== 17) {
      counts.notUdp++;
      return null;
    }
    exporter = ipv4ToString(((f[ip + 12]! << 24) | (f[ip + 13]! << 16) | (f[ip + 14]! << 8) | f[ip + 15]!) >>> 0);
    udp = ip + ihl;
  } else if (version === 6) {
    if (f.length < ip + 40) {
      counts.truncated++;
      return null;
    }
    exporter = ipv6Text(f, ip + 8);
    let next = f[ip + 6]!;
    udp = ip + 40;
    // Hop-by-hop, routing and destination options headers: skip to the transport header.
    while (next === 0 || next === 43 || next === 60) {
      if (f.length < udp + 2) {
        counts.truncated++;
        return null;
      }
      next = f[udp]!;
      udp += (f[udp + 1]! + 1) * 8;
    }
    if (next === 44) {
      counts.fragments++;
      return null;
    }
    if (next !== 17) {
      counts.notUdp++;
      return null;
    }
  } else {
    counts.notIp++;
    return null;
  }
  if (f.length < udp + 8) {
    counts.truncated++;
    return null;
  }
  const udpLength = u16be(f, udp + 4);
  if (udpLength < 8 || udp + udpLength > f.length) {
    counts.truncated++; // cut by the snap length, or a length the packet cannot hold
    return null;
  }
  return { exporter, srcPort: u16be(f, udp), dstPort: u16be(f, udp + 2), timestampMs: 0, payload: f.subarray(udp + 8, udp + udpLength) };
}
