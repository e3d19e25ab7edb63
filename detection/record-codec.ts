// A batch of FlowRecords as bytes, for the wire between collectors and detector processes (detection/jetstream.ts).
// Fixed-size records so decoding is offset arithmetic; numbers that may be fractional or past 2^32 (times, counters)
// are float64, so a record comes back exactly as it went in. Exporters repeat, so each batch carries them once.
//
// Layout, version 1, big-endian:
//   header   0 'S' 'F'  2 u8 version (1)  3 u8 reserved (0)  4 u32 records  8 u16 exporters  10 u16 reserved (0)
//   table    per exporter: u16 UTF-8 length, bytes
//   record   78 bytes each:
//            0 u8 families (bit 0 src IPv6, bit 1 dst IPv6)  1 u8 source format  2 u16 exporter index
//            4 u8 protocol  5 u8 tcpFlags  6 u16 srcPort  8 u16 dstPort  10 u32 samplingInterval
//            14 f64 start  22 f64 end  30 f64 packets  38 f64 bytes  46 src[16]  62 dst[16]
//   An IPv4 address takes the first 4 bytes of its slot; the other 12 are zero.
import ipaddr from 'ipaddr.js';
import { ipv6Text } from '../domain/flows/netflow/bytes';
import type { FlowRecord, FlowSource, IpKey } from '../domain/flows/types';

export const FLOW_BATCH_VERSION = 1;
export const FLOW_BATCH_HEADER_BYTES = 12;
export const FLOW_RECORD_BYTES = 78;
/** The exporter index is 16 bits. */
export const MAX_EXPORTERS_PER_BATCH = 65_535;

const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x46; // 'F'
const SRC_V6 = 1;
const DST_V6 = 2;

/** Wire codes of the formats: append only, a code once given never changes meaning. */
const SOURCE_CODES = { netflow5: 0, netflow9: 1, ipfix: 2, vpc: 3, nsg: 4, zeek: 5, jsonl: 6 } as const satisfies Record<FlowSource, number>;
const SOURCES: FlowSource[] = [];
for (const [name, code] of Object.entries(SOURCE_CODES)) SOURCES[code] = name as FlowSource;

export class FlowBatchError extends Error {
  override name = 'FlowBatchError';
}

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true });

