import { describe, expect, it } from 'vitest';
import { AllocationIndex } from '../../domain/detection/allocations';
import { DetectionEngine, type DetectionEngineOptions } from '../../domain/detection/engine';
import { toDetectionInput, type Finding } from '../../domain/detection/findings';
import { generateTraffic, syntheticAllocations, type SyntheticAttack, type SyntheticScenario, type SyntheticTenant } from '../../domain/flows/synthetic';
import { PROTOCOL, TCP_FLAGS, type FlowRecord } from '../../domain/flows/types';
import { DetectionInputSchema } from '../../lib/detections';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2024, 5, 3); // a Monday
const AT = START + HOUR; // attacks start on an hour, so report windows line up with them

const TENANTS: SyntheticTenant[] = [
  { tenantId: 'acme', deploymentId: 'acme-prod', cidr: '198.51.100.0/24', hosts: 12 },
  { tenantId: 'globex', deploymentId: 'globex-prod', cidr: '203.0.113.0/24', hosts: 6 },
  { tenantId: 'mailco', deploymentId: 'mailco-relay', cidr: '192.0.2.0/26', hosts: 2, role: 'mail', hostGroup: 'mail-relay' },
  { tenantId: 'backupco', deploymentId: 'backupco-1', cidr: '192.0.2.64/26', hosts: 2, role: 'backup' },
];

interface Run {
  opened: Finding[];
  closed: Finding[];
  engine: DetectionEngine;
  records: FlowRecord[];
}

function scenarioOf(overrides: Partial<SyntheticScenario>): SyntheticScenario {
  return { seed: 11, start: START, durationMs: 3 * HOUR, tenants: TENANTS, ...overrides };
}

function run(overrides: Partial<SyntheticScenario>, options: Partial<DetectionEngineOptions> = {}, transform?: (records: FlowRecord[]) => FlowRecord[]): Run {
  const scenario = scenarioOf(overrides);
  const opened: Finding[] = [];
  const closed: Finding[] = [];
  const engine = new DetectionEngine({
    resolver: new AllocationIndex(syntheticAllocations(scenario)),
    onFinding: (f, phase) => (phase === 'open' ? opened : closed).push(f),
    ...options,
  });
  let records: FlowRecord[] = [];
  generateTraffic(scenario, (r) => records.push(r));
  if (transform) records = transform(records);
  for (const r of records) engine.push(r);
  engine.end();
  return { opened, closed, engine, records };
}

const summary = (fs: Finding[]) => fs.map((f) => `${f.kind} ${f.host}`).sort();

const ATTACKS: SyntheticAttack[] = [
  { kind: 'horizontal-scan', source: '198.51.100.10', at: AT, port: 22, targets: 200, firstTarget: '45.0.0.1', perSecond: 20 },
  { kind: 'vertical-scan', source: '198.51.100.11', at: AT, target: '45.1.0.1', ports: 100, perSecond: 20 },
  { kind: 'outbound-dos', source: '198.51.100.12', at: AT, target: '45.2.0.1', durationMs: 30_000, pps: 100_000, packetBytes: 64 },
  { kind: 'spam', source: '198.51.100.13', at: AT, destinations: 200, firstDestination: '45.3.0.1', perSecond: 2 },
  { kind: 'brute-force', source: '198.51.100.14', at: AT, target: '45.4.0.1', port: 22, attempts: 60, perSecond: 1 },
  { kind: 'brute-force', source: '198.51.100.15', at: AT, target: '203.0.113.12', port: 3389, attempts: 60, perSecond: 1 },
  { kind: 'inbound-dos', target: '203.0.113.13', at: AT, durationMs: 20_000, sources: 300, firstSource: '45.5.0.1', pps: 200_000, packetBytes: 100 },
];

