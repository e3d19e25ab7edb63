// The analysis report: a structured document for the console and the case file, and its plain-text rendering for
// mail and download. Everything in it that came from a tenant's machine was already made plain text.
import type { ArtifactStats, IndicatorMatch, TimelineEvent } from './analysis';
import { custodyReport, type CustodyRecord } from './custody';
import { EVENT_KINDS, type EventKind } from './events';
import type { Indicator } from './indicators';
import { plainText } from './plain-text';
import { scopeText, type ScopeNames } from './scope';
import { outOfScopeReason } from './scope-rules';
import type { ForensicScope } from './types';

export interface ReportRequest {
  requestId: string;
  caseId: string;
  purpose: string;
  /** The scope the tenant approved. */
  scope: ForensicScope;
  approvedBy?: string;
  approvedAt?: Date;
  windowEndsAt?: Date;
  names?: ScopeNames;
}

export interface ReportInput {
  request: ReportRequest;
  custody: readonly CustodyRecord[];
  matches: readonly IndicatorMatch[];
  timeline: readonly TimelineEvent[];
  /** The indicators searched for (AnalysisResult.indicators), to count those without a match. */
  indicators?: readonly Indicator[];
  stats?: readonly ArtifactStats[];
  matchesOmitted?: number;
  eventsOmitted?: number;
  refused?: readonly { artifact: string; reason: string }[];
  indicatorErrors?: readonly string[];
  /** When the report was made; default now. */
  generatedAt?: Date;
}

export interface IndicatorSummary {
  type: Indicator['type'];
  value: string;
  label?: string;
  matches: number;
  vmIds: string[];
}

export interface ForensicReport {
  version: 1;
  generatedAt: string;
  request: {
    requestId: string;
    caseId: string;
    purpose: string;
    scope: ForensicScope;
    approvedBy?: string;
    approvedAt?: string;
    windowEndsAt?: string;
  };
  summary: {
    artifacts: number;
    bytes: number;
    matches: number;
    matchesOmitted: number;
    indicators: IndicatorSummary[];
    /** Indicators searched for that nothing matched. */
    indicatorsWithoutMatch: number;
    events: number;
    eventsOmitted: number;
    eventsByKind: Partial<Record<EventKind, number>>;
    firstEventAt?: string;
    lastEventAt?: string;
    linesRead: number;
    badLines: number;
  };
  custody: CustodyRecord[];
  matches: IndicatorMatch[];
  timeline: TimelineEvent[];
  stats: ArtifactStats[];
  /** What a reader must know: refused artifacts, unusable indicators, unreadable lines, custody outside the scope. */
  notes: string[];
}

const indicatorKey = (i: Indicator): string => `${i.type}\u0000${i.value}\u0000${i.flags ?? ''}`;

export function buildReport(input: ReportInput): { report: ForensicReport; text: string } {
  const { request } = input;
  const stats = [...(input.stats ?? [])];
  const byIndicator = new Map<string, IndicatorSummary>();
  for (const m of input.matches) {
    const key = indicatorKey(m.indicator);
    let s = byIndicator.get(key);
    if (!s) {
      s = { type: m.indicator.type, value: plainText(m.indicator.value, 200), ...(m.indicator.label ? { label: plainText(m.indicator.label, 200) } : {}), matches: 0, vmIds: [] };
      byIndicator.set(key, s);
    }
    s.matches++;
    if (!s.vmIds.includes(m.vmId)) s.vmIds.push(m.vmId);
  }
  const searched = new Set((input.indicators ?? []).map(indicatorKey));
  const eventsByKind: Partial<Record<EventKind, number>> = {};
  for (const kind of EVENT_KINDS) {
    const n = input.timeline.filter((e) => e.kind === kind).length;
    if (n) eventsByKind[kind] = n;
  }
  const files = stats.flatMap((s) => s.files);

  const notes: string[] = [];
  for (const r of input.refused ?? []) notes.push(`Not analysed, outside the approved scope: ${plainText(r.artifact)} (${r.reason}).`);
  for (const e of input.indicatorErrors ?? []) notes.push(`Indicator not used: ${plainText(e)}.`);
  for (const s of stats) for (const p of s.problems) notes.push(`${plainText(s.artifact)}: ${plainText(p)}.`);
  for (const s of stats) {
    for (const f of s.files) {
      if (f.bad) notes.push(`${plainText(s.artifact)} ${f.file}: ${f.bad} unreadable line${f.bad === 1 ? '' : 's'} skipped (first: line ${f.badLines[0]?.line}, ${f.badLines[0]?.reason}).`);
    }
  }
  for (const c of input.custody) {
    const reason = c.deploymentId ? outOfScopeReason(request.scope, { deploymentId: c.deploymentId, vmId: c.vmId, kind: c.kind }) : null;
    if (reason) notes.push(`Custody record for ${plainText(c.filename ?? c.sha256)} lies outside the approved scope: ${reason}.`);
  }
  if (input.matchesOmitted) notes.push(`${input.matchesOmitted} further matches were counted but not listed.`);
  if (input.eventsOmitted) notes.push(`${input.eventsOmitted} later timeline events were counted but not listed.`);

  const timeline = [...input.timeline];
  const report: ForensicReport = {
    version: 1,
    generatedAt: (input.generatedAt ?? new Date()).toISOString(),
    request: {
      requestId: request.requestId,
      caseId: request.caseId,
      purpose: request.purpose,
      scope: request.scope,
      ...(request.approvedBy !== undefined ? { approvedBy: request.approvedBy } : {}),
      ...(request.approvedAt ? { approvedAt: request.approvedAt.toISOString() } : {}),
      ...(request.windowEndsAt ? { windowEndsAt: request.windowEndsAt.toISOString() } : {}),
    },
    summary: {
      artifacts: input.custody.length,
      bytes: input.custody.reduce((n, c) => n + c.size, 0),
      matches: input.matches.length + (input.matchesOmitted ?? 0),
      matchesOmitted: input.matchesOmitted ?? 0,
      indicators: [...byIndicator.values()].sort((a, b) => b.matches - a.matches || (a.value < b.value ? -1 : 1)),
      indicatorsWithoutMatch: [...searched].filter((k) => !byIndicator.has(k)).length,
      events: timeline.length + (input.eventsOmitted ?? 0),
      eventsOmitted: input.eventsOmitted ?? 0,
      eventsByKind,
      ...(timeline.length ? { firstEventAt: timeline[0]!.at, lastEventAt: timeline[timeline.length - 1]!.at } : {}),
      linesRead: files.reduce((n, f) => n + (f.format === 'binary' ? 0 : f.lines), 0),
      badLines: files.reduce((n, f) => n + f.bad, 0),
    },
    custody: [...input.custody],
    matches: [...input.matches],
    timeline,
    stats,
    notes,
  };
  return { report, text: renderReport(report, request.names) };
}

