// The detections charts as plain SVG: traffic over time as a line, findings per hour as stacked bars. Every label is
// a text node (React escapes it); kind names come from detectors and are never markup.
import {
  areaPath,
  HOUR_MS,
  inner,
  linePath,
  niceScale,
  scaler,
  seriesColor,
  si,
  stackedBars,
  timeLabel,
  timeTicks,
  type Box,
} from './chart-geometry';
import type { FindingsByHour, RatePoint } from '../../server/detection-stats';

const BOX: Box = { width: 800, height: 220, left: 64, right: 16, top: 12, bottom: 28 };

export const METRICS = {
  records: { label: 'flows/s', of: (p: RatePoint) => p.recordsPerSec },
  packets: { label: 'packets/s', of: (p: RatePoint) => p.packetsPerSec },
  bits: { label: 'bit/s', of: (p: RatePoint) => p.bytesPerSec * 8 },
} as const;
export type Metric = keyof typeof METRICS;

function Axes({ yTicks, yMax, xTicks, from, to, format }: { yTicks: number[]; yMax: number; xTicks: number[]; from: number; to: number; format: (v: number) => string }) {
  const p = inner(BOX);
  const s = scaler(BOX, from, to, yMax);
  return (
    <g className="axes">
      {yTicks.map((v) => (
        <g key={`y${v}`}>
          <line x1={p.x} x2={p.x + p.w} y1={s.y(v)} y2={s.y(v)} className="grid" />
          <text x={p.x - 6} y={s.y(v)} className="tick" textAnchor="end" dominantBaseline="middle">
            {format(v)}
          </text>
        </g>
      ))}
      {xTicks.map((t) => (
        <text key={`x${t}`} x={s.x(t)} y={p.y + p.h + 18} className="tick" textAnchor="middle">
          {timeLabel(t, to - from)}
        </text>
      ))}
      <line x1={p.x} x2={p.x + p.w} y1={p.y + p.h} y2={p.y + p.h} className="baseline" />
    </g>
  );
}

/** Traffic per second over the window, one point per `stepMinutes`. */
export function RateChart({ series, from, to, stepMinutes, metric }: { series: RatePoint[]; from: Date; to: Date; stepMinutes: number; metric: Metric }) {
  const m = METRICS[metric];
  const start = from.getTime();
  const end = to.getTime();
  const scale = niceScale(Math.max(0, ...series.map(m.of)));
  const s = scaler(BOX, start, end, scale.max);
  const points = series.map((p) => ({ x: s.x(p.at.getTime()), y: s.y(m.of(p)) }));
  const p = inner(BOX);
  const slot = series.length ? p.w / series.length : 0;
  return (
    <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} className="chart" role="img" aria-label={`${m.label} over time`} data-testid="flows-chart">
      <Axes yTicks={scale.ticks} yMax={scale.max} xTicks={timeTicks(start, end)} from={start} to={end} format={(v) => si(v)} />
      <path d={areaPath(points, p.y + p.h)} className="area" />
      <path d={linePath(points)} className="line" data-testid="flows-line" />
      {/* Hover targets: each point's figures in a tooltip. */}
      {series.map((pt, i) => (
        <rect key={pt.at.getTime()} x={points[i]!.x} y={p.y} width={Math.max(slot, 0.5)} height={p.h} className="hover">
          <title>
            {`${new Date(pt.at).toISOString().slice(0, 16).replace('T', ' ')} UTC${stepMinutes > 1 ? ` (${stepMinutes} min)` : ''}: ${si(m.of(pt), m.label)}` +
              (pt.detectors === 0 ? ', no detector reported' : `, ${pt.detectors} detector${pt.detectors === 1 ? '' : 's'}`) +
              (pt.findings ? `, ${pt.findings} finding${pt.findings === 1 ? '' : 's'} opened` : '')}
          </title>
        </rect>
      ))}
    </svg>
  );
}

export const kindLabel = (kind: string | null) => kind ?? 'not parsed yet';

/** Findings per hour, stacked by kind in the order of `kinds`. */
export function FindingsChart({ hours, kinds }: FindingsByHour) {
  const first = hours[0]?.at.getTime() ?? 0;
  const end = (hours[hours.length - 1]?.at.getTime() ?? 0) + HOUR_MS;
  const scale = niceScale(Math.max(0, ...hours.map((h) => h.total)));
  const bars = stackedBars(
    hours.map((h) => h.counts),
    BOX,
    scale.max,
  );
  // Integer counts: no tick at 0.5 findings.
  const ticks = scale.ticks.filter((t) => Number.isInteger(t));
  return (
    <figure className="chart-figure">
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} className="chart" role="img" aria-label="Findings per hour by kind" data-testid="findings-chart">
        <Axes yTicks={ticks} yMax={scale.max} xTicks={timeTicks(first, end)} from={first} to={end} format={(v) => String(v)} />
        {bars.map((bar, i) =>
          bar.segments.map((seg) => (
            <rect key={`${i}:${seg.series}`} x={seg.x} y={seg.y} width={seg.width} height={seg.height} fill={seriesColor(seg.series)} data-testid="findings-bar">
              <title>{`${hours[i]!.at.toISOString().slice(0, 13).replace('T', ' ')}:00 UTC: ${kindLabel(kinds[seg.series]?.kind ?? null)} ${seg.value}`}</title>
            </rect>
          )),
        )}
      </svg>
      <figcaption className="legend" data-testid="findings-legend">
        {kinds.map((k, i) => (
          <span key={k.kind ?? ''} className="legend-item">
            <span className="swatch" style={{ background: seriesColor(i) }} />
            {kindLabel(k.kind)} ({k.total})
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
