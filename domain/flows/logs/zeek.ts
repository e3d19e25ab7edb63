// Zeek conn.log, both as Zeek writes it by default (tab-separated, with #separator/#fields/#unset_field directives)
// and as JSON lines (LogAscii::use_json). One connection becomes up to two FlowRecords, one per direction, so it reads
// like NetFlow: originator -> responder with orig_pkts/orig_ip_bytes, and the reverse when the responder sent anything.
import { PROTOCOL, TCP_FLAGS, type FlowRecord, type FlowSink, type IpKey } from '../types';
import { parseIpKey } from './address';
import type { StatsCollector } from './stats';

type Value = string | number | undefined;

/** The fields of one conn record we read, after the format's own conventions (unset, empty) are applied. */
interface ConnFields {
  ts: Value;
  origH: Value;
  origP: Value;
  respH: Value;
  respP: Value;
  proto: Value;
  duration: Value;
  origPkts: Value;
  origBytes: Value;
  origIpBytes: Value;
  respPkts: Value;
  respBytes: Value;
  respIpBytes: Value;
  history: Value;
}

const FIELD_NAMES: Record<keyof ConnFields, string> = {
  ts: 'ts',
  origH: 'id.orig_h',
  origP: 'id.orig_p',
  respH: 'id.resp_h',
  respP: 'id.resp_p',
  proto: 'proto',
  duration: 'duration',
  origPkts: 'orig_pkts',
  origBytes: 'orig_bytes',
  origIpBytes: 'orig_ip_bytes',
  respPkts: 'resp_pkts',
  respBytes: 'resp_bytes',
  respIpBytes: 'resp_ip_bytes',
  history: 'history',
};
const REQUIRED: (keyof ConnFields)[] = ['ts', 'origH', 'origP', 'respH', 'respP', 'proto'];

