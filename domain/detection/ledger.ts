// The findings side of the engine: evidence kept for hosts close to a threshold, findings opened the moment a threshold
// is crossed, later flows of the same host, kind and window merged into them, and each finding closed once its window
// is over. Only suspicious hosts ever get an object here; the rest live in the typed arrays of the pool.
import { ipKeyToString, type FlowRecord, type IpKey } from '../flows/types';
import { MAX_FINDING_TARGETS } from '../../lib/detections';
import type { Confidence } from '../reports/types';
import type { TenantRef } from './allocations';
import { FINDING_CATEGORY, formatFlow, severityOf, type EvidenceFlow, type Finding, type FindingListener } from './findings';
import type { HostPool } from './pool';
import { FLAG, U32 } from './pool';
import { FINDING_KINDS, type FindingKind } from './thresholds';

export const KIND_INDEX = Object.fromEntries(FINDING_KINDS.map((k, i) => [k, i])) as Record<FindingKind, number>;

/** Which detectors a flow is relevant to (so a scan finding collects probes, not the host's web traffic). */
export const RELEVANT = { PROBE: 1, SMTP: 2, LOGIN: 4 } as const;

const RING_SIZE = 32;
const MAX_EVIDENCE = 10;

interface KeptFlow extends EvidenceFlow {
  relevant: number;
  peerKey: number;
  peer: TenantRef | undefined;
  sampled: boolean;
}

/** Recent flows of a host near a threshold, overwritten in a ring: what a finding opened now will show. */
interface Suspect {
  ring: KeptFlow[];
  next: number;
  lastHot: number;
}

interface OpenFinding {
  kind: FindingKind;
  direction: 'outbound' | 'inbound';
  slot: number;
  host: IpKey;
  ref: TenantRef;
  windowIndex: number;
  windowMs: number;
  firstMs: number;
  lastMs: number;
  counts: Record<string, number>;
  ratio: number;
  confidence: Confidence;
  sampled: boolean;
  /** DoS findings follow the targets that crossed; other kinds follow every relevant flow. */
  targetKeys: Set<number> | undefined;
  targets: Map<IpKey, number>;
  sources: Map<IpKey, number>;
  targetTenants: Map<string, string>;
  evidence: EvidenceFlow[];
  /** Flows per destination port, for kinds about one service (horizontal scans, spam, brute force). */
  ports: Map<number, number> | undefined;
  flows: number;
  packets: number;
  bytes: number;
}

/** What a detector measured when it crossed: counts for the finding and how far over the threshold it was. */
export interface Crossing {
  counts: Record<string, number>;
  ratio: number;
  confidence: Confidence;
  targetKey?: number;
  /** Set for kinds about one service: the finding then lists the ports its flows went to. */
  port?: number;
}

const copyFlow = (r: EvidenceFlow): EvidenceFlow => ({
  start: r.start, end: r.end, src: r.src, dst: r.dst, srcPort: r.srcPort, dstPort: r.dstPort, protocol: r.protocol, packets: r.packets, bytes: r.bytes, tcpFlags: r.tcpFlags,
});

const CONFIDENCE_RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };

export class Ledger {
  private readonly open = new Map<number, OpenFinding>();
  /** Per (slot, kind), the last window closed and its last flow: a late crossing never reopens a reported window, and a
   *  new finding never takes flows the previous one already reported. */
  private readonly closed = new Map<number, { windowIndex: number; lastMs: number }>();
  private readonly suspects = new Map<number, Suspect>();
  opened = 0;
  closedCount = 0;

  constructor(
    private readonly pool: HostPool,
    private readonly listener: FindingListener | undefined,
    /** One finding per host and kind per report window. */
    private readonly reportWindowMs: (kind: FindingKind) => number,
    /** How far back a detector counts: kept flows older than that did not lead to the finding. */
    private readonly detectionWindowMs: (kind: FindingKind) => number,
    private readonly maxLatenessMs: number,
    /** Kept flows of a host that stayed below every evidence fraction this long are dropped. */
    private readonly evidenceKeepMs: number,
  ) {}

  /** A detector is past its evidence fraction for this host: start (or keep) collecting its flows. */
  hot(slot: number, inbound: boolean, t: number): void {
    const key = slot * 2 + (inbound ? 1 : 0);
    let s = this.suspects.get(key);
    if (!s) {
      s = { ring: [], next: 0, lastHot: t };
      this.suspects.set(key, s);
      const u = slot * U32.STRIDE + U32.FLAGS;
      this.pool.u32[u] = this.pool.u32[u]! | (inbound ? FLAG.IN_SUSPECT : FLAG.OUT_SUSPECT);
    }
    if (t > s.lastHot) s.lastHot = t;
  }

