// Synthetic flow traffic for tests and benchmarks: tenants' hosts going about their business with a daily rhythm
// (web servers, a mail relay, a nightly backup), plus attacks injected at chosen times. Seeded and deterministic: the
// same scenario gives the same records in the same order, so tests can assert exact outcomes.
import type { AllocationEntry } from '../detection/allocations';
import { ipv4ToKey, ipv4ToString, PROTOCOL, TCP_FLAGS, type FlowRecord, type FlowSink } from './types';

export interface SyntheticTenant {
  tenantId: string;
  deploymentId: string;
  /** IPv4 network the hosts are numbered from (.10, .11, ...); also the tenant's allocation. */
  cidr: string;
  hosts: number;
  hostGroup?: string;
  /** web (default): serves clients, calls APIs; mail: also relays mail; backup: also uploads every night at 02:00 UTC. */
  role?: 'web' | 'mail' | 'backup';
}

export type SyntheticAttack =
  | { kind: 'horizontal-scan'; source: string; at: number; port: number; targets: number; firstTarget: string; perSecond: number }
  | { kind: 'vertical-scan'; source: string; at: number; target: string; ports: number; perSecond: number }
  | { kind: 'outbound-dos'; source: string; at: number; target: string; durationMs: number; pps: number; packetBytes: number; flowsPerSecond?: number }
  | { kind: 'spam'; source: string; at: number; destinations: number; firstDestination: string; perSecond: number }
  | { kind: 'brute-force'; source: string; at: number; target: string; port: number; attempts: number; perSecond: number }
  | { kind: 'inbound-dos'; target: string; at: number; durationMs: number; sources: number; firstSource: string; pps: number; packetBytes: number }
  | { kind: 'volume-anomaly'; source: string; at: number; durationMs: number; bytes: number; target: string };

export interface SyntheticScenario {
  seed: number;
  /** Epoch ms; background is generated hour by hour from the hour holding it. */
  start: number;
  durationMs: number;
  tenants: SyntheticTenant[];
  attacks?: SyntheticAttack[];
  /** Flows a host starts per hour at its daily peak (default 60). */
  flowsPerHostHour?: number;
  /** Records carry TCP flags (NetFlow, IPFIX, Zeek) or not (VPC default format, NSG); default true. */
  tcpFlags?: boolean;
}

const HOUR = 3_600_000;
const SYN = TCP_FLAGS.SYN;
const SESSION = TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.PSH | TCP_FLAGS.FIN;
const REPLY = TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.PSH | TCP_FLAGS.FIN;

/** mulberry32: small, fast, and good enough for traffic shapes. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function networkBase(cidr: string): number {
  const [address, bits] = cidr.split('/');
  const key = ipv4ToKey(address ?? '');
  if (key === undefined) throw new Error(`synthetic tenants need IPv4 networks, not ${cidr}`);
  const prefix = bits === undefined ? 32 : Number(bits);
  return prefix === 0 ? 0 : key - (key % 2 ** (32 - prefix));
}

export function tenantHosts(tenant: SyntheticTenant): string[] {
  const base = networkBase(tenant.cidr);
  return Array.from({ length: tenant.hosts }, (_, i) => ipv4ToString(base + 10 + i));
}

/** The allocations the scenario implies: each tenant holds its network from a day before the start, open-ended. */
export function syntheticAllocations(scenario: SyntheticScenario): AllocationEntry[] {
  return scenario.tenants.map((t) => ({
    cidr: t.cidr,
    tenantId: t.tenantId,
    deploymentId: t.deploymentId,
    validFrom: new Date(scenario.start - 24 * HOUR),
    validTo: null,
    ...(t.hostGroup ? { hostGroup: t.hostGroup } : {}),
  }));
}

interface Host {
  key: number;
  tenant: SyntheticTenant;
  peers: number[];
  apis: number[];
  resolvers: number[];
  mailServers: number[];
  backupTarget: number;
  activity: number;
}