describe('attacks in synthetic traffic', () => {
  const { opened, closed } = run({ attacks: ATTACKS });
  const one = (kind: string, host: string) => {
    const found = closed.filter((f) => f.kind === kind && f.host === host);
    expect(found, `${kind} from ${host}`).toHaveLength(1);
    return found[0]!;
  };

  it('finds each attack once, and nothing else', () => {
    expect(summary(closed)).toEqual([
      'brute-force 198.51.100.14',
      'brute-force 198.51.100.15',
      'horizontal-scan 198.51.100.10',
      'inbound-dos 203.0.113.13',
      'outbound-dos 198.51.100.12',
      'spam 198.51.100.13',
      'vertical-scan 198.51.100.11',
    ]);
    expect(summary(opened)).toEqual(summary(closed));
    expect(opened.map((f) => f.id).sort()).toEqual(closed.map((f) => f.id).sort());
  });

  it('a horizontal scan: one port, many hosts', () => {
    const f = one('horizontal-scan', '198.51.100.10');
    expect(f).toMatchObject({ sourceIp: '198.51.100.10', category: 'hacking_port_scan', ports: [22], tenantId: 'acme', deploymentId: 'acme-prod', confidence: 'high' });
    expect(f.counts.destinations).toBeGreaterThanOrEqual(180);
    expect(f.counts.destinations).toBeLessThanOrEqual(200);
    expect(f.targets.length).toBeGreaterThan(50);
    expect(f.targets.every((t) => t.startsWith('45.0.0.'))).toBe(true);
    expect(f.evidence).toMatch(/probed about \d+ hosts on port 22/);
    expect(f.evidence).toMatch(/198\.51\.100\.10:\d+ -> 45\.0\.0\.\d+:22 tcp \[S\] 1 pkts 60 bytes/);
  });

  it('a vertical scan: one host, many ports', () => {
    const f = one('vertical-scan', '198.51.100.11');
    expect(f).toMatchObject({ targets: ['45.1.0.1'], category: 'hacking_port_scan' });
    expect(f.counts.ports).toBeGreaterThanOrEqual(85);
  });

  it('an outbound DoS: the rate to one target, critical at five times the threshold', () => {
    const f = one('outbound-dos', '198.51.100.12');
    expect(f).toMatchObject({ targets: ['45.2.0.1'], category: 'dos', severity: 'critical', confidence: 'high' });
    expect(f.counts.pps).toBeGreaterThanOrEqual(95_000);
    expect(f.counts.pps).toBeLessThanOrEqual(120_000);
    expect(f.counts.packets).toBe(3_000_000);
    expect(f.windowEnd.getTime() - f.windowStart.getTime()).toBeLessThanOrEqual(31_000);
  });

  it('spam: SMTP sessions to many mail servers', () => {
    const f = one('spam', '198.51.100.13');
    expect(f).toMatchObject({ category: 'spam', ports: [25] });
    expect(f.counts.destinations).toBeGreaterThanOrEqual(100);
    expect(f.targets.every((t) => t.startsWith('45.3.'))).toBe(true);
  });

  it('brute force: many short sessions to SSH', () => {
    const f = one('brute-force', '198.51.100.14');
    expect(f).toMatchObject({ category: 'hacking_login_attack', ports: [22], severity: 'medium' });
    // The host's own git-over-SSH sessions in the same window count too, but weigh far less.
    expect(f.targets[0]).toBe('45.4.0.1');
    expect(f.targetTenants).toBeUndefined();
    expect(f.counts.connections).toBeGreaterThanOrEqual(60);
  });

  it("an attack on another tenant's address names the victim tenant and weighs more", () => {
    const f = one('brute-force', '198.51.100.15');
    expect(f).toMatchObject({ ports: [3389], tenantId: 'acme', targetTenants: [{ tenantId: 'globex', deploymentId: 'globex-prod' }], severity: 'high' });
    expect(f.targets[0]).toBe('203.0.113.12');
    expect(toDetectionInput(f)).toMatchObject({ detector: 'netflow-brute-force', kind: 'brute-force-against-tenant', sourceIp: '198.51.100.15' });
    expect(toDetectionInput(f)!.evidence).toMatch(/^Targets include addresses of other tenants: globex \(deployment globex-prod\)/);
  });

  it('an inbound DoS warns the victim tenant and is not filed as abuse by it', () => {
    const f = one('inbound-dos', '203.0.113.13');
    expect(f).toMatchObject({ direction: 'inbound', targets: ['203.0.113.13'], tenantId: 'globex', category: 'dos' });
    expect(f.sourceIp).toMatch(/^45\.5\.\d+\.\d+$/);
    expect(f.counts.sources).toBeGreaterThan(100);
    expect(f.counts.pps).toBeGreaterThanOrEqual(180_000);
    expect(toDetectionInput(f)).toBeUndefined();
  });

  it('turns every outbound finding into a valid DetectionInput', () => {
    for (const f of closed.filter((x) => x.direction === 'outbound')) {
      const input = toDetectionInput(f)!;
      const parsed = DetectionInputSchema.safeParse(input);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(input.detector).toBe(`netflow-${f.kind}`);
      expect(input.windowStart).toEqual(f.windowStart);
    }
  });

  it('finds the same attacks when records arrive a little out of order', () => {
    // Shuffle within two-second slices, as several exporters batching at different moments would.
    const jitter = (records: FlowRecord[]) => {
      const out = [...records];
      let seed = 3;
      for (let i = out.length - 1; i > 0; i--) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const j = i - (seed % 8);
        if (j >= 0 && out[i]!.end - out[j]!.end < 2_000) [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    };
    const shuffled = run({ attacks: ATTACKS }, {}, jitter);
    expect(summary(shuffled.closed)).toEqual(summary(closed));
    expect(shuffled.engine.stats().late).toBe(0);
  });
});

describe('background traffic', () => {
  it('raises nothing over four days with TCP flags, mail relays and nightly backups included', () => {
    const { closed, engine } = run({ durationMs: 4 * DAY, seed: 5 });
    expect(closed).toEqual([]);
    expect(engine.stats().records).toBeGreaterThan(100_000);
  });

  it('raises nothing over three days without TCP flags (VPC, NSG), on size and ports alone', () => {
    const { closed } = run({ durationMs: 3 * DAY, seed: 6, tcpFlags: false });
    expect(closed).toEqual([]);
  });

  it('raises nothing when every address is monitored (no allocations)', () => {
    const { closed, engine } = run({ durationMs: DAY, seed: 8 }, { resolver: undefined });
    expect(closed).toEqual([]);
    expect(engine.stats().unmonitored).toBe(0);
  });
});

describe('latency', () => {
  const firstOpen = (attack: SyntheticAttack) => {
    const { opened, records } = run({ attacks: [attack], durationMs: 2 * HOUR });
    const first = records.find((r) => r.end >= attack.at && r.exporter === 'synthetic' && (r.src === key(sourceOf(attack)) || r.dst === key(targetOf(attack))));
    return { opened, first: first!.end };
  };
  const key = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const sourceOf = (a: SyntheticAttack) => ('source' in a ? a.source : '0.0.0.0');
  const targetOf = (a: SyntheticAttack) => ('target' in a ? a.target : '0.0.0.0');

  it.each([
    { kind: 'horizontal-scan', source: '198.51.100.10', at: AT, port: 445, targets: 300, firstTarget: '45.0.0.1', perSecond: 100 },
    { kind: 'vertical-scan', source: '198.51.100.11', at: AT, target: '45.1.0.1', ports: 300, perSecond: 100 },
    { kind: 'outbound-dos', source: '198.51.100.12', at: AT, target: '45.2.0.1', durationMs: 10_000, pps: 100_000, packetBytes: 64 },
    { kind: 'brute-force', source: '198.51.100.14', at: AT, target: '45.4.0.1', port: 22, attempts: 100, perSecond: 20 },
    { kind: 'inbound-dos', target: '203.0.113.13', at: AT, durationMs: 10_000, sources: 50, firstSource: '45.5.0.1', pps: 300_000, packetBytes: 80 },
  ] satisfies SyntheticAttack[])('$kind opens within 2 s of the first attack flow, long before its window ends', (attack) => {
    const { opened, first } = firstOpen(attack);
    const f = opened.find((x) => x.kind === attack.kind);
    expect(f).toBeDefined();
    // At open, windowEnd is the time of the flow that crossed the threshold.
    expect(f!.windowEnd.getTime() - first).toBeLessThanOrEqual(2_000);
    expect(f!.windowEnd.getTime() - first).toBeGreaterThanOrEqual(0);
  });

  it('opens on the record that crosses, with the records before it as evidence', () => {
    const opened: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => p === 'open' && opened.push(f) });
    const t0 = AT;
    for (let i = 0; i < 24; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 22, t0 + i * 10));
    expect(opened).toHaveLength(0);
    engine.push(probe(0xc6336432, 0x2d000000 + 24, 22, t0 + 240));
    expect(opened).toHaveLength(1);
    expect(opened[0]!.counts.destinations).toBe(25);
    expect(opened[0]!.targets.length).toBeGreaterThanOrEqual(13);
  });
});

