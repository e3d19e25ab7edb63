// Analysis of collected artifacts: indicator matching over every line of logs and network summaries (and over the
// printable strings of memory and disk images), and a timeline of what the logs say happened, across machines and
// files, in UTC. Artifacts outside the approved scope are refused unread. Bad lines are counted, never thrown.
import { createFlowLogReader } from '../flows/logs';
import { ipKeyToString, type FlowRecord } from '../flows/types';
import { isBundle, splitBundle } from './bundle';
import { EVENT_KINDS, recogniseEvents, type RecognisedEvent } from './events';
import { compileIndicators, matchLine, printableStrings, type CompiledIndicators, type Indicator, type TextHit } from './indicators';
import { plainText } from './plain-text';
import { outOfScopeReason } from './scope-rules';
import { parseSyslogLine, type SyslogTimeOptions } from './syslog';
import type { DataKind, ForensicScope } from './types';

export { buildReport, renderReport, type ForensicReport, type ReportInput, type ReportRequest } from './report';

export interface ArtifactInput {
  /** How the report names the artifact (its id or file name). */
  id: string;
  deploymentId: string;
  vmId: string;
  kind: DataKind;
  bytes: Uint8Array;
  /** The VM clock's IANA zone, for timestamps without an offset. */
  timeZone?: string;
}

export interface AnalysisOptions extends Omit<SyslogTimeOptions, 'timeZone'> {
  /** The approved scope: artifacts outside it are not read. */
  scope: ForensicScope;
  indicators: readonly Indicator[];
  /** Zone for artifacts that name none; default UTC. */
  defaultTimeZone?: string;
  /** Matches kept in the result (all are counted); default 5,000. */
  maxMatches?: number;
  /** Timeline events kept, the earliest first (all are counted); default 100,000. */
  maxEvents?: number;
  /** Bad lines listed per file (all are counted); default 50. */
  maxBadLines?: number;
  /** Shortest printable run taken from binary images; default 6. */
  minStringLength?: number;
}

export interface IndicatorMatch {
  indicator: Indicator;
  artifact: string;
  vmId: string;
  kind: DataKind;
  /** The file inside the artifact (a path on the VM for bundled logs), or the artifact itself. */
  file: string;
  /** 1-based line in that file, for text; absent for binary images. */
  line?: number;
  column?: number;
  /** Byte offset of the string, for binary images. */
  offset?: number;
  /** The text that matched and its line, as plain text. */
  matched: string;
  text: string;
}

export interface TimelineEvent extends RecognisedEvent {
  /** ISO 8601, UTC. */
  at: string;
  atMs: number;
  artifact: string;
  vmId: string;
  file: string;
  line: number;
  host?: string;
  program?: string;
  /** The whole line, as plain text. */
  text: string;
}

export interface FileStats {
  file: string;
  format: 'syslog' | 'zeek-conn' | 'binary';
  /** Lines read (text), or printable strings scanned (binary). */
  lines: number;
  events: number;
  matches: number;
  bad: number;
  badLines: { line: number; reason: string }[];
}

export interface ArtifactStats {
  artifact: string;
  vmId: string;
  kind: DataKind;
  bytes: number;
  files: FileStats[];
  problems: string[];
}

export interface AnalysisResult {
  /** The indicators searched for, in canonical form (the unusable ones are in indicatorErrors). */
  indicators: Indicator[];
  matches: IndicatorMatch[];
  /** Matches beyond `maxMatches`, counted but not listed. */
  matchesOmitted: number;
  /** Events beyond `maxEvents`, counted but not listed (the latest ones). */
  eventsOmitted: number;
  timeline: TimelineEvent[];
  stats: ArtifactStats[];
  refused: { artifact: string; reason: string }[];
  indicatorErrors: string[];
}

const decoder = new TextDecoder();
const KIND_ORDER = new Map(EVENT_KINDS.map((k, i) => [k, i]));