/** Somewhere on the Internet, away from the documentation ranges tenants use: 20.0.0.0 - 60.255.255.255. */
const external = (rnd: () => number) => 0x14000000 + Math.floor(rnd() * 0x29000000);
const between = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const ephemeral = (rnd: () => number) => between(rnd, 32768, 60999);

/** Daily rhythm: quiet at 03:00 UTC, busiest at 15:00, weekends at 60 %. */
function rhythm(t: number): number {
  const hour = (t / HOUR) % 24;
  const day = Math.floor(t / (24 * HOUR) + 4) % 7; // 0 = Sunday
  const daily = 0.2 + 0.8 * ((1 + Math.cos((2 * Math.PI * (hour - 15)) / 24)) / 2);
  return daily * (day === 0 || day === 6 ? 0.6 : 1);
}

export interface SyntheticOutcome {
  records: number;
  attackRecords: number;
}

/** Generates the scenario hour by hour, each hour's records sorted by end time, into the sink. */
export function generateTraffic(scenario: SyntheticScenario, sink: FlowSink): SyntheticOutcome {
  const rnd = seededRandom(scenario.seed);
  const flags = scenario.tcpFlags ?? true;
  const perHour = scenario.flowsPerHostHour ?? 60;
  const hosts: Host[] = [];
  for (const tenant of scenario.tenants) {
    const keys = tenantHosts(tenant).map((h) => ipv4ToKey(h)!);
    for (const key of keys) {
      hosts.push({
        key,
        tenant,
        peers: keys.filter((k) => k !== key),
        apis: Array.from({ length: 6 }, () => external(rnd)),
        resolvers: [external(rnd), external(rnd)],
        mailServers: tenant.role === 'mail' ? Array.from({ length: 300 }, () => external(rnd)) : [],
        backupTarget: external(rnd),
        activity: 0.5 + rnd(),
      });
    }
  }
  let records = 0;
  let attackRecords = 0;
  const first = Math.floor(scenario.start / HOUR) * HOUR;
  const end = scenario.start + scenario.durationMs;
  for (let hourStart = first; hourStart < end; hourStart += HOUR) {
    const batch: FlowRecord[] = [];
    const from = Math.max(hourStart, scenario.start);
    const to = Math.min(hourStart + HOUR, end);
    for (const host of hosts) background(host, from, to, rnd, perHour, flags, batch);
    const before = batch.length;
    scenario.attacks?.forEach((attack, i) => inject(attack, from, to, seededRandom(scenario.seed ^ Math.imul(i + 1, 0x9e3779b1) ^ hourStart / HOUR), flags, batch));
    attackRecords += batch.length - before;
    batch.sort((a, b) => a.end - b.end);
    for (const r of batch) sink(r);
    records += batch.length;
  }
  return { records, attackRecords };
}

function record(src: number, dst: number, srcPort: number, dstPort: number, protocol: number, packets: number, bytes: number, end: number, durationMs: number, tcpFlags: number): FlowRecord {
  return { source: 'jsonl', exporter: 'synthetic', start: end - durationMs, end, src, dst, srcPort, dstPort, protocol, tcpFlags, packets, bytes, samplingInterval: 1 };
}