function probe(src: number | string, dst: number | string, port: number, t: number, flags: number = TCP_FLAGS.SYN): FlowRecord {
  return { source: 'jsonl', exporter: 'test', start: t, end: t, src, dst, srcPort: 45000, dstPort: port, protocol: PROTOCOL.TCP, tcpFlags: flags, packets: 1, bytes: 60, samplingInterval: 1 };
}

describe('one finding per host, kind and window', () => {
  it('a twelve-minute DoS gives one finding per five-minute window, each closed once', () => {
    const attack: SyntheticAttack = { kind: 'outbound-dos', source: '198.51.100.12', at: AT, target: '45.2.0.1', durationMs: 12 * 60_000, pps: 50_000, packetBytes: 64 };
    const { opened, closed } = run({ attacks: [attack] });
    expect(closed.map((f) => f.id)).toEqual([
      `outbound-dos:198.51.100.12:${new Date(AT).toISOString()}`,
      `outbound-dos:198.51.100.12:${new Date(AT + 5 * 60_000).toISOString()}`,
      `outbound-dos:198.51.100.12:${new Date(AT + 10 * 60_000).toISOString()}`,
    ]);
    expect(opened.map((f) => f.id)).toEqual(closed.map((f) => f.id));
    // Merged, not duplicated: every second of the attack is in exactly one finding.
    expect(closed.reduce((n, f) => n + f.counts.flows!, 0)).toBe(12 * 60);
    expect(closed[0]!.windowStart.getTime()).toBeGreaterThanOrEqual(AT);
    expect(closed[0]!.windowEnd.getTime()).toBeLessThanOrEqual(AT + 5 * 60_000);
  });

  it('a scan crossing its threshold on every probe is one finding with the largest counts', () => {
    const opened: Finding[] = [];
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => (p === 'open' ? opened : closed).push(f) });
    for (let i = 0; i < 100; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 23, AT + i * 100));
    engine.flush(AT + 5 * 60_000 + 60_000);
    expect(opened).toHaveLength(1);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.counts).toMatchObject({ destinations: 100, probes: 100, ports: 1 });
    expect(closed[0]!.id).toBe(opened[0]!.id);
  });

  it('flush closes a finding once its window and the lateness allowance have passed, not before', () => {
    const opened: Finding[] = [];
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => (p === 'open' ? opened : closed).push(f) });
    for (let i = 0; i < 30; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 23, AT + i * 100));
    engine.flush(AT + 5 * 60_000 - 1);
    expect(closed).toHaveLength(0);
    engine.flush(AT + 5 * 60_000 + engine.settings.maxLatenessMs);
    expect(closed).toHaveLength(1);
    // More probes dated inside the reported window do not reopen it.
    for (let i = 30; i < 60; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 23, AT + 4 * 60_000 + i));
    engine.end();
    expect(opened).toHaveLength(1);
    expect(closed).toHaveLength(1);
  });

  it('drops records older than the lateness allowance for their host, and counts them', () => {
    const engine = new DetectionEngine();
    engine.push(probe(0xc6336432, 0x2d000001, 23, AT + 60_000));
    engine.push(probe(0xc6336432, 0x2d000002, 23, AT + 60_000 - engine.settings.maxLatenessMs));
    engine.push(probe(0xc6336432, 0x2d000003, 23, AT + 60_000 - engine.settings.maxLatenessMs - 1));
    // The first two count for the sender and their receivers; the last is late for the sender only.
    expect(engine.stats()).toMatchObject({ records: 3, late: 1, outbound: 2, inbound: 3 });
  });
});

