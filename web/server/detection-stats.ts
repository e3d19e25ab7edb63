// The detections page's arithmetic: per-minute detector counters into rates on a gap-free time grid, findings into
// hour buckets by kind, stored finding JSON back into its type. Pure: the router reads rows, this turns them into figures.
import { DetectionInputSchema, type Detection } from '../../lib/detections';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
/** The flows chart never gets more points than this; longer windows average several minutes per point. */
export const MAX_SERIES_POINTS = 1_440;

/** One minute summed over every detector process that wrote it (BigInt sums already made numbers). */
export interface MinuteTotals {
  minute: Date;
  records: number;
  packets: number;
  bytes: number;
  findings: number;
  /** How many detector processes wrote this minute. */
  detectors: number;
}

export interface RatePoint {
  at: Date;
  recordsPerSec: number;
  packetsPerSec: number;
  bytesPerSec: number;
  findings: number;
  /** The most detector processes that wrote any one minute of this point; 0 means none reported at all. */
  detectors: number;
}

export const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Minutes per chart point so that `minutes` fit in MAX_SERIES_POINTS. */
export const seriesStep = (minutes: number) => Math.max(1, Math.ceil(minutes / MAX_SERIES_POINTS));

/**
 * Rates on a grid from `from` (inclusive) to `to` (exclusive), both minute-aligned, `stepMinutes` per point. A minute
 * no detector wrote counts as no traffic (the runtime skips empty minutes); each point averages over its own minutes.
 */
export function rateSeries(rows: MinuteTotals[], from: number, to: number, stepMinutes: number): RatePoint[] {
  const stepMs = stepMinutes * MINUTE_MS;
  const count = Math.max(0, Math.ceil((to - from) / stepMs));
  const sums = Array.from({ length: count }, () => ({ records: 0, packets: 0, bytes: 0, findings: 0, detectors: 0 }));
  for (const row of rows) {
    const t = row.minute.getTime();
    if (t < from || t >= to) continue;
    const s = sums[Math.floor((t - from) / stepMs)]!;
    s.records += row.records;
    s.packets += row.packets;
    s.bytes += row.bytes;
    s.findings += row.findings;
    s.detectors = Math.max(s.detectors, row.detectors);
  }
  return sums.map((s, i) => {
    const start = from + i * stepMs;
    // The last point may be cut short by `to`.
    const seconds = (Math.min(stepMs, to - start) / 1000) || 1;
    return {
      at: new Date(start),
      recordsPerSec: s.records / seconds,
      packetsPerSec: s.packets / seconds,
      bytesPerSec: s.bytes / seconds,
      findings: s.findings,
      detectors: s.detectors,
    };
  });
}

export interface TrafficSummary {
  records: number;
  packets: number;
  bytes: number;
  findings: number;
  peakRecordsPerSec: number;
  peakAt: Date | null;
}

export function summarize(rows: MinuteTotals[]): TrafficSummary {
  const out: TrafficSummary = { records: 0, packets: 0, bytes: 0, findings: 0, peakRecordsPerSec: 0, peakAt: null };
  for (const r of rows) {
    out.records += r.records;
    out.packets += r.packets;
    out.bytes += r.bytes;
    out.findings += r.findings;
    if (r.records / 60 > out.peakRecordsPerSec) {
      out.peakRecordsPerSec = r.records / 60;
      out.peakAt = r.minute;
    }
  }
  return out;
}

/** Findings counted per (hour, kind); `kind` is null for a finding not parsed yet. */
export interface HourKindCount {
  hour: number;
  kind: string | null;
  count: number;
}

export interface FindingsByHour {
  /** Kinds by their total in the window, largest first; `counts` in each hour follows this order. */
  kinds: { kind: string | null; total: number }[];
  hours: { at: Date; counts: number[]; total: number }[];
}

/** Every hour from the one holding `from` to the one holding `to`, with the counts of each kind (zeros included). */
export function findingsByHour(rows: HourKindCount[], from: number, to: number): FindingsByHour {
  const first = floorTo(from, HOUR_MS);
  const last = floorTo(to, HOUR_MS);
  const inWindow = rows.filter((r) => r.hour >= first && r.hour <= last && r.count > 0);
  const totals = new Map<string | null, number>();
  for (const r of inWindow) totals.set(r.kind, (totals.get(r.kind) ?? 0) + r.count);
  const kinds = [...totals.entries()]
    .map(([kind, total]) => ({ kind, total }))
    .sort((a, b) => b.total - a.total || (a.kind ?? '\uffff').localeCompare(b.kind ?? '\uffff'));
  const column = new Map(kinds.map((k, i) => [k.kind, i]));
  const hours = Array.from({ length: (last - first) / HOUR_MS + 1 }, (_, i) => ({
    at: new Date(first + i * HOUR_MS),
    counts: kinds.map(() => 0),
    total: 0,
  }));
  for (const r of inWindow) {
    const h = hours[(floorTo(r.hour, HOUR_MS) - first) / HOUR_MS]!;
    h.counts[column.get(r.kind)!]! += r.count;
    h.total += r.count;
  }
  return { kinds, hours };
}

/** A stored finding (AbuseReport.normalized) as its type, or null when the row holds something else. */
export function readDetection(normalized: unknown): Detection | null {
  const parsed = DetectionInputSchema.safeParse(normalized);
  return parsed.success ? parsed.data : null;
}
