import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createFlowLogReader, parseFlowLog, parseIpKey, parseIpv4Key, type FlowLogFormat } from '../../domain/flows/logs';
import { flagsFromHistory } from '../../domain/flows/logs/zeek';
import { ipKeyToString, TCP_FLAGS, type FlowRecord } from '../../domain/flows/types';

const fixtures = fileURLToPath(new URL('../fixtures/flow-logs/', import.meta.url));
const read = (name: string) => readFileSync(fixtures + name, 'utf8');

function parse(format: FlowLogFormat, name: string) {
  const records: FlowRecord[] = [];
  const stats = parseFlowLog(format, read(name), (r) => records.push({ ...r }));
  return { records, stats };
}

/** A record as a line, to compare whole records briefly. */
const brief = (r: FlowRecord) =>
  `${ipKeyToString(r.src)}:${r.srcPort}>${ipKeyToString(r.dst)}:${r.dstPort}/${r.protocol} ${r.packets}p ${r.bytes}b f${r.tcpFlags} ${r.start}-${r.end}`;

describe('addresses', () => {
  it('reads dotted quads as integers and refuses near-misses', () => {
    expect(parseIpv4Key('0.0.0.0')).toBe(0);
    expect(parseIpv4Key('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4Key('198.51.100.7')).toBe(0xc6336407);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.4 ', '', 'a.b.c.d', '1.2.3.1000']) expect(parseIpv4Key(bad), bad).toBeUndefined();
  });

  it('gives IPv6 its canonical text and turns IPv4-mapped addresses into IPv4', () => {
    expect(parseIpKey('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(parseIpKey('::ffff:198.51.100.7')).toBe(0xc6336407);
    expect(parseIpKey('fe80::1%eth0')).toBeUndefined();
    expect(parseIpKey('2001:db8::g')).toBeUndefined();
  });
});

describe('AWS VPC flow logs', () => {
  it('reads the default version 2 format with its header, skipping NODATA and SKIPDATA and counting bad lines', () => {
    const { records, stats } = parse('vpc', 'vpc/default-v2.log');
    expect(records.map(brief)).toEqual([
      '198.51.100.10:49152>203.0.113.5:443/6 12p 5280b f0 1718000000000-1718000060000',
      '203.0.113.5:443>198.51.100.10:49152/6 10p 12040b f0 1718000000000-1718000060000',
      '192.0.2.77:51234>198.51.100.10:3389/6 1p 44b f0 1718000005000-1718000060000',
      '198.51.100.10:33000>192.0.2.53:53/17 1p 72b f0 1718000010000-1718000060000',
      '198.51.100.10:0>192.0.2.9:0/1 4p 336b f0 1718000010000-1718000060000',
      '2001:db8::a:40000>2001:db8::ff:80/6 6p 480b f0 1718000020000-1718000060000',
      '198.51.100.11:49157>203.0.113.7:25/6 30p 9000b f0 1718000070000-1718000120000',
    ]);
    expect(records[0]).toMatchObject({ source: 'vpc', exporter: 'eni-0a1b2c3d4e5f60718', samplingInterval: 1 });
    expect(stats).toMatchObject({ format: 'vpc', lines: 16, records: 7, skipped: 4, bad: 5 });
    expect(stats.badLines).toEqual([
      { line: 10, reason: "dstaddr '203.0.113.300' is not an IP address" },
      { line: 11, reason: 'end 1718000120 is before start 1718000130' },
      { line: 12, reason: 'expected 14 space-separated fields, found 10' },
      { line: 13, reason: "srcport '70000' is not a port" },
      { line: 14, reason: "unknown log-status 'PENDING'" },
    ]);
    expect(stats.warnings).toEqual(['1 SKIPDATA entry: AWS dropped flow records during the capture window, so counts are low']);
  });

  it('reads a custom format by the names in its header, including tcp-flags', () => {
    const { records, stats } = parse('vpc', 'vpc/custom-v5.log');
    expect(records.map((r) => [r.packets, r.bytes, r.tcpFlags])).toEqual([
      [1, 60, TCP_FLAGS.SYN],
      [14, 8400, 19],
      [14, 8400, 0],
    ]);
    expect(stats.badLines).toEqual([{ line: 5, reason: "tcp-flags '300' is not a flag byte" }]);
  });

  it('reads version 2 without a header but not later versions, whose fields it cannot know', () => {
    const { records, stats } = parse('vpc', 'vpc/no-header.log');
    expect(records).toHaveLength(2);
    expect(stats.badLines[0]).toEqual({ line: 3, reason: 'version 5 records need a header line naming their fields (only version 2 is read without one)' });
  });

  it('accepts CRLF line ends and a last line without a newline', () => {
    const { records, stats } = parse('vpc', 'vpc/crlf-no-final-newline.log');
    expect(records.map((r) => r.bytes)).toEqual([900, 900]);
    expect(stats).toMatchObject({ lines: 2, bad: 0 });
  });

  it('refuses every record after a header without the address fields', () => {
    const stats = parseFlowLog('vpc', 'version account-id srcport dstport\n2 1 2 3\n', () => {});
    expect(stats.badLines).toEqual([
      { line: 1, reason: 'header without srcaddr, dstaddr, protocol, packets, bytes, start, end' },
      { line: 2, reason: 'cannot read records: the header on line 1 lacks srcaddr, dstaddr, protocol, packets, bytes, start, end' },
    ]);
  });
});

describe('Azure NSG flow logs', () => {
  it('turns version 2 tuples into one record per direction and skips the begin tuples of allowed flows', () => {
    const { records, stats } = parse('nsg', 'nsg/v2.json');
    expect(records.map(brief)).toEqual([
      '192.0.2.190:28746>198.51.100.4:443/17 1p 0b f0 1718000402000-1718000402000',
      '192.0.2.191:28747>198.51.100.4:23/6 1p 0b f0 1718000403000-1718000403000',
      '198.51.100.4:59932>203.0.113.117:443/6 1p 66b f0 1718000379000-1718000379000',
      '203.0.113.117:443>198.51.100.4:59932/6 1p 66b f0 1718000379000-1718000379000',
      '198.51.100.4:59831>203.0.113.118:443/6 30p 16978b f0 1718000437000-1718000437000',
      '203.0.113.118:443>198.51.100.4:59831/6 24p 14008b f0 1718000437000-1718000437000',
      '198.51.100.4:59831>203.0.113.118:443/6 4p 320b f0 1718000499000-1718000499000',
      '2001:db8::4:59834>2001:db8:1::9:53/17 1p 80b f0 1718000501000-1718000501000',
      '2001:db8:1::9:53>2001:db8::4:59834/17 1p 120b f0 1718000501000-1718000501000',
      '192.0.2.50:40000>198.51.100.4:22/6 12p 2100b f0 1718000560000-1718000560000',
      '198.51.100.4:22>192.0.2.50:40000/6 10p 2900b f0 1718000560000-1718000560000',
    ]);
    expect(records[0]).toMatchObject({ source: 'nsg', exporter: '000D3AF87856' });
    expect(stats).toMatchObject({ records: 11, skipped: 1, bad: 4, lines: 72 });
    expect(stats.badLines).toEqual([
      { line: 35, reason: "records[0].properties.flows[1].flows[0].flowTuples[4]: protocol 'X' is not T or U" },
      { line: 58, reason: 'records[1].properties.flows[0].flows[0].flowTuples[1]: a version 2 record needs 13 fields, found 8' },
      { line: 59, reason: "records[1].properties.flows[0].flows[0].flowTuples[2]: counter 'x' is not a count" },
      { line: 68, reason: 'records[2].properties.flows is not an array' },
    ]);
  });

  it('reads version 1 tuples, which carry no counters, as one packet each and says so', () => {
    const { records, stats } = parse('nsg', 'nsg/v1.json');
    expect(records.map((r) => [ipKeyToString(r.src), r.dstPort, r.packets, r.bytes])).toEqual([
      ['192.0.2.66', 3389, 1, 0],
      ['192.0.2.67', 22, 1, 0],
    ]);
    expect(records[0]!.exporter).toContain('NETWORKSECURITYGROUPS/V1-NSG');
    expect(stats.warnings).toEqual(['2 version 1 tuples without counters: each counts as one packet']);
  });

  it('reports a document that is not JSON, or not an NSG log, as one bad line', () => {
    expect(parse('nsg', 'nsg/truncated.json').stats).toMatchObject({ records: 0, bad: 1, badLines: [{ line: 1 }] });
    expect(parseFlowLog('nsg', '{"value": []}', () => {}).badLines).toEqual([{ line: 1, reason: 'no "records" array: not an NSG flow log document' }]);
    const stats = parseFlowLog('nsg', '', () => {});
    expect(stats.bad).toBe(1);
  });

  it('refuses documents over the size limit without parsing them', () => {
    const reader = createFlowLogReader('nsg', () => {}, { maxDocumentLength: 10 });
    reader.write('{"records": [');
    reader.write(']}');
    expect(reader.end().badLines).toEqual([{ line: 1, reason: 'the document is longer than 10 characters; NSG documents are read whole' }]);
  });
});

describe('Zeek conn.log', () => {
  it('reads the TSV form by its #fields header: both directions, history flags, ICMP type and code, IPv6', () => {
    const { records, stats } = parse('zeek', 'zeek/conn.log');
    expect(records.map(brief)).toEqual([
      `198.51.100.7:51324>203.0.113.80:443/6 20p 2568b f${TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.FIN} 1718000000123-1718000012469`,
      `203.0.113.80:443>198.51.100.7:51324/6 40p 50301b f${TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.FIN} 1718000000123-1718000012469`,
      `198.51.100.7:51325>203.0.113.81:22/6 1p 60b f${TCP_FLAGS.SYN} 1718000001000-1718000001000`,
      `198.51.100.7:51326>203.0.113.82:23/6 1p 44b f${TCP_FLAGS.SYN} 1718000002500-1718000002500`,
      `203.0.113.82:23>198.51.100.7:51326/6 1p 40b f${TCP_FLAGS.RST} 1718000002500-1718000002500`,
      '198.51.100.7:0>203.0.113.83:771/1 1p 84b f0 1718000003000-1718000003500',
      '2001:db8::7:5353>2001:db8::fb:5353/17 1p 120b f0 1718000004000-1718000004000',
    ]);
    expect(stats).toMatchObject({ lines: 19, records: 7, bad: 4 });
    expect(stats.badLines).toEqual([
      { line: 15, reason: "id.orig_h '198.51.100.999' is not an IP address" },
      { line: 16, reason: 'expected 21 fields, found 15' },
      { line: 17, reason: "proto 'sctp' is not tcp, udp or icmp" },
      { line: 18, reason: "orig_pkts 'many' is not a count" },
    ]);
    expect(stats.warnings).toEqual(['1 connection without a known transport (unknown_transport) skipped']);
  });

  it('reads the JSON form, epoch or ISO 8601 times', () => {
    const { records, stats } = parse('zeek', 'zeek/conn.json');
    expect(records.map(brief)).toEqual([
      `198.51.100.8:51324>203.0.113.80:443/6 20p 2568b f${TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.FIN} 1718000000123-1718000001623`,
      `203.0.113.80:443>198.51.100.8:51324/6 40p 50301b f${TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.FIN} 1718000000123-1718000001623`,
      `198.51.100.8:51400>203.0.113.90:3389/6 2p 104b f${TCP_FLAGS.SYN} ${Date.UTC(2024, 5, 10, 6, 0, 5, 250)}-${Date.UTC(2024, 5, 10, 6, 0, 5, 250)}`,
    ]);
    expect(stats.badLines.map((b) => b.line)).toEqual([3, 4, 5]);
    expect(stats.badLines[1]!.reason).toBe('id.resp_h is missing or unset');
    expect(stats.badLines[2]!.reason).toBe('a JSON line that is not an object');
  });

  it('refuses records before the header and logs that are not conn logs', () => {
    expect(parseFlowLog('zeek', '1718000000\tC1\t1.2.3.4\n', () => {}).badLines[0]!.reason).toMatch(/before the #fields header/);
    const dns = '#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n1\t1.2.3.4\t1\t5.6.7.8\t53\tudp\n';
    expect(parseFlowLog('zeek', dns, () => {}).badLines).toEqual([{ line: 4, reason: "not a conn log: #path is 'dns', not conn" }]);
  });

  it('maps history letters to the flags each side sent', () => {
    expect(flagsFromHistory('ShADadFf', true)).toBe(TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.FIN);
    expect(flagsFromHistory('ShADadFf', false)).toBe(TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.FIN);
    expect(flagsFromHistory('Sr', true)).toBe(TCP_FLAGS.SYN);
    expect(flagsFromHistory('Sr', false)).toBe(TCP_FLAGS.RST);
  });
});

describe('Safeguard JSON lines', () => {
  it('validates every line against the schema and explains what is wrong', () => {
    const { records, stats } = parse('jsonl', 'jsonl/flows.jsonl');
    expect(records.map(brief)).toEqual([
      `198.51.100.9:40000>203.0.113.10:22/6 12p 2400b f27 ${Date.UTC(2024, 5, 10, 6)}-${Date.UTC(2024, 5, 10, 6, 0, 1, 500)}`,
      '2001:db8::9:0>2001:db8::10:0/58 1p 104b f0 1718000100000-1718000100000',
      '198.51.100.9:5000>203.0.113.11:53/17 2000p 160000b f0 1718000200000-1718000260000',
    ]);
    expect(records[2]).toMatchObject({ samplingInterval: 1000, exporter: 'edge-router-1' });
    expect(stats.badLines.map((b) => b.line)).toEqual([4, 5, 6, 7]);
    expect(stats.badLines[0]!.reason).toBe('end: end is before start');
    expect(stats.badLines[2]!.reason).toContain('start: not epoch milliseconds or an ISO 8601 time with a zone');
    expect(stats.badLines[2]!.reason).toContain('protocol: not a protocol number (0-255) or tcp, udp, icmp, icmpv6');
    expect(stats.badLines[2]!.reason).toContain('Unrecognized key: "colour"');
    expect(stats.badLines[3]!.reason).toMatch(/^not JSON/);
  });
});

describe('streaming', () => {
  it.each([
    ['vpc', 'vpc/default-v2.log'],
    ['zeek', 'zeek/conn.log'],
    ['jsonl', 'jsonl/flows.jsonl'],
    ['vpc', 'vpc/crlf-no-final-newline.log'],
    ['nsg', 'nsg/v2.json'],
  ] as const)('%s %s reads the same in chunks of any size as in one piece', (format, name) => {
    const text = read(name);
    const whole = parse(format, name);
    for (const size of [1, 2, 7, 64, 1000]) {
      const records: FlowRecord[] = [];
      const reader = createFlowLogReader(format, (r) => records.push({ ...r }));
      for (let i = 0; i < text.length; i += size) reader.write(text.slice(i, i + size));
      const stats = reader.end();
      expect(records.map(brief), `chunks of ${size}`).toEqual(whole.records.map(brief));
      expect(stats).toEqual(whole.stats);
    }
  });

  it('counts an overlong line as bad without buffering it, and carries on', () => {
    const line = '2 1 eni-1 198.51.100.1 192.0.2.1 1 2 6 1 40 1718000000 1718000001 ACCEPT OK\n';
    const records: FlowRecord[] = [];
    const reader = createFlowLogReader('vpc', (r) => records.push(r), { maxLineLength: 100 });
    reader.write(line);
    for (let i = 0; i < 10; i++) reader.write('x'.repeat(50));
    reader.write('\n' + line);
    const stats = reader.end();
    expect(records).toHaveLength(2);
    expect(stats.badLines).toEqual([{ line: 2, reason: 'line longer than 100 characters' }]);
  });

  it('lists at most maxBadLines bad lines but counts them all', () => {
    const stats = parseFlowLog('jsonl', 'nope\n'.repeat(30), () => {}, { maxBadLines: 5 });
    expect(stats.bad).toBe(30);
    expect(stats.badLines).toHaveLength(5);
    expect(stats.warnings).toEqual(['25 more bad lines are counted but not listed']);
  });

  it('never throws on garbage', () => {
    const garbage = ['\u0000\u0001\u0002', '{"records": [null, 1, {"properties": null}]}', '[[[[', '\n\n\n', '#fields\n\t\t\t', 'version srcaddr dstaddr\n- - -'];
    for (const format of ['vpc', 'nsg', 'zeek', 'jsonl'] as const) {
      for (const g of garbage) expect(() => parseFlowLog(format, g, () => {})).not.toThrow();
    }
  });
});
