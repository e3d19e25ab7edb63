// The detector process's pipeline, in one place: NetFlow/IPFIX datagrams over UDP → decoder → detection engine
// (per tenant host, with the allocation history deciding who holds which address) → findings into intake, where
// they open or feed the abuse case of the deployment (signal-with-start), so a burst of alerts becomes one case.
// Inbound DoS is not abuse by the victim: its tenant gets a warning email instead. Per-minute traffic and top
// talkers go to FlowMinute for the console's detections page.
import dgram from 'node:dgram';
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { AllocationIndex, DetectionEngine, toDetectionInput, type AllocationEntry, type DetectionEngineOptions, type Finding } from '../domain/detection';
import { errorCount, NetflowDecoder } from '../domain/flows/netflow';
import { ipKeyToString, type FlowRecord, type FlowSink, type IpKey } from '../domain/flows/types';
import type { Db } from '../lib/db';
import { submitDetection } from '../lib/detections';
import { sendMail } from '../lib/mail';

export interface DetectorOptions {
  db: Db;
  temporal: () => Promise<Client>;
  /** Where case workflows run. */
  taskQueue: string;
  /** UDP ports for NetFlow v5/v9 and IPFIX (one socket each, IPv4 and IPv6); [] runs no collector. */
  udpPorts: number[];
  host?: string;
  name?: string;
  mailer?: Transporter;
  log: Logger;
  engine?: Omit<DetectionEngineOptions, 'resolver' | 'onFinding'>;
  /** How often the allocation history is read again. */
  allocationsRefreshMs?: number;
  /** Top talkers kept per minute. */
  topTalkers?: number;
  /** Where decoded UDP records go instead of this process's detectors (a JetStream publisher on a collector). */
  forward?: FlowSink;
}

export interface DetectorStats {
  datagrams: number;
  records: number;
  decodeErrors: number;
  findingsOpened: number;
  findingsSubmitted: number;
  submitFailures: number;
  warningsSent: number;
}

