import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DetectInputError, detectFile, registerFlowsDetectCommand } from '../../cli/flows-detect';
import { generateTraffic, syntheticAllocations, type SyntheticScenario } from '../../domain/flows/synthetic';
import { ipKeyToString, PROTOCOL, TCP_FLAGS, type FlowRecord } from '../../domain/flows/types';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 5, 3);
const AT = START + 20 * 60_000;

const scenario: SyntheticScenario = {
  seed: 4,
  start: START,
  durationMs: HOUR,
  tenants: [
    { tenantId: 'acme', deploymentId: 'acme-prod', cidr: '198.51.100.0/24', hosts: 6 },
    { tenantId: 'globex', deploymentId: 'globex-prod', cidr: '203.0.113.0/24', hosts: 4 },
  ],
  attacks: [
    { kind: 'horizontal-scan', source: '198.51.100.10', at: AT, port: 22, targets: 120, firstTarget: '45.0.0.1', perSecond: 20 },
    { kind: 'outbound-dos', source: '198.51.100.11', at: AT, target: '45.2.0.1', durationMs: 20_000, pps: 80_000, packetBytes: 64 },
    { kind: 'brute-force', source: '198.51.100.12', at: AT, target: '203.0.113.11', port: 22, attempts: 50, perSecond: 2 },
  ],
};

const records: FlowRecord[] = [];
generateTraffic(scenario, (r) => records.push(r));

// Writers for each format, from the formats' documentation, so the whole path (text -> parser -> detectors) is tested.
const ip = ipKeyToString;
const writers = {
  jsonl: (rs: FlowRecord[]) =>
    rs.map((r) => JSON.stringify({ start: r.start, end: r.end, src: ip(r.src), dst: ip(r.dst), srcPort: r.srcPort, dstPort: r.dstPort, protocol: r.protocol, packets: r.packets, bytes: r.bytes, tcpFlags: r.tcpFlags })).join('\n') + '\n',
  vpc: (rs: FlowRecord[]) =>
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n' +
    rs.map((r) => `2 123456789010 eni-0a1b2c3d4e5f60718 ${ip(r.src)} ${ip(r.dst)} ${r.srcPort} ${r.dstPort} ${r.protocol} ${r.packets} ${Math.round(r.bytes)} ${Math.floor(r.start / 1000)} ${Math.ceil(r.end / 1000)} ACCEPT OK`).join('\n') + '\n',
  zeek: (rs: FlowRecord[]) => {
    const fields = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes'];
    const proto = (p: number) => (p === PROTOCOL.TCP ? 'tcp' : p === PROTOCOL.UDP ? 'udp' : 'icmp');
    const history = (f: number) => (f & TCP_FLAGS.SYN ? 'S' : '') + (f & TCP_FLAGS.ACK ? 'AD' : '') + (f & TCP_FLAGS.FIN ? 'F' : '') + (f & TCP_FLAGS.RST ? 'R' : '');
    const lines = rs
      .filter((r) => r.protocol === PROTOCOL.TCP || r.protocol === PROTOCOL.UDP)
      .map((r, i) => [(r.start / 1000).toFixed(6), `C${i}`, ip(r.src), r.srcPort, ip(r.dst), r.dstPort, proto(r.protocol), '-', ((r.end - r.start) / 1000).toFixed(6), '-', '-', 'OTH', history(r.tcpFlags) || '-', r.packets, Math.round(r.bytes), 0, 0].join('\t'));
    return ['#separator \\x09', '#unset_field\t-', '#empty_field\t(empty)', '#path\tconn', `#fields\t${fields.join('\t')}`, ...lines, '#close\t2024-06-03-01-00-00'].join('\n') + '\n';
  },
  nsg: (rs: FlowRecord[]) => {
    const tuples = rs
      .filter((r) => r.protocol === PROTOCOL.TCP || r.protocol === PROTOCOL.UDP)
      .map((r) => `${Math.ceil(r.end / 1000)},${ip(r.src)},${ip(r.dst)},${r.srcPort},${r.dstPort},${r.protocol === PROTOCOL.TCP ? 'T' : 'U'},O,A,E,${r.packets},${Math.round(r.bytes)},0,0`);
    return JSON.stringify({ records: [{ time: '2024-06-03T01:00:00Z', macAddress: '000D3AF87856', properties: { Version: 2, flows: [{ rule: 'AllowAll', flows: [{ mac: '000D3AF87856', flowTuples: tuples }] }] } }] }, null, 1);
  },
};

let dir: string;
const files: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'safeguard-flows-'));
  for (const [format, write] of Object.entries(writers)) {
    files[format] = path.join(dir, `traffic.${format}`);
    writeFileSync(files[format], write(records));
  }
  files.allocations = path.join(dir, 'allocations.json');
  writeFileSync(files.allocations, JSON.stringify(syntheticAllocations(scenario)));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function detect(file: string, options: Parameters<typeof detectFile>[1]) {
  const out: string[] = [];
  const err: string[] = [];
  const summary = await detectFile(file, options, (l) => out.push(l), (l) => err.push(l));
  return { out, err, summary };
}

