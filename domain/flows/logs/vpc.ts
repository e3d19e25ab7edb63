// AWS VPC Flow Logs, text form: space-separated fields, by default version 2
// (version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status).
// Files delivered to S3 start with a header naming the fields; a header also lets custom formats (v3-v8 fields such as
// tcp-flags) be read by name. Without a header only the default version 2 format can be read.
import type { FlowRecord, FlowSink } from '../types';
import { parseIpKey } from './address';
import { isPort, parseCount, type StatsCollector } from './stats';

export const VPC_DEFAULT_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
  'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
] as const;

/** Field names no record carries as a value: a line holding one is a header. */
const HEADER_WORDS = new Set(['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'log-status']);

const REQUIRED = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end'] as const;

interface Columns {
  count: number;
  version: number;
  account: number;
  iface: number;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  protocol: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  status: number;
  tcpFlags: number;
}

function columnsOf(names: readonly string[]): Columns {
  const at = (n: string) => names.indexOf(n);
  return {
    count: names.length,
    version: at('version'),
    account: at('account-id'),
    iface: at('interface-id'),
    src: at('srcaddr'),
    dst: at('dstaddr'),
    srcPort: at('srcport'),
    dstPort: at('dstport'),
    protocol: at('protocol'),
    packets: at('packets'),
    bytes: at('bytes'),
    start: at('start'),
    end: at('end'),
    status: at('log-status'),
    tcpFlags: at('tcp-flags'),
  };
}

const DEFAULT_COLUMNS = columnsOf(VPC_DEFAULT_FIELDS);

/** A line parser for VPC flow logs; `line` is called once per line of the file, in order. */
export function createVpcParser(sink: FlowSink, stats: StatsCollector, exporter: string): (text: string, lineNumber: number) => void {
  let columns: Columns = DEFAULT_COLUMNS;
  let fromHeader = false;
  let headerProblem: string | undefined;

  return (text, lineNumber) => {
    if (text.trim() === '') {
      stats.stats.skipped++;
      return;
    }
    let fields = text.split(' ');
    if (fields.length !== columns.count || fields.includes('')) fields = text.trim().split(/\s+/);
    // A header names fields instead of carrying numbers; files may be concatenated, so one can appear anywhere.
    if (fields.some((name) => HEADER_WORDS.has(name))) {
      const missing = REQUIRED.filter((r) => !fields.includes(r));
      headerProblem = missing.length ? `the header on line ${lineNumber} lacks ${missing.join(', ')}` : undefined;
      if (missing.length) stats.bad(lineNumber, `header without ${missing.join(', ')}`);
      else stats.stats.skipped++;
      columns = columnsOf(fields);
      fromHeader = true;
      return;
    }
    if (headerProblem) return stats.bad(lineNumber, `cannot read records: ${headerProblem}`);
    if (fields.length !== columns.count) {
      return stats.bad(lineNumber, `expected ${columns.count} space-separated fields, found ${fields.length}`);
    }
    if (!fromHeader && fields[columns.version] !== '2') {
      return stats.bad(lineNumber, `version ${fields[columns.version]} records need a header line naming their fields (only version 2 is read without one)`);
    }
    const status = columns.status >= 0 ? fields[columns.status]! : 'OK';
    if (status === 'NODATA') {
      stats.stats.skipped++;
      return;
    }
    if (status === 'SKIPDATA') {
      stats.stats.skipped++;
      stats.warn('skipdata', (n) => `${n} SKIPDATA entr${n === 1 ? 'y' : 'ies'}: AWS dropped flow records during the capture window, so counts are low`);
      return;
    }
    if (status !== 'OK') return stats.bad(lineNumber, `unknown log-status '${status}'`);
    const record = toRecord(fields, columns, exporter);
    if (typeof record === 'string') return stats.bad(lineNumber, record);
    stats.stats.records++;
    sink(record);
  };
}

/** One OK line to a record, or the reason it is not one. */
function toRecord(f: string[], c: Columns, defaultExporter: string): FlowRecord | string {
  const src = parseIpKey(f[c.src]!);
  if (src === undefined) return `srcaddr '${f[c.src]}' is not an IP address`;
  const dst = parseIpKey(f[c.dst]!);
  if (dst === undefined) return `dstaddr '${f[c.dst]}' is not an IP address`;
  // '-' ports appear for protocols without ports; they are 0 as in NetFlow.
  const srcPort = f[c.srcPort] === '-' ? 0 : parseCount(f[c.srcPort]!);
  if (!isPort(srcPort)) return `srcport '${f[c.srcPort]}' is not a port`;
  const dstPort = f[c.dstPort] === '-' ? 0 : parseCount(f[c.dstPort]!);
  if (!isPort(dstPort)) return `dstport '${f[c.dstPort]}' is not a port`;
  const protocol = parseCount(f[c.protocol]!);
  if (protocol === undefined || protocol > 255) return `protocol '${f[c.protocol]}' is not an IANA protocol number`;
  const packets = parseCount(f[c.packets]!);
  if (packets === undefined) return `packets '${f[c.packets]}' is not a count`;
  const bytes = parseCount(f[c.bytes]!);
  if (bytes === undefined) return `bytes '${f[c.bytes]}' is not a count`;
  const start = parseCount(f[c.start]!);
  if (start === undefined) return `start '${f[c.start]}' is not a Unix time in seconds`;
  const end = parseCount(f[c.end]!);
  if (end === undefined) return `end '${f[c.end]}' is not a Unix time in seconds`;
  if (end < start) return `end ${end} is before start ${start}`;
  let tcpFlags = 0;
  if (c.tcpFlags >= 0 && f[c.tcpFlags] !== '-') {
    const flags = parseCount(f[c.tcpFlags]!);
    if (flags === undefined || flags > 255) return `tcp-flags '${f[c.tcpFlags]}' is not a flag byte`;
    tcpFlags = flags;
  }
  const iface = c.iface >= 0 ? f[c.iface] : undefined;
  const account = c.account >= 0 ? f[c.account] : undefined;
  const exporter = iface && iface !== '-' ? iface : account && account !== '-' ? account : defaultExporter;
  return { source: 'vpc', exporter, start: start * 1000, end: end * 1000, src, dst, srcPort, dstPort, protocol, tcpFlags, packets, bytes, samplingInterval: 1 };
}
