import { describe, expect, test } from 'vitest';
import { NetflowDecoder, type DecodedRecord } from '../../domain/flows/netflow';
import { ipv4ToKey, type FlowRecord } from '../../domain/flows/types';
import {
  concat,
  dataSet,
  encode,
  ipfixMessage,
  ipfixOptionsTemplateSet,
  ipfixTemplateSet,
  record,
  set,
  text,
  u16,
  u32,
  VARIABLE,
  varlen,
  type IpfixField,
} from '../support/netflow-builder';

const UNIX = 1_704_067_200;
const MS = UNIX * 1000;
const NTP = UNIX + 2_208_988_800;
const msg = (sets: Uint8Array[], domainId = 1) => ipfixMessage({ exportTime: UNIX, domainId }, sets);
const f = (id: number, length: number, pen?: number): IpfixField => ({ id, length, pen });
// src, dst, ports, protocol, 16-bit flags, 64-bit packets and bytes, millisecond times
const FLOW = [f(8, 4), f(12, 4), f(7, 2), f(11, 2), f(4, 1), f(6, 2), f(2, 8), f(1, 8), f(152, 8), f(153, 8)];
const flow = (src: string, packets: number, bytes: number) => record([[4, src], [4, '198.51.100.80'], [2, 5353], [2, 53], [1, 17], [2, 0], [8, packets], [8, bytes], [8, MS - 3000], [8, MS - 2500]]);

function run(decoder: NetflowDecoder, messages: Uint8Array[], exporter = '192.0.2.20'): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (const m of messages) decoder.decode(m, exporter, (r) => out.push(r));
  return out;
}

function full(messages: Uint8Array[]): DecodedRecord[] {
  const decoder = new NetflowDecoder();
  const out: DecodedRecord[] = [];
  for (const m of messages) decoder.decodeFull(m, 'x', (r) => out.push(r));
  return out;
}

