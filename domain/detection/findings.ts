// What the detectors report: one finding per host, kind and window, and its translation into a DetectionInput for
// intake (lib/detections.ts), which routes it to the abuse case of the deployment holding the source address.
import { MAX_FINDING_TARGETS, type DetectionInput } from '../../lib/detections';
import type { Severity } from '../cases';
import { ipKeyToString, type IpKey } from '../flows/types';
import { EVIDENCE_SUMMARY_MAX, type Confidence, type ReportCategory } from '../reports/types';
import type { FindingKind } from './thresholds';

export type { FindingKind } from './thresholds';

export const FINDING_CATEGORY: Record<FindingKind, ReportCategory> = {
  'horizontal-scan': 'hacking_port_scan',
  'vertical-scan': 'hacking_port_scan',
  'outbound-dos': 'dos',
  spam: 'spam',
  'brute-force': 'hacking_login_attack',
  'inbound-dos': 'dos',
  'volume-anomaly': 'compromised_host',
};

export interface Finding {
  /** Stable across the open and close events of one finding: `<kind>:<host>:<window start ISO>`. */
  id: string;
  kind: FindingKind;
  /** outbound: a tenant's host misbehaves; inbound: a tenant's host is attacked (a warning for its tenant). */
  direction: 'outbound' | 'inbound';
  /** The tenant address the finding is about: the sender, or for inbound-dos the victim. */
  host: string;
  /** Where the traffic came from: the host, or for inbound-dos the source that sent the most packets. */
  sourceIp: string;
  /** Addresses attacked (at most 100), heaviest first. */
  targets: string[];
  /** The ports scanned or attacked, where one stands out (horizontal scans, brute force). */
  ports?: number[];
  windowStart: Date;
  windowEnd: Date;
  counts: Record<string, number>;
  severity: Severity;
  confidence: Confidence;
  category: ReportCategory;
  tenantId?: string;
  deploymentId?: string;
  hostGroup?: string;
  /** Other tenants among the targets: an attack on a neighbour (absent when there is none). */
  targetTenants?: { tenantId: string; deploymentId: string }[];
  /** The heaviest flows, one per line, for analysts. */
  evidence: string;
}

export type FindingPhase = 'open' | 'close';
/** `open` as soon as a threshold is crossed; `close` with the merged counts once the window is over. Same id. */
export type FindingListener = (finding: Finding, phase: FindingPhase) => void;

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

export interface EvidenceFlow {
  start: number;
  end: number;
  src: IpKey;
  dst: IpKey;
  srcPort: number;
  dstPort: number;
  protocol: number;
  packets: number;
  bytes: number;
  tcpFlags: number;
}

const FLAG_LETTERS = 'FSRPAU';

export function formatFlow(f: EvidenceFlow): string {
  const ep = (ip: IpKey, port: number) => (typeof ip === 'string' ? `[${ip}]:${port}` : `${ipKeyToString(ip)}:${port}`);
  let flags = '';
  for (let i = 0; i < FLAG_LETTERS.length; i++) if (f.tcpFlags & (1 << i)) flags += FLAG_LETTERS[i];
  const proto = PROTOCOL_NAMES[f.protocol] ?? `proto ${f.protocol}`;
  return `${new Date(f.end).toISOString()} ${ep(f.src, f.srcPort)} -> ${ep(f.dst, f.dstPort)} ${proto}${flags ? ` [${flags}]` : ''} ${f.packets} pkts ${f.bytes} bytes ${Math.max(0, f.end - f.start) / 1000}s`;
}

const SEVERITY_STEPS: Severity[] = ['low', 'medium', 'high', 'critical'];

const SEVERITY_BASE: Record<FindingKind, [base: number, cap: number]> = {
  'horizontal-scan': [1, 2],
  'vertical-scan': [1, 2],
  spam: [1, 2],
  'brute-force': [1, 2],
  'outbound-dos': [2, 3],
  'inbound-dos': [1, 2],
  'volume-anomaly': [0, 1],
};

/** Base severity by kind, one step up at 4x the threshold and at 16x (capped by kind), one more against another tenant. */
export function severityOf(kind: FindingKind, ratio: number, againstTenant: boolean): Severity {
  const [base, cap] = SEVERITY_BASE[kind];
  const step = Math.min(base + (ratio >= 4 ? 1 : 0) + (ratio >= 16 ? 1 : 0), cap) + (againstTenant ? 1 : 0);
  return SEVERITY_STEPS[Math.min(step, 3)]!;
}

/**
 * The finding as intake takes it, or undefined for an inbound DoS: that warns the victim's tenant, it is not abuse
 * by them, and routing it through intake would open a DoS case (which skips triage) against the victim.
 */
export function toDetectionInput(finding: Finding): DetectionInput | undefined {
  if (finding.direction === 'inbound') return undefined;
  const crossTenant = (finding.targetTenants?.length ?? 0) > 0;
  const evidence = [
    crossTenant ? `Targets include addresses of other tenants: ${finding.targetTenants!.map((t) => `${t.tenantId} (deployment ${t.deploymentId})`).join(', ')}` : '',
    finding.evidence,
  ]
    .filter(Boolean)
    .join('\n');
  return {
    detector: `netflow-${finding.kind}`,
    kind: crossTenant ? `${finding.kind}-against-tenant` : finding.kind,
    category: finding.category,
    sourceIp: finding.sourceIp,
    targets: finding.targets.slice(0, MAX_FINDING_TARGETS),
    windowStart: finding.windowStart,
    windowEnd: finding.windowEnd,
    counts: finding.counts,
    severity: finding.severity,
    confidence: finding.confidence,
    evidence: evidence.length > EVIDENCE_SUMMARY_MAX ? `${evidence.slice(0, EVIDENCE_SUMMARY_MAX - 6)}\n[...]` : evidence,
  } satisfies DetectionInput;
}
