// The detections page's pure parts: rates on the minute grid, findings per hour by kind, the stored finding read
// back, and the chart geometry and number wording (the SVG itself is checked in the browser, test/e2e/detections).
import { describe, expect, it } from 'vitest';
import { canonicalDetection, DetectionInputSchema } from '../../lib/detections';
import { areaPath, bytes, linePath, niceScale, scaler, si, stackedBars, timeLabel, timeTicks, type Box } from '../../web/app/detections/chart-geometry';
import { findingsByHour, MAX_SERIES_POINTS, rateSeries, readDetection, seriesStep, summarize, type MinuteTotals } from '../../web/server/detection-stats';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2025, 2, 7, 12, 0);
const row = (offset: number, records: number, more: Partial<MinuteTotals> = {}): MinuteTotals => ({
  minute: new Date(T0 + offset * MIN),
  records,
  packets: records * 10,
  bytes: records * 1_000,
  findings: 0,
  detectors: 1,
  ...more,
});

describe('rate series', () => {
  it('gives one point per minute, zeros where nobody wrote, rates per second', () => {
    const s = rateSeries([row(0, 120), row(2, 60, { findings: 3, detectors: 2 })], T0, T0 + 4 * MIN, 1);
    expect(s.map((p) => p.recordsPerSec)).toEqual([2, 0, 1, 0]);
    expect(s[0]).toEqual({ at: new Date(T0), recordsPerSec: 2, packetsPerSec: 20, bytesPerSec: 2_000, findings: 0, detectors: 1 });
    expect(s[2]).toMatchObject({ findings: 3, detectors: 2 });
    expect(s[1]?.detectors).toBe(0);
  });

  it('averages over each step, the short last one over its own minutes, and drops rows outside the window', () => {
    const s = rateSeries([row(-1, 999), row(0, 60), row(1, 120), row(2, 180), row(4, 300), row(5, 999)], T0, T0 + 5 * MIN, 2);
    expect(s.map((p) => p.at.getTime())).toEqual([T0, T0 + 2 * MIN, T0 + 4 * MIN]);
    expect(s.map((p) => p.recordsPerSec)).toEqual([180 / 120, 180 / 120, 300 / 60]);
  });

  it('chooses the step that keeps a week within the point limit', () => {
    expect(seriesStep(60)).toBe(1);
    expect(seriesStep(24 * 60)).toBe(1);
    expect(seriesStep(24 * 60 + 1)).toBe(2);
    expect(seriesStep(7 * 24 * 60)).toBe(7);
    expect(Math.ceil((7 * 24 * 60) / seriesStep(7 * 24 * 60))).toBeLessThanOrEqual(MAX_SERIES_POINTS);
  });

  it('sums the window and finds the busiest minute', () => {
    expect(summarize([row(0, 60), row(1, 600, { findings: 2 }), row(2, 6)])).toEqual({
      records: 666,
      packets: 6_660,
      bytes: 666_000,
      findings: 2,
      peakRecordsPerSec: 10,
      peakAt: new Date(T0 + MIN),
    });
    expect(summarize([])).toMatchObject({ records: 0, peakAt: null });
  });
});

describe('findings per hour', () => {
  it('fills every hour of the window and orders kinds by their total', () => {
    const r = findingsByHour(
      [
        { hour: T0, kind: 'port-scan', count: 1 },
        { hour: T0 + 2 * HOUR, kind: 'syn-flood', count: 2 },
        { hour: T0 + 2 * HOUR, kind: null, count: 1 },
        { hour: T0 + 2 * HOUR, kind: 'port-scan', count: 3 },
        // Outside the window on both sides.
        { hour: T0 - HOUR, kind: 'old', count: 9 },
        { hour: T0 + 5 * HOUR, kind: 'future', count: 9 },
      ],
      T0 + 30 * MIN,
      T0 + 2 * HOUR + 10 * MIN,
    );
    expect(r.kinds).toEqual([
      { kind: 'port-scan', total: 4 },
      { kind: 'syn-flood', total: 2 },
      { kind: null, total: 1 },
    ]);
    expect(r.hours).toEqual([
      { at: new Date(T0), counts: [1, 0, 0], total: 1 },
      { at: new Date(T0 + HOUR), counts: [0, 0, 0], total: 0 },
      { at: new Date(T0 + 2 * HOUR), counts: [3, 2, 1], total: 6 },
    ]);
  });

  it('has an all-zero grid and no kinds without findings', () => {
    const r = findingsByHour([], T0, T0 + 3 * HOUR);
    expect(r.kinds).toEqual([]);
    expect(r.hours).toHaveLength(4);
  });
});

