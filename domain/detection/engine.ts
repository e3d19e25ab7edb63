// The detection engine: FlowRecords in (any source, roughly in time order), findings out. Per record it resolves both
// ends to tenants, then updates the sender's state (outbound detectors) and the receiver's (inbound DoS), and hands
// threshold crossings to the ledger at once, so a finding opens on the record that crosses, not when a window ends.
//
// Direction: a source held by a tenant is a monitored host sending (outbound); a destination held by a tenant is one
// receiving (inbound); both held by different tenants is an attack on a neighbour, seen from both sides. Traffic inside
// one tenant counts towards the volume baseline only. Without a resolver every address is a monitored host and every
// destination is treated as outside (the CLI without --allocations).
import { PROTOCOL, TCP_FLAGS, type FlowRecord, type FlowSink } from '../flows/types';
import type { TenantRef, TenantResolver } from './allocations';
import { VOLUME_CROSSED, volumeFlow, volumeMetrics } from './baseline';
import { FANOUT_CROSSED, fanoutMetrics, loginSession, spamSession } from './fanout';
import type { FindingListener } from './findings';
import { Ledger, RELEVANT, type Crossing } from './ledger';
import { F64, FLAG, HostPool, U32, BYTES_PER_SLOT } from './pool';
import { inboundRate, outboundRate, RATE_CROSSED, rateMetrics } from './rates';
import { SCAN_EVIDENCE, SCAN_HORIZONTAL, SCAN_VERTICAL, scanMetrics, scanProbe } from './scan';
import { hashIp, ipSlotKey } from './sketch';
import { DEFAULT_SETTINGS, ThresholdBook, type DetectionSettings, type FindingKind, type ThresholdPolicy, type Thresholds } from './thresholds';

export interface DetectionEngineOptions {
  /** Who holds which address when; absent: every address is a monitored host. */
  resolver?: TenantResolver;
  thresholds?: ThresholdPolicy;
  settings?: Partial<DetectionSettings>;
  onFinding?: FindingListener;
  /** Room for this many hosts from the start (the pool grows by half when full). */
  expectedHosts?: number;
}

export interface EngineStats {
  records: number;
  /** Records from a monitored host / to one (a record between tenants counts in both). */
  outbound: number;
  inbound: number;
  /** Neither end monitored: not ours to judge. */
  unmonitored: number;
  /** Older than the lateness allowance for their host, or with unusable times. */
  late: number;
  invalid: number;
  hosts: number;
  findingsOpened: number;
  findingsClosed: number;
  openFindings: number;
  /** Bytes of per-host state (typed arrays and the address table), without findings and evidence. */
  stateBytes: number;
}

const EVERYONE: TenantRef = Object.freeze({ tenantId: '', deploymentId: '' });
const PORT_SMTP = 1;
const PORT_LOGIN = 2;
const PORT_UDP_FANOUT = 4;
const TICK_MS = 1_000;
const SWEEP_MS = 10 * 60_000;
const OPEN_MASK = ~(FLAG.OPEN - 1);

export class DetectionEngine {
  readonly settings: DetectionSettings;
  readonly sink: FlowSink = (r) => this.push(r);
  private readonly pool: HostPool;
  private readonly ledger: Ledger;
  private readonly book: ThresholdBook;
  private readonly resolver: TenantResolver | undefined;
  private readonly portKinds = new Uint8Array(65536);
  private nextTick = -Infinity;
  private nextSweep = -Infinity;
  private readonly counters = { records: 0, outbound: 0, inbound: 0, unmonitored: 0, late: 0, invalid: 0 };
  /** Thresholds crossed by the record being scored (reused: no allocation per record). */
  private readonly crossings: [FindingKind, Crossing][] = [];