/** Directives arrive as `#name<sep>values`; the separator itself is announced with \x escapes. */
function unescapeSeparator(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function createZeekParser(sink: FlowSink, stats: StatsCollector, exporter: string): (text: string, lineNumber: number) => void {
  let separator = '\t';
  let unset = '-';
  let empty = '(empty)';
  let index: Partial<Record<keyof ConnFields, number>> | undefined;
  let columnCount = 0;
  let notConn: string | undefined;

  const fromTsv = (parts: string[]): ConnFields => {
    const get = (k: keyof ConnFields): Value => {
      const i = index![k];
      if (i === undefined) return undefined;
      const v = parts[i];
      return v === undefined || v === unset || v === empty ? undefined : v;
    };
    return {
      ts: get('ts'), origH: get('origH'), origP: get('origP'), respH: get('respH'), respP: get('respP'), proto: get('proto'),
      duration: get('duration'), origPkts: get('origPkts'), origBytes: get('origBytes'), origIpBytes: get('origIpBytes'),
      respPkts: get('respPkts'), respBytes: get('respBytes'), respIpBytes: get('respIpBytes'), history: get('history'),
    };
  };

  return (text, lineNumber) => {
    if (text.trim() === '') {
      stats.stats.skipped++;
      return;
    }
    if (text.startsWith('{') || text.startsWith('[')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        return stats.bad(lineNumber, `not JSON: ${(err as Error).message}`);
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return stats.bad(lineNumber, 'a JSON line that is not an object');
      const o = json as Record<string, unknown>;
      const pick = (k: keyof ConnFields): Value => {
        const v = o[FIELD_NAMES[k]];
        return typeof v === 'string' || typeof v === 'number' ? v : undefined;
      };
      const f = {} as ConnFields;
      for (const k of Object.keys(FIELD_NAMES) as (keyof ConnFields)[]) f[k] = pick(k);
      return emit(f, lineNumber);
    }
    if (text.startsWith('#')) {
      stats.stats.skipped++;
      if (text.startsWith('#separator')) {
        separator = unescapeSeparator(text.slice('#separator'.length).trim()) || '\t';
        return;
      }
      const parts = text.split(separator);
      const name = parts[0];
      if (name === '#unset_field' && parts[1] !== undefined) unset = parts[1];
      else if (name === '#empty_field' && parts[1] !== undefined) empty = parts[1];
      else if (name === '#path') notConn = parts[1] === 'conn' ? undefined : `#path is '${parts[1]}', not conn`;
      else if (name === '#fields') {
        const names = parts.slice(1);
        columnCount = names.length;
        index = {};
        for (const k of Object.keys(FIELD_NAMES) as (keyof ConnFields)[]) {
          const i = names.indexOf(FIELD_NAMES[k]);
          if (i >= 0) index[k] = i;
        }
        const missing = REQUIRED.filter((k) => index![k] === undefined).map((k) => FIELD_NAMES[k]);
        if (missing.length) notConn = `#fields lacks ${missing.join(', ')}`;
        else if (notConn?.startsWith('#fields')) notConn = undefined;
      }
      return;
    }
    if (!index) return stats.bad(lineNumber, 'a record before the #fields header (or a line that is neither TSV nor JSON)');
    if (notConn) return stats.bad(lineNumber, `not a conn log: ${notConn}`);
    const parts = text.split(separator);
    if (parts.length !== columnCount) return stats.bad(lineNumber, `expected ${columnCount} fields, found ${parts.length}`);
    emit(fromTsv(parts), lineNumber);
  };

  function emit(f: ConnFields, lineNumber: number): void {
    const result = toRecords(f, exporter);
    if (typeof result === 'string') return stats.bad(lineNumber, result);
    if (result.length === 0) {
      stats.stats.skipped++;
      stats.warn('transport', (n) => `${n} connection${n === 1 ? '' : 's'} without a known transport (unknown_transport) skipped`);
      return;
    }
    for (const r of result) {
      stats.stats.records++;
      sink(r);
    }
  }
}

const num = (v: Value): number | undefined => {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

const count = (v: Value): number | undefined => {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
};

/** Zeek times: seconds with a fraction, or ISO 8601 when JSON::TS_FORMAT says so. */
function timeMs(v: Value): number | undefined {
  const n = num(v);
  if (n !== undefined) return n >= 0 ? Math.round(n * 1000) : undefined;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The TCP flags one side sent, from Zeek's history letters: upper case is the originator, lower case the responder. */
export function flagsFromHistory(history: string, originator: boolean): number {
  let flags = 0;
  for (let i = 0; i < history.length; i++) {
    const ch = history[i]!;
    const mine = originator ? ch >= 'A' && ch <= 'Z' : ch >= 'a' && ch <= 'z';
    if (!mine) continue;
    switch (ch.toLowerCase()) {
      case 's':
        flags |= TCP_FLAGS.SYN;
        break;
      case 'h':
        flags |= TCP_FLAGS.SYN | TCP_FLAGS.ACK;
        break;
      case 'a':
      case 'd':
        flags |= TCP_FLAGS.ACK;
        break;
      case 'f':
        flags |= TCP_FLAGS.FIN;
        break;
      case 'r':
        flags |= TCP_FLAGS.RST;
        break;
    }
  }
  return flags;
}

function toRecords(f: ConnFields, exporter: string): FlowRecord[] | string {
  for (const k of REQUIRED) if (f[k] === undefined) return `${FIELD_NAMES[k]} is missing or unset`;
  const start = timeMs(f.ts);
  if (start === undefined) return `ts '${f.ts}' is not a time`;
  const orig = parseIpKey(String(f.origH));
  if (orig === undefined) return `id.orig_h '${f.origH}' is not an IP address`;
  const resp = parseIpKey(String(f.respH));
  if (resp === undefined) return `id.resp_h '${f.respH}' is not an IP address`;
  const origP = count(f.origP);
  const respP = count(f.respP);
  if (origP === undefined || origP > 65535) return `id.orig_p '${f.origP}' is not a port`;
  if (respP === undefined || respP > 65535) return `id.resp_p '${f.respP}' is not a port`;
  const v6 = typeof orig === 'string';
  const protoName = String(f.proto).toLowerCase();
  const protocol = protoName === 'tcp' ? PROTOCOL.TCP : protoName === 'udp' ? PROTOCOL.UDP : protoName === 'icmp' ? (v6 ? PROTOCOL.ICMPV6 : PROTOCOL.ICMP) : undefined;
  if (protocol === undefined) {
    if (protoName === 'unknown_transport') return [];
    return `proto '${f.proto}' is not tcp, udp or icmp`;
  }
  const duration = f.duration === undefined ? 0 : num(f.duration);
  if (duration === undefined || duration < 0) return `duration '${f.duration}' is not a number of seconds`;
  const counts: Partial<Record<keyof ConnFields, number>> = {};
  for (const k of ['origPkts', 'origBytes', 'origIpBytes', 'respPkts', 'respBytes', 'respIpBytes'] as const) {
    if (f[k] === undefined) continue;
    const n = count(f[k]);
    if (n === undefined) return `${FIELD_NAMES[k]} '${f[k]}' is not a count`;
    counts[k] = n;
  }
  const end = start + Math.round(duration * 1000);
  const history = typeof f.history === 'string' && protocol === PROTOCOL.TCP ? f.history : '';
  // ICMP: Zeek puts the type in orig_p and the code in resp_p; NetFlow's convention is type*256+code in the port.
  const icmp = protocol !== PROTOCOL.TCP && protocol !== PROTOCOL.UDP;
  const ports = (a: number, b: number): [number, number] => (icmp ? [0, origP * 256 + respP] : [a, b]);
  const make = (src: IpKey, dst: IpKey, sp: number, dp: number, packets: number, bytes: number, flags: number): FlowRecord => ({
    source: 'zeek', exporter, start, end, src, dst, srcPort: sp, dstPort: dp, protocol, tcpFlags: flags, packets, bytes, samplingInterval: 1,
  });
  const [sp, dp] = ports(origP, respP);
  const records = [
    make(orig, resp, sp, dp, counts.origPkts ?? 0, counts.origIpBytes ?? counts.origBytes ?? 0, history ? flagsFromHistory(history, true) : 0),
  ];
  const respPackets = counts.respPkts ?? 0;
  const respBytes = counts.respIpBytes ?? counts.respBytes ?? 0;
  if (respPackets > 0 || respBytes > 0) {
    const [rsp, rdp] = icmp ? [0, dp] : [respP, origP];
    records.push(make(resp, orig, rsp, rdp, respPackets, respBytes, history ? flagsFromHistory(history, false) : 0));
  }
  return records;
}