  /**
   * Keeps a flow of a suspicious host and merges it into its open findings; call only when FLAGS say there is something.
   * `hotNow`: the rate detectors are above their evidence fraction with this flow (a DoS finding takes only those).
   */
  note(slot: number, inbound: boolean, r: FlowRecord, t: number, relevant: number, peerKey: number, peer: TenantRef | undefined, hotNow: boolean): void {
    const flags = this.pool.u32[slot * U32.STRIDE + U32.FLAGS]!;
    if (flags & (inbound ? FLAG.IN_SUSPECT : FLAG.OUT_SUSPECT)) {
      const s = this.suspects.get(slot * 2 + (inbound ? 1 : 0));
      if (s) {
        // Ring entries are reused, so an attacking host costs no allocation per flow once its ring is full.
        const kept = (s.ring[s.next] ??= { ...copyFlow(r), relevant, peerKey, peer, sampled: false });
        kept.start = r.start;
        kept.end = r.end;
        kept.src = r.src;
        kept.dst = r.dst;
        kept.srcPort = r.srcPort;
        kept.dstPort = r.dstPort;
        kept.protocol = r.protocol;
        kept.packets = r.packets;
        kept.bytes = r.bytes;
        kept.tcpFlags = r.tcpFlags;
        kept.relevant = relevant;
        kept.peerKey = peerKey;
        kept.peer = peer;
        kept.sampled = r.samplingInterval > 1;
        s.next = (s.next + 1) % RING_SIZE;
      }
    }
    if (flags < FLAG.OPEN) return;
    for (let k = 0; k < FINDING_KINDS.length; k++) {
      if (!(flags & (FLAG.OPEN << k))) continue;
      const o = this.open.get(slot * 8 + k);
      if (!o || o.direction !== (inbound ? 'inbound' : 'outbound')) continue;
      if (Math.floor(t / o.windowMs) > o.windowIndex) {
        if (t >= (o.windowIndex + 1) * o.windowMs + this.maxLatenessMs) this.close(slot * 8 + k, o);
        continue;
      }
      if ((hotNow || (o.kind !== 'outbound-dos' && o.kind !== 'inbound-dos')) && this.isRelevant(o, relevant, peerKey)) this.merge(o, r, peer, r.samplingInterval > 1);
    }
  }

  /**
   * Whether a crossing would change anything: no finding is open for this host, kind and window, or this one goes
   * further, or it names a new DoS target. Lets the engine skip building counts on every record of a long attack.
   */
  wants(slot: number, kind: FindingKind, t: number, ratio: number, targetKey?: number): boolean {
    const o = this.open.get(slot * 8 + KIND_INDEX[kind]);
    if (!o || Math.floor(t / o.windowMs) !== o.windowIndex) return true;
    return ratio > o.ratio || (targetKey !== undefined && o.targetKeys !== undefined && !o.targetKeys.has(targetKey));
  }

  /** A detector crossed its threshold: open a finding, or update the one open for this host, kind and window. */
  raise(slot: number, kind: FindingKind, ref: TenantRef, r: FlowRecord, t: number, relevant: number, peerKey: number, peer: TenantRef | undefined, crossing: Crossing): void {
    const k = KIND_INDEX[kind];
    const key = slot * 8 + k;
    const windowMs = this.reportWindowMs(kind);
    const windowIndex = Math.floor(t / windowMs);
    let o = this.open.get(key);
    if (o && windowIndex > o.windowIndex) {
      this.close(key, o);
      o = undefined;
    }
    if (o) {
      for (const name in crossing.counts) {
        const v = crossing.counts[name]!;
        if (!(v <= (o.counts[name] ?? -1))) o.counts[name] = v;
      }
      o.ratio = Math.max(o.ratio, crossing.ratio);
      if (CONFIDENCE_RANK[crossing.confidence] < CONFIDENCE_RANK[o.confidence]) o.confidence = crossing.confidence;
      if (crossing.targetKey !== undefined && o.targetKeys && !o.targetKeys.has(crossing.targetKey)) {
        o.targetKeys.add(crossing.targetKey);
        this.merge(o, r, peer, r.samplingInterval > 1);
      }
      return;
    }
    const previous = this.closed.get(key);
    if (previous && previous.windowIndex >= windowIndex) return;
    const inbound = kind === 'inbound-dos';
    o = {
      kind, direction: inbound ? 'inbound' : 'outbound', slot, host: this.pool.keyOf(slot), ref, windowIndex, windowMs, firstMs: t, lastMs: t,
      counts: { ...crossing.counts }, ratio: crossing.ratio, confidence: crossing.confidence, sampled: false,
      targetKeys: kind === 'outbound-dos' ? new Set([crossing.targetKey ?? peerKey]) : undefined,
      targets: new Map(), sources: new Map(), targetTenants: new Map(), evidence: [], ports: crossing.port === undefined ? undefined : new Map(),
      flows: 0, packets: 0, bytes: 0,
    };
    // What led here: the kept flows relevant to this kind, within the detector's reach back in time.
    const s = this.suspects.get(slot * 2 + (inbound ? 1 : 0));
    let sawCurrent = false;
    if (s) {
      const since = Math.max(t - this.detectionWindowMs(kind), previous ? previous.lastMs + 1 : -Infinity);
      for (const kept of s.ring) {
        if (kept.end < since || !this.isRelevant(o, kept.relevant, kept.peerKey)) continue;
        this.merge(o, kept, kept.peer, kept.sampled);
        if (kept.end === r.end && kept.dst === r.dst && kept.src === r.src && kept.dstPort === r.dstPort && kept.srcPort === r.srcPort) sawCurrent = true;
      }
    }
    if (!sawCurrent) this.merge(o, r, peer, r.samplingInterval > 1);
    this.open.set(key, o);
    const u = slot * U32.STRIDE + U32.FLAGS;
    this.pool.u32[u] = this.pool.u32[u]! | (FLAG.OPEN << k);
    this.opened++;
    this.listener?.(this.snapshot(o), 'open');
  }