  constructor(options: DetectionEngineOptions = {}) {
    const s: DetectionSettings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.settings = s;
    this.resolver = options.resolver;
    this.book = new ThresholdBook(options.thresholds);
    this.pool = new HostPool(options.expectedHosts);
    for (const p of s.smtpPorts) this.portKinds[p]! |= PORT_SMTP;
    for (const p of s.authPorts) this.portKinds[p]! |= PORT_LOGIN;
    for (const p of s.udpFanoutPorts) this.portKinds[p]! |= PORT_UDP_FANOUT;
    const detection: Record<FindingKind, number> = {
      'horizontal-scan': s.scanWindowMs,
      'vertical-scan': s.scanWindowMs,
      'outbound-dos': 2 * s.rateAverageMs,
      spam: s.spamWindowMs,
      'brute-force': s.bruteForceWindowMs,
      'inbound-dos': 2 * s.rateAverageMs,
      'volume-anomaly': 3_600_000,
    };
    const report: Record<FindingKind, number> = { ...detection, 'outbound-dos': s.dosReportWindowMs, 'inbound-dos': s.dosReportWindowMs };
    const longest = Math.max(s.scanWindowMs, s.spamWindowMs, s.bruteForceWindowMs);
    this.ledger = new Ledger(this.pool, options.onFinding, (k) => report[k], (k) => detection[k], s.maxLatenessMs, longest);
  }

  push(r: FlowRecord): void {
    this.counters.records++;
    const t = r.end;
    if (!(t >= 0 && r.start <= t)) {
      this.counters.invalid++;
      return;
    }
    if (t >= this.nextTick) this.autoTick(t);
    let src: TenantRef | undefined = EVERYONE;
    let dst: TenantRef | undefined = EVERYONE;
    const resolver = this.resolver;
    if (resolver) {
      src = resolver.lookup(r.src, t);
      dst = resolver.lookup(r.dst, t);
      if (!src && !dst) {
        this.counters.unmonitored++;
        return;
      }
    }
    const intraTenant = resolver !== undefined && src !== undefined && dst !== undefined && src.tenantId === dst.tenantId;
    if (src) this.outbound(r, t, src, resolver ? dst : undefined, intraTenant);
    if (dst && !intraTenant) this.inbound(r, t, dst, resolver ? src : undefined);
  }

  /** Time passes without records: closes windows ended before `nowMs` (less the lateness allowance), forgets idle hosts. */
  flush(nowMs: number): void {
    this.ledger.tick(nowMs);
    this.sweep(nowMs);
  }

  /** End of input: every open finding closes now. */
  end(): void {
    this.ledger.closeAll();
  }

  stats(): EngineStats {
    return {
      ...this.counters,
      hosts: this.pool.size,
      findingsOpened: this.ledger.opened,
      findingsClosed: this.ledger.closedCount,
      openFindings: this.ledger.openCount,
      stateBytes: this.pool.bytes(),
    };
  }

  /** Per-host state in bytes, as laid out (without the address table). */
  static readonly bytesPerHost = BYTES_PER_SLOT;

  private bind(slot: number, ref: TenantRef): Thresholds {
    const pool = this.pool;
    const current = pool.refs[slot];
    if (current !== ref) {
      // The address changed hands: what it learned belongs to its previous holder.
      if (current && (current.tenantId !== ref.tenantId || current.deploymentId !== ref.deploymentId)) {
        this.ledger.forget(slot);
        pool.reset(slot);
      }
      pool.refs[slot] = ref;
      pool.thresholds[slot] = this.book.for(ref.tenantId, ref.hostGroup);
    }
    return pool.thresholds[slot]!;
  }

  /** Keeps the host's newest time; false when the record is later than the lateness allowance. */
  private onTime(slot: number, t: number): boolean {
    const at = slot * F64.STRIDE + F64.LAST;
    const last = this.pool.f64[at]!;
    if (t > last) this.pool.f64[at] = t;
    else if (t < last - this.settings.maxLatenessMs) {
      this.counters.late++;
      return false;
    }
    return true;
  }