const isUint = (n: unknown, max: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;

/**
 * Encodes batches; keeps the bytes of recently seen IPv6 addresses (hosts repeat, and parsing text costs ~1 µs).
 * One encoder per publisher: not shared between threads, and the cache is bounded.
 */
export class FlowBatchEncoder {
  private readonly v6 = new Map<string, Uint8Array>();
  private readonly exporters = new Set<string>();

  constructor(private readonly cacheSize = 8_192) {}

  /** Why a record cannot be encoded, or undefined when it can. Checks everything encode() relies on. */
  check(r: FlowRecord): string | undefined {
    if (typeof r !== 'object' || r === null) return 'not a flow record';
    if (!Object.hasOwn(SOURCE_CODES, r.source)) return `unknown source format ${JSON.stringify(r.source)}`;
    const exporterProblem = this.exporterProblem(r.exporter);
    if (exporterProblem) return exporterProblem;
    if (!isUint(r.srcPort, 65_535)) return `srcPort ${String(r.srcPort)} is not 0-65535`;
    if (!isUint(r.dstPort, 65_535)) return `dstPort ${String(r.dstPort)} is not 0-65535`;
    if (!isUint(r.protocol, 255)) return `protocol ${String(r.protocol)} is not 0-255`;
    if (!isUint(r.tcpFlags, 255)) return `tcpFlags ${String(r.tcpFlags)} is not 0-255`;
    if (!isUint(r.samplingInterval, 0xffffffff)) return `samplingInterval ${String(r.samplingInterval)} is not an unsigned 32-bit integer`;
    for (const field of ['start', 'end', 'packets', 'bytes'] as const) {
      if (typeof r[field] !== 'number') return `${field} is not a number`;
    }
    return this.addressProblem('src', r.src) ?? this.addressProblem('dst', r.dst);
  }

  /** The bytes of a batch; throws FlowBatchError naming the first record check() refuses. */
  encode(records: readonly FlowRecord[]): Uint8Array {
    const builder = new FlowBatchBuilder(this, Math.max(1, records.length));
    for (let i = 0; i < records.length; i++) {
      const problem = this.check(records[i]!);
      if (problem) throw new FlowBatchError(`record ${i}: ${problem}`);
      if (!builder.add(records[i]!)) throw new FlowBatchError(`more than ${MAX_EXPORTERS_PER_BATCH} exporters in one batch`);
    }
    return builder.finish();
  }

  /** Writes an address check() accepted into a 16-byte slot that is zero. */
  writeAddress(out: Uint8Array, view: DataView, o: number, key: IpKey): void {
    if (typeof key === 'number') view.setUint32(o, key);
    else out.set(this.v6Bytes(key)!, o);
  }

  private exporterProblem(exporter: string): string | undefined {
    if (this.exporters.has(exporter)) return undefined;
    if (typeof exporter !== 'string') return 'exporter is not a string';
    const bytes = UTF8_ENCODER.encode(exporter);
    if (bytes.length > 65_535) return `exporter is ${bytes.length} bytes of UTF-8, more than 65,535`;
    // Lone surrogates would come back as U+FFFD: not the same string.
    if (UTF8_DECODER.decode(bytes) !== exporter) return 'exporter is not well-formed Unicode';
    if (this.exporters.size >= this.cacheSize) this.exporters.clear();
    this.exporters.add(exporter);
    return undefined;
  }

  private addressProblem(field: 'src' | 'dst', key: IpKey): string | undefined {
    if (typeof key === 'number') return isUint(key, 0xffffffff) ? undefined : `${field} ${key} is not an IPv4 address as an unsigned 32-bit integer`;
    if (typeof key !== 'string') return `${field} is neither a number nor a string`;
    if (this.v6Bytes(key)) return undefined;
    const text = JSON.stringify(key.slice(0, 64));
    if (key.length > 45 || key.includes('%') || !ipaddr.IPv6.isValid(key)) return `${field} ${text} is not an IPv6 address`;
    return `${field} ${text} is not canonical IPv6 text (RFC 5952: ${ipaddr.IPv6.parse(key).toRFC5952String()})`;
  }

  /** The 16 bytes of canonical IPv6 text, or undefined if it is not that. */
  private v6Bytes(text: string): Uint8Array | undefined {
    const cached = this.v6.get(text);
    if (cached) return cached;
    if (text.length > 45 || text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    const bytes = Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
    // The decoder writes RFC 5952 text; anything else would not come back as it went in (and is a different host key).
    if (ipv6Text(bytes, 0) !== text) return undefined;
    if (this.v6.size >= this.cacheSize) this.v6.clear();
    this.v6.set(text, bytes);
    return bytes;
  }
}

/**
 * One batch being filled: each record is copied into bytes as it arrives, so the caller may reuse its record object
 * (NetflowDecoder's reuseRecord) and a pending record costs 78 bytes, not an object. finish() hands over the batch and
 * starts the next one in the same memory.
 */
export class FlowBatchBuilder {
  private records: Uint8Array;
  private view: DataView;
  private readonly exporters = new Map<string, number>();
  private table: Uint8Array[] = [];
  private tableBytes = 0;
  /** Records in the batch so far. */
  count = 0;

  constructor(private readonly encoder: FlowBatchEncoder, capacity: number) {
    this.records = new Uint8Array(capacity * FLOW_RECORD_BYTES);
    this.view = new DataView(this.records.buffer);
  }

  /** The size finish() would return. */
  get byteLength(): number {
    return FLOW_BATCH_HEADER_BYTES + this.tableBytes + this.count * FLOW_RECORD_BYTES;
  }

  /** The size finish() would return with `r` added. */
  sizeWith(r: FlowRecord): number {
    const table = this.exporters.has(r.exporter) ? 0 : 2 + UTF8_ENCODER.encode(r.exporter).length;
    return this.byteLength + table + FLOW_RECORD_BYTES;
  }

  /** Appends a record the encoder's check() accepted; false (nothing added) when the exporter table is full. */
  add(r: FlowRecord): boolean {
    let exporter = this.exporters.get(r.exporter);
    if (exporter === undefined) {
      if (this.table.length === MAX_EXPORTERS_PER_BATCH) return false;
      const bytes = UTF8_ENCODER.encode(r.exporter);
      exporter = this.table.length;
      this.exporters.set(r.exporter, exporter);
      this.table.push(bytes);
      this.tableBytes += 2 + bytes.length;
    }
    const o = this.count * FLOW_RECORD_BYTES;
    if (o + FLOW_RECORD_BYTES > this.records.length) this.grow();
    const out = this.records;
    const view = this.view;
    out.fill(0, o + 46, o + FLOW_RECORD_BYTES);
    out[o] = (typeof r.src === 'string' ? SRC_V6 : 0) | (typeof r.dst === 'string' ? DST_V6 : 0);
    out[o + 1] = SOURCE_CODES[r.source];
    view.setUint16(o + 2, exporter);
    out[o + 4] = r.protocol;
    out[o + 5] = r.tcpFlags;
    view.setUint16(o + 6, r.srcPort);
    view.setUint16(o + 8, r.dstPort);
    view.setUint32(o + 10, r.samplingInterval);
    view.setFloat64(o + 14, r.start);
    view.setFloat64(o + 22, r.end);
    view.setFloat64(o + 30, r.packets);
    view.setFloat64(o + 38, r.bytes);
    this.encoder.writeAddress(out, view, o + 46, r.src);
    this.encoder.writeAddress(out, view, o + 62, r.dst);
    this.count++;
    return true;
  }

  /** The batch's bytes; the builder is empty afterwards. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    const view = new DataView(out.buffer);
    out[0] = MAGIC_0;
    out[1] = MAGIC_1;
    out[2] = FLOW_BATCH_VERSION;
    view.setUint32(4, this.count);
    view.setUint16(8, this.table.length);
    let o = FLOW_BATCH_HEADER_BYTES;
    for (const bytes of this.table) {
      view.setUint16(o, bytes.length);
      out.set(bytes, o + 2);
      o += 2 + bytes.length;
    }
    out.set(this.records.subarray(0, this.count * FLOW_RECORD_BYTES), o);
    this.count = 0;
    this.exporters.clear();
    this.table = [];
    this.tableBytes = 0;
    return out;
  }

  private grow(): void {
    const bigger = new Uint8Array(Math.max(this.records.length * 2, FLOW_RECORD_BYTES * 16));
    bigger.set(this.records);
    this.records = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

const defaultEncoder = new FlowBatchEncoder();

/** Encodes one batch (a module-wide encoder; publishers keep their own). */
export function encodeFlowBatch(records: readonly FlowRecord[]): Uint8Array {
  return defaultEncoder.encode(records);
}

/** How many records a batch says it holds, or throws if the bytes are not a batch of this version. */
export function flowBatchCount(bytes: Uint8Array): number {
  if (bytes.length < FLOW_BATCH_HEADER_BYTES) throw new FlowBatchError(`a flow batch is at least ${FLOW_BATCH_HEADER_BYTES} bytes, got ${bytes.length}`);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw new FlowBatchError('not a flow batch (bad magic)');
  if (bytes[2] !== FLOW_BATCH_VERSION) throw new FlowBatchError(`flow batch version ${bytes[2]} is not supported (expected ${FLOW_BATCH_VERSION})`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
}

/** The records of a batch, in order. All or nothing: any inconsistency throws FlowBatchError before a record is returned. */
export function decodeFlowBatch(bytes: Uint8Array): FlowRecord[] {
  const count = flowBatchCount(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const exporterCount = view.getUint16(8);
  const exporters: string[] = [];
  let o = FLOW_BATCH_HEADER_BYTES;
  for (let i = 0; i < exporterCount; i++) {
    if (o + 2 > bytes.length) throw new FlowBatchError(`exporter table ends early (entry ${i} of ${exporterCount})`);
    const len = view.getUint16(o);
    if (o + 2 + len > bytes.length) throw new FlowBatchError(`exporter ${i} runs past the end of the batch`);
    try {
      exporters.push(UTF8_DECODER.decode(bytes.subarray(o + 2, o + 2 + len)));
    } catch {
      throw new FlowBatchError(`exporter ${i} is not valid UTF-8`);
    }
    o += 2 + len;
  }
  const expected = o + count * FLOW_RECORD_BYTES;
  if (bytes.length !== expected) throw new FlowBatchError(`a batch of ${count} records should be ${expected} bytes, got ${bytes.length}`);
  const records: FlowRecord[] = new Array<FlowRecord>(count);
  for (let i = 0; i < count; i++, o += FLOW_RECORD_BYTES) {
    const families = bytes[o]!;
    const source = SOURCES[bytes[o + 1]!];
    const exporter = exporters[view.getUint16(o + 2)];
    if (families > (SRC_V6 | DST_V6)) throw new FlowBatchError(`record ${i}: unknown address family bits ${families}`);
    if (source === undefined) throw new FlowBatchError(`record ${i}: unknown source format code ${bytes[o + 1]}`);
    if (exporter === undefined) throw new FlowBatchError(`record ${i}: exporter index ${view.getUint16(o + 2)} is past the table (${exporterCount})`);
    records[i] = {
      source,
      exporter,
      start: view.getFloat64(o + 14),
      end: view.getFloat64(o + 22),
      src: readAddress(bytes, view, o + 46, (families & SRC_V6) !== 0, i, 'src'),
      dst: readAddress(bytes, view, o + 62, (families & DST_V6) !== 0, i, 'dst'),
      srcPort: view.getUint16(o + 6),
      dstPort: view.getUint16(o + 8),
      protocol: bytes[o + 4]!,
      tcpFlags: bytes[o + 5]!,
      packets: view.getFloat64(o + 30),
      bytes: view.getFloat64(o + 38),
      samplingInterval: view.getUint32(o + 10),
    };
  }
  return records;
}

function readAddress(bytes: Uint8Array, view: DataView, o: number, v6: boolean, index: number, field: string): IpKey {
  if (v6) return ipv6Text(bytes, o);
  for (let k = 4; k < 16; k++) {
    if (bytes[o + k] !== 0) throw new FlowBatchError(`record ${index}: ${field} is IPv4 but its slot has bytes past the fourth`);
  }
  return view.getUint32(o);
}
