import { describe, expect, test } from 'vitest';
import { NetflowDecoder, type DecodedRecord } from '../../domain/flows/netflow';
import { ipv4ToKey, type FlowRecord } from '../../domain/flows/types';
import { concat, dataSet, record, set, text, u16, v9OptionsTemplateSet, v9Packet, v9TemplateSet, type V9Field } from '../support/netflow-builder';

const UNIX = 1_704_067_200;
const UPTIME = 3_600_000;
const header = { sysUptime: UPTIME, unixSecs: UNIX, sourceId: 1 };
// src, dst, ports, protocol, flags, packets, bytes, first, last switched
const FLOW: V9Field[] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [6, 1], [2, 4], [1, 4], [22, 4], [21, 4]];
const flowRecord = (src: string, packets: number, bytes: number) => record([[4, src], [4, '198.51.100.80'], [2, 40000], [2, 443], [1, 6], [1, 0x12], [4, packets], [4, bytes], [4, UPTIME - 5000], [4, UPTIME - 4000]]);
const templates = v9Packet(header, [v9TemplateSet([{ id: 256, fields: FLOW }])]);

function run(decoder: NetflowDecoder, datagrams: Uint8Array[], exporter = '192.0.2.11'): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (const d of datagrams) decoder.decode(d, exporter, (r) => out.push(r));
  return out;
}

function full(datagrams: Uint8Array[]): DecodedRecord[] {
  const decoder = new NetflowDecoder();
  const out: DecodedRecord[] = [];
  for (const d of datagrams) decoder.decodeFull(d, 'x', (r) => out.push(r));
  return out;
}