  private outbound(r: FlowRecord, t: number, ref: TenantRef, peer: TenantRef | undefined, intraTenant: boolean): void {
    const pool = this.pool;
    const s = this.settings;
    const slot = pool.findOrCreate(r.src);
    const th = this.bind(slot, ref);
    if (!this.onTime(slot, t)) return;
    this.counters.outbound++;
    let hot = false;
    const cross = this.crossings;
    if (cross.length) cross.length = 0;

    const ledger = this.ledger;
    if (volumeFlow(pool, slot, t, r.bytes, th, s) === VOLUME_CROSSED && ledger.wants(slot, 'volume-anomaly', t, volumeMetrics.ratio)) {
      const m = volumeMetrics;
      cross.push(['volume-anomaly', { counts: { hourBytes: m.bytes, expectedBytes: Math.round(m.expected), thresholdBytes: Math.round(m.bound) }, ratio: m.ratio, confidence: 'low' }]);
    }
    let relevant = 0;
    let peerKey = NaN;
    let rateHot = false;
    if (!intraTenant) {
      peerKey = ipSlotKey(r.dst);
      const rate = outboundRate(pool, slot, t, s.rateAverageMs, peerKey, r.packets, r.bytes, r.end - r.start, th, s.evidenceFraction);
      if (rate > 0) {
        hot = true;
        rateHot = true;
        if (rate === RATE_CROSSED && ledger.wants(slot, 'outbound-dos', t, rateMetrics.ratio, rateMetrics.target)) {
          const m = rateMetrics;
          cross.push(['outbound-dos', { counts: { pps: m.pps, mbps: m.mbps, flowsPerSecond: m.fps }, ratio: m.ratio, confidence: 'high', targetKey: m.target }]);
        }
      }
      const portKind = this.portKinds[r.dstPort]!;
      if (this.isProbe(r, portKind)) {
        relevant |= RELEVANT.PROBE;
        const level = scanProbe(pool, slot, t, s.scanWindowMs, peerKey, hashIp(r.dst), r.dstPort, r.tcpFlags !== 0, th, s.evidenceFraction);
        if (level > 0) {
          if (level & SCAN_EVIDENCE) hot = true;
          const m = scanMetrics;
          const confidence = m.flaggedShare >= 0.8 ? 'high' : 'medium';
          if (level & SCAN_HORIZONTAL && ledger.wants(slot, 'horizontal-scan', t, m.horizontal / th.horizontalScanDestinations)) {
            const counts = { destinations: Math.round(m.horizontal), probes: m.probes, ports: Math.round(m.ports) };
            cross.push(['horizontal-scan', { counts, ratio: m.horizontal / th.horizontalScanDestinations, confidence, port: m.topPort }]);
          }
          if (level & SCAN_VERTICAL && ledger.wants(slot, 'vertical-scan', t, m.vertical / th.verticalScanPorts)) {
            const counts = { ports: Math.round(m.vertical), probes: m.probes, destinations: Math.round(m.destinations) };
            cross.push(['vertical-scan', { counts, ratio: m.vertical / th.verticalScanPorts, confidence }]);
          }
        }
      } else if (r.protocol === PROTOCOL.TCP && portKind & (PORT_SMTP | PORT_LOGIN)) {
        if (portKind & PORT_SMTP) {
          relevant |= RELEVANT.SMTP;
          const level = spamSession(pool, slot, t, s.spamWindowMs, hashIp(r.dst), th, s.evidenceFraction);
          if (level > 0) hot = true;
          if (level === FANOUT_CROSSED && ledger.wants(slot, 'spam', t, fanoutMetrics.ratio)) {
            const m = fanoutMetrics;
            cross.push(['spam', { counts: { destinations: Math.round(m.destinations), connections: m.connections }, ratio: m.ratio, confidence: 'medium', port: r.dstPort }]);
          }
        } else if (r.samplingInterval === 1 && r.packets >= 4 && r.packets <= th.bruteForceMaxPackets) {
          relevant |= RELEVANT.LOGIN;
          const level = loginSession(pool, slot, t, s.bruteForceWindowMs, hashIp(r.dst), th, s.evidenceFraction);
          if (level > 0) hot = true;
          if (level === FANOUT_CROSSED && ledger.wants(slot, 'brute-force', t, fanoutMetrics.ratio)) {
            const m = fanoutMetrics;
            cross.push(['brute-force', { counts: { connections: m.connections, targets: Math.round(m.destinations) }, ratio: m.ratio, confidence: 'medium', port: r.dstPort }]);
          }
        }
      }
    }
    if (hot) ledger.hot(slot, false, t);
    if (pool.u32[slot * U32.STRIDE + U32.FLAGS]! & (FLAG.OUT_SUSPECT | OPEN_MASK)) ledger.note(slot, false, r, t, relevant, peerKey, peer, rateHot);
    for (let i = 0; i < cross.length; i++) {
      const [kind, crossing] = cross[i]!;
      if (!(th.disabled.length && th.disabled.includes(kind))) ledger.raise(slot, kind, ref, r, t, relevant, peerKey, peer, crossing);
    }
  }