describe('safeguard flows detect', () => {
  it.each(['jsonl', 'vpc', 'zeek', 'nsg'] as const)('finds the attacks in a %s file, one JSON line per finding, then the summary', async (format) => {
    const { out, err, summary } = await detect(files[format]!, { format, json: true, allocations: files.allocations });
    expect(err).toEqual([]);
    expect(summary.badLines).toBe(0);
    expect(summary.records).toBeGreaterThan(400);
    expect(out.at(-1)).toBe(`${summary.records} records, 0 bad lines, ${summary.findings} findings`);
    const findings = out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(findings.map((f) => `${f.kind} ${f.sourceIp}`).sort()).toEqual(['brute-force 198.51.100.12', 'horizontal-scan 198.51.100.10', 'outbound-dos 198.51.100.11']);
    const brute = findings.find((f) => f.kind === 'brute-force')!;
    expect(brute).toMatchObject({ tenantId: 'acme', deploymentId: 'acme-prod', targetTenants: [{ tenantId: 'globex', deploymentId: 'globex-prod' }], ports: [22] });
    expect(Object.keys(brute).slice(0, 8)).toEqual(['kind', 'sourceIp', 'targets', 'windowStart', 'windowEnd', 'counts', 'severity', 'confidence']);
    expect(new Date(brute.windowStart as string).getTime()).toBeGreaterThanOrEqual(AT);
  });

  it('without allocations treats every address as a monitored host, and prints readable lines without --json', async () => {
    const { out, summary } = await detect(files.jsonl!, { format: 'jsonl' });
    expect(summary.findings).toBeGreaterThanOrEqual(3);
    expect(out.slice(0, -1).every((l) => /^\d{4}-\d\d-\d\dT.* \.\. .*(low|medium|high|critical) +[a-z-]+ +\S+ -> /.test(l))).toBe(true);
    expect(out.some((l) => l.includes('horizontal-scan') && l.includes('198.51.100.10 -> 45.0.0.'))).toBe(true);
    expect(out.some((l) => l.includes('tenant '))).toBe(false);
  });

  it('reads gzip files as AWS delivers them', async () => {
    const gz = path.join(dir, 'traffic.vpc.gz');
    writeFileSync(gz, gzipSync(writers.vpc(records)));
    const { summary } = await detect(gz, { format: 'vpc', allocations: files.allocations });
    expect(summary.findings).toBe(3);
  });

  it('counts and shows bad lines but keeps going', async () => {
    const mixed = path.join(dir, 'mixed.jsonl');
    const good = writers.jsonl(records.slice(0, 100));
    writeFileSync(mixed, good + 'not json\n'.repeat(25) + '{"start": 1}\n');
    const { out, err, summary } = await detect(mixed, { format: 'jsonl' });
    expect(summary).toMatchObject({ records: 100, badLines: 26 });
    expect(out.at(-1)).toBe('100 records, 26 bad lines, 0 findings');
    expect(err[0]).toMatch(/^line 101: not JSON/);
    expect(err).toContain('... and 6 more bad lines');
  });

  it('applies a thresholds file', async () => {
    const thresholds = path.join(dir, 'thresholds.json');
    writeFileSync(thresholds, JSON.stringify({ tenants: { acme: { defaults: { disabled: ['horizontal-scan', 'brute-force'] } } } }));
    const { summary, out } = await detect(files.jsonl!, { format: 'jsonl', json: true, allocations: files.allocations, thresholds });
    expect(summary.findings).toBe(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ kind: 'outbound-dos' });
  });

  it('refuses inputs it cannot use with a clear error', async () => {
    await expect(detect(path.join(dir, 'missing.log'), { format: 'vpc' })).rejects.toThrow(new DetectInputError(`no such file: ${path.join(dir, 'missing.log')}`));
    const badAllocations = path.join(dir, 'bad-allocations.json');
    writeFileSync(badAllocations, JSON.stringify([{ cidr: '198.51.100.0/24', tenantId: 'acme' }]));
    await expect(detect(files.jsonl!, { format: 'jsonl', allocations: badAllocations })).rejects.toThrow(/allocations file .* is not a list of .*deploymentId/);
    writeFileSync(badAllocations, JSON.stringify([{ cidr: '198.51.100.0/99', tenantId: 'a', deploymentId: 'd', validFrom: '2024-01-01T00:00:00Z' }]));
    await expect(detect(files.jsonl!, { format: 'jsonl', allocations: badAllocations })).rejects.toThrow(/allocation 0: .*not a CIDR network|prefix longer/);
    writeFileSync(badAllocations, '{');
    await expect(detect(files.jsonl!, { format: 'jsonl', allocations: badAllocations })).rejects.toThrow(/is not JSON/);
    const badGzip = path.join(dir, 'broken.gz');
    writeFileSync(badGzip, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    await expect(detect(badGzip, { format: 'vpc' })).rejects.toThrow(/cannot read .*broken\.gz/);
    const badThresholds = path.join(dir, 'bad-thresholds.json');
    writeFileSync(badThresholds, JSON.stringify({ defaults: { spamDestinations: -1 } }));
    await expect(detect(files.jsonl!, { format: 'jsonl', thresholds: badThresholds })).rejects.toThrow(/thresholds file .*spamDestinations/);
  });

  it('registers `detect` under the flows command', async () => {
    const logged: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: string) => void logged.push(l));
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const program = new Command().exitOverride();
    registerFlowsDetectCommand(program.command('flows'));
    await program.parseAsync(['node', 'safeguard', 'flows', 'detect', files.zeek!, '--format', 'zeek', '--json', '--allocations', files.allocations!]);
    expect(logged).toHaveLength(4);
    expect(logged.at(-1)).toMatch(/^\d+ records, 0 bad lines, 3 findings$/);
    const refuse = new Command().exitOverride();
    refuse.configureOutput({ writeErr: () => {} });
    registerFlowsDetectCommand(refuse.command('flows'));
    await expect(refuse.parseAsync(['node', 'safeguard', 'flows', 'detect', files.zeek!, '--format', 'pcap'])).rejects.toThrow(/Allowed choices are jsonl, zeek, vpc, nsg/);
  });
});