  /** Closes findings whose window (plus lateness) ended by `now`; forgets evidence of hosts that cooled down. */
  tick(now: number): void {
    for (const [key, o] of this.open) if (now >= (o.windowIndex + 1) * o.windowMs + this.maxLatenessMs) this.close(key, o);
    for (const [key, s] of this.suspects) {
      if (s.lastHot >= now - this.evidenceKeepMs) continue;
      this.suspects.delete(key);
      const u = (key >>> 1) * U32.STRIDE + U32.FLAGS;
      this.pool.u32[u] = this.pool.u32[u]! & ~(key & 1 ? FLAG.IN_SUSPECT : FLAG.OUT_SUSPECT);
    }
    for (const [key, c] of this.closed) {
      if ((c.windowIndex + 2) * this.reportWindowMs(FINDING_KINDS[key % 8]!) < now) this.closed.delete(key);
    }
  }

  /** End of input: every open finding closes now. */
  closeAll(): void {
    for (const [key, o] of this.open) this.close(key, o);
  }

  /** Drops everything about a host that is being forgotten. */
  forget(slot: number): void {
    for (let k = 0; k < FINDING_KINDS.length; k++) {
      const o = this.open.get(slot * 8 + k);
      if (o) this.close(slot * 8 + k, o);
      this.closed.delete(slot * 8 + k);
    }
    this.suspects.delete(slot * 2);
    this.suspects.delete(slot * 2 + 1);
  }

  get openCount(): number {
    return this.open.size;
  }

  private isRelevant(o: OpenFinding, relevant: number, peerKey: number): boolean {
    switch (o.kind) {
      case 'horizontal-scan':
      case 'vertical-scan':
        return (relevant & RELEVANT.PROBE) !== 0;
      case 'spam':
        return (relevant & RELEVANT.SMTP) !== 0;
      case 'brute-force':
        return (relevant & RELEVANT.LOGIN) !== 0;
      case 'outbound-dos':
        return o.targetKeys!.has(peerKey);
      default:
        return true;
    }
  }

  private merge(o: OpenFinding, f: EvidenceFlow, peer: TenantRef | undefined, sampled: boolean): void {
    o.flows++;
    o.packets += f.packets;
    o.bytes += f.bytes;
    if (f.start < o.firstMs) o.firstMs = f.start;
    if (f.end > o.lastMs) o.lastMs = f.end;
    if (sampled) o.sampled = true;
    if (o.ports) o.ports.set(f.dstPort, (o.ports.get(f.dstPort) ?? 0) + 1);
    const other = o.direction === 'inbound' ? f.src : f.dst;
    const weights = o.direction === 'inbound' ? o.sources : o.targets;
    const w = weights.get(other);
    if (w !== undefined) weights.set(other, w + f.packets);
    else if (weights.size < MAX_FINDING_TARGETS) weights.set(other, f.packets);
    if (peer && peer.tenantId !== o.ref.tenantId && o.direction === 'outbound') o.targetTenants.set(peer.tenantId, peer.deploymentId);
    // The heaviest flows, first come first kept among equals.
    const ev = o.evidence;
    // Copies: a decoder may hand over the same record object again with new contents.
    if (ev.length < MAX_EVIDENCE) ev.push(copyFlow(f));
    else {
      let lightest = 0;
      for (let i = 1; i < ev.length; i++) if (ev[i]!.packets < ev[lightest]!.packets) lightest = i;
      if (f.packets > ev[lightest]!.packets) ev[lightest] = copyFlow(f);
    }
  }