describe('thresholds per tenant and host group', () => {
  const scan = (source: string, targets: number): SyntheticAttack => ({ kind: 'horizontal-scan', source, at: AT, port: 3389, targets, firstTarget: '45.0.0.1', perSecond: 10 });
  const spam: SyntheticAttack = { kind: 'spam', source: '192.0.2.10', at: AT, destinations: 120, firstDestination: '45.3.0.1', perSecond: 2 };

  it('a mail relay host group may send to more mail servers than the default allows', () => {
    expect(summary(run({ attacks: [spam] }).closed)).toEqual(['spam 192.0.2.10']);
    const relaxed = run({ attacks: [spam] }, { thresholds: { hostGroups: { 'mail-relay': { spamDestinations: 500 } } } });
    expect(relaxed.closed).toEqual([]);
  });

  it("a tenant's own thresholds apply to its hosts only", () => {
    const attacks = [scan('198.51.100.10', 60), scan('203.0.113.10', 60)];
    const policy = { tenants: { acme: { defaults: { horizontalScanDestinations: 100 } } } };
    expect(summary(run({ attacks }, { thresholds: policy }).closed)).toEqual(['horizontal-scan 203.0.113.10']);
    expect(summary(run({ attacks }).closed)).toEqual(['horizontal-scan 198.51.100.10', 'horizontal-scan 203.0.113.10']);
  });

  it('lower thresholds catch a smaller scan; a disabled detector says nothing', () => {
    const small = [scan('203.0.113.10', 15)];
    expect(run({ attacks: small }).closed).toEqual([]);
    expect(summary(run({ attacks: small }, { thresholds: { defaults: { horizontalScanDestinations: 10 } } }).closed)).toEqual(['horizontal-scan 203.0.113.10']);
    const off = run({ attacks: [scan('203.0.113.10', 60)] }, { thresholds: { tenants: { globex: { defaults: { disabled: ['horizontal-scan'] } } } } });
    expect(off.closed).toEqual([]);
  });

  it('the most specific layer wins: tenant host group over tenant over host group over defaults', () => {
    const policy = {
      defaults: { spamDestinations: 10 },
      hostGroups: { 'mail-relay': { spamDestinations: 1000 } },
      tenants: { mailco: { defaults: { spamDestinations: 20 }, hostGroups: { 'mail-relay': { spamDestinations: 60 } } } },
    };
    const found = run({ attacks: [spam] }, { thresholds: policy }).closed;
    expect(summary(found)).toEqual(['spam 192.0.2.10']);
    expect(found[0]!.hostGroup).toBe('mail-relay');
  });
});

