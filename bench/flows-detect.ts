// `npx tsx bench/flows-detect.ts`: how fast the detectors score flow records on one core, and how many bytes of state
// an active host costs. Figures are printed, never asserted. The lead wires benchDetect() into `npm run bench`.
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AllocationIndex } from '../domain/detection/allocations';
import { DetectionEngine } from '../domain/detection/engine';
import { generateTraffic, syntheticAllocations, type SyntheticScenario, type SyntheticTenant } from '../domain/flows/synthetic';
import { createFlowLogReader } from '../domain/flows/logs';
import { ipv4ToString, PROTOCOL, TCP_FLAGS, type FlowRecord } from '../domain/flows/types';

const DAY = 86_400_000;

function row(name: string, value: string, detail = ''): void {
  console.log(`  ${name.padEnd(52)} ${value.padStart(16)}  ${detail}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A collector we can call: without --expose-gc the flag is set at run time and gc fetched from a fresh context. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

function scenario(hostsPerTenant: number, tenants: number, days: number): SyntheticScenario {
  const start = Date.UTC(2024, 5, 3);
  const list: SyntheticTenant[] = Array.from({ length: tenants }, (_, i) => ({
    tenantId: `tenant-${i}`,
    deploymentId: `deployment-${i}`,
    cidr: `198.${18 + (i >> 8)}.${i & 255}.0/24`,
    hosts: hostsPerTenant,
    role: i % 10 === 1 ? 'mail' : i % 10 === 2 ? 'backup' : 'web',
  }));
  const attackAt = start + 12 * 3_600_000;
  return {
    seed: 42,
    start,
    durationMs: days * DAY,
    tenants: list,
    attacks: [
      { kind: 'horizontal-scan', source: '198.18.0.10', at: attackAt, port: 22, targets: 20_000, firstTarget: '45.0.0.1', perSecond: 500 },
      { kind: 'outbound-dos', source: '198.18.1.10', at: attackAt, target: '45.2.0.1', durationMs: 60_000, pps: 200_000, packetBytes: 64, flowsPerSecond: 4_000 },
      { kind: 'inbound-dos', target: '198.18.2.11', at: attackAt, durationMs: 60_000, sources: 500, firstSource: '45.5.0.1', pps: 300_000, packetBytes: 100 },
      { kind: 'spam', source: '198.18.3.10', at: attackAt, destinations: 2_000, firstDestination: '45.3.0.1', perSecond: 20 },
    ],
  };
}

/** Generated traffic kept in columns, as a decoder holds a datagram: records are handed over one at a time. */
interface Columns {
  n: number;
  start: Float64Array;
  end: Float64Array;
  src: Float64Array;
  dst: Float64Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  protocol: Uint8Array;
  tcpFlags: Uint8Array;
  packets: Float64Array;
  bytes: Float64Array;
}

function columns(s: SyntheticScenario, max: number): Columns {
  const c: Columns = {
    n: 0,
    start: new Float64Array(max),
    end: new Float64Array(max),
    src: new Float64Array(max),
    dst: new Float64Array(max),
    srcPort: new Uint16Array(max),
    dstPort: new Uint16Array(max),
    protocol: new Uint8Array(max),
    tcpFlags: new Uint8Array(max),
    packets: new Float64Array(max),
    bytes: new Float64Array(max),
  };
  generateTraffic(s, (r) => {
    if (c.n === max) return;
    const i = c.n++;
    c.start[i] = r.start;
    c.end[i] = r.end;
    c.src[i] = r.src as number;
    c.dst[i] = r.dst as number;
    c.srcPort[i] = r.srcPort;
    c.dstPort[i] = r.dstPort;
    c.protocol[i] = r.protocol;
    c.tcpFlags[i] = r.tcpFlags;
    c.packets[i] = r.packets;
    c.bytes[i] = r.bytes;
  });
  return c;
}

/**
 * Records per second of wall time, and per second of this process's CPU time (user + system, all threads: GC and JIT
 * included), which is what one core delivers even when the machine is shared.
 */
function throughput(c: Columns, index: AllocationIndex | undefined, label: string): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  let findings = 0;
  let hosts = 0;
  const record: FlowRecord = { source: 'netflow9', exporter: 'bench', start: 0, end: 0, src: 0, dst: 0, srcPort: 0, dstPort: 0, protocol: 0, tcpFlags: 0, packets: 0, bytes: 0, samplingInterval: 1 };
  for (let run = 0; run < 6; run++) {
    let found = 0;
    const engine = new DetectionEngine({ resolver: index, onFinding: (_, phase) => (found += phase === 'open' ? 1 : 0) });
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < c.n; i++) {
      record.start = c.start[i]!;
      record.end = c.end[i]!;
      record.src = c.src[i]!;
      record.dst = c.dst[i]!;
      record.srcPort = c.srcPort[i]!;
      record.dstPort = c.dstPort[i]!;
      record.protocol = c.protocol[i]!;
      record.tcpFlags = c.tcpFlags[i]!;
      record.packets = c.packets[i]!;
      record.bytes = c.bytes[i]!;
      engine.push(record);
    }
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu0);
    engine.end();
    if (run > 0) {
      // The first run warms the JIT.
      wall.push(ms);
      cpu.push((used.user + used.system) / 1000);
    }
    findings = found;
    hosts = engine.stats().hosts;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  row(label, `${fmt((c.n * 1000) / median(cpu))}/s`, `per CPU second; wall clock ${fmt((c.n * 1000) / median(wall))}/s (best ${fmt((c.n * 1000) / Math.min(...wall))}/s); ${fmt(c.n)} records, ${fmt(hosts)} hosts, ${findings} findings`);
}

/** The same traffic as AWS VPC flow-log text, parsed and scored: the whole path of `safeguard flows detect`. */
function parseAndDetect(c: Columns, index: AllocationIndex): void {
  const lines: string[] = ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'];
  const n = Math.min(c.n, 1_000_000);
  for (let i = 0; i < n; i++) {
    lines.push(`2 123456789010 eni-0a1b2c3d4e5f60718 ${ipv4ToString(c.src[i]!)} ${ipv4ToString(c.dst[i]!)} ${c.srcPort[i]} ${c.dstPort[i]} ${c.protocol[i]} ${c.packets[i]} ${Math.round(c.bytes[i]!)} ${Math.floor(c.start[i]! / 1000)} ${Math.ceil(c.end[i]! / 1000)} ACCEPT OK`);
  }
  const text = lines.join('\n') + '\n';
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const engine = new DetectionEngine({ resolver: index });
    const cpu0 = process.cpuUsage();
    const reader = createFlowLogReader('vpc', engine.sink);
    for (let at = 0; at < text.length; at += 1 << 20) reader.write(text.slice(at, at + (1 << 20)));
    reader.end();
    engine.end();
    const used = process.cpuUsage(cpu0);
    if (run > 0) times.push((used.user + used.system) / 1000);
  }
  row('VPC flow-log text parsed and scored', `${fmt((n * 1000) / Math.min(...times))}/s`, `per CPU second, ${fmt(text.length / 1e6)} MB of text`);
}

/** Every host sends one flow of each kind the detectors look at, so every part of its state is touched. */
function memory(hosts: number, presize: boolean): void {
  const gc = collector();
  const engine0 = new DetectionEngine(); // loads the code before the baseline is taken
  engine0.push({ source: 'jsonl', exporter: 'bench', start: 0, end: 1, src: 1, dst: 2, srcPort: 1, dstPort: 2, protocol: 6, tcpFlags: 0, packets: 1, bytes: 1, samplingInterval: 1 });
  gc();
  const before = process.memoryUsage();
  const engine = new DetectionEngine({ expectedHosts: presize ? hosts : undefined, resolver: { lookup: (ip) => (typeof ip === 'number' && ip < 0x2d000000 ? TENANT : undefined) } });
  const base = 0x14000000; // 20.0.0.0: every host a tenant's, every destination outside
  const t0 = Date.UTC(2024, 5, 3, 12);
  const r: FlowRecord = { source: 'jsonl', exporter: 'bench', start: t0, end: t0, src: 0, dst: 0, srcPort: 40000, dstPort: 443, protocol: PROTOCOL.TCP, tcpFlags: 0, packets: 10, bytes: 5000, samplingInterval: 1 };
  const shapes: [number, number, number, number][] = [
    // dstPort, protocol, packets, tcpFlags
    [443, PROTOCOL.TCP, 20, TCP_FLAGS.ACK | TCP_FLAGS.PSH],
    [22, PROTOCOL.TCP, 1, TCP_FLAGS.SYN],
    [25, PROTOCOL.TCP, 20, TCP_FLAGS.ACK],
    [3389, PROTOCOL.TCP, 12, TCP_FLAGS.ACK],
    [161, PROTOCOL.UDP, 1, 0],
  ];
  for (let h = 0; h < hosts; h++) {
    for (let k = 0; k < shapes.length; k++) {
      const [port, protocol, packets, flags] = shapes[k]!;
      r.src = base + h;
      r.dst = 0x2e000000 + ((h * 7 + k) % 65536);
      r.dstPort = port;
      r.protocol = protocol;
      r.packets = packets;
      r.tcpFlags = flags;
      r.start = r.end = t0 + h * 10 + k;
      engine.push(r);
    }
    // And one flow towards it, so the inbound side is counted too.
    r.src = 0x2e000000 + (h % 65536);
    r.dst = base + h;
    r.dstPort = 443;
    r.protocol = PROTOCOL.TCP;
    engine.push(r);
  }
  gc();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  const buffers = after.arrayBuffers - before.arrayBuffers;
  const stats = engine.stats();
  row(
    `bytes per active host, ${fmt(hosts)} hosts${presize ? ' (pool sized up front)' : ''}`,
    `${fmt((heap + buffers) / stats.hosts)} B`,
    `heap ${fmt(heap / stats.hosts)} + typed arrays ${fmt(buffers / stats.hosts)}; layout ${DetectionEngine.bytesPerHost} B/host, pool+table ${fmt(stats.stateBytes / stats.hosts)} B/host`,
  );
}

const TENANT = { tenantId: 'bench', deploymentId: 'bench' };

export async function benchDetect(): Promise<void> {
  console.log('\nflows-detect: DetectionEngine.push on one core (synthetic records handed over one at a time; decoding not included)');
  const s = scenario(100, 20, 2);
  const c = columns(s, 4_000_000);
  const index = new AllocationIndex(syntheticAllocations(s));
  throughput(c, index, 'synthetic traffic, tenants from an AllocationIndex');
  throughput(c, undefined, 'synthetic traffic, every address monitored');
  parseAndDetect(c, index);
  memory(200_000, true);
  memory(200_000, false);
  await Promise.resolve();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDetect();
}