export interface Detector {
  /** The bound UDP addresses (port 0 picks one). */
  addresses: { port: number; family: string }[];
  /** Feeds records directly (flow logs, the NATS consumer): the same path as decoded datagrams. */
  sink: FlowSink;
  stats(): DetectorStats & { engine: ReturnType<DetectionEngine['stats']> };
  /** Waits until every finding so far has been handed to intake. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** The allocation history as the engine's resolver wants it. */
export async function loadAllocations(db: Db): Promise<AllocationEntry[]> {
  const rows = await db.ipAllocation.findMany({ select: { cidr: true, validFrom: true, validTo: true, hostGroup: true, deployment: { select: { id: true, tenantId: true } } } });
  return rows.map((r) => ({
    cidr: r.cidr,
    tenantId: r.deployment.tenantId,
    deploymentId: r.deployment.id,
    validFrom: r.validFrom,
    validTo: r.validTo,
    ...(r.hostGroup ? { hostGroup: r.hostGroup } : {}),
  }));
}

/** One minute of traffic: totals and the heaviest senders (bounded: new senders past the cap are not tracked). */
class MinuteStats {
  records = 0;
  packets = 0;
  bytes = 0;
  findings = 0;
  readonly talkers = new Map<IpKey, { bytes: number; packets: number; records: number }>();
  constructor(readonly minute: number, private readonly cap: number) {}
  add(r: FlowRecord): void {
    this.records++;
    this.packets += r.packets;
    this.bytes += r.bytes;
    let t = this.talkers.get(r.src);
    if (!t) {
      if (this.talkers.size >= this.cap) return;
      t = { bytes: 0, packets: 0, records: 0 };
      this.talkers.set(r.src, t);
    }
    t.bytes += r.bytes;
    t.packets += r.packets;
    t.records++;
  }
}

export async function startDetector(opts: DetectorOptions): Promise<Detector> {
  const { db, log } = opts;
  const name = opts.name ?? `${os.hostname()}:${process.pid}`;
  const counters: DetectorStats = { datagrams: 0, records: 0, decodeErrors: 0, findingsOpened: 0, findingsSubmitted: 0, submitFailures: 0, warningsSent: 0 };
  let index = new AllocationIndex(await loadAllocations(db));
  const resolver = { lookup: (ip: IpKey, at: number) => index.lookup(ip, at) };

  // Findings leave the hot path through a queue; a slow database or Temporal never stalls the UDP socket.
  const queue: Finding[] = [];
  let draining: Promise<void> = Promise.resolve();
  const warned = new Set<string>();
  const submitOne = async (finding: Finding) => {
    const input = toDetectionInput(finding);
    if (input) {
      await submitDetection(db, await opts.temporal(), input, { taskQueue: opts.taskQueue, actor: { type: 'detector', id: name } });
      counters.findingsSubmitted++;
      return;
    }
    if (finding.direction === 'inbound' && finding.tenantId && !warned.has(finding.id)) {
      warned.add(finding.id);
      await warnVictim(db, finding, opts.mailer);
      counters.warningsSent++;
    }
  };
  const pump = () =>
    (draining = draining.then(async () => {
      while (queue.length > 0) {
        const batch = queue.splice(0, 8);
        await Promise.all(
          batch.map((f) =>
            submitOne(f).catch((err: unknown) => {
              counters.submitFailures++;
              log.error({ err, finding: f.id }, 'a finding could not be handed to intake');
            }),
          ),
        );
      }
    }));

  let minute = new MinuteStats(Math.floor(Date.now() / 60_000), opts.topTalkers ?? 10_000);
  const engine = new DetectionEngine({
    ...opts.engine,
    resolver,
    onFinding: (finding, phase) => {
      if (phase !== 'open') return;
      counters.findingsOpened++;
      minute.findings++;
      queue.push(finding);
      void pump();
    },
  });

  const sink: FlowSink = (r) => {
    counters.records++;
    minute.add(r);
    engine.push(r);
  };

  const decoder = new NetflowDecoder();
  const udpSink = opts.forward ?? sink;
  const sockets: dgram.Socket[] = [];
  const addresses: { port: number; family: string }[] = [];
  for (const port of opts.udpPorts) {
    const host = opts.host ?? '::';
    // '::' listens on IPv4 and IPv6 at once; an IPv4 address needs an IPv4 socket.
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: false, recvBufferSize: 32 * 1024 * 1024 });
    socket.on('message', (msg, rinfo) => {
      counters.datagrams++;
      // The exporter is the sender; IPv4 senders arrive as IPv4-mapped IPv6 on a dual-stack socket.
      decoder.decode(msg, rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address, udpSink);
    });
    socket.on('error', (err) => log.error({ err, port }, 'flow collector socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const a = socket.address();
    addresses.push({ port: a.port, family: a.family });
    sockets.push(socket);
  }

  const writeMinute = async (m: MinuteStats) => {
    if (m.records === 0 && m.findings === 0) return;
    const top = [...m.talkers.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 20);
    const at = m.minute * 60_000;
    const topTalkers = top.map(([ip, t]) => {
      const held = index.lookup(ip, at);
      return { ip: ipKeyToString(ip), ...t, ...(held ? { tenantId: held.tenantId, deploymentId: held.deploymentId } : {}) };
    });
    const data = { records: BigInt(m.records), packets: BigInt(Math.round(m.packets)), bytes: BigInt(Math.round(m.bytes)), findings: m.findings, topTalkers };
    await db.flowMinute.upsert({ where: { minute_detector: { minute: new Date(at), detector: name } }, create: { minute: new Date(at), detector: name, ...data }, update: data });
  };

  // Time passes for the engine even without traffic (windows close, idle hosts are forgotten), and minutes roll over.
  const tick = setInterval(() => {
    const now = Date.now();
    engine.flush(now);
    const current = Math.floor(now / 60_000);
    if (current !== minute.minute) {
      const done = minute;
      minute = new MinuteStats(current, opts.topTalkers ?? 10_000);
      writeMinute(done).catch((err: unknown) => log.warn({ err }, 'writing flow statistics failed'));
    }
  }, 1_000);
  const refresh = setInterval(() => {
    loadAllocations(db)
      .then((entries) => (index = new AllocationIndex(entries)))
      .catch((err: unknown) => log.warn({ err }, 'reloading the allocation history failed; keeping the last one'));
  }, opts.allocationsRefreshMs ?? 60_000);

  log.info({ addresses, name }, 'flow collector listening');
  return {
    addresses,
    sink,
    stats: () => ({ ...counters, decodeErrors: errorCount(decoder.stats), engine: engine.stats() }),
    drain: async () => {
      while (queue.length > 0) await pump();
      await draining;
    },
    async stop() {
      clearInterval(tick);
      clearInterval(refresh);
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
      engine.flush(Date.now() + 24 * 3_600_000);
      while (queue.length > 0) await pump();
      await draining;
      await writeMinute(minute).catch((err: unknown) => log.warn({ err }, 'writing flow statistics failed'));
    },
  };
}

/** An attack on a tenant's host: their security contact is told what we see; nothing is held against them. */
async function warnVictim(db: Db, finding: Finding, mailer?: Transporter): Promise<void> {
  const tenant = await db.tenant.findUnique({ where: { id: finding.tenantId! }, select: { name: true, securityContactEmail: true, ownerEmail: true } });
  const to = tenant?.securityContactEmail ?? tenant?.ownerEmail;
  if (!tenant || !to) return;
  const counts = Object.entries(finding.counts).map(([k, v]) => `${k}: ${Math.round(v)}`).join(', ');
  await sendMail(
    {
      to,
      subject: `Warning: your address ${finding.host} is receiving a denial-of-service attack`,
      text: [
        `Hello ${tenant.name},`,
        '',
        `Safeguard sees traffic towards ${finding.host} that looks like a denial-of-service attack,`,
        `between ${finding.windowStart.toISOString()} and ${finding.windowEnd.toISOString()} (UTC).`,
        counts ? `Measured: ${counts}.` : '',
        `Heaviest sources:\n${finding.evidence}`,
        '',
        'Nothing is required of you; this is a warning so you can protect your service. Reply to this mail if you need help.',
      ].join('\n'),
      messageId: `<dos-warning.${finding.id.replace(/[^A-Za-z0-9.-]/g, '_')}@safeguard>`,
    },
    mailer,
  );
}