/** Longest lists in the text rendering; the structured report keeps everything. */
const TEXT_MATCHES = 200;
const TEXT_EVENTS = 500;

export function renderReport(report: ForensicReport, names?: ScopeNames): string {
  const r = report.request;
  const s = report.summary;
  const out: string[] = [
    `Forensic analysis report`,
    `Request ${r.requestId} for case ${r.caseId}, generated ${report.generatedAt}`,
    ...(r.approvedAt ? [`Approved ${r.approvedAt}${r.approvedBy ? ` by ${plainText(r.approvedBy)}` : ''}${r.windowEndsAt ? `, access until ${r.windowEndsAt}` : ''}`] : []),
    '',
    'Purpose:',
    ...r.purpose.trim().split(/\r\n|\r|\n/).map((l) => `  ${plainText(l, 2000)}`),
    '',
    'Approved scope',
    scopeText(r.scope, names),
    '',
    'Summary',
    `- ${s.artifacts} artifact${s.artifacts === 1 ? '' : 's'}, ${s.bytes.toLocaleString('en-US')} bytes; ${s.linesRead.toLocaleString('en-US')} lines read, ${s.badLines} unreadable`,
    `- ${s.matches} indicator match${s.matches === 1 ? '' : 'es'}; ${s.indicatorsWithoutMatch} indicator${s.indicatorsWithoutMatch === 1 ? '' : 's'} without a match`,
    `- ${s.events} timeline event${s.events === 1 ? '' : 's'}${s.firstEventAt ? `, from ${s.firstEventAt} to ${s.lastEventAt}` : ''}`,
  ];
  for (const [kind, n] of Object.entries(s.eventsByKind)) out.push(`    ${kind}: ${n}`);

  out.push('', 'Indicators matched');
  if (s.indicators.length === 0) out.push('- none');
  for (const i of s.indicators) {
    out.push(`- ${i.type} ${i.value}${i.label ? ` (${i.label})` : ''}: ${i.matches} match${i.matches === 1 ? '' : 'es'} on ${i.vmIds.map((v) => plainText(v)).join(', ')}`);
  }

  out.push('', 'Matches');
  if (report.matches.length === 0) out.push('- none');
  for (const m of report.matches.slice(0, TEXT_MATCHES)) {
    const where = m.line !== undefined ? `${m.file}:${m.line}` : `${m.file} @0x${(m.offset ?? 0).toString(16)}`;
    out.push(`- [${m.indicator.type} ${plainText(m.indicator.value, 100)}] ${plainText(m.vmId)} ${plainText(where, 400)}`, `    ${m.text}`);
  }
  if (report.matches.length > TEXT_MATCHES) out.push(`- ... ${report.matches.length - TEXT_MATCHES} more in the structured report`);

  out.push('', 'Timeline (UTC)');
  if (report.timeline.length === 0) out.push('- no events recognised');
  for (const e of report.timeline.slice(0, TEXT_EVENTS)) {
    out.push(`${e.at}  ${plainText(e.vmId)}  ${e.kind}  ${e.summary}`, `    ${plainText(e.artifact)} ${e.file}:${e.line}`);
  }
  if (report.timeline.length > TEXT_EVENTS) out.push(`... ${report.timeline.length - TEXT_EVENTS} more in the structured report`);

  out.push('', custodyReport(report.custody));
  if (report.notes.length) out.push('', 'Notes', ...report.notes.map((n) => `- ${n}`));
  return out.join('\n');
}
