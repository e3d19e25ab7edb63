// `safeguard flows decode <file-or-folder> [--json]`: NetFlow v5 / v9 / IPFIX from raw datagram files (.dat, one
// UDP payload each) and pcap captures, every record printed with all its fields. One decoder for the whole run, so
// templates sent in one file decode data in the next, as from a live exporter.
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { NetflowDecoder, type DecodedRecord, type DecodeStats } from '../domain/flows/netflow';
import { createPcapCounts, PcapError, udpDatagrams } from '../domain/flows/pcap';
import { ipKeyToString } from '../domain/flows/types';

export interface DecodeSummary {
  datagrams: number;
  records: number;
  errors: number;
}

export interface DecodeOptions {
  json: boolean;
  /** Where problems with a file go (stderr from the command), so stdout stays one line per record. */
  warn?: (line: string) => void;
}

/** A path on the command line that does not exist: the one case where the command itself fails (as `reports parse`). */
export class MissingPathError extends Error {}

/**
 * The file itself, or every file below a folder, depth first in name order (the walk of cli/reports.ts, kept
 * here so this command does not load the database and Temporal modules that one imports).
 */
export async function listFlowFiles(target: string): Promise<{ files: string[]; unreadable: { file: string; error: string }[] }> {
  const info = await stat(target).catch(() => null);
  if (!info) throw new MissingPathError(`no such file or folder: ${target}`);
  const files: string[] = [];
  const unreadable: { file: string; error: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      unreadable.push({ file: dir, error: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      const entry = await lstat(full).catch(() => null);
      if (entry?.isDirectory()) await walk(full);
      else files.push(full);
    }
  };
  if (info.isDirectory()) await walk(target);
  else files.push(target);
  return { files, unreadable };
}

const RAW = /\.dat$/i;
const PCAP = /\.(pcap|cap)$/i;
const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

/**
 * Decodes a file, or every .dat and .pcap file below a folder in name order. A .dat file's exporter is its folder
 * (all datagrams of one folder share template state, like one exporter); a pcap's is each datagram's source address.
 * Throws MissingPathError when the path does not exist; every other problem is counted as an error.
 */
export async function decodeFlowFiles(target: string, write: (line: string) => void, opts: DecodeOptions): Promise<DecodeSummary> {
  const warn = opts.warn ?? (() => {});
  const { files, unreadable } = await listFlowFiles(target);
  const single = files.length === 1 && files[0] === target;
  const decoder = new NetflowDecoder();
  const summary: DecodeSummary = { datagrams: 0, records: 0, errors: 0 };
  for (const u of unreadable) {
    summary.errors++;
    warn(`${u.file}: ${u.error}`);
  }
  const print = (r: DecodedRecord) => {
    summary.records++;
    write(opts.json ? JSON.stringify(jsonRecord(r)) : readableRecord(r));
  };
  for (const file of files) {
    if (!single && !RAW.test(file) && !PCAP.test(file)) continue;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      summary.errors++;
      warn(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      continue;
    }
    const before = problems(decoder.stats);
    if (PCAP.test(file) || (single && bytes.length >= 4 && PCAP_MAGICS.has(bytes.readUInt32BE(0)))) {
      const counts = createPcapCounts();
      try {
        for (const d of udpDatagrams(bytes, counts)) {
          summary.datagrams++;
          decoder.decodeFull(d.payload, d.exporter, print);
        }
      } catch (err) {
        if (!(err instanceof PcapError)) throw err;
        summary.errors++;
        warn(`${file}: ${err.message}`);
      }
      summary.errors += counts.truncated;
      if (counts.truncated) warn(`${file}: ${counts.truncated} truncated frame(s)`);
    } else {
      summary.datagrams++;
      decoder.decodeFull(bytes, path.dirname(file), print);
    }
    const after = problems(decoder.stats);
    const errors = Object.entries(after)
      .map(([reason, n]) => [reason, n - (before[reason] ?? 0)] as const)
      .filter(([, n]) => n > 0);
    if (errors.length) warn(`${file}: dropped ${errors.map(([reason, n]) => `${n} ${reason}`).join(', ')}`);
    summary.errors += errors.reduce((sum, [, n]) => sum + n, 0);
  }
  write(`${summary.datagrams} datagrams, ${summary.records} records, ${summary.errors} errors`);
  return summary;
}

/** Error counts by reason (datagrams dropped whole, sets skipped): what errorCount sums. */
function problems(stats: DecodeStats): Record<string, number> {
  return { ...stats.dropped, ...stats.setErrors };
}

const isoOr = (ms: number): string | number => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : ms);

/** The full decode as one flat object: where it came from, every field by name, and the normalised flow if any. */
export function jsonRecord(r: DecodedRecord): Record<string, unknown> {
  const head: Record<string, unknown> = {
    exporter: r.exporter,
    version: r.version,
    flowset_id: r.setId,
    domain_id: r.domainId,
    flow_seq_num: r.sequence,
    export_time: isoOr(r.exportMs),
    kind: r.kind,
  };
  const out: Record<string, unknown> = { ...head, ...r.fields };
  if (r.flow) {
    const f = r.flow;
    out.flow = {
      start: isoOr(f.start),
      end: isoOr(f.end),
      src: ipKeyToString(f.src),
      dst: ipKeyToString(f.dst),
      srcPort: f.srcPort,
      dstPort: f.dstPort,
      protocol: f.protocol,
      tcpFlags: f.tcpFlags,
      packets: f.packets,
      bytes: f.bytes,
      samplingInterval: f.samplingInterval,
    };
  }
  return out;
}

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 58: 'icmpv6', 132: 'sctp' };
const VERSION: Record<number, string> = { 5: 'v5', 9: 'v9', 10: 'ipfix' };

/** One line for a terminal: the flow as address:port pairs with scaled counts, or the fields of an options record. */
export function readableRecord(r: DecodedRecord): string {
  const from = `${VERSION[r.version]} ${r.exporter}`;
  if (r.flow) {
    const f = r.flow;
    const endpoint = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    const proto = PROTOCOLS[f.protocol] ?? `proto ${f.protocol}`;
    const sampled = f.samplingInterval > 1 ? ` (1:${f.samplingInterval})` : '';
    return `${isoOr(f.start)}  ${endpoint(ipKeyToString(f.src), f.srcPort)} -> ${endpoint(ipKeyToString(f.dst), f.dstPort)} ${proto} ${f.packets} pkts ${f.bytes} bytes${sampled}  [${from} set ${r.setId}]`;
  }
  const fields = Object.entries(r.fields)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${isoOr(r.exportMs)}  ${r.kind} record: ${fields}  [${from} set ${r.setId}]`;
}

/** Adds `decode` to the `flows` command the CLI's entry point creates. */
export function registerFlowsDecodeCommand(flows: Command): void {
  flows
    .command('decode')
    .description('decode NetFlow v5 / v9 / IPFIX from raw datagram files (.dat) or pcap captures; folders are read recursively in name order')
    .argument('<file-or-folder>', 'a .dat or .pcap file, or a folder of them')
    .option('--json', 'one JSON object per record (every field by name) instead of readable lines')
    .action(async (target: string, opts: { json?: boolean }) => {
      // Exit code 0 even with errors: malformed datagrams are part of what the command reports.
      await decodeFlowFiles(target, (line) => console.log(line), { json: Boolean(opts.json), warn: (line) => console.error(line) });
    });
}