describe('addresses and tenants', () => {
  it('scores IPv6 hosts like IPv4 ones', () => {
    const resolver = new AllocationIndex([{ cidr: '2001:db8:aa::/48', tenantId: 'v6co', deploymentId: 'v6-1', validFrom: new Date(0), validTo: null }]);
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ resolver, onFinding: (f, p) => p === 'close' && closed.push(f) });
    for (let port = 1; port <= 40; port++) engine.push(probe('2001:db8:aa::5', '2001:db8:ffff::1', port, AT + port * 50));
    engine.end();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ kind: 'vertical-scan', sourceIp: '2001:db8:aa::5', targets: ['2001:db8:ffff::1'], tenantId: 'v6co' });
  });

  it('starts afresh when an address passes to another tenant', () => {
    const resolver = new AllocationIndex([
      { cidr: '198.51.100.50/32', tenantId: 'first', deploymentId: 'f1', validFrom: new Date(0), validTo: new Date(AT + 60_000) },
      { cidr: '198.51.100.50/32', tenantId: 'second', deploymentId: 's1', validFrom: new Date(AT + 60_000), validTo: null },
    ]);
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ resolver, onFinding: (f, p) => p === 'close' && closed.push(f) });
    // 20 probes under the first holder, 20 under the second: neither reaches 25 on its own.
    for (let i = 0; i < 20; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 22, AT + 30_000 + i * 100));
    for (let i = 20; i < 40; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 22, AT + 61_000 + i * 100));
    engine.end();
    expect(closed).toEqual([]);
    for (let i = 40; i < 70; i++) engine.push(probe(0xc6336432, 0x2d000000 + i, 22, AT + 70_000 + i * 100));
    engine.end();
    expect(closed.map((f) => f.tenantId)).toEqual(['second']);
  });

  it('ignores traffic inside one tenant and between addresses nobody holds', () => {
    const resolver = new AllocationIndex([{ cidr: '198.51.100.0/24', tenantId: 'acme', deploymentId: 'a', validFrom: new Date(0), validTo: null }]);
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ resolver, onFinding: (f, p) => p === 'close' && closed.push(f) });
    for (let i = 0; i < 100; i++) engine.push(probe(0xc6336401, 0xc6336400 + (i % 250), 22, AT + i * 10));
    for (let i = 0; i < 100; i++) engine.push(probe(0x2d000001, 0x2e000000 + i, 22, AT + i * 10));
    engine.end();
    expect(closed).toEqual([]);
    expect(engine.stats()).toMatchObject({ unmonitored: 100, outbound: 100, inbound: 0 });
  });

  it('forgets hosts that have been silent longer than the idle limit', () => {
    const engine = new DetectionEngine();
    engine.push(probe(0xc6336401, 0x2d000001, 22, AT));
    expect(engine.stats().hosts).toBe(2);
    engine.flush(AT + engine.settings.hostIdleMs - 1);
    expect(engine.stats().hosts).toBe(2);
    engine.flush(AT + engine.settings.hostIdleMs + 1);
    expect(engine.stats().hosts).toBe(0);
  });

  it('does not count a reply from a service port as a probe when flags are unknown', () => {
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => p === 'close' && closed.push(f) });
    // A server answering 50 clients with a tiny reset each, from port 443 to their ephemeral ports.
    for (let i = 0; i < 50; i++) engine.push({ ...probe(0xc6336401, 0x2d000000 + i, 40_000 + i, AT + i * 10, 0), srcPort: 443 });
    engine.end();
    expect(closed).toEqual([]);
  });

  it('counts invalid times and never throws on odd records', () => {
    const engine = new DetectionEngine();
    engine.push({ ...probe(1, 2, 22, AT), end: NaN });
    engine.push({ ...probe(1, 2, 22, AT), start: AT + 5 });
    engine.push({ ...probe(1, 2, 22, AT), packets: 0, bytes: 0 });
    engine.push({ ...probe(1, 2, 65535, AT), protocol: 47 });
    expect(engine.stats()).toMatchObject({ records: 4, invalid: 2 });
  });
});

