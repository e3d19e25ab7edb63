// `npm run bench:flows`: the detection pipeline's speed, printed as figures (nothing is asserted).
//  1. records/s decoded and scored on one core, for NetFlow v5, v9 and IPFIX (target ≥ 1,000,000);
//  2. the share of records received and scored when a sender process offers 0.5M, 1M, 2M and 4M records/s over UDP
//     on loopback, detection on (target ≥ 99.9 % up to 2M);
//  3. memory per active host (target ≤ 1 KiB) and none for silent addresses;
//  4. latency from the first datagram of an attack to its finding (target ≤ 2 s);
//  and with `jetstream`, the scale-out path through NATS JetStream (docs/scale-out.md).
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AllocationIndex, DetectionEngine } from '../domain/detection';
import { NetflowDecoder } from '../domain/flows/netflow';
import { ipv4ToKey, type FlowRecord } from '../domain/flows/types';
import { v5Packet, type V5Flow } from '../test/support/netflow-builder';
import { workloads } from './flows-decode';
import { benchJetstream, printFigures as printJetstream } from './flows-jetstream';

const VERSIONS = ['netflow v5', 'netflow v9', 'ipfix'] as const;
const row = (name: string, value: string, detail = '') => console.log(`  ${name.padEnd(50)} ${value.padStart(14)}  ${detail}`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The workloads' addresses (10.0.0.0/8) belong to 256 tenants, one /16 each, so every record is scored as outbound. */
function tenants(): AllocationIndex {
  return new AllocationIndex(
    Array.from({ length: 256 }, (_, i) => ({ cidr: `10.${i}.0.0/16`, tenantId: `t${i}`, deploymentId: `d${i}`, validFrom: new Date(0), validTo: null })),
  );
}

function decodeAndScore(): void {
  console.log('\n1. decode + score on one core (~1400-byte datagrams, every record from a tenant host)');
  for (const w of workloads().filter((x) => (VERSIONS as readonly string[]).includes(x.name))) {
    const engine = new DetectionEngine({ resolver: tenants() });
    const decoder = new NetflowDecoder({ reuseRecord: true });
    const sink = engine.sink;
    for (const d of w.setup) decoder.decode(d, '192.0.2.1', sink);
    for (let i = 0; i < 3000; i++) decoder.decode(w.datagrams[i % w.datagrams.length]!, '192.0.2.1', sink);
    let records = 0;
    const started = performance.now();
    while (performance.now() - started < 2000) for (let i = 0; i < 500; i++) records += decoder.decode(w.datagrams[i % w.datagrams.length]!, '192.0.2.1', sink);
    const ms = performance.now() - started;
    row(w.name, `${fmt((records * 1000) / ms)}/s`, `target ≥ 1,000,000; ${engine.stats().hosts} hosts`);
  }
}

/** Raises the kernel's cap on socket receive buffers (root only); returns what it is. */
async function receiveBufferCap(): Promise<string> {
  const run = promisify(execFile);
  await run('sysctl', ['-w', 'net.core.rmem_max=134217728']).catch(() => undefined);
  return (await run('sysctl', ['-n', 'net.core.rmem_max']).catch(() => ({ stdout: 'unknown' }))).stdout.trim();
}

async function udpLoss(): Promise<void> {
  const cap = await receiveBufferCap();
  console.log(`\n2. UDP on loopback, a sender process offering records/s, receiver decoding and scoring (rmem_max ${cap})`);
  const sender = fileURLToPath(new URL('./flows-sender.ts', import.meta.url));
  for (const version of VERSIONS) {
    for (const rate of [500_000, 1_000_000, 2_000_000, 4_000_000]) {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 128 * 1024 * 1024 });
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      const engine = new DetectionEngine({ resolver: tenants() });
      const decoder = new NetflowDecoder({ reuseRecord: true });
      let received = 0;
      socket.on('message', (msg, rinfo) => {
        received += decoder.decode(msg, rinfo.address, engine.sink);
      });
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', sender, String(socket.address().port), version, String(rate), '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (c: Buffer) => (text += c.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`sender exited ${code}`))));
      });
      await new Promise((r) => setTimeout(r, 300)); // what is still in the socket buffer
      socket.close();
      const sent = JSON.parse(out.trim().split('\n').at(-1)!) as { records: number; ms: number };
      const offered = (sent.records * 1000) / sent.ms;
      row(`${version}, offered ${fmt(rate / 1000)}k/s`, `${((received / sent.records) * 100).toFixed(2)} %`, `sender achieved ${fmt(offered)}/s; ${fmt(received)} of ${fmt(sent.records)} scored`);
    }
  }
}

