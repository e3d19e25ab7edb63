// Azure NSG flow logs (version 2): one JSON document per blob, {"records":[{time, properties:{Version, flows:[{rule,
// flows:[{mac, flowTuples:["unixts,src,dst,sport,dport,T|U,I|O,A|D,B|C|E,pktsS2D,bytesS2D,pktsD2S,bytesD2S"]}]}]}}]}.
// The document is read whole (JSON has no line boundaries to stream on); each tuple is checked on its own.
//
// A tuple describes a connection, not a direction, so it becomes up to two FlowRecords (source->destination with the
// S2D counters, the reverse with D2S). State B (begin) of an allowed flow carries no counters and its counters follow
// in C (every 5 minutes) and E (end) tuples, so it is skipped rather than counted twice; a denied flow only ever has
// a B tuple, which becomes one record of one packet (the one refused). Version 1 tuples (8 fields) have no counters.
import { PROTOCOL, type FlowRecord, type FlowSink } from '../types';
import { parseIpKey } from './address';
import { isPort, parseCount, type StatsCollector } from './stats';

export function parseNsgDocument(text: string, sink: FlowSink, stats: StatsCollector, defaultExporter: string): void {
  stats.stats.lines = text.length === 0 ? 0 : countLines(text, 0, text.length) + (text.endsWith('\n') ? 0 : 1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    return stats.bad(at ? countLines(text, 0, Number(at[1])) + 1 : 1, `the document is not JSON: ${message}`);
  }
  const records = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.records) ? doc.records : undefined;
  if (!records) return stats.bad(1, 'no "records" array: not an NSG flow log document');
  const locate = lineLocator(text);

  records.forEach((record: unknown, i) => {
    const where = `records[${i}]`;
    // A record's time is as good as unique, so a bad record is found by it.
    const locateRecord = () => locate(isObject(record) && typeof record.time === 'string' ? record.time : undefined);
    if (!isObject(record) || !isObject(record.properties)) return stats.bad(locateRecord(), `${where} has no properties object`);
    const props = record.properties;
    const version = props.Version ?? props.version;
    const exporter = typeof record.macAddress === 'string' ? record.macAddress : typeof record.resourceId === 'string' ? record.resourceId : defaultExporter;
    if (!Array.isArray(props.flows)) return stats.bad(locateRecord(), `${where}.properties.flows is not an array`);
    props.flows.forEach((rule: unknown, j) => {
      if (!isObject(rule) || !Array.isArray(rule.flows)) return stats.bad(locate(), `${where}.properties.flows[${j}].flows is not an array`);
      rule.flows.forEach((group: unknown, k) => {
        if (!isObject(group) || !Array.isArray(group.flowTuples)) {
          return stats.bad(locate(), `${where}.properties.flows[${j}].flows[${k}].flowTuples is not an array`);
        }
        group.flowTuples.forEach((tuple: unknown, l) => {
          const path = `${where}.properties.flows[${j}].flows[${k}].flowTuples[${l}]`;
          if (typeof tuple !== 'string') return stats.bad(locate(), `${path} is not a string`);
          const outcome = tupleToRecords(tuple, exporter, version);
          if (typeof outcome === 'string') return stats.bad(locate(tuple), `${path}: ${outcome}`);
          if (outcome.length === 0) {
            stats.stats.skipped++;
            return;
          }
          if (outcome[0]!.bytes === 0 && tuple.split(',').length === 8) {
            stats.warn('v1', (n) => `${n} version 1 tuple${n === 1 ? '' : 's'} without counters: each counts as one packet`);
          }
          for (const r of outcome) {
            stats.stats.records++;
            sink(r);
          }
        });
      });
    });
  });
}

function tupleToRecords(tuple: string, exporter: string, version: unknown): FlowRecord[] | string {
  const f = tuple.split(',');
  if (f.length !== 13 && f.length !== 8) return `expected 13 comma-separated fields (version 2) or 8 (version 1), found ${f.length}`;
  if (version === 2 && f.length !== 13) return `a version 2 record needs 13 fields, found ${f.length}`;
  const ts = parseCount(f[0]!);
  if (ts === undefined) return `'${f[0]}' is not a Unix time in seconds`;
  const src = parseIpKey(f[1]!);
  if (src === undefined) return `source '${f[1]}' is not an IP address`;
  const dst = parseIpKey(f[2]!);
  if (dst === undefined) return `destination '${f[2]}' is not an IP address`;
  const sport = parseCount(f[3]!);
  const dport = parseCount(f[4]!);
  if (!isPort(sport)) return `source port '${f[3]}' is not a port`;
  if (!isPort(dport)) return `destination port '${f[4]}' is not a port`;
  const protocol = f[5] === 'T' ? PROTOCOL.TCP : f[5] === 'U' ? PROTOCOL.UDP : undefined;
  if (protocol === undefined) return `protocol '${f[5]}' is not T or U`;
  if (f[6] !== 'I' && f[6] !== 'O') return `direction '${f[6]}' is not I or O`;
  if (f[7] !== 'A' && f[7] !== 'D') return `decision '${f[7]}' is not A or D`;
  const at = ts * 1000;
  const record = (s: typeof src, d: typeof dst, sp: number, dp: number, packets: number, bytes: number): FlowRecord => ({
    source: 'nsg', exporter, start: at, end: at, src: s, dst: d, srcPort: sp, dstPort: dp, protocol, tcpFlags: 0, packets, bytes, samplingInterval: 1,
  });
  if (f.length === 8) return [record(src, dst, sport, dport, 1, 0)];
  const state = f[8];
  if (state !== 'B' && state !== 'C' && state !== 'E') return `flow state '${state}' is not B, C or E`;
  const counters = f.slice(9).map((v) => (v === '' ? 0 : parseCount(v)));
  const bad = counters.findIndex((v) => v === undefined);
  if (bad >= 0) return `counter '${f[9 + bad]}' is not a count`;
  const [pktsS2D, bytesS2D, pktsD2S, bytesD2S] = counters as [number, number, number, number];
  if (state === 'B') {
    if (f[7] === 'A') return [];
    return [record(src, dst, sport, dport, Math.max(1, pktsS2D), bytesS2D)];
  }
  // A C or E tuple counts what moved since the last one; a direction that sent nothing is no flow.
  const out: FlowRecord[] = [];
  if (pktsS2D > 0 || bytesS2D > 0) out.push(record(src, dst, sport, dport, pktsS2D, bytesS2D));
  if (pktsD2S > 0 || bytesD2S > 0) out.push(record(dst, src, dport, sport, pktsD2S, bytesD2S));
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Line numbers for bad entries: a bad tuple (or a bad record, by its time) is found in document order from a moving
 * cursor, so the document is scanned at most once however many entries are bad. A bad group gets the line of the last
 * one found before it: approximate, the reason carries the exact JSON path.
 */
function lineLocator(text: string): (needle?: string) => number {
  let cursor = 0;
  let line = 1;
  return (needle) => {
    if (needle === undefined) return line;
    const at = text.indexOf(JSON.stringify(needle), cursor);
    if (at === -1) return line;
    line += countLines(text, cursor, at);
    cursor = at;
    return line;
  };
}
