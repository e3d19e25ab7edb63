import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { decodeFlowFiles, MissingPathError, registerFlowsDecodeCommand } from '../../cli/flows-decode';
import { fixtureFiles } from '../support/netflow-builder';

const fixtures = fileURLToPath(new URL('../fixtures/netflow/', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'safeguard-flows-'));
  mkdirSync(path.join(dir, 'exporter'));
  copyFileSync(path.join(fixtures, 'v9-exporter/01-templates.dat'), path.join(dir, 'exporter', '1.dat'));
  copyFileSync(path.join(fixtures, 'v9-exporter/03-data.dat'), path.join(dir, 'exporter', '3.dat'));
  copyFileSync(path.join(fixtures, 'v9-exporter/02-options.dat'), path.join(dir, 'exporter', '2.dat'));
  writeFileSync(path.join(dir, 'exporter', 'README.txt'), 'not a datagram');
  symlinkSync(path.join(dir, 'missing'), path.join(dir, 'exporter', '4.dat'));
  writeFileSync(path.join(dir, 'broken.pcap'), 'not a capture at all');
  copyFileSync(path.join(fixtures, 'capture.pcap'), path.join(dir, 'capture.bin'));
  copyFileSync(path.join(fixtures, 'v5/sampled.dat'), path.join(dir, 'datagram.bin'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function decode(target: string, json: boolean) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const summary = await decodeFlowFiles(target, (l) => lines.push(l), { json, warn: (l) => warnings.push(l) });
  return { lines, warnings, summary };
}

describe('safeguard flows decode', () => {
  test('the committed fixtures are what the builder writes', () => {
    for (const [rel, bytes] of Object.entries(fixtureFiles())) expect(readFileSync(path.join(fixtures, rel)), rel).toEqual(Buffer.from(bytes));
  });

  test('--json: one object per record with every field, then the summary; bad files are errors', async () => {
    const { lines, warnings, summary } = await decode(fixtures, true);
    expect(lines.at(-1)).toBe('14 datagrams, 10 records, 2 errors');
    expect(summary).toEqual({ datagrams: 14, records: 10, errors: 2 });
    const records = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    // Name order: bad/, capture.pcap (its exporters are the senders' addresses), then the .dat folders.
    expect(records.map((r) => [r.exporter, r.version, r.kind])).toEqual([
      ['192.0.2.10', 5, 'flow'],
      ['192.0.2.10', 5, 'flow'],
      ['192.0.2.11', 9, 'options'],
      ['192.0.2.11', 9, 'flow'],
      ['2001:db8::10', 10, 'flow'],
      [path.join(fixtures, 'ipfix-exporter'), 10, 'flow'],
      [path.join(fixtures, 'v5'), 5, 'flow'],
      [path.join(fixtures, 'v5'), 5, 'flow'],
      [path.join(fixtures, 'v9-exporter'), 9, 'options'],
      [path.join(fixtures, 'v9-exporter'), 9, 'flow'],
    ]);
    expect(records[3]).toMatchObject({
      version: 9,
      flowset_id: 256,
      domain_id: 3,
      flow_seq_num: 3,
      export_time: '2024-01-01T00:00:00.000Z',
      ipv4_src_addr: '192.0.2.33',
      l4_dst_port: 443,
      in_bytes: 400,
      flow_sampler_id: 1,
      first_switched: '2023-12-31T23:59:55.000Z',
      flow: { src: '192.0.2.33', dst: '198.51.100.80', srcPort: 40000, dstPort: 443, protocol: 6, packets: 200, bytes: 20000, samplingInterval: 50, start: '2023-12-31T23:59:55.000Z', end: '2023-12-31T23:59:56.000Z' },
    });
    expect(records[4]).toMatchObject({ sourceIPv6Address: '2001:db8::1', interfaceName: 'eth0', ie_32473_1234: 'deadbeef', flowStartMilliseconds: '2023-12-31T23:59:57.000Z' });
    expect(warnings).toEqual([`${path.join(fixtures, 'bad/not-netflow.dat')}: dropped 1 unsupported-version`, `${path.join(fixtures, 'bad/truncated-ipfix.dat')}: dropped 1 bad-length`]);
  });

  test('readable lines: the flow with its scaled counts, options records by field', async () => {
    const { lines } = await decode(path.join(fixtures, 'v9-exporter'), false);
    expect(lines).toEqual([
      `2024-01-01T00:00:00.000Z  options record: scope_system=0 flow_sampler_id=1 flow_sampler_mode=2 flow_sampler_random_interval=50  [v9 ${path.join(fixtures, 'v9-exporter')} set 258]`,
      `2023-12-31T23:59:55.000Z  192.0.2.33:40000 -> 198.51.100.80:443 tcp 200 pkts 20000 bytes (1:50)  [v9 ${path.join(fixtures, 'v9-exporter')} set 256]`,
      '3 datagrams, 2 records, 0 errors',
    ]);
    const { lines: v6 } = await decode(path.join(fixtures, 'ipfix-exporter'), false);
    expect(v6[0]).toContain('[2001:db8::1]:5353 -> [2001:db8:0:1::53]:53 udp 1 pkts 90 bytes');
  });

  test('a folder in name order through one decoder; other files ignored; unreadable ones counted', async () => {
    const { lines, warnings, summary } = await decode(path.join(dir, 'exporter'), true);
    // 1.dat (templates), 2.dat (sampler rate), 3.dat (data): the flow is scaled because the options came first.
    expect(lines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as { kind: string; flow?: { packets: number } }) : l))).toEqual([
      expect.objectContaining({ kind: 'options' }),
      expect.objectContaining({ kind: 'flow', flow: expect.objectContaining({ packets: 200 }) }),
      '3 datagrams, 2 records, 1 errors',
    ]);
    expect(summary.errors).toBe(1);
    expect(warnings).toEqual([`${path.join(dir, 'exporter', '4.dat')}: cannot read: ENOENT`]);
  });

  test('a file given by name is sniffed: pcap magic means a capture, anything else one datagram', async () => {
    expect((await decode(path.join(dir, 'capture.bin'), true)).summary).toEqual({ datagrams: 6, records: 5, errors: 0 });
    expect((await decode(path.join(dir, 'datagram.bin'), true)).summary).toEqual({ datagrams: 1, records: 2, errors: 0 });
    const broken = await decode(path.join(dir, 'broken.pcap'), true);
    expect(broken.summary).toEqual({ datagrams: 0, records: 0, errors: 1 });
    expect(broken.warnings[0]).toMatch(/broken\.pcap: not a pcap file/);
  });

  test('a path that does not exist fails the command', async () => {
    await expect(decode(path.join(dir, 'nope'), true)).rejects.toThrow(MissingPathError);
  });

  test('registers `decode <file-or-folder> [--json]` under the flows command', async () => {
    const program = new Command().exitOverride();
    const flows = program.command('flows');
    registerFlowsDecodeCommand(flows);
    const decodeCommand = flows.commands.find((c) => c.name() === 'decode');
    expect(decodeCommand?.options.map((o) => o.long)).toEqual(['--json']);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await program.parseAsync(['node', 'safeguard', 'flows', 'decode', path.join(fixtures, 'v5/sampled.dat'), '--json']);
      expect(log.mock.calls.map((c) => String(c[0])).at(-1)).toBe('1 datagrams, 2 records, 0 errors');
    } finally {
      log.mockRestore();
    }
  });
});