  private close(key: number, o: OpenFinding): void {
    this.open.delete(key);
    const before = this.closed.get(key);
    this.closed.set(key, { windowIndex: Math.max(o.windowIndex, before?.windowIndex ?? -1), lastMs: Math.max(o.lastMs, before?.lastMs ?? -Infinity) });
    const u = o.slot * U32.STRIDE + U32.FLAGS;
    this.pool.u32[u] = this.pool.u32[u]! & ~(FLAG.OPEN << KIND_INDEX[o.kind]);
    this.closedCount++;
    this.listener?.(this.snapshot(o), 'close');
  }

  private snapshot(o: OpenFinding): Finding {
    const host = ipKeyToString(o.host);
    const heaviest = (m: Map<IpKey, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([ip]) => ipKeyToString(ip));
    const targets = o.direction === 'inbound' ? [host] : heaviest(o.targets);
    const sourceIp = o.direction === 'inbound' ? (heaviest(o.sources)[0] ?? host) : host;
    const againstTenant = o.targetTenants.size > 0;
    const counts: Record<string, number> = {};
    for (const [name, v] of Object.entries(o.counts)) counts[name] = Math.round(v * 100) / 100;
    if (o.kind === 'outbound-dos' || o.kind === 'inbound-dos' || o.kind === 'volume-anomaly') {
      counts.flows = o.flows;
      counts.packets = o.packets;
      counts.bytes = o.bytes;
    }
    // The ports that carried a tenth of the finding's flows: the service attacked, not the host's odd other session.
    const ports = o.ports ? [...o.ports].filter(([, n]) => n * 10 >= o.flows).sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([p]) => p) : [];
    const summary = this.summary(o, counts, ports);
    const windowStart = new Date(o.windowIndex * o.windowMs);
    const finding: Finding = {
      id: `${o.kind}:${host}:${windowStart.toISOString()}`,
      kind: o.kind,
      direction: o.direction,
      host,
      sourceIp,
      targets,
      windowStart: new Date(Math.min(o.firstMs, o.lastMs)),
      windowEnd: new Date(o.lastMs),
      counts,
      severity: severityOf(o.kind, o.ratio, againstTenant),
      confidence: o.sampled && o.confidence === 'high' ? 'medium' : o.confidence,
      category: FINDING_CATEGORY[o.kind],
      evidence: [summary, ...o.evidence.map(formatFlow)].join('\n'),
    };
    if (ports.length) finding.ports = ports;
    if (o.ref.tenantId) {
      finding.tenantId = o.ref.tenantId;
      finding.deploymentId = o.ref.deploymentId;
      if (o.ref.hostGroup) finding.hostGroup = o.ref.hostGroup;
    }
    if (againstTenant) finding.targetTenants = [...o.targetTenants].map(([tenantId, deploymentId]) => ({ tenantId, deploymentId }));
    return finding;
  }

  private summary(o: OpenFinding, counts: Record<string, number>, ports: number[]): string {
    const host = ipKeyToString(o.host);
    const on = ports.length ? ` on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}` : '';
    switch (o.kind) {
      case 'horizontal-scan':
        return `${host} probed about ${Math.round(counts.destinations ?? 0)} hosts${on} (${counts.probes} failed or unanswered attempts)`;
      case 'vertical-scan':
        return `${host} probed about ${Math.round(counts.ports ?? 0)} ports of one host (${counts.probes} failed or unanswered attempts)`;
      case 'outbound-dos':
        return `${host} sent up to ${counts.pps} packets/s, ${counts.mbps} Mbit/s, ${counts.flowsPerSecond} new flows/s to one target`;
      case 'inbound-dos':
        return `${host} received up to ${counts.pps} packets/s, ${counts.mbps} Mbit/s, ${counts.flowsPerSecond} new flows/s from about ${Math.round(counts.sources ?? 0)} sources`;
      case 'spam':
        return `${host} opened ${counts.connections} SMTP sessions to about ${Math.round(counts.destinations ?? 0)} mail servers`;
      case 'brute-force':
        return `${host} opened ${counts.connections} short sessions${on} to about ${Math.round(counts.targets ?? 0)} hosts`;
      case 'volume-anomaly':
        return `${host} sent ${counts.hourBytes} bytes this hour; its history expects about ${counts.expectedBytes} (threshold ${counts.thresholdBytes})`;
    }
  }
}
