import { describe, expect, it } from 'vitest';
import { AllocationIndex } from '../../domain/detection/allocations';
import { hourOfWeek } from '../../domain/detection/baseline';
import { DetectionEngine, type DetectionEngineOptions } from '../../domain/detection/engine';
import type { Finding } from '../../domain/detection/findings';
import { generateTraffic, syntheticAllocations, type SyntheticAttack, type SyntheticScenario } from '../../domain/flows/synthetic';
import { PROTOCOL, type FlowRecord } from '../../domain/flows/types';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2024, 5, 3); // a Monday

const scenario = (attacks: SyntheticAttack[], days = 6): SyntheticScenario => ({
  seed: 21,
  start: START,
  durationMs: days * DAY,
  tenants: [
    { tenantId: 'acme', deploymentId: 'acme-prod', cidr: '198.51.100.0/24', hosts: 8 },
    { tenantId: 'backupco', deploymentId: 'backupco-1', cidr: '192.0.2.64/26', hosts: 2, role: 'backup', hostGroup: 'backup' },
  ],
  attacks,
});

function run(s: SyntheticScenario, options: Partial<DetectionEngineOptions> = {}) {
  const opened: Finding[] = [];
  const closed: Finding[] = [];
  const engine = new DetectionEngine({
    resolver: new AllocationIndex(syntheticAllocations(s)),
    onFinding: (f, p) => (p === 'open' ? opened : closed).push(f),
    ...options,
  });
  generateTraffic(s, engine.sink);
  engine.end();
  return { opened, closed };
}

const exfiltration = (day: number, bytes = 20e9): SyntheticAttack => ({
  kind: 'volume-anomaly',
  source: '198.51.100.16',
  at: START + day * DAY + 10 * HOUR,
  durationMs: 50 * 60_000,
  bytes,
  target: '45.6.0.1',
});

describe('volume against a learned baseline', () => {
  const { opened, closed } = run(scenario([exfiltration(0), exfiltration(4)]));

  it('stays silent during the warm-up and alerts on the same surge once the host is known', () => {
    expect(closed.map((f) => `${f.kind} ${f.host} ${f.windowStart.toISOString().slice(0, 10)}`)).toEqual(['volume-anomaly 198.51.100.16 2024-06-07']);
  });

  it('describes the hour against what the host usually sends then', () => {
    const f = closed[0]!;
    expect(f).toMatchObject({ category: 'compromised_host', confidence: 'low', severity: 'medium', tenantId: 'acme', targets: expect.arrayContaining(['45.6.0.1']) });
    expect(f.targets[0]).toBe('45.6.0.1');
    expect(f.counts.expectedBytes).toBeGreaterThan(0);
    expect(f.counts.expectedBytes).toBeLessThan(100e6);
    expect(f.counts.thresholdBytes).toBeGreaterThanOrEqual(1024 ** 3);
    expect(f.counts.hourBytes).toBeGreaterThan(19e9);
    expect(f.evidence).toMatch(/sent \d+ bytes this hour; its history expects about \d+/);
  });

  it('alerts while the hour is running, as soon as the bound is passed', () => {
    const f = opened[0]!;
    const hourStart = START + 4 * DAY + 10 * HOUR;
    expect(f.windowEnd.getTime()).toBeLessThan(hourStart + 10 * 60_000);
    expect(f.counts.hourBytes).toBeLessThan(5e9);
  });

  it('has learned the nightly backup (45 GB at 02:00 every day): no alert for it', () => {
    expect(closed.filter((x) => x.host.startsWith('192.0.2.'))).toEqual([]);
  });
});

describe('volume thresholds', () => {
  it('a smaller surge passes under the default floor of 1 GiB an hour but not under a lower one', () => {
    const s = scenario([exfiltration(4, 600e6)], 5);
    expect(run(s).closed).toEqual([]);
    const lower = run(s, { thresholds: { tenants: { acme: { defaults: { volumeMinBytes: 100e6 } } } } });
    expect(lower.closed.map((f) => f.kind)).toEqual(['volume-anomaly']);
  });

  it('a backup moved to another hour of the day is unusual for that hour', () => {
    const engineFindings: Finding[] = [];
    const s = scenario([], 5);
    const engine = new DetectionEngine({ resolver: new AllocationIndex(syntheticAllocations(s)), onFinding: (f, p) => p === 'close' && engineFindings.push(f) });
    generateTraffic(s, engine.sink);
    // Day 5, 14:00: the backup host uploads its 45 GB in the afternoon instead of at night.
    const t0 = START + 5 * DAY + 14 * HOUR;
    for (let m = 1; m <= 20; m++) {
      const bytes = (300e6 / 8) * 60;
      const r: FlowRecord = { source: 'jsonl', exporter: 'test', start: t0 + (m - 1) * 60_000, end: t0 + m * 60_000, src: 0xc0000240 + 10, dst: 0x2d060001, srcPort: 50000, dstPort: 443, protocol: PROTOCOL.TCP, tcpFlags: 0x1b, packets: Math.round(bytes / 1400), bytes, samplingInterval: 1 };
      engine.push(r);
    }
    engine.end();
    expect(engineFindings.map((f) => `${f.kind} ${f.host}`)).toEqual(['volume-anomaly 192.0.2.74']);
  });

  it('counts hours of the week from Monday 00:00 UTC', () => {
    expect(hourOfWeek(START)).toBe(0);
    expect(hourOfWeek(START + 3 * DAY + 5 * HOUR)).toBe(77);
    expect(hourOfWeek(0)).toBe(72); // 1970-01-01 was a Thursday
  });
});