function memory(): void {
  console.log('\n3. memory: per-host state of the detection engine');
  const hosts = 200_000;
  const index = new AllocationIndex([{ cidr: '10.0.0.0/8', tenantId: 't', deploymentId: 'd', validFrom: new Date(0), validTo: null }]);
  const engine = new DetectionEngine({ resolver: index });
  // 16.7 million monitored addresses, none sending yet: nothing per address.
  const idle = engine.stats().stateBytes;
  const base = ipv4ToKey('10.0.0.0')!;
  const r: FlowRecord = { source: 'netflow5', exporter: 'bench', start: 0, end: 0, src: 0, dst: ipv4ToKey('192.0.2.1')!, srcPort: 40_000, dstPort: 443, protocol: 6, tcpFlags: 0x1b, packets: 10, bytes: 4_000, samplingInterval: 1 };
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const t0 = Date.UTC(2026, 10, 1);
  for (let round = 0; round < 5; round++) {
    for (let h = 0; h < hosts; h++) {
      r.src = base + h * 7;
      r.dst = ipv4ToKey('192.0.2.1')! + (h % 200);
      r.start = t0 + round * 60_000;
      r.end = r.start + 1_000;
      engine.push(r);
    }
  }
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const s = engine.stats();
  row('16.7M monitored addresses, none sending', `${fmt(idle)} B`, 'the pool allocated up front, the same for any number of addresses');
  row(`engine state per active host (${fmt(s.hosts)} hosts)`, `${(s.stateBytes / s.hosts).toFixed(0)} B`, 'target ≤ 1,024 B');
  row('heap growth per active host', `${((heapAfter - heapBefore) / s.hosts).toFixed(0)} B`, global.gc ? 'after GC' : 'run with --expose-gc for a GC before measuring');
}

async function latency(): Promise<void> {
  console.log('\n4. latency: first datagram of an outbound flood to its finding (live clock, one-second flows)');
  const socket = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const decoder = new NetflowDecoder();
  let firstSent = 0;
  let found = 0;
  const engine = new DetectionEngine({ resolver: tenants(), onFinding: (f, phase) => void (phase === 'open' && !found && f.kind === 'outbound-dos' && (found = performance.now())) });
  socket.on('message', (msg, rinfo) => void decoder.decode(msg, rinfo.address, engine.sink));
  const ticker = setInterval(() => engine.flush(Date.now()), 250);
  const out = dgram.createSocket('udp4');
  const sysUptime = 3_600_000;
  const bootMs = Date.now() - sysUptime;
  // 60,000 packets/s of 64 bytes from one host: three times the default threshold. Exporters report a flow when its
  // active timeout (1 s here) passes, so each second's traffic is exported at the end of that second.
  for (let s = 0; s < 10 && !found; s++) {
    const now = Date.now();
    const flows: V5Flow[] = Array.from({ length: 6 }, (_, i) => ({ src: '10.1.0.9', dst: '198.51.100.9', packets: 10_000, bytes: 640_000, first: now - bootMs - 1_000, last: now - bootMs, srcPort: 40_000 + i, dstPort: 80, protocol: 17 }));
    const d = v5Packet({ sysUptime: now - bootMs, unixSecs: Math.floor(now / 1000), unixNsecs: (now % 1000) * 1e6 }, flows);
    if (!firstSent) firstSent = performance.now();
    out.send(d, socket.address().port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  clearInterval(ticker);
  out.close();
  socket.close();
  row('first attack datagram → outbound-dos finding', found ? `${fmt(found - firstSent)} ms` : 'not found', 'target ≤ 2,000 ms');
}

console.log(`bench:flows — ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
const wanted = new Set(process.argv.slice(2));
const run = (n: string) => wanted.size === 0 || wanted.has(n);
if (run('score')) decodeAndScore();
if (run('udp')) await udpLoss();
if (run('memory')) memory();
if (run('latency')) await latency();
// The scale-out path needs the NATS server (127.0.0.1:4222 here); `npm run bench:flows -- jetstream` alone runs it.
if (wanted.has('jetstream')) printJetstream(await benchJetstream());