describe('rates from flow records of any length', () => {
  const flood = (t: number, durationMs: number, pps: number, extra: Partial<FlowRecord> = {}): FlowRecord => ({
    source: 'netflow9', exporter: 'router', start: t - durationMs, end: t, src: 0xc6336401, dst: 0x2d000001, srcPort: 1234, dstPort: 80,
    protocol: PROTOCOL.UDP, tcpFlags: 0, packets: (pps * durationMs) / 1000, bytes: (pps * durationMs * 64) / 1000, samplingInterval: 1, ...extra,
  });

  it('reads 60-second records of a steady flood at the flood rate, not sixty times it', () => {
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => p === 'close' && closed.push(f) });
    for (let m = 1; m <= 3; m++) engine.push(flood(AT + m * 60_000, 60_000, 50_000));
    engine.end();
    const dos = closed.filter((f) => f.kind === 'outbound-dos');
    expect(dos).toHaveLength(1);
    expect(dos[0]!.counts.pps).toBeGreaterThanOrEqual(45_000);
    expect(dos[0]!.counts.pps).toBeLessThanOrEqual(55_000);
  });

  it('does not call a steady 10,000 pps stream a flood, nor a fast bulk transfer of full-size packets', () => {
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => p === 'close' && closed.push(f) });
    for (let s = 1; s <= 30; s++) engine.push(flood(AT + s * 1000, 1000, 10_000));
    // 60,000 packets/s of 1,400 bytes: 670 Mbit/s to one backup target.
    for (let s = 1; s <= 30; s++) engine.push({ ...flood(AT + s * 1000, 1000, 60_000), dst: 0x2d000002, protocol: PROTOCOL.TCP, tcpFlags: 0x18, bytes: 60_000 * 1400 });
    engine.end();
    expect(closed).toEqual([]);
  });

  it('trusts sampled counts less', () => {
    const closed: Finding[] = [];
    const engine = new DetectionEngine({ onFinding: (f, p) => p === 'close' && closed.push(f) });
    for (let s = 1; s <= 10; s++) engine.push(flood(AT + s * 1000, 1000, 100_000, { samplingInterval: 1000 }));
    engine.end();
    expect(closed.filter((f) => f.kind === 'outbound-dos').map((f) => f.confidence)).toEqual(['medium']);
  });
});