function background(host: Host, from: number, to: number, rnd: () => number, perHour: number, flags: boolean, out: FlowRecord[]): void {
  const f = (v: number) => (flags ? v : 0);
  const span = to - from;
  const expected = (perHour * host.activity * rhythm(from) * span) / HOUR;
  const count = Math.max(0, Math.round(expected * (0.85 + 0.3 * rnd())));
  const h = host.key;
  for (let i = 0; i < count; i++) {
    const t = from + Math.floor(rnd() * span);
    const d = between(rnd, 50, 20_000);
    const kind = rnd();
    if (kind < 0.4) {
      // A client of the host's web service, and the host's reply.
      const client = external(rnd);
      const cport = ephemeral(rnd);
      out.push(record(client, h, cport, 443, PROTOCOL.TCP, between(rnd, 6, 30), between(rnd, 500, 4_000), t, d, f(SESSION)));
      out.push(record(h, client, 443, cport, PROTOCOL.TCP, between(rnd, 8, 60), between(rnd, 2_000, 80_000), t, d, f(REPLY)));
    } else if (kind < 0.6) {
      const api = host.apis[between(rnd, 0, host.apis.length - 1)]!;
      const port = ephemeral(rnd);
      out.push(record(h, api, port, 443, PROTOCOL.TCP, between(rnd, 8, 40), between(rnd, 1_000, 20_000), t, d, f(SESSION)));
      out.push(record(api, h, 443, port, PROTOCOL.TCP, between(rnd, 8, 40), between(rnd, 2_000, 60_000), t, d, f(REPLY)));
    } else if (kind < 0.75) {
      const resolver = host.resolvers[between(rnd, 0, 1)]!;
      const port = ephemeral(rnd);
      out.push(record(h, resolver, port, 53, PROTOCOL.UDP, 1, between(rnd, 60, 90), t, 0, 0));
      out.push(record(resolver, h, 53, port, PROTOCOL.UDP, 1, between(rnd, 90, 400), t + 20, 0, 0));
    } else if (kind < 0.78) {
      out.push(record(h, host.resolvers[0]!, 123, 123, PROTOCOL.UDP, 1, 76, t, 0, 0));
    } else if (kind < 0.88 && host.peers.length) {
      const peer = host.peers[between(rnd, 0, host.peers.length - 1)]!;
      out.push(record(h, peer, ephemeral(rnd), 5432, PROTOCOL.TCP, between(rnd, 10, 200), between(rnd, 2_000, 200_000), t, d, f(SESSION)));
    } else if (kind < 0.9) {
      // A call that got no answer: the odd failure every host has.
      out.push(record(h, host.apis[between(rnd, 0, host.apis.length - 1)]!, ephemeral(rnd), 443, PROTOCOL.TCP, between(rnd, 1, 2), 60, t, 3_000, f(SYN)));
    } else if (kind < 0.92) {
      // git over SSH to a code host: short sessions, a few an hour.
      out.push(record(h, host.apis[0]!, ephemeral(rnd), 22, PROTOCOL.TCP, between(rnd, 12, 30), between(rnd, 2_000, 5_000), t, d, f(SESSION)));
    } else {
      // Internet background radiation: someone else's scanner knocks, the host refuses.
      const scanner = external(rnd);
      const sport = ephemeral(rnd);
      const port = between(rnd, 1, 10_000);
      out.push(record(scanner, h, sport, port, PROTOCOL.TCP, 1, 44, t, 0, f(SYN)));
      out.push(record(h, scanner, port, sport, PROTOCOL.TCP, 1, 40, t + 1, 0, f(TCP_FLAGS.RST | TCP_FLAGS.ACK)));
    }
  }
  const role = host.tenant.role ?? 'web';
  if (role === 'mail') {
    const sessions = Math.round((40 * rhythm(from) * span) / HOUR);
    for (let i = 0; i < sessions; i++) {
      const mx = host.mailServers[between(rnd, 0, host.mailServers.length - 1)]!;
      out.push(record(h, mx, ephemeral(rnd), 25, PROTOCOL.TCP, between(rnd, 20, 60), between(rnd, 5_000, 50_000), from + Math.floor(rnd() * span), 2_000, f(SESSION)));
    }
  }
  if (role === 'backup') {
    // 300 Mbit/s for 20 minutes from about 02:00 UTC, in one-minute records of full-size packets.
    const nightly = Math.floor(from / (24 * HOUR)) * 24 * HOUR + 2 * HOUR + (host.key % 5) * 60_000;
    for (let m = 0; m < 20; m++) {
      const t = nightly + (m + 1) * 60_000;
      if (t < from || t >= to) continue;
      const bytes = (300e6 / 8) * 60;
      out.push(record(h, host.backupTarget, 50_000, 443, PROTOCOL.TCP, Math.round(bytes / 1400), bytes, t, 60_000, f(SESSION)));
    }
  }
}

