// The heaviest senders of the window, with the tenant that held the address when last seen.
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/root';
import { bytes, si } from './chart-geometry';

type Talker = inferRouterOutputs<AppRouter>['detections']['overview']['topTalkers'][number];

export function TalkersTable({ talkers, windowLabel }: { talkers: Talker[]; windowLabel: string }) {
  if (talkers.length === 0) {
    return (
      <p className="empty" data-testid="talkers-empty">
        No talkers recorded in the last {windowLabel}.
      </p>
    );
  }
  const total = talkers.reduce((n, t) => n + t.bytes, 0);
  return (
    <>
      <table data-testid="talkers-table">
        <thead>
          <tr>
            <th>Source</th>
            <th>Tenant / deployment</th>
            <th className="num">Volume</th>
            <th className="num">Share</th>
            <th className="num">Packets</th>
            <th className="num">Flows</th>
            <th className="num">Minutes</th>
            <th>Last seen (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {talkers.map((t) => (
            <tr key={t.ip} data-testid="talker-row">
              <td className="mono">{t.ip}</td>
              <td>
                {t.tenant ? (t.tenant.name ?? t.tenant.id) : <span className="muted">no tenant</span>}
                {t.deployment && <div className="muted">{t.deployment.name ?? t.deployment.id}</div>}
              </td>
              <td className="num">{bytes(t.bytes)}</td>
              <td className="num">{total > 0 ? `${((t.bytes / total) * 100).toFixed(1)} %` : '—'}</td>
              <td className="num">{si(t.packets)}</td>
              <td className="num">{si(t.records)}</td>
              <td className="num">{t.minutes}</td>
              <td>{t.lastSeen.toISOString().slice(0, 16).replace('T', ' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        Sums over the minutes in which the address was among a detector&apos;s heaviest senders; share is of the volume in this table.
      </p>
    </>
  );
}
