// The arithmetic of the detections charts (scales, ticks, paths, bar stacks) and the wording of their numbers. Pure,
// so the SVG components only place what this computes and the unit tests can check it.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The plotting area inside the margins. */
export const inner = (b: Box) => ({ x: b.left, y: b.top, w: b.width - b.left - b.right, h: b.height - b.top - b.bottom });

/** A y axis from 0 with a 1-2-2.5-5 step, so that `max` fits in about `count` steps; at least 1 so an all-zero chart has an axis. */
export function niceScale(max: number, count = 4): { max: number; ticks: number[] } {
  const target = Number.isFinite(max) && max > 0 ? max : 1;
  const rough = target / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const top = Math.ceil(target / step) * step;
  const ticks: number[] = [];
  // Rounded so that 0.1 + 0.2 does not print as 0.30000000000000004.
  for (let i = 0; i * step <= top * (1 + 1e-9); i++) ticks.push(Number((i * step).toPrecision(12)));
  return { max: top, ticks };
}

const TIME_STEPS = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1_440, 2_880].map((m) => m * MINUTE_MS);

/** Round UTC instants in [from, to] at most `maxTicks` of them, on the finest step that allows it. */
export function timeTicks(from: number, to: number, maxTicks = 6): number[] {
  if (!(to > from)) return [];
  const span = to - from;
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / HOUR_MS) * HOUR_MS;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

/** "14:05" within a day, "03-07 14:00" beyond one; always UTC, as the rest of the console writes times. */
export function timeLabel(t: number, spanMs: number): string {
  const iso = new Date(t).toISOString();
  return spanMs > 24 * HOUR_MS ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** The x of an instant, the y of a value, within a box whose axes run [from, to] and [0, max]. */
export function scaler(b: Box, from: number, to: number, max: number) {
  const p = inner(b);
  return {
    x: (t: number) => p.x + (to > from ? ((t - from) / (to - from)) * p.w : 0),
    y: (v: number) => p.y + p.h - (max > 0 ? (Math.min(v, max) / max) * p.h : 0),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** An SVG path through the points, in order; empty for no points. */
export function linePath(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)} ${round(p.y)}`).join(' ');
}

/** The same line closed down to the baseline, for a filled area under it. */
export function areaPath(points: { x: number; y: number }[], baseline: number): string {
  if (points.length === 0) return '';
  return `${linePath(points)} L${round(points[points.length - 1]!.x)} ${round(baseline)} L${round(points[0]!.x)} ${round(baseline)} Z`;
}

export interface BarSegment {
  /** Which series (column of `counts`) this segment shows. */
  series: number;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Stacked bars, one per column, series stacked bottom-up in their order; zero values give no segment. */
export function stackedBars(columns: number[][], b: Box, max: number, gap = 0.2): { x: number; width: number; segments: BarSegment[] }[] {
  const p = inner(b);
  const slot = columns.length ? p.w / columns.length : 0;
  const width = Math.max(1, slot * (1 - gap));
  const unit = max > 0 ? p.h / max : 0;
  return columns.map((counts, i) => {
    const x = p.x + i * slot + (slot - width) / 2;
    let base = p.y + p.h;
    const segments: BarSegment[] = [];
    counts.forEach((value, series) => {
      if (value <= 0) return;
      const height = value * unit;
      base -= height;
      segments.push({ series, value, x, y: base, width, height });
    });
    return { x, width, segments };
  });
}

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P'];

/** 1234 → "1.23 k", SI prefixes, at most three significant digits. */
export function si(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return '—';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 999.5 && i < PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  // Three significant digits without trailing zeros: "2", "2.5", "12.3", "0.0167".
  const digits = String(Number(v.toPrecision(3)));
  const sign = n < 0 ? '-' : '';
  // Symbols take the prefix ("kbit/s"); counted things keep it apart ("1.2 k flows/s").
  const prefix = PREFIXES[i]!;
  const suffix = /^(bit|B)\b/.test(unit) ? `${prefix}${unit}` : [prefix, unit].filter(Boolean).join(' ');
  return suffix ? `${sign}${digits} ${suffix}` : `${sign}${digits}`;
}

/** Bytes in binary units: 1536 → "1.5 KiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** Distinct colours for series, repeated when there are more series than colours. */
export const PALETTE = ['#1f5fbf', '#c62828', '#2e7d32', '#b45309', '#6a1b9a', '#00838f', '#ad1457', '#5d4037', '#546e7a', '#9e9d24'];
export const seriesColor = (i: number) => PALETTE[i % PALETTE.length]!;