/** Records of one attack whose end time falls in [from, to). */
function inject(a: SyntheticAttack, from: number, to: number, rnd: () => number, flags: boolean, out: FlowRecord[]): void {
  const f = (v: number) => (flags ? v : 0);
  const key = (ip: string) => {
    const k = ipv4ToKey(ip);
    if (k === undefined) throw new Error(`synthetic attacks need IPv4 addresses, not ${ip}`);
    return k;
  };
  /** Indices i whose time at + i * step falls in [from, to). */
  const each = (at: number, step: number, n: number, emit: (i: number, t: number) => void) => {
    const lo = Math.max(0, Math.ceil((from - at) / step));
    for (let i = lo; i < n; i++) {
      const t = at + Math.round(i * step);
      if (t >= to) break;
      if (t >= from) emit(i, t);
    }
  };
  switch (a.kind) {
    case 'horizontal-scan': {
      const src = key(a.source);
      const base = key(a.firstTarget);
      each(a.at, 1000 / a.perSecond, a.targets, (i, t) => out.push(record(src, base + i, ephemeral(rnd), a.port, PROTOCOL.TCP, 1, 60, t, 0, f(SYN))));
      break;
    }
    case 'vertical-scan': {
      const src = key(a.source);
      const dst = key(a.target);
      each(a.at, 1000 / a.perSecond, a.ports, (i, t) => out.push(record(src, dst, 61000, 1 + i, PROTOCOL.TCP, 1, 44, t, 0, f(SYN))));
      break;
    }
    case 'outbound-dos': {
      const src = key(a.source);
      const dst = key(a.target);
      const seconds = Math.ceil(a.durationMs / 1000);
      each(a.at + 1000, 1000, seconds, (_, t) => out.push(record(src, dst, 40000, 80, PROTOCOL.UDP, a.pps, a.pps * a.packetBytes, t, 1000, 0)));
      if (a.flowsPerSecond) {
        each(a.at, 1000 / a.flowsPerSecond, seconds * a.flowsPerSecond, (_, t) => out.push(record(src, dst, ephemeral(rnd), 443, PROTOCOL.TCP, 1, 60, t, 0, f(SYN))));
      }
      break;
    }
    case 'spam': {
      const src = key(a.source);
      const base = key(a.firstDestination);
      each(a.at, 1000 / a.perSecond, a.destinations, (i, t) => out.push(record(src, base + i, ephemeral(rnd), 25, PROTOCOL.TCP, 25, 8_000, t, 1_500, f(SESSION))));
      break;
    }
    case 'brute-force': {
      const src = key(a.source);
      const dst = key(a.target);
      each(a.at, 1000 / a.perSecond, a.attempts, (_, t) => out.push(record(src, dst, ephemeral(rnd), a.port, PROTOCOL.TCP, 14, 2_600, t, 800, f(SESSION))));
      break;
    }
    case 'inbound-dos': {
      const dst = key(a.target);
      const base = key(a.firstSource);
      const seconds = Math.ceil(a.durationMs / 1000);
      const perSource = Math.max(1, Math.round(a.pps / a.sources));
      each(a.at + 1000, 1000, seconds, (_, t) => {
        for (let s = 0; s < a.sources; s++) out.push(record(base + s, dst, ephemeral(rnd), 443, PROTOCOL.UDP, perSource, perSource * a.packetBytes, t, 1000, 0));
      });
      break;
    }
    case 'volume-anomaly': {
      const src = key(a.source);
      const dst = key(a.target);
      const minutes = Math.max(1, Math.round(a.durationMs / 60_000));
      const bytes = a.bytes / minutes;
      each(a.at + 60_000, 60_000, minutes, (_, t) => out.push(record(src, dst, ephemeral(rnd), 443, PROTOCOL.TCP, Math.round(bytes / 1400), bytes, t, 60_000, f(SESSION))));
      break;
    }
  }
}