describe('IPFIX', () => {
  test('templates and data in one message; 64-bit counters, millisecond times', () => {
    const decoder = new NetflowDecoder();
    const records = run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields: FLOW }]), dataSet(256, [flow('192.0.2.1', 2, 2 ** 40)])])]);
    expect(records).toEqual([{ source: 'ipfix', exporter: '192.0.2.20', start: MS - 3000, end: MS - 2500, src: ipv4ToKey('192.0.2.1'), dst: ipv4ToKey('198.51.100.80'), srcPort: 5353, dstPort: 53, protocol: 17, tcpFlags: 0, packets: 2, bytes: 2 ** 40, samplingInterval: 1 }]);
  });

  test('template withdrawal: one template, all templates (id 2), all options templates (id 3)', () => {
    const decoder = new NetflowDecoder();
    const opts = ipfixOptionsTemplateSet([{ id: 400, scopeCount: 1, fields: [f(149, 4), f(34, 4)] }]);
    run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields: FLOW }, { id: 257, fields: FLOW }]), opts])]);
    const data = (id: number) => msg([dataSet(id, [flow('192.0.2.1', 1, 1)])]);
    expect(run(decoder, [data(256), data(257)])).toHaveLength(2);
    run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields: [] }])])]);
    expect(run(decoder, [data(256), data(257)])).toHaveLength(1);
    run(decoder, [msg([ipfixTemplateSet([{ id: 2, fields: [] }])])]);
    expect(run(decoder, [data(257)])).toHaveLength(0);
    expect(run(decoder, [msg([dataSet(400, [record([[4, 1], [4, 10]])])])])).toEqual([]);
    expect(decoder.stats.optionRecords).toBe(1); // the options template survived "withdraw all templates"
    run(decoder, [msg([ipfixOptionsTemplateSet([{ id: 3, scopeCount: 0, fields: [] }])])]);
    run(decoder, [msg([dataSet(400, [record([[4, 1], [4, 10]])])])]);
    expect(decoder.stats.optionRecords).toBe(1);
    expect(decoder.stats).toMatchObject({ templatesWithdrawn: 3, unknownTemplateSets: 3 });
  });

  test('a refreshed template replaces the old one for later data', () => {
    const decoder = new NetflowDecoder();
    run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields: FLOW }])])]);
    const [r] = run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields: [f(12, 4), f(8, 4), f(1, 4)] }]), dataSet(256, [record([[4, '10.0.0.2'], [4, '10.0.0.1'], [4, 5]])])])]);
    expect(r).toMatchObject({ src: ipv4ToKey('10.0.0.1'), dst: ipv4ToKey('10.0.0.2'), bytes: 5 });
  });

  test('variable-length fields (1- and 3-byte lengths) put later fields at per-record offsets', () => {
    const fields = [f(8, 4), f(82, VARIABLE), f(12, 4), f(83, VARIABLE), f(1, 4)];
    const long = 'x'.repeat(300);
    const records = [
      concat(encode('10.0.0.1', 4), varlen(text('eth0')), encode('10.0.0.2', 4), varlen(text('uplink')), u32(100)),
      concat(encode('10.0.0.3', 4), varlen(text(''), false), encode('10.0.0.4', 4), varlen(text(long)), u32(200)),
      concat(encode('10.0.0.5', 4), varlen(text('short'), true), encode('10.0.0.6', 4), varlen(text('')), u32(300)), // 255-prefixed though short
    ];
    const messages = [msg([ipfixTemplateSet([{ id: 256, fields }]), dataSet(256, records)])];
    expect(run(new NetflowDecoder(), messages).map((r) => [r.src, r.dst, r.bytes])).toEqual([
      [ipv4ToKey('10.0.0.1'), ipv4ToKey('10.0.0.2'), 100],
      [ipv4ToKey('10.0.0.3'), ipv4ToKey('10.0.0.4'), 200],
      [ipv4ToKey('10.0.0.5'), ipv4ToKey('10.0.0.6'), 300],
    ]);
    expect(full(messages).map((r) => [r.fields.interfaceName, r.fields.interfaceDescription])).toEqual([
      ['eth0', 'uplink'],
      ['', long],
      ['short', ''],
    ]);
  });

  test('a variable-length record running past its set ends the set; the records before it stand', () => {
    const decoder = new NetflowDecoder();
    const fields = [f(8, 4), f(12, 4), f(82, VARIABLE)];
    const good = concat(encode('10.0.0.1', 4), encode('10.0.0.2', 4), varlen(text('eth0')));
    const bad = concat(encode('10.0.0.3', 4), encode('10.0.0.4', 4), Uint8Array.of(40), text('eth'));
    expect(run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields }]), dataSet(256, [good, bad])])])).toHaveLength(1);
    expect(decoder.stats.setErrors['record-overrun']).toBe(1);
  });

  test('IPv6 flows; enterprise fields are skipped on the hot path and named (or hex) in the full decode', () => {
    const fields = [f(27, 16), f(1, 4, 5951), f(28, 16), f(7, 2), f(11, 2), f(4, 1), f(999, 2, 32473), f(1, 4, 29305), f(1, 4), f(2, 4)];
    const data = record([[16, '2001:db8::1'], [4, 77], [16, '2001:db8:0:1::53'], [2, 40000], [2, 443], [1, 6], [2, 0xabcd], [4, 11], [4, 1500], [4, 3]]);
    const messages = [msg([ipfixTemplateSet([{ id: 256, fields }]), dataSet(256, [data])])];
    expect(run(new NetflowDecoder(), messages)).toEqual([expect.objectContaining({ src: '2001:db8::1', dst: '2001:db8:0:1::53', srcPort: 40000, dstPort: 443, protocol: 6, bytes: 1500, packets: 3 })]);
    const [r] = full(messages);
    expect(r!.fields).toMatchObject({ sourceIPv6Address: '2001:db8::1', ie_32473_999: 'abcd', reverseOctetDeltaCount: 11, octetDeltaCount: 1500 });
    expect(Object.keys(r!.fields)).toHaveLength(10);
  });

  test.each([
    ['samplingPacketInterval / samplingPacketSpace', [f(305, 4), f(306, 4)], [[4, 1], [4, 99]], 100],
    ['samplingInterval', [f(34, 4)], [[4, 64]], 64],
    ['samplerRandomInterval', [f(50, 4)], [[4, 1000]], 1000],
    ['samplingSize / samplingPopulation', [f(309, 4), f(310, 4)], [[4, 1], [4, 256]], 256],
    ['samplingProbability', [f(311, 8)], [[8, new Uint8Array(new Float64Array([0.125]).buffer).reverse()]], 8],
  ] as const)('options data with %s scales later flows of the domain', (_, optionFields, values, rate) => {
    const decoder = new NetflowDecoder();
    const options = ipfixOptionsTemplateSet([{ id: 300, scopeCount: 1, fields: [f(149, 4), ...optionFields] }]);
    const optionsData = dataSet(300, [record([[4, 1], ...(values as unknown as [number, number][])])]);
    const [r] = run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields: FLOW }]), options, optionsData]), msg([dataSet(256, [flow('10.0.0.1', 2, 100)])])]);
    expect(r).toMatchObject({ samplingInterval: rate, packets: 2 * rate, bytes: 100 * rate });
    expect(run(decoder, [msg([dataSet(256, [flow('10.0.0.1', 2, 100)])], 2)])).toEqual([]); // another domain: no template
  });

  test('a selectorId or samplerId in the flow picks the rate its options record announced', () => {
    const decoder = new NetflowDecoder();
    const options = ipfixOptionsTemplateSet([{ id: 300, scopeCount: 1, fields: [f(302, 4), f(305, 4), f(306, 4)] }, { id: 301, scopeCount: 1, fields: [f(48, 2), f(50, 4)] }]);
    const withSelector = [...FLOW, f(302, 4)];
    const withSampler = [...FLOW, f(48, 2)];
    const records = run(decoder, [
      msg([ipfixTemplateSet([{ id: 256, fields: withSelector }, { id: 257, fields: withSampler }]), options]),
      msg([dataSet(300, [record([[4, 7], [4, 1], [4, 9]]), record([[4, 8], [4, 1], [4, 499]])]), dataSet(301, [record([[2, 3], [4, 2000]])])]),
      msg([dataSet(256, [concat(flow('10.0.0.1', 1, 10), u32(7)), concat(flow('10.0.0.2', 1, 10), u32(8))]), dataSet(257, [concat(flow('10.0.0.3', 1, 10), u16(3))])]),
    ]);
    expect(records.map((r) => r.samplingInterval)).toEqual([10, 500, 2000]);
  });

  test('flowStart/EndSysUpTime count from systemInitTimeMilliseconds, else the export time stands in', () => {
    const decoder = new NetflowDecoder();
    const fields = [f(8, 4), f(12, 4), f(22, 4), f(21, 4)];
    const data = msg([dataSet(256, [record([[4, '10.0.0.1'], [4, '10.0.0.2'], [4, 1000], [4, 4000]])])]);
    const [before] = run(decoder, [msg([ipfixTemplateSet([{ id: 256, fields }])]), data]);
    expect(before).toMatchObject({ start: MS, end: MS });
    const boot = MS - 86_400_000;
    run(decoder, [msg([ipfixOptionsTemplateSet([{ id: 300, scopeCount: 1, fields: [f(144, 4), f(160, 8)] }]), dataSet(300, [record([[4, 1], [8, boot]])])])]);
    const [after] = run(decoder, [data]);
    expect(after).toMatchObject({ start: boot + 1000, end: boot + 4000 });
  });

  test.each([
    ['seconds', [f(150, 4), f(151, 4)], [[4, UNIX - 10], [4, UNIX - 5]], [MS - 10_000, MS - 5000]],
    ['NTP microseconds', [f(154, 8), f(155, 8)], [[8, (BigInt(NTP - 1) << 32n) | 0x80000000n], [8, BigInt(NTP) << 32n]], [MS - 500, MS]],
    ['NTP nanoseconds', [f(156, 8), f(157, 8)], [[8, (BigInt(NTP) << 32n) | 0x40000000n], [8, (BigInt(NTP) << 32n) | 0xc0000000n]], [MS + 250, MS + 750]],
    ['delta microseconds', [f(158, 4), f(159, 4)], [[4, 2_000_000], [4, 1_000_000]], [MS - 2000, MS - 1000]],
    ['a start and a duration', [f(152, 8), f(161, 4)], [[8, MS - 7000], [4, 1500]], [MS - 7000, MS - 5500]],
  ] as const)('flow times given as %s', (_, timeFields, values, [start, end]) => {
    const fields = [f(8, 4), f(12, 4), ...timeFields];
    const data = record([[4, '10.0.0.1'], [4, '10.0.0.2'], ...(values as unknown as [number, bigint][])]);
    const [r] = run(new NetflowDecoder(), [msg([ipfixTemplateSet([{ id: 256, fields }]), dataSet(256, [data])])]);
    expect([r!.start, r!.end]).toEqual([start, end]);
  });

  test('the full decode shows absolute times as ISO 8601 (NTP ones to the nanosecond)', () => {
    const fields = [f(8, 4), f(12, 4), f(150, 4), f(152, 8), f(154, 8)];
    const [r] = full([msg([ipfixTemplateSet([{ id: 256, fields }]), dataSet(256, [record([[4, '10.0.0.1'], [4, '10.0.0.2'], [4, UNIX], [8, MS + 5], [8, (BigInt(NTP) << 32n) | 0x80000000n]])])])]);
    expect(r!.fields).toMatchObject({ flowStartSeconds: '2024-01-01T00:00:00.000Z', flowStartMilliseconds: '2024-01-01T00:00:00.005Z', flowStartMicroseconds: '2024-01-01T00:00:00.500000000Z' });
  });

  test('message length: trailing bytes past it are ignored; a length past the datagram drops it', () => {
    const decoder = new NetflowDecoder();
    const m = msg([ipfixTemplateSet([{ id: 256, fields: FLOW }]), dataSet(256, [flow('10.0.0.1', 1, 1)])]);
    expect(run(decoder, [concat(m, new Uint8Array(13).fill(0xff))])).toHaveLength(1);
    expect(run(decoder, [m.subarray(0, m.length - 1)])).toEqual([]);
    expect(run(decoder, [ipfixMessage({ exportTime: UNIX, length: 12 }, [])])).toEqual([]);
    expect(decoder.stats.dropped['bad-length']).toBe(2);
  });

  test('padding inside sets: after template records and after data records', () => {
    const decoder = new NetflowDecoder();
    const records = run(decoder, [msg([set(2, concat(u16(256), u16(2), u16(8), u16(4), u16(12), u16(4), new Uint8Array(3))), dataSet(256, [record([[4, '10.0.0.1'], [4, '10.0.0.2']])], 4)]), msg([dataSet(256, [record([[4, '10.0.0.3'], [4, '10.0.0.4']])], 16)])]);
    expect(records).toHaveLength(2);
    expect(decoder.stats).toMatchObject({ templates: 1, droppedDatagrams: 0, setErrors: expect.objectContaining({ 'bad-template': 0 }) });
  });

  test('data sets without a known template are counted; reserved set ids are skipped', () => {
    const decoder = new NetflowDecoder();
    run(decoder, [msg([dataSet(999, [flow('10.0.0.1', 1, 1)]), set(1, new Uint8Array(4)), set(200, new Uint8Array(4))])]);
    expect(decoder.stats).toMatchObject({ unknownTemplateSets: 1, droppedDatagrams: 0 });
    expect(decoder.stats.setErrors['reserved-set-id']).toBe(2);
  });
});