export function analyseArtifacts(artifacts: readonly ArtifactInput[], options: AnalysisOptions): AnalysisResult {
  const { compiled, errors } = compileIndicators(options.indicators);
  const result: AnalysisResult = { indicators: compiled.indicators, matches: [], matchesOmitted: 0, eventsOmitted: 0, timeline: [], stats: [], refused: [], indicatorErrors: errors };
  const maxMatches = options.maxMatches ?? 5000;
  const maxEvents = options.maxEvents ?? 100_000;
  const ctx: Ctx = { compiled, result, maxMatches, maxBadLines: options.maxBadLines ?? 50 };
  for (const a of artifacts) {
    const reason = outOfScopeReason(options.scope, a);
    if (reason) {
      result.refused.push({ artifact: a.id, reason });
      continue;
    }
    const stats: ArtifactStats = { artifact: a.id, vmId: a.vmId, kind: a.kind, bytes: a.bytes.byteLength, files: [], problems: [] };
    result.stats.push(stats);
    const time: SyslogTimeOptions = {
      timeZone: a.timeZone ?? options.defaultTimeZone ?? 'UTC',
      ...(options.year !== undefined ? { year: options.year } : {}),
      ...(options.referenceTime ? { referenceTime: options.referenceTime } : {}),
    };
    if (a.kind === 'memory_snapshot' || a.kind === 'disk_snapshot' || isPcap(a.bytes)) {
      if (a.kind === 'network_capture') stats.problems.push('a raw packet capture: only its printable strings were searched (summarise it with Zeek for connections)');
      stats.files.push(scanBinary(a, ctx, options.minStringLength ?? 6));
    } else if (a.kind === 'network_capture') {
      stats.files.push(readZeek(a, ctx));
    } else {
      const split = isBundle(a.bytes) ? splitBundle(a.bytes, a.id) : { sections: [{ path: a.id, bytes: a.bytes }], problems: [] };
      stats.problems.push(...split.problems);
      for (const s of split.sections) stats.files.push(readSyslog(a, plainText(s.path, 300), s.bytes, time, ctx));
    }
  }
  result.matches.sort(
    (x, y) =>
      cmp(x.vmId, y.vmId) || cmp(x.artifact, y.artifact) || cmp(x.file, y.file) || (x.line ?? x.offset ?? 0) - (y.line ?? y.offset ?? 0) ||
      (x.column ?? 0) - (y.column ?? 0),
  );
  result.timeline.sort(
    (x, y) =>
      x.atMs - y.atMs || cmp(x.vmId, y.vmId) || cmp(x.artifact, y.artifact) || cmp(x.file, y.file) || x.line - y.line ||
      KIND_ORDER.get(x.kind)! - KIND_ORDER.get(y.kind)!,
  );
  if (result.timeline.length > maxEvents) {
    result.eventsOmitted = result.timeline.length - maxEvents;
    result.timeline.length = maxEvents;
  }
  return result;
}