describe('stored findings', () => {
  it('reads the canonical JSON back and refuses anything else', () => {
    const d = DetectionInputSchema.parse({
      detector: 'netflow-dos',
      kind: 'syn-flood',
      category: 'dos',
      sourceIp: '198.51.100.7',
      windowStart: new Date(T0),
      windowEnd: new Date(T0 + MIN),
      severity: 'high',
      confidence: 'high',
    });
    expect(readDetection(JSON.parse(canonicalDetection(d)))).toEqual(d);
    expect(readDetection(null)).toBeNull();
    expect(readDetection({ kind: 'syn-flood' })).toBeNull();
    expect(readDetection([1, 2])).toBeNull();
  });
});

describe('chart geometry', () => {
  const box: Box = { width: 100, height: 60, left: 10, right: 10, top: 5, bottom: 5 };

  it('rounds the y axis up to a 1-2-2.5-5 step', () => {
    expect(niceScale(87)).toEqual({ max: 100, ticks: [0, 25, 50, 75, 100] });
    expect(niceScale(1_700)).toEqual({ max: 2_000, ticks: [0, 500, 1_000, 1_500, 2_000] });
    expect(niceScale(3)).toEqual({ max: 3, ticks: [0, 1, 2, 3] });
    expect(niceScale(0.3).ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceScale(0)).toEqual({ max: 1, ticks: [0, 0.25, 0.5, 0.75, 1] });
    expect(niceScale(Number.NaN).max).toBe(1);
  });

  it('puts time ticks on round UTC instants', () => {
    expect(timeTicks(T0 + 7 * MIN, T0 + 67 * MIN)).toEqual([10, 20, 30, 40, 50, 60].map((m) => T0 + m * MIN));
    expect(timeTicks(T0 + 7 * MIN, T0 + 67 * MIN, 3)).toEqual([T0 + 30 * MIN, T0 + 60 * MIN]);
    const day = timeTicks(T0, T0 + 24 * HOUR);
    expect(day).toHaveLength(5);
    expect(day.every((t) => t % (6 * HOUR) === 0)).toBe(true);
    expect(timeTicks(T0, T0)).toEqual([]);
    expect(timeLabel(T0 + 5 * MIN, HOUR)).toBe('12:05');
    expect(timeLabel(T0, 3 * 24 * HOUR)).toBe('03-07 12:00');
  });

  it('maps time and value into the box and draws paths through the points', () => {
    const s = scaler(box, T0, T0 + 10 * MIN, 50);
    expect(s.x(T0)).toBe(10);
    expect(s.x(T0 + 10 * MIN)).toBe(90);
    expect(s.y(0)).toBe(55);
    expect(s.y(50)).toBe(5);
    expect(s.y(500)).toBe(5);
    const pts = [
      { x: 10, y: 55 },
      { x: 50.04, y: 30 },
    ];
    expect(linePath(pts)).toBe('M10 55 L50 30');
    expect(areaPath(pts, 55)).toBe('M10 55 L50 30 L50 55 L10 55 Z');
    expect(linePath([])).toBe('');
  });

  it('stacks bars bottom-up and leaves out zero segments', () => {
    const bars = stackedBars([[2, 0, 1], [0, 0, 0]], box, 4, 0);
    expect(bars).toHaveLength(2);
    expect(bars[0]).toEqual({
      x: 10,
      width: 40,
      segments: [
        { series: 0, value: 2, x: 10, y: 30, width: 40, height: 25 },
        { series: 2, value: 1, x: 10, y: 17.5, width: 40, height: 12.5 },
      ],
    });
    expect(bars[1]?.segments).toEqual([]);
  });

  it('words numbers with SI and binary prefixes', () => {
    expect(si(0)).toBe('0');
    expect(si(999)).toBe('999');
    expect(si(1_234, 'flows/s')).toBe('1.23 k flows/s');
    expect(si(2_500_000, 'bit/s')).toBe('2.5 Mbit/s');
    expect(si(12_345_678)).toBe('12.3 M');
    expect(si(75)).toBe('75');
    expect(si(2.5, 'bit/s')).toBe('2.5 bit/s');
    expect(si(1 / 60)).toBe('0.0167');
    expect(si(999_600)).toBe('1 M');
    expect(si(-1_500)).toBe('-1.5 k');
    expect(si(Number.POSITIVE_INFINITY)).toBe('—');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1_536)).toBe('1.5 KiB');
    expect(bytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
