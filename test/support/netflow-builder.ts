// Builds NetFlow v5, v9 and IPFIX datagrams and classic pcap captures byte by byte from the specifications
// (RFC 3954, RFC 7011, Cisco's v5 layout, pcap-savefile(5)), for the decoder's tests and fixtures.
// `npx tsx test/support/netflow-builder.ts` rewrites test/fixtures/netflow/ from `fixtureFiles()`.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A field value: an unsigned number (or bigint), a dotted IPv4, an IPv6 text, or raw bytes. */
export type Value = number | bigint | string | Uint8Array;

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `value` as `length` big-endian bytes. */
export function encode(value: Value, length: number): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== length) throw new Error(`raw value of ${value.length} bytes for a ${length}-byte field`);
    return value;
  }
  if (typeof value === 'string') {
    const bytes = value.includes(':') ? ipv6Bytes(value) : ipv4Bytes(value);
    if (bytes.length !== length) throw new Error(`${value} does not fit ${length} bytes`);
    return bytes;
  }
  const out = new Uint8Array(length);
  let n = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export const u8 = (n: number) => encode(n, 1);
export const u16 = (n: number) => encode(n, 2);
export const u32 = (n: number) => encode(n, 4);

export function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

export function ipv6Bytes(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return concat(...all.map((g) => u16(g)));
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An IPFIX variable-length value: a 1-byte length, or 255 and a 2-byte length from 255 bytes up (RFC 7011 7). */
export function varlen(bytes: Uint8Array, long = bytes.length >= 255): Uint8Array {
  return long ? concat(u8(255), u16(bytes.length), bytes) : concat(u8(bytes.length), bytes);
}

/** A data record: the fields' values in template order, each at its template length. */
export function record(fields: [length: number, value: Value][]): Uint8Array {
  return concat(...fields.map(([length, value]) => encode(value, length)));
}

// ---- NetFlow v5 ----

export interface V5Flow {
  src: string;
  dst: string;
  nextHop?: string;
  input?: number;
  output?: number;
  packets: number;
  bytes: number;
  first: number;
  last: number;
  srcPort: number;
  dstPort: number;
  tcpFlags?: number;
  protocol: number;
  tos?: number;
  srcAs?: number;
  dstAs?: number;
  srcMask?: number;
  dstMask?: number;
}

export interface V5Header {
  sysUptime: number;
  unixSecs: number;
  unixNsecs?: number;
  sequence?: number;
  engineType?: number;
  engineId?: number;
  samplingMode?: number;
  samplingInterval?: number;
  /** Overrides the record count field (to build invalid packets). */
  count?: number;
}

export function v5Packet(h: V5Header, flows: V5Flow[]): Uint8Array {
  const header = concat(
    u16(5),
    u16(h.count ?? flows.length),
    u32(h.sysUptime),
    u32(h.unixSecs),
    u32(h.unixNsecs ?? 0),
    u32(h.sequence ?? 0),
    u8(h.engineType ?? 0),
    u8(h.engineId ?? 0),
    u16(((h.samplingMode ?? 0) << 14) | (h.samplingInterval ?? 0)),
  );
  const records = flows.map((f) =>
    concat(
      ipv4Bytes(f.src),
      ipv4Bytes(f.dst),
      ipv4Bytes(f.nextHop ?? '0.0.0.0'),
      u16(f.input ?? 0),
      u16(f.output ?? 0),
      u32(f.packets),
      u32(f.bytes),
      u32(f.first),
      u32(f.last),
      u16(f.srcPort),
      u16(f.dstPort),
      u8(0),
      u8(f.tcpFlags ?? 0),
      u8(f.protocol),
      u8(f.tos ?? 0),
      u16(f.srcAs ?? 0),
      u16(f.dstAs ?? 0),
      u8(f.srcMask ?? 0),
      u8(f.dstMask ?? 0),
      u16(0),
    ),
  );
  return concat(header, ...records);
}

// ---- sets shared by v9 and IPFIX ----

/** A set (flowset): id, length, body, zero padding up to `align` bytes (4 is what RFC 3954 asks of v9). */
export function set(id: number, body: Uint8Array, align = 1): Uint8Array {
  const padding = (align - ((4 + body.length) % align)) % align;
  return concat(u16(id), u16(4 + body.length + padding), body, new Uint8Array(padding));
}

export function dataSet(templateId: number, records: Uint8Array[], align = 1): Uint8Array {
  return set(templateId, concat(...records), align);
}

// ---- NetFlow v9 ----

export type V9Field = [type: number, length: number];

export function v9TemplateSet(templates: { id: number; fields: V9Field[] }[]): Uint8Array {
  const body = templates.map((t) => concat(u16(t.id), u16(t.fields.length), ...t.fields.map(([type, length]) => concat(u16(type), u16(length)))));
  return set(0, concat(...body));
}

export function v9OptionsTemplateSet(t: { id: number; scope: V9Field[]; options: V9Field[] }): Uint8Array {
  const fields = (list: V9Field[]) => list.map(([type, length]) => concat(u16(type), u16(length)));
  return set(1, concat(u16(t.id), u16(4 * t.scope.length), u16(4 * t.options.length), ...fields(t.scope), ...fields(t.options)), 4);
}

export function v9Packet(h: { sysUptime: number; unixSecs: number; sequence?: number; sourceId?: number; count?: number }, sets: Uint8Array[]): Uint8Array {
  return concat(u16(9), u16(h.count ?? sets.length), u32(h.sysUptime), u32(h.unixSecs), u32(h.sequence ?? 0), u32(h.sourceId ?? 0), ...sets);
}

// ---- IPFIX ----

export interface IpfixField {
  id: number;
  length: number;
  /** Enterprise number: sets the enterprise bit. */
  pen?: number;
}

export const VARIABLE = 65535;

function ipfixFieldSpecs(fields: IpfixField[]): Uint8Array[] {
  return fields.map((f) => (f.pen ? concat(u16(0x8000 | f.id), u16(f.length), u32(f.pen)) : concat(u16(f.id), u16(f.length))));
}

/** Template records; one with no fields is a withdrawal (template id 2 with none withdraws them all). */
export function ipfixTemplateSet(templates: { id: number; fields: IpfixField[] }[]): Uint8Array {
  return set(2, concat(...templates.map((t) => concat(u16(t.id), u16(t.fields.length), ...ipfixFieldSpecs(t.fields)))));
}

/** Options template records; one with no fields is a withdrawal (no scope count then, RFC 7011 8.1). */
export function ipfixOptionsTemplateSet(templates: { id: number; scopeCount: number; fields: IpfixField[] }[]): Uint8Array {
  const body = templates.map((t) =>
    t.fields.length === 0 ? concat(u16(t.id), u16(0)) : concat(u16(t.id), u16(t.fields.length), u16(t.scopeCount), ...ipfixFieldSpecs(t.fields)),
  );
  return set(3, concat(...body));
}

export function ipfixMessage(h: { exportTime: number; sequence?: number; domainId?: number; length?: number }, sets: Uint8Array[]): Uint8Array {
  const body = concat(...sets);
  return concat(u16(10), u16(h.length ?? 16 + body.length), u32(h.exportTime), u32(h.sequence ?? 0), u32(h.domainId ?? 0), body);
}

// ---- pcap ----

export function ipv4Udp(src: string, dst: string, srcPort: number, dstPort: number, payload: Uint8Array, opts: { flagsOffset?: number; protocol?: number } = {}): Uint8Array {
  const udp = concat(u16(srcPort), u16(dstPort), u16(8 + payload.length), u16(0), payload);
  // Checksums are left 0: readers of captures do not verify them, and neither does ours.
  return concat(u8(0x45), u8(0), u16(20 + udp.length), u16(1), u16(opts.flagsOffset ?? 0x4000), u8(64), u8(opts.protocol ?? 17), u16(0), ipv4Bytes(src), ipv4Bytes(dst), udp);
}

export function ipv6Udp(src: string, dst: string, srcPort: number, dstPort: number, payload: Uint8Array, opts: { extension?: 'hop-by-hop' | 'fragment' } = {}): Uint8Array {
  const udp = concat(u16(srcPort), u16(dstPort), u16(8 + payload.length), u16(0), payload);
  let next = 17;
  let body = udp;
  if (opts.extension === 'hop-by-hop') {
    body = concat(u8(17), u8(0), new Uint8Array(6), udp); // 8 bytes: next header, length 0, PadN
    next = 0;
  } else if (opts.extension === 'fragment') {
    body = concat(u8(17), u8(0), u16(1), u32(7), udp); // offset 0, more fragments
    next = 44;
  }
  return concat(u32(0x60000000), u16(body.length), u8(next), u8(64), ipv6Bytes(src), ipv6Bytes(dst), body);
}

export function ethernet(ip: Uint8Array, opts: { vlan?: number; etherType?: number } = {}): Uint8Array {
  const macs = Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  const type = opts.etherType ?? (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800);
  const tag = opts.vlan !== undefined ? concat(u16(0x8100), u16(opts.vlan)) : new Uint8Array(0);
  return concat(macs, tag, u16(type), ip);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16 bytes, protocol last. */
export function sll(ip: Uint8Array): Uint8Array {
  return concat(u16(0), u16(1), u16(6), Uint8Array.from([2, 0, 0, 0, 0, 1, 0, 0]), u16(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800), ip);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20 bytes, protocol first. */
export function sll2(ip: Uint8Array): Uint8Array {
  return concat(u16(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800), u16(0), u32(2), u16(1), u8(0), u8(6), Uint8Array.from([2, 0, 0, 0, 0, 1, 0, 0]), ip);
}

export const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;

export function pcapFile(
  opts: { littleEndian?: boolean; nanoseconds?: boolean; linkType: number; snapLength?: number },
  packets: { seconds: number; fraction: number; frame: Uint8Array; originalLength?: number }[],
): Uint8Array {
  const le = opts.littleEndian ?? true;
  const w32 = (n: number) => {
    const b = u32(n);
    return le ? b.reverse() : b;
  };
  const w16 = (n: number) => {
    const b = u16(n);
    return le ? b.reverse() : b;
  };
  const header = concat(w32(opts.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4), w16(2), w16(4), w32(0), w32(0), w32(opts.snapLength ?? 65535), w32(opts.linkType));
  const records = packets.map((p) => concat(w32(p.seconds), w32(p.fraction), w32(p.frame.length), w32(p.originalLength ?? p.frame.length), p.frame));
  return concat(header, ...records);
}

// ---- the committed fixtures ----

/** Exporter times used across the fixtures: 2024-01-01T00:00:00Z, a device up for one hour. */
export const FIXTURE_TIME = { unixSecs: 1_704_067_200, sysUptime: 3_600_000 } as const;

/** The files under test/fixtures/netflow/, by relative path: what the CLI tests read. */
export function fixtureFiles(): Record<string, Uint8Array> {
  const { unixSecs, sysUptime } = FIXTURE_TIME;
  const v5 = v5Packet({ sysUptime, unixSecs, sequence: 7, samplingMode: 1, samplingInterval: 100 }, [
    { src: '198.51.100.7', dst: '203.0.113.9', packets: 3, bytes: 180, first: sysUptime - 2000, last: sysUptime - 1000, srcPort: 51000, dstPort: 22, tcpFlags: 0x1b, protocol: 6 },
    { src: '203.0.113.9', dst: '198.51.100.7', packets: 2, bytes: 120, first: sysUptime - 1900, last: sysUptime - 1000, srcPort: 22, dstPort: 51000, tcpFlags: 0x1a, protocol: 6 },
  ]);
  // v9: a flow template with a sampler id, and an options template announcing that sampler's 1-in-50 rate.
  const v9Flow: V9Field[] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [6, 1], [2, 4], [1, 4], [22, 4], [21, 4], [48, 1]];
  const v9Templates = v9Packet({ sysUptime, unixSecs, sequence: 1, sourceId: 3 }, [
    v9TemplateSet([{ id: 256, fields: v9Flow }]),
    v9OptionsTemplateSet({ id: 258, scope: [[1, 4]], options: [[48, 1], [49, 1], [50, 4]] }),
  ]);
  const v9Options = v9Packet({ sysUptime, unixSecs, sequence: 2, sourceId: 3 }, [dataSet(258, [record([[4, 0], [1, 1], [1, 2], [4, 50]])], 4)]);
  const v9Data = v9Packet({ sysUptime, unixSecs, sequence: 3, sourceId: 3 }, [
    dataSet(256, [record([[4, '192.0.2.33'], [4, '198.51.100.80'], [2, 40000], [2, 443], [1, 6], [1, 0x12], [4, 4], [4, 400], [4, sysUptime - 5000], [4, sysUptime - 4000], [1, 1]])], 4),
  ]);
  // IPFIX: IPv6 flows with an interface name (variable length) and an enterprise field, milliseconds times.
  const ipfixFlow: IpfixField[] = [
    { id: 27, length: 16 },
    { id: 28, length: 16 },
    { id: 7, length: 2 },
    { id: 11, length: 2 },
    { id: 4, length: 1 },
    { id: 2, length: 8 },
    { id: 1, length: 8 },
    { id: 152, length: 8 },
    { id: 153, length: 8 },
    { id: 82, length: VARIABLE },
    { id: 1234, length: 4, pen: 32473 },
  ];
  const ipfixTemplates = ipfixMessage({ exportTime: unixSecs, domainId: 5 }, [ipfixTemplateSet([{ id: 300, fields: ipfixFlow }])]);
  const ipfixData = ipfixMessage({ exportTime: unixSecs, sequence: 1, domainId: 5 }, [
    dataSet(300, [
      record([[16, '2001:db8::1'], [16, '2001:db8:0:1::53'], [2, 5353], [2, 53], [1, 17], [8, 1], [8, 90], [8, unixSecs * 1000 - 3000], [8, unixSecs * 1000 - 2500]]),
      varlen(text('eth0')),
      u32(0xdeadbeef),
    ]),
  ]);
  const frames = [
    ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 40001, 2055, v5)),
    ethernet(Uint8Array.from({ length: 28 }, (_, i) => i), { etherType: 0x0806 }), // ARP: skipped
    ethernet(ipv4Udp('192.0.2.11', '192.0.2.1', 40002, 2055, v9Templates), { vlan: 20 }),
    ethernet(ipv4Udp('192.0.2.11', '192.0.2.1', 40002, 2055, v9Options), { vlan: 20 }),
    ethernet(ipv4Udp('192.0.2.11', '192.0.2.1', 40002, 2055, v9Data), { vlan: 20 }),
    ethernet(ipv4Udp('192.0.2.12', '192.0.2.1', 40003, 2055, v5, { flagsOffset: 0x2000 })), // a first fragment: skipped
    ethernet(ipv6Udp('2001:db8::10', '2001:db8::1', 40004, 4739, ipfixTemplates)),
    ethernet(ipv6Udp('2001:db8::10', '2001:db8::1', 40004, 4739, ipfixData)),
  ];
  return {
    'v5/sampled.dat': v5,
    'v9-exporter/01-templates.dat': v9Templates,
    'v9-exporter/02-options.dat': v9Options,
    'v9-exporter/03-data.dat': v9Data,
    'ipfix-exporter/01-templates.dat': ipfixTemplates,
    'ipfix-exporter/02-data.dat': ipfixData,
    'capture.pcap': pcapFile({ linkType: LINKTYPE.ETHERNET }, frames.map((frame, i) => ({ seconds: unixSecs + i, fraction: 250_000, frame }))),
    'bad/truncated-ipfix.dat': ipfixData.subarray(0, ipfixData.length - 7),
    'bad/not-netflow.dat': text('GET / HTTP/1.1\r\n\r\n'),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../fixtures/netflow/', import.meta.url));
  for (const [rel, bytes] of Object.entries(fixtureFiles())) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
    console.log(`${rel} (${bytes.length} bytes)`);
  }
}
