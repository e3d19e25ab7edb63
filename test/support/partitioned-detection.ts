// A flood against one tenant host from hundreds of sources, among ordinary tenant traffic and a few outbound attacks,
// and detectors wired as docs/scale-out.md describes: per detector one engine for the senders (source partitions) and
// one for inbound DoS (destination partitions). Shared by the in-memory test and the one through JetStream.
import { AllocationIndex, DetectionEngine, type EngineDirections, type Finding } from '../../domain/detection';
import { generateTraffic, syntheticAllocations, type SyntheticScenario } from '../../domain/flows/synthetic';
import type { FlowRecord, FlowSink } from '../../domain/flows/types';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 5, 3);
const AT = START + HOUR / 2;

export const VICTIM = '203.0.113.13';

/** 30,000 pps from 300 sources for a minute: 1.5 times the inbound-dos packet threshold, so half of it is below. */
export const SCENARIO: SyntheticScenario = {
  seed: 7,
  start: START,
  durationMs: HOUR,
  tenants: [
    { tenantId: 'acme', deploymentId: 'acme-prod', cidr: '198.51.100.0/24', hosts: 12 },
    { tenantId: 'globex', deploymentId: 'globex-prod', cidr: '203.0.113.0/24', hosts: 6 },
  ],
  attacks: [
    { kind: 'horizontal-scan', source: '198.51.100.10', at: AT, port: 22, targets: 200, firstTarget: '45.0.0.1', perSecond: 20 },
    { kind: 'outbound-dos', source: '198.51.100.12', at: AT, target: '45.2.0.1', durationMs: 30_000, pps: 100_000, packetBytes: 64 },
    // Tenant to tenant: outbound for the sender, inbound (too little for a finding) for the neighbour.
    { kind: 'brute-force', source: '198.51.100.15', at: AT, target: '203.0.113.12', port: 3389, attempts: 60, perSecond: 1 },
    { kind: 'inbound-dos', target: VICTIM, at: AT, durationMs: 60_000, sources: 300, firstSource: '45.5.0.1', pps: 30_000, packetBytes: 100 },
  ],
};

export function scenarioRecords(): FlowRecord[] {
  const records: FlowRecord[] = [];
  generateTraffic(SCENARIO, (r) => records.push(r));
  return records;
}

export const scenarioResolver = () => new AllocationIndex(syntheticAllocations(SCENARIO));

/** The findings as they closed, ordered by id, so runs can be compared whole. */
export const byId = (findings: Finding[]) => [...findings].sort((a, b) => a.id.localeCompare(b.id));

function engine(directions: EngineDirections, closed: Finding[]): DetectionEngine {
  return new DetectionEngine({ resolver: scenarioResolver(), directions, onFinding: (f, phase) => phase === 'close' && closed.push(f) });
}

/** Sides of records scored: sending (outbound) and receiving (inbound). */
export interface Scored {
  outbound: number;
  inbound: number;
}

/** One process: one engine scores both sides of every record. */
export function detectInOneProcess(records: FlowRecord[]): { findings: Finding[]; scored: Scored } {
  const closed: Finding[] = [];
  const e = engine('both', closed);
  for (const r of records) e.push(r);
  e.end();
  const { outbound, inbound } = e.stats();
  return { findings: byId(closed), scored: { outbound, inbound } };
}

export interface PartitionedDetector {
  /** Source partitions: sender-keyed detection. */
  sink: FlowSink;
  /** Destination partitions: inbound DoS. */
  inboundSink: FlowSink;
  /** End of input for both engines; returns what they found. */
  end(): Finding[];
  scored(): Scored;
}

/** A detector process of a scaled-out deployment, as detection/runtime.ts builds it with `partitioned`. */
export function partitionedDetector(): PartitionedDetector {
  const closed: Finding[] = [];
  const outbound = engine('outbound', closed);
  const inbound = engine('inbound', closed);
  return {
    sink: (r) => outbound.push(r),
    inboundSink: (r) => inbound.push(r),
    end: () => {
      outbound.end();
      inbound.end();
      return byId(closed);
    },
    scored: () => ({ outbound: outbound.stats().outbound + inbound.stats().outbound, inbound: outbound.stats().inbound + inbound.stats().inbound }),
  };
}
