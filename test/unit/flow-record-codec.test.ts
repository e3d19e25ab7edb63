import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { seededRandom } from '../../domain/flows/synthetic';
import { ipv4ToKey, type FlowRecord, type FlowSource } from '../../domain/flows/types';
import { decodeFlowBatch, encodeFlowBatch, FLOW_BATCH_HEADER_BYTES, FLOW_RECORD_BYTES, FlowBatchBuilder, FlowBatchEncoder, FlowBatchError, flowBatchCount } from '../../detection/record-codec';

const fixture = fileURLToPath(new URL('../fixtures/flows-jetstream/batch-v1.hex', import.meta.url));

/** The annotated hex fixture as bytes: comments after '#', whitespace ignored. */
function readHex(file: string): Uint8Array {
  const hex = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  return Uint8Array.from(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
}

const v4 = (text: string) => ipv4ToKey(text)!;

const base: FlowRecord = {
  source: 'netflow9',
  exporter: '192.0.2.10',
  start: 1_718_000_000_000,
  end: 1_718_000_000_500,
  src: v4('203.0.113.10'),
  dst: v4('198.51.100.7'),
  srcPort: 40000,
  dstPort: 22,
  protocol: 6,
  tcpFlags: 2,
  packets: 1,
  bytes: 60,
  samplingInterval: 1,
};

const SOURCES: FlowSource[] = ['netflow5', 'netflow9', 'ipfix', 'vpc', 'nsg', 'zeek', 'jsonl'];
const V6 = ['::', '::1', 'fe80::1', '2001:db8::ff00:42:8329', '1:0:0:1::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8:0:1::2', '::ffff:c000:20a', '64:ff9b::c000:221'];

/** Records that reach every corner of each field: both families, every format, edge values, fractional times, big counters. */
function variedRecords(n: number, seed: number): FlowRecord[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const address = () => (rnd() < 0.3 ? pick(V6) : pick([0, 0xffffffff, Math.floor(rnd() * 2 ** 32)]));
  return Array.from({ length: n }, (_, i) => ({
    source: SOURCES[i % SOURCES.length]!,
    exporter: pick(['192.0.2.10', '2001:db8::53', 'eni-0a1b2c3d', '', 'réseau-αβγ-😀', '/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/networkSecurityGroups/z']),
    start: pick([0, 1_718_000_000_000 + i, 1_718_000_000_000.123 + i, -1]),
    end: 1_718_000_000_000 + i * 1.5,
    src: address(),
    dst: address(),
    srcPort: pick([0, 65535, Math.floor(rnd() * 65536)]),
    dstPort: pick([0, 65535, Math.floor(rnd() * 65536)]),
    protocol: pick([0, 1, 6, 17, 58, 255]),
    tcpFlags: Math.floor(rnd() * 256),
    packets: pick([0, 1, 2 ** 53 - 1, 1e15 + 0.25]),
    bytes: pick([0, 40, 2 ** 40, Number.MAX_SAFE_INTEGER]),
    samplingInterval: pick([1, 100, 4096, 0xffffffff]),
  }));
}

describe('flow batch codec', () => {
  test('decodes the hand-assembled version 1 fixture to the records it describes', () => {
    const records = decodeFlowBatch(readHex(fixture));
    expect(records).toEqual([
      base,
      {
        source: 'vpc',
        exporter: 'eni-abc1',
        start: 1_718_000_000_000.5,
        end: 1_718_000_001_000,
        src: '2001:db8::1',
        dst: '2001:db8:0:1::2',
        srcPort: 443,
        dstPort: 51000,
        protocol: 17,
        tcpFlags: 0,
        packets: 100,
        bytes: 250_000,
        samplingInterval: 100,
      },
    ]);
  });

  test('encodes those records to exactly the fixture bytes', () => {
    const bytes = readHex(fixture);
    expect(Buffer.from(encodeFlowBatch(decodeFlowBatch(bytes))).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });

  test('round-trips varied records exactly, in order, with the documented size', () => {
    const records = variedRecords(5_000, 7);
    const bytes = new FlowBatchEncoder().encode(records);
    const decoded = decodeFlowBatch(bytes);
    expect(decoded).toEqual(records);
    for (let i = 0; i < records.length; i++) {
      // toEqual would accept 0 for -0 and a string for a number of the same text: check identity of every value.
      for (const key of Object.keys(records[i]!) as (keyof FlowRecord)[]) expect(Object.is(decoded[i]![key], records[i]![key]), `record ${i} ${key}`).toBe(true);
    }
    const exporters = new Set(records.map((r) => r.exporter));
    const table = [...exporters].reduce((sum, e) => sum + 2 + Buffer.byteLength(e), 0);
    expect(bytes.length).toBe(FLOW_BATCH_HEADER_BYTES + table + records.length * FLOW_RECORD_BYTES);
    expect(flowBatchCount(bytes)).toBe(5_000);
  });

  test('an empty batch is a header and nothing else', () => {
    const bytes = encodeFlowBatch([]);
    expect(bytes.length).toBe(FLOW_BATCH_HEADER_BYTES);
    expect(decodeFlowBatch(bytes)).toEqual([]);
  });

  test('decodes from a view into a larger buffer (as a NATS message payload is)', () => {
    const inner = encodeFlowBatch(variedRecords(20, 3));
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 7);
    expect(decodeFlowBatch(outer.subarray(7, 7 + inner.length))).toEqual(decodeFlowBatch(inner));
  });

  test.each([
    [{ srcPort: 65536 }, /srcPort 65536/],
    [{ dstPort: -1 }, /dstPort -1/],
    [{ protocol: 6.5 }, /protocol 6.5/],
    [{ tcpFlags: 256 }, /tcpFlags 256/],
    [{ samplingInterval: 2 ** 32 }, /samplingInterval/],
    [{ source: 'sflow' }, /unknown source format "sflow"/],
    [{ source: 'toString' }, /unknown source format/],
    [{ src: -1 }, /src -1 is not an IPv4 address/],
    [{ dst: 2 ** 32 }, /dst 4294967296/],
    [{ src: 1.5 }, /src 1.5/],
    [{ src: '2001:DB8::1' }, /not canonical IPv6 text \(RFC 5952: 2001:db8::1\)/],
    [{ dst: '2001:db8:0:0:0:0:0:1' }, /dst "2001:db8:0:0:0:0:0:1" is not canonical.*2001:db8::1/],
    [{ src: '192.0.2.1' }, /not an IPv6 address/],
    [{ src: 'fe80::1%eth0' }, /not an IPv6 address/],
    [{ src: 'not an address' }, /not an IPv6 address/],
    [{ exporter: 'bad \ud800 surrogate' }, /not well-formed Unicode/],
    [{ exporter: 'x'.repeat(70_000) }, /more than 65,535/],
    [{ start: '1718000000000' }, /start is not a number/],
  ] as [Partial<Record<keyof FlowRecord, unknown>>, RegExp][])('refuses a record it cannot carry exactly: %o', (change, reason) => {
    const record = { ...base, ...change } as FlowRecord;
    const encoder = new FlowBatchEncoder();
    expect(encoder.check(record)).toMatch(reason);
    expect(() => encoder.encode([base, record])).toThrow(FlowBatchError);
    expect(() => encoder.encode([base, record])).toThrow(/^record 1: /);
  });

  test('a builder copies each record as it comes, so one object refilled for every record is safe, batch after batch', () => {
    const records = variedRecords(300, 9);
    const encoder = new FlowBatchEncoder();
    const builder = new FlowBatchBuilder(encoder, 16); // grows past its first capacity
    const reused = { ...base };
    const batches: Uint8Array[] = [];
    for (const [i, r] of records.entries()) {
      expect(encoder.check(r)).toBeUndefined();
      Object.assign(reused, r);
      const size = builder.sizeWith(reused);
      expect(builder.add(reused)).toBe(true);
      expect(builder.byteLength).toBe(size);
      if (i % 100 === 99) {
        expect(builder.byteLength).toBe(encoder.encode(records.slice(i - 99, i + 1)).length);
        batches.push(builder.finish());
      }
    }
    expect(builder.count).toBe(0);
    expect(builder.finish().length).toBe(FLOW_BATCH_HEADER_BYTES);
    expect(batches.flatMap((b) => decodeFlowBatch(b))).toEqual(records);
    // Each batch carries only its own exporters.
    expect(Buffer.from(batches[2]!).toString('hex')).toBe(Buffer.from(encodeFlowBatch(records.slice(200))).toString('hex'));
  });

  test('the checks still hold once addresses and exporters are cached', () => {
    const encoder = new FlowBatchEncoder(4);
    for (let i = 0; i < 20; i++) expect(encoder.check({ ...base, src: `2001:db8::${(i + 1).toString(16)}`, exporter: `e${i}` })).toBeUndefined();
    expect(encoder.check({ ...base, src: '2001:db8::A' })).toMatch(/not canonical/);
    expect(encoder.check({ ...base, src: '2001:db8::a' })).toBeUndefined();
  });
});

describe('flow batch decoding refuses what is not a whole, valid batch', () => {
  const good = encodeFlowBatch([base, { ...base, src: '2001:db8::1', exporter: 'eni-1' }]);
  const firstRecord = good.length - 2 * FLOW_RECORD_BYTES;
  const altered = (at: number, value: number) => {
    const copy = Uint8Array.from(good);
    copy[at] = value;
    return copy;
  };

  test.each([
    ['too short for a header', good.subarray(0, 5), /at least 12 bytes/],
    ['bad magic', altered(0, 0x00), /bad magic/],
    ['another version', altered(2, 2), /version 2 is not supported/],
    ['a record missing', good.subarray(0, good.length - FLOW_RECORD_BYTES), /should be \d+ bytes/],
    ['a byte too many', Uint8Array.from([...good, 0]), /should be \d+ bytes/],
    ['a table running past the end', altered(FLOW_BATCH_HEADER_BYTES, 0xff), /exporter 0 runs past the end|should be/],
    ['unknown family bits', altered(firstRecord, 4), /record 0: unknown address family/],
    ['unknown source code', altered(firstRecord + 1, 7), /record 0: unknown source format code 7/],
    ['exporter index past the table', altered(firstRecord + 3, 9), /record 0: exporter index 9 is past the table/],
    ['IPv4 slot with stray bytes', altered(firstRecord + 46 + 5, 1), /record 0: src is IPv4 but its slot has bytes/],
  ])('%s', (_name, bytes, reason) => {
    expect(() => decodeFlowBatch(bytes)).toThrow(FlowBatchError);
    expect(() => decodeFlowBatch(bytes)).toThrow(reason);
  });

  test('an exporter that is not UTF-8 is refused', () => {
    const bytes = encodeFlowBatch([{ ...base, exporter: 'ab' }]);
    bytes[FLOW_BATCH_HEADER_BYTES + 2] = 0xff;
    expect(() => decodeFlowBatch(bytes)).toThrow(/exporter 0 is not valid UTF-8/);
  });

  test('random corruption gives records or a FlowBatchError, never another exception', () => {
    const rnd = seededRandom(11);
    const bytes = encodeFlowBatch(variedRecords(50, 5));
    let refused = 0;
    for (let round = 0; round < 3_000; round++) {
      const copy = Uint8Array.from(bytes.subarray(0, rnd() < 0.2 ? Math.floor(rnd() * bytes.length) : bytes.length));
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) copy[Math.floor(rnd() * copy.length)] = Math.floor(rnd() * 256);
      try {
        for (const r of decodeFlowBatch(copy)) expect(typeof r.src === 'number' || typeof r.src === 'string').toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(FlowBatchError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});