  private inbound(r: FlowRecord, t: number, ref: TenantRef, peer: TenantRef | undefined): void {
    const pool = this.pool;
    const slot = pool.findOrCreate(r.dst);
    const th = this.bind(slot, ref);
    if (!this.onTime(slot, t)) return;
    this.counters.inbound++;
    const s = this.settings;
    const level = inboundRate(pool, slot, t, s.rateAverageMs, hashIp(r.src), r.packets, r.bytes, r.end - r.start, th, s.evidenceFraction);
    if (level > 0) this.ledger.hot(slot, true, t);
    if (pool.u32[slot * U32.STRIDE + U32.FLAGS]! & (FLAG.IN_SUSPECT | OPEN_MASK)) this.ledger.note(slot, true, r, t, 0, ipSlotKey(r.src), peer, level > 0);
    if (level === RATE_CROSSED && !(th.disabled.length && th.disabled.includes('inbound-dos')) && this.ledger.wants(slot, 'inbound-dos', t, rateMetrics.ratio)) {
      const m = rateMetrics;
      const crossing: Crossing = { counts: { pps: m.pps, mbps: m.mbps, flowsPerSecond: m.fps, sources: Math.round(m.sources) }, ratio: m.ratio, confidence: 'high' };
      this.ledger.raise(slot, 'inbound-dos', ref, r, t, 0, ipSlotKey(r.src), peer, crossing);
    }
  }

  /**
   * A failed or unanswered attempt, as Zeek's scan policy counts them: TCP without the originator's ACK when flags are
   * known; else (flags unknown: VPC, NSG) at most 3 packets of handshake size that do not look like a server's reply
   * (a reply goes from the lower, service port to the higher, client port). UDP: a packet or two, small, not to a
   * service every client queries (DNS, NTP, ...). Sampled records without flags say nothing about single flows.
   */
  private isProbe(r: FlowRecord, portKind: number): boolean {
    if (r.packets === 0) return false;
    if (r.protocol === PROTOCOL.TCP) {
      if (r.tcpFlags !== 0) return (r.tcpFlags & TCP_FLAGS.ACK) === 0;
      if (r.samplingInterval !== 1 || r.srcPort < r.dstPort) return false;
      return r.packets <= 3 && r.bytes <= 80 * r.packets;
    }
    if (r.protocol === PROTOCOL.UDP) {
      if (r.samplingInterval !== 1 || portKind & PORT_UDP_FANOUT || r.srcPort < r.dstPort) return false;
      return r.packets <= 2 && r.bytes <= 200 * r.packets;
    }
    return false;
  }

  private autoTick(t: number): void {
    this.nextTick = t + TICK_MS;
    this.ledger.tick(t);
    if (t >= this.nextSweep) {
      if (this.nextSweep !== -Infinity) this.sweep(t);
      this.nextSweep = t + SWEEP_MS;
    }
  }

  private sweep(now: number): void {
    const pool = this.pool;
    const before = now - this.settings.hostIdleMs;
    for (let slot = 0; slot < pool.used; slot++) {
      const last = pool.f64[slot * F64.STRIDE + F64.LAST]!;
      if (last >= 0 && last < before) {
        this.ledger.forget(slot);
        pool.release(slot);
      }
    }
  }
}
