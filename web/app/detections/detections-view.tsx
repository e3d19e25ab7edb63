'use client';
// The detections page: traffic the detectors counted, the heaviest senders, findings per hour and the findings list.
// Refreshes every 10 s; every address, kind and name is shown as text.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../lib/trpc';
import { bytes, si } from './chart-geometry';
import { FindingsChart, METRICS, RateChart, type Metric } from './charts';
import { FindingsTable } from './findings-table';
import { TalkersTable } from './talkers-table';
import '../components/console.css';
import './detections.css';
import { utcMinute } from '../components/utc';

const WINDOWS = [1, 6, 24, 72, 168] as const;
const windowLabel = (h: number) => (h < 24 ? `${h} hour${h === 1 ? '' : 's'}` : `${h / 24} day${h === 24 ? '' : 's'}`);
const utc = utcMinute;

export function DetectionsView() {
  const trpc = useTRPC();
  const [hours, setHours] = useState<number>(24);
  const [metric, setMetric] = useState<Metric>('records');
  const overview = useQuery({ ...trpc.detections.overview.queryOptions({ hours }), refetchInterval: 10_000, placeholderData: keepPreviousData });
  const o = overview.data;
  const last = o?.series[o.series.length - 1];

  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Window">
        <label>
          Window
          <select data-testid="detections-window" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {WINDOWS.map((h) => (
              <option key={h} value={h}>
                last {windowLabel(h)}
              </option>
            ))}
          </select>
        </label>
        {o && (
          <span className="muted" data-testid="detections-range">
            {utc(o.from)} – {utc(o.to)}
            {overview.isFetching ? ' · refreshing…' : ''}
          </span>
        )}
      </form>

      {overview.isPending && <p>Loading…</p>}
      {overview.isError && (
        <p role="alert" className="error">
          {overview.error.message}
        </p>
      )}
      {o && (
        <>
          <section className="panel" aria-labelledby="traffic-heading">
            <div className="panel-head">
              <h2 id="traffic-heading">Traffic</h2>
              <label>
                Show{' '}
                <select data-testid="detections-metric" value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
                  {Object.entries(METRICS).map(([key, m]) => (
                    <option key={key} value={key}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            {o.series.length === 0 ? (
              <p className="empty" data-testid="flows-empty">
                No detector has reported traffic in the last {windowLabel(hours)}. Each detector process writes its counts once a minute; once one
                runs and receives flows, the chart fills in. Files replayed with <code>safeguard flows import</code> are past traffic: their
                findings are listed below, but they do not count as live traffic here.
              </p>
            ) : (
              <>
                <dl className="stats" data-testid="traffic-stats">
                  <div>
                    <dt>Last minute</dt>
                    <dd>{si(last ? METRICS[metric].of(last) : 0, METRICS[metric].label)}</dd>
                  </div>
                  <div>
                    <dt>Peak</dt>
                    <dd title={o.totals.peakAt ? utc(o.totals.peakAt) : undefined}>{si(o.totals.peakRecordsPerSec, 'flows/s')}</dd>
                  </div>
                  <div>
                    <dt>Flows</dt>
                    <dd>{si(o.totals.records)}</dd>
                  </div>
                  <div>
                    <dt>Packets</dt>
                    <dd>{si(o.totals.packets)}</dd>
                  </div>
                  <div>
                    <dt>Volume</dt>
                    <dd>{bytes(o.totals.bytes)}</dd>
                  </div>
                  <div>
                    <dt>Findings opened</dt>
                    <dd>{o.totals.findings}</dd>
                  </div>
                </dl>
                <RateChart series={o.series} from={o.from} to={o.to} stepMinutes={o.stepMinutes} metric={metric} />
                <p className="muted small">
                  {o.stepMinutes > 1 ? `Each point averages ${o.stepMinutes} minutes. ` : 'One point per minute. '}
                  Detectors: {o.detectors.map((d) => `${d.name} (last ${d.lastMinute ? utc(d.lastMinute) : 'never'})`).join(', ')}
                </p>
              </>
            )}
          </section>

          <section className="panel" aria-labelledby="findings-hour-heading">
            <h2 id="findings-hour-heading">Findings per hour</h2>
            {o.findingsByHour.kinds.length === 0 ? (
              <p className="empty" data-testid="findings-chart-empty">
                No findings in the last {windowLabel(hours)}.
              </p>
            ) : (
              <FindingsChart {...o.findingsByHour} />
            )}
          </section>

          <section className="panel" aria-labelledby="talkers-heading">
            <h2 id="talkers-heading">Top talkers</h2>
            <TalkersTable talkers={o.topTalkers} windowLabel={windowLabel(hours)} />
          </section>
        </>
      )}

      <section className="panel" aria-labelledby="findings-heading">
        <h2 id="findings-heading">Findings</h2>
        <FindingsTable />
      </section>
    </>
  );
}