describe('NetFlow v9', () => {
  test('a template, then data in a later packet: flows with times from sysUptime and the export time', () => {
    const decoder = new NetflowDecoder();
    const records = run(decoder, [templates, v9Packet(header, [dataSet(256, [flowRecord('192.0.2.33', 4, 400), flowRecord('192.0.2.34', 1, 60)])])]);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({ source: 'netflow9', exporter: '192.0.2.11', start: UNIX * 1000 - 5000, end: UNIX * 1000 - 4000, src: ipv4ToKey('192.0.2.33'), dst: ipv4ToKey('198.51.100.80'), srcPort: 40000, dstPort: 443, protocol: 6, tcpFlags: 0x12, packets: 4, bytes: 400, samplingInterval: 1 });
    expect(records[1]).toMatchObject({ src: ipv4ToKey('192.0.2.34'), packets: 1, bytes: 60 });
    expect(decoder.stats).toMatchObject({ templates: 1, flows: 2, unknownTemplateSets: 0, droppedDatagrams: 0 });
  });

  test('data before its template is counted, not decoded; templates are per exporter and per source id', () => {
    const decoder = new NetflowDecoder();
    const data = v9Packet(header, [dataSet(256, [flowRecord('192.0.2.33', 1, 60)])]);
    expect(run(decoder, [data])).toEqual([]);
    expect(decoder.stats.unknownTemplateSets).toBe(1);
    expect(run(decoder, [templates, data])).toHaveLength(1);
    expect(run(decoder, [data], '192.0.2.99')).toEqual([]); // another exporter
    expect(run(decoder, [v9Packet({ ...header, sourceId: 2 }, [dataSet(256, [flowRecord('192.0.2.33', 1, 60)])])])).toEqual([]); // another source id
    expect(decoder.stats).toMatchObject({ unknownTemplateSets: 3, droppedDatagrams: 0 });
  });

  test('a new template with the same id replaces the old one', () => {
    const decoder = new NetflowDecoder();
    run(decoder, [templates]);
    const swapped: V9Field[] = [[12, 4], [8, 4], [1, 4]];
    const refreshed = run(decoder, [v9Packet(header, [v9TemplateSet([{ id: 256, fields: swapped }]), dataSet(256, [record([[4, '10.0.0.2'], [4, '10.0.0.1'], [4, 999]])])])]);
    expect(refreshed).toEqual([expect.objectContaining({ src: ipv4ToKey('10.0.0.1'), dst: ipv4ToKey('10.0.0.2'), bytes: 999, packets: 0, srcPort: 0 })]);
    expect(decoder.stats.templates).toBe(2);
  });

  test('options data sets sampler rates: FLOW_SAMPLER_ID picks its FLOW_SAMPLER_RANDOM_INTERVAL, else SAMPLING_INTERVAL applies', () => {
    const decoder = new NetflowDecoder();
    const sampled: V9Field[] = [...FLOW, [48, 1]];
    run(decoder, [
      v9Packet(header, [
        v9TemplateSet([{ id: 256, fields: FLOW }, { id: 257, fields: sampled }]),
        v9OptionsTemplateSet({ id: 300, scope: [[1, 4]], options: [[48, 1], [49, 1], [50, 4]] }),
        v9OptionsTemplateSet({ id: 301, scope: [[2, 2]], options: [[34, 4], [35, 1]] }),
      ]),
      v9Packet(header, [dataSet(300, [record([[4, 0], [1, 1], [1, 2], [4, 50]]), record([[4, 0], [1, 2], [1, 2], [4, 1000]])], 4)]),
    ]);
    const before = run(decoder, [v9Packet(header, [dataSet(256, [flowRecord('10.0.0.1', 2, 100)])])]);
    expect(before[0]).toMatchObject({ packets: 2, bytes: 100, samplingInterval: 1 });
    run(decoder, [v9Packet(header, [dataSet(301, [record([[2, 5], [4, 20], [1, 2]])], 4)])]);
    const records = run(decoder, [
      v9Packet(header, [
        dataSet(256, [flowRecord('10.0.0.1', 2, 100)]),
        dataSet(257, [concat(flowRecord('10.0.0.2', 2, 100), Uint8Array.of(1)), concat(flowRecord('10.0.0.3', 2, 100), Uint8Array.of(2)), concat(flowRecord('10.0.0.4', 2, 100), Uint8Array.of(9))]),
      ]),
    ]);
    expect(records.map((r) => [r.samplingInterval, r.packets, r.bytes])).toEqual([
      [20, 40, 2000], // no sampler field: the exporter-wide SAMPLING_INTERVAL
      [50, 100, 5000], // sampler 1
      [1000, 2000, 100000], // sampler 2
      [20, 40, 2000], // an unknown sampler: the exporter-wide rate
    ]);
    expect(decoder.stats.optionRecords).toBe(3);
  });

  test('a SAMPLING_INTERVAL inside the flow record applies to that record', () => {
    const fields: V9Field[] = [...FLOW, [34, 4]];
    const [r] = run(new NetflowDecoder(), [v9Packet(header, [v9TemplateSet([{ id: 260, fields }]), dataSet(260, [concat(flowRecord('10.0.0.1', 3, 300), record([[4, 64]]))])])]);
    expect(r).toMatchObject({ packets: 192, bytes: 19200, samplingInterval: 64 });
  });

  test('padding after the records, several templates in one set, and zero-length fields', () => {
    const decoder = new NetflowDecoder();
    const withEmpty: V9Field[] = [[8, 4], [99, 0], [12, 4], [1, 4]];
    const records = run(decoder, [
      v9Packet(header, [
        v9TemplateSet([{ id: 256, fields: FLOW }, { id: 270, fields: withEmpty }]),
        dataSet(256, [flowRecord('10.0.0.1', 1, 40)], 4), // a 30-byte record, then 2 bytes of padding
        dataSet(270, [record([[4, '10.1.0.1'], [4, '10.1.0.2'], [4, 7]]), record([[4, '10.1.0.3'], [4, '10.1.0.4'], [4, 8]])], 4),
      ]),
    ]);
    expect(records.map((r) => r.bytes)).toEqual([40, 7, 8]);
    expect(decoder.stats).toMatchObject({ templates: 2, flows: 3 });
  });

  test('a flowset header of length 0 ends the packet (exporters that zero-fill to a fixed size)', () => {
    const packet = concat(v9Packet(header, [v9TemplateSet([{ id: 256, fields: FLOW }]), dataSet(256, [flowRecord('10.0.0.1', 1, 40)])]), new Uint8Array(200));
    const decoder = new NetflowDecoder();
    expect(run(decoder, [packet])).toHaveLength(1);
    expect(decoder.stats.droppedDatagrams).toBe(0);
  });

  test('a reserved flowset id is skipped and counted; a flowset past the end drops the datagram before any record', () => {
    const decoder = new NetflowDecoder();
    expect(run(decoder, [v9Packet(header, [set(7, new Uint8Array(8)), v9TemplateSet([{ id: 256, fields: FLOW }]), dataSet(256, [flowRecord('10.0.0.1', 1, 40)])])])).toHaveLength(1);
    expect(decoder.stats.setErrors['reserved-set-id']).toBe(1);
    const overrun = concat(v9Packet(header, [dataSet(256, [flowRecord('10.0.0.1', 1, 40)])]), u16(256), u16(400), new Uint8Array(10));
    expect(run(decoder, [overrun])).toEqual([]);
    const tiny = concat(v9Packet(header, [dataSet(256, [flowRecord('10.0.0.1', 1, 40)])]), u16(256), u16(2));
    expect(run(decoder, [tiny])).toEqual([]);
    expect(decoder.stats.dropped).toMatchObject({ 'set-overrun': 1, 'bad-set-length': 1 });
  });

  test('templates that run past their set, use reserved ids or describe empty records are refused', () => {
    const decoder = new NetflowDecoder();
    const overlong = set(0, concat(u16(256), u16(10), u16(8), u16(4)));
    run(decoder, [v9Packet(header, [overlong]), v9Packet(header, [v9TemplateSet([{ id: 12, fields: FLOW }])]), v9Packet(header, [v9TemplateSet([{ id: 280, fields: [[8, 0]] }])])]);
    expect(decoder.stats.setErrors['bad-template']).toBe(3);
    expect(decoder.stats.templates).toBe(0);
  });

  test('IPv6 addresses as RFC 5952 text; ICMP type and code in the destination port', () => {
    const v6: V9Field[] = [[27, 16], [28, 16], [4, 1], [32, 2], [1, 4]];
    const [r] = run(new NetflowDecoder(), [v9Packet(header, [v9TemplateSet([{ id: 290, fields: v6 }]), dataSet(290, [record([[16, '2001:db8:0:0:1::1'], [16, 'fe80::1'], [1, 58], [2, 0x8000], [4, 104]])])])]);
    expect(r).toMatchObject({ src: '2001:db8::1:0:0:1', dst: 'fe80::1', protocol: 58, dstPort: 0x8000, srcPort: 0, bytes: 104 });
  });

  test('the full decode names fields as the logstash codec does and shows options records with their scope', () => {
    const fields: V9Field[] = [[8, 4], [12, 4], [56, 6], [95, 4], [82, 8], [21, 4], [22, 4], [40000, 6], [4242, 2]];
    const out = full([
      v9Packet(header, [v9TemplateSet([{ id: 256, fields }]), v9OptionsTemplateSet({ id: 257, scope: [[1, 4]], options: [[42, 4], [41, 4]] })]),
      v9Packet({ ...header, sequence: 9 }, [
        dataSet(256, [record([[4, '10.0.0.1'], [4, '10.0.0.2'], [6, Uint8Array.of(0, 0x50, 0x56, 0xc0, 0, 1)], [4, (13 << 24) | 431], [8, concat(text('eth0'), new Uint8Array(4))], [4, UPTIME - 1000], [4, UPTIME - 2000], [6, concat(text('alice'), new Uint8Array(1))], [2, 0xbeef]])]),
        dataSet(257, [record([[4, 7], [4, 1], [4, 0]])], 4),
      ]),
    ]);
    expect(out.map((r) => r.kind)).toEqual(['flow', 'options']);
    expect(out[0]).toMatchObject({ version: 9, setId: 256, domainId: 1, sequence: 9 });
    expect(out[0]!.fields).toEqual({
      ipv4_src_addr: '10.0.0.1',
      ipv4_dst_addr: '10.0.0.2',
      in_src_mac: '00:50:56:c0:00:01',
      application_id: '13..431',
      if_name: 'eth0',
      last_switched: '2023-12-31T23:59:59.000Z',
      first_switched: '2023-12-31T23:59:58.000Z',
      username: 'alice',
      field_4242: 'beef',
    });
    expect(out[1]!.fields).toEqual({ scope_system: 7, total_flows_exp: 1, total_pkts_exp: 0 });
  });
});
