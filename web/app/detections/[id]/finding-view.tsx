'use client';
// One finding: what the detector saw, its evidence, the source's traffic in the window and the case it went to. The
// evidence and every address come from attacker traffic: they are shown as text in <pre> blocks, never as HTML.
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '../../../lib/trpc';
import { bytes, si } from '../chart-geometry';
import { kindLabel } from '../charts';
import '../../components/console.css';
import '../detections.css';
import { utcSecond } from '../../components/utc';

const utc = (d: Date | null) => (d ? utcSecond(d) : '—');

export function FindingView({ findingId }: { findingId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.detections.finding.queryOptions({ id: findingId }), refetchInterval: 10_000 });

  if (query.isPending) return <p>Loading…</p>;
  if (query.isError)
    return (
      <>
        <p>
          <Link href="/detections">← Detections</Link>
        </p>
        <p role="alert" className="error" data-testid="finding-error">
          {query.error.message}
        </p>
      </>
    );
  const f = query.data;
  const counts = Object.entries(f.counts);
  return (
    <section data-testid="finding-page">
      <p>
        <Link href="/detections">← Detections</Link>
      </p>
      <h1>
        Finding: <span data-testid="finding-kind">{kindLabel(f.kind)}</span>
        {f.sourceIp ? <> from <span className="mono">{f.sourceIp}</span></> : null}
      </h1>
      <div className="panel">
        <dl className="fields">
          <dt>Detector</dt>
          <dd>{f.detector ?? '—'}</dd>
          <dt>Category</dt>
          <dd>{f.category ?? '—'}</dd>
          <dt>Severity</dt>
          <dd>
            {f.severity ? <span className={`severity ${f.severity}`}>{f.severity}</span> : '—'}
            {f.confidence ? ` · confidence ${f.confidence}` : ''}
          </dd>
          <dt>Window</dt>
          <dd>
            {utc(f.windowStart)} to {utc(f.windowEnd)}
          </dd>
          <dt>Received</dt>
          <dd>
            {utc(f.receivedAt)}
            {f.submissionCount > 1 ? ` · sent ${f.submissionCount} times, last ${utc(f.lastReceivedAt)}` : ''}
          </dd>
          <dt>Source</dt>
          <dd className="mono" data-testid="finding-source">
            {f.sourceIp ?? '—'}
          </dd>
          <dt>Tenant</dt>
          <dd>
            {f.tenant ? (f.tenant.name ?? f.tenant.id) : 'not attributed'}
            {f.deployment ? ` · ${f.deployment.name ?? f.deployment.id}` : ''}
            {f.attributionNote ? <div className="muted">{f.attributionNote}</div> : null}
          </dd>
          <dt>Case</dt>
          <dd data-testid="finding-case">
            {f.case ? (
              <Link href={`/cases/${f.case.id}`} data-testid="finding-case-link">
                Case {f.case.id.slice(0, 8)} ({f.case.category}, {f.case.state})
              </Link>
            ) : (
              <span className="muted">{f.parseStatus === 'parsed' ? `not routed to a case (${f.attribution})` : `intake ${f.parseStatus}`}</span>
            )}
          </dd>
        </dl>
      </div>

      <div className="panel">
        <h2>Evidence</h2>
        <pre className="text-block" data-testid="finding-evidence">
          {f.evidence ?? '(the detector gave no evidence text)'}
        </pre>
        {f.targets.length > 0 && (
          <>
            <h3>Targets ({f.targetsCapped ? `the ${f.targets.length} heaviest, the most a finding keeps; the counts give the total` : f.targets.length})</h3>
            <pre className="text-block" data-testid="finding-targets">
              {f.targets.join('\n')}
            </pre>
          </>
        )}
        {counts.length > 0 && (
          <>
            <h3>Counts</h3>
            <table className="counts" data-testid="finding-counts">
              <tbody>
                {counts.map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td className="num">{value.toLocaleString('en')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        <h3>Source traffic in the window</h3>
        {f.sourceTraffic ? (
          <p data-testid="finding-traffic">
            {bytes(f.sourceTraffic.bytes)} in {si(f.sourceTraffic.packets)} packets and {si(f.sourceTraffic.records)} flows over{' '}
            {f.sourceTraffic.minutes} minute{f.sourceTraffic.minutes === 1 ? '' : 's'} ({utc(f.sourceTraffic.from)} to {utc(f.sourceTraffic.to)}), counted in the
            minutes it was among a detector&apos;s heaviest senders.
          </p>
        ) : (
          <p className="muted">The source was not among the heaviest senders any detector recorded in the window.</p>
        )}
        {f.warnings.length > 0 && (
          <>
            <h3>Warnings</h3>
            <pre className="text-block">{f.warnings.join('\n')}</pre>
          </>
        )}
      </div>

      <details className="panel">
        <summary>Stored finding</summary>
        {f.stored !== null ? (
          <pre className="text-block" data-testid="finding-stored">
            {f.stored}
          </pre>
        ) : (
          <>
            {f.parseError && <p className="error">{f.parseError}</p>}
            <pre className="text-block raw-view" data-testid="finding-raw">
              {f.raw?.text ?? '(nothing stored)'}
            </pre>
            {f.raw?.truncated && <p className="muted">Only the start is shown; the stored finding is {bytes(f.raw.sizeBytes)}.</p>}
          </>
        )}
        {f.summary && (
          <>
            <h3>Summary</h3>
            <pre className="text-block">{f.summary}</pre>
          </>
        )}
      </details>
    </section>
  );
}