interface Ctx {
  compiled: CompiledIndicators;
  result: AnalysisResult;
  maxMatches: number;
  maxBadLines: number;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Lines longer than this are bad lines, not memory. */
const MAX_LINE = 1 << 20;
const LF = 0x0a;
const OVERLONG = Symbol('overlong');

/**
 * The lines of a text artifact, decoded a window at a time so an artifact larger than a JavaScript string can hold
 * is still read; LF or CRLF; a final line without a newline counts.
 */
function* textLines(bytes: Uint8Array): Generator<string | typeof OVERLONG> {
  let at = 0;
  while (at < bytes.length) {
    let end = Math.min(at + MAX_LINE, bytes.length);
    if (end < bytes.length) {
      const lf = bytes.lastIndexOf(LF, end - 1);
      if (lf < at) {
        // No line break in a whole window: one overlong line, skipped to its end.
        const next = bytes.indexOf(LF, end);
        yield OVERLONG;
        at = next === -1 ? bytes.length : next + 1;
        continue;
      }
      end = lf + 1;
    }
    const lines = decoder.decode(bytes.subarray(at, end)).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    at = end;
  }
}

function addMatches(ctx: Ctx, hits: TextHit[], a: ArtifactInput, file: string, where: { line?: number; offset?: number }, text: string, stats: FileStats): void {
  for (const h of hits) {
    stats.matches++;
    if (ctx.result.matches.length >= ctx.maxMatches) {
      ctx.result.matchesOmitted++;
      continue;
    }
    ctx.result.matches.push({
      indicator: h.indicator, artifact: a.id, vmId: a.vmId, kind: a.kind, file, ...where,
      ...(where.line !== undefined ? { column: h.column } : {}),
      matched: plainText(h.matched, 200), text: plainText(text),
    });
  }
}

function bad(stats: FileStats, max: number, line: number, reason: string): void {
  stats.bad++;
  if (stats.badLines.length < max) stats.badLines.push({ line, reason });
}

function readSyslog(a: ArtifactInput, file: string, bytes: Uint8Array, time: SyslogTimeOptions, ctx: Ctx): FileStats {
  const stats: FileStats = { file, format: 'syslog', lines: 0, events: 0, matches: 0, bad: 0, badLines: [] };
  let lineNo = 0;
  for (const text of textLines(bytes)) {
    lineNo++;
    stats.lines++;
    if (text === OVERLONG) {
      bad(stats, ctx.maxBadLines, lineNo, `longer than ${MAX_LINE} bytes`);
      continue;
    }
    if (text.trim() === '') continue;
    addMatches(ctx, matchLine(text, ctx.compiled), a, file, { line: lineNo }, text, stats);
    const parsed = parseSyslogLine(text, time);
    if (!parsed.ok) {
      bad(stats, ctx.maxBadLines, lineNo, parsed.reason);
      continue;
    }
    for (const e of recogniseEvents(parsed)) {
      stats.events++;
      ctx.result.timeline.push({
        ...e, at: new Date(parsed.atMs).toISOString(), atMs: parsed.atMs, artifact: a.id, vmId: a.vmId, file, line: lineNo,
        host: plainText(parsed.host, 100), ...(parsed.program ? { program: plainText(parsed.program, 100) } : {}), text: plainText(text),
      });
    }
  }
  return stats;
}

/** Zeek conn.log through the flow-log reader, a line at a time so each connection keeps its line number. */
function readZeek(a: ArtifactInput, ctx: Ctx): FileStats {
  const stats: FileStats = { file: a.id, format: 'zeek-conn', lines: 0, events: 0, matches: 0, bad: 0, badLines: [] };
  let records: FlowRecord[] = [];
  const reader = createFlowLogReader('zeek', (r) => records.push(r), { exporter: a.id, maxBadLines: ctx.maxBadLines });
  let lineNo = 0;
  for (const line of textLines(a.bytes)) {
    lineNo++;
    stats.lines++;
    // The reader counts lines itself: an overlong line still has to reach it, as an empty one it reports.
    const text = line === OVERLONG ? '' : line;
    if (line === OVERLONG) bad(stats, ctx.maxBadLines, lineNo, `longer than ${MAX_LINE} bytes`);
    addMatches(ctx, matchLine(text, ctx.compiled), a, a.id, { line: lineNo }, text, stats);
    records = [];
    reader.write(`${text}\n`);
    // The reader hands over the originator's direction first, then the responder's when it sent anything.
    const [out, back] = records;
    if (!out) continue;
    stats.events++;
    const proto = out.protocol === 6 ? 'tcp' : out.protocol === 17 ? 'udp' : 'icmp';
    const src = ipKeyToString(out.src);
    const dst = ipKeyToString(out.dst);
    const seconds = ((out.end - out.start) / 1000).toFixed(1);
    ctx.result.timeline.push({
      kind: 'network_connection',
      summary: `${proto} ${src}:${out.srcPort} -> ${dst}:${out.dstPort}, ${out.bytes.toLocaleString('en-US')} bytes sent, ${(back?.bytes ?? 0).toLocaleString('en-US')} received, ${seconds} s`,
      details: {
        protocol: proto, sourceIp: src, sourcePort: String(out.srcPort), destinationIp: dst, destinationPort: String(out.dstPort),
        bytesSent: String(out.bytes), bytesReceived: String(back?.bytes ?? 0), seconds,
      },
      at: new Date(out.start).toISOString(), atMs: out.start, artifact: a.id, vmId: a.vmId, file: a.id, line: lineNo, text: plainText(text),
    });
  }
  const end = reader.end();
  stats.bad += end.bad;
  stats.badLines = [...stats.badLines, ...end.badLines].sort((x, y) => x.line - y.line).slice(0, ctx.maxBadLines);
  return stats;
}

function scanBinary(a: ArtifactInput, ctx: Ctx, minLength: number): FileStats {
  const stats: FileStats = { file: a.id, format: 'binary', lines: 0, events: 0, matches: 0, bad: 0, badLines: [] };
  for (const s of printableStrings(a.bytes, minLength)) {
    stats.lines++;
    addMatches(ctx, matchLine(s.text, ctx.compiled), a, a.id, { offset: s.offset }, s.text, stats);
  }
  return stats;
}

function isPcap(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(magic);
}
