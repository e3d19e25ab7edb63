// Scaled out, records reach the detectors twice: every record by source partition (sender-keyed detection) and records
// towards a tenant by destination partition (inbound DoS). Routed in memory here exactly as the publisher routes them,
// the detectors together must find what one process finds, each finding once.
import { describe, expect, test } from 'vitest';
import { flowDestinationPartition, flowPartition, partitionsFor } from '../../detection/flow-partition';
import { DetectionEngine, receivedByTenant, type Finding } from '../../domain/detection';
import { ipv4ToKey, type FlowRecord } from '../../domain/flows/types';
import { byId, detectInOneProcess, partitionedDetector, scenarioRecords, scenarioResolver, VICTIM, type Scored } from '../support/partitioned-detection';

const PARTITIONS = 16;
const records = scenarioRecords();
const resolver = scenarioResolver();
const oneProcess = detectInOneProcess(records);
const summary = (fs: Finding[]) => fs.map((f) => `${f.kind} ${f.host}`).sort();

function scaledOut(n: number): { found: Finding[][]; scored: Scored[] } {
  const detectors = Array.from({ length: n }, () => partitionedDetector());
  const owner = new Map<number, number>();
  for (let i = 0; i < n; i++) for (const p of partitionsFor(i, n, PARTITIONS)) owner.set(p, i);
  for (const r of records) {
    detectors[owner.get(flowPartition(r, PARTITIONS))!]!.sink(r);
    if (receivedByTenant(resolver, r)) detectors[owner.get(flowDestinationPartition(r, PARTITIONS))!]!.inboundSink(r);
  }
  return { found: detectors.map((d) => d.end()), scored: detectors.map((d) => d.scored()) };
}

describe('detection scaled out over partitions by source and by destination', () => {
  test('one process finds the flood and each outbound attack once', () => {
    expect(summary(oneProcess.findings)).toEqual(['brute-force 198.51.100.15', 'horizontal-scan 198.51.100.10', `inbound-dos ${VICTIM}`, 'outbound-dos 198.51.100.12']);
  });

  test('the flood comes from sources whose partitions every detector owns', () => {
    const flood = records.filter((r) => r.dst === ipv4ToKey(VICTIM) && r.protocol === 17);
    const owners = new Set(flood.map((r) => flowPartition(r, PARTITIONS) % 2));
    expect(owners).toEqual(new Set([0, 1]));
  });

  test('scored by source partition only, as before, no detector of two sees enough of the flood', () => {
    const owner = (r: FlowRecord) => flowPartition(r, PARTITIONS) % 2;
    const found = [0, 1].map((i) => {
      const closed: Finding[] = [];
      const e = new DetectionEngine({ resolver, onFinding: (f, phase) => phase === 'close' && closed.push(f) });
      for (const r of records) if (owner(r) === i) e.push(r);
      e.end();
      return closed;
    });
    expect(found.flat().filter((f) => f.kind === 'inbound-dos')).toEqual([]);
  });

  test.each([1, 2, 3, 5])('%i detectors together find exactly what one process finds, each finding in one detector, each side of a record scored once', (n) => {
    const { found, scored } = scaledOut(n);
    expect(byId(found.flat())).toEqual(oneProcess.findings);
    expect({ outbound: scored.reduce((s, d) => s + d.outbound, 0), inbound: scored.reduce((s, d) => s + d.inbound, 0) }).toEqual(oneProcess.scored);
    const ids = found.flat().map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('only records a tenant receives go to the destination partitions: the others would be ignored there', () => {
    const sent = records.filter((r) => receivedByTenant(resolver, r));
    expect(sent.length).toBeLessThan(records.length);
    // Tenant to tenant within one tenant counts on neither side's inbound; outside to a tenant does.
    const intra = records.find((r) => resolver.lookup(r.src, r.end)?.tenantId === 'acme' && resolver.lookup(r.dst, r.end)?.tenantId === 'acme');
    expect(intra && receivedByTenant(resolver, intra)).toBe(false);
    expect(sent.some((r) => r.dst === ipv4ToKey(VICTIM))).toBe(true);
    expect(receivedByTenant(undefined, records[0]!)).toBe(true);
  });
});

describe('an engine that scores one side', () => {
  test('outbound only and inbound only add up to both sides', () => {
    const run = (directions: 'outbound' | 'inbound') => {
      const e = new DetectionEngine({ resolver, directions });
      for (const r of records) e.push(r);
      return e.stats();
    };
    const both = new DetectionEngine({ resolver });
    for (const r of records) both.push(r);
    const [out, inn, all] = [run('outbound'), run('inbound'), both.stats()];
    expect(out.inbound).toBe(0);
    expect(inn.outbound).toBe(0);
    expect(out.outbound + inn.inbound).toBe(all.outbound + all.inbound);
    expect(out.outbound).toBeGreaterThan(0);
    expect(inn.inbound).toBeGreaterThan(0);
  });
});
