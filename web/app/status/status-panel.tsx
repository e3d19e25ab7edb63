'use client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../../lib/trpc';
import { utcSecond } from '../components/utc';

const LABELS = { database: 'Database', temporal: 'Temporal', worker: 'Worker', mail: 'Mail (SMTP)' } as const;

export function StatusPanel() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.status.checks.queryOptions(), refetchInterval: 5_000 });

  if (status.isPending) return <p>Checking…</p>;
  if (status.isError) return <p role="alert" className="error">{status.error.message}</p>;
  const { ok, checks, temporalUiUrl, checkedAt } = status.data;
  return (
    <>
      <p data-testid="status-overall" data-status={ok ? 'ok' : 'error'} className={ok ? 'ok' : 'bad'}>
        {ok ? 'All systems are working.' : 'Something is not working; see below.'}
      </p>
      <table className="status">
        <tbody>
          {checks.map((c) => (
            <tr key={c.name} data-testid={`status-${c.name}`} data-status={c.ok ? 'ok' : 'error'}>
              <th scope="row">{LABELS[c.name]}</th>
              <td>
                <span className={`dot ${c.ok ? 'ok' : 'bad'}`} aria-hidden /> {c.ok ? 'OK' : 'Failing'}
              </td>
              <td>{c.message}</td>
              <td className="num">{c.latencyMs} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        Checked at {utcSecond(checkedAt)} · refreshed every 5 seconds ·{' '}
        <a href={temporalUiUrl} target="_blank" rel="noreferrer">
          Open the Temporal UI
        </a>
      </p>
    </>
  );
}
