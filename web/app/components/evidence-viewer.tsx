// The evidence of a case: what the parser made of each report. Every field here is attacker-supplied and is shown as
// text (React escapes it); long text sits in a scrolling <pre>. Nothing is ever rendered as HTML.
import './console.css';
import { categoryLabel } from '../../../domain/notices';
import { utcSecond } from './utc';

export interface EvidenceReport {
  id: string;
  channel: string;
  receivedAt: Date;
  submissionCount: number;
  contentType: string;
  sizeBytes: number;
  format: string | null;
  category: string | null;
  sourceIps: string[];
  reportedUrls: string[];
  eventTime: Date | null;
  summary: string | null;
  warnings: string[];
  confidence: string | null;
  reporterEmail: string | null;
  reporter: { name: string; email: string | null } | null;
}

const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

export function EvidenceViewer({ reports, total }: { reports: EvidenceReport[]; total: number }) {
  if (reports.length === 0) return <p className="muted">No reports are attached to this case.</p>;
  return (
    <div className="evidence" data-testid="evidence">
      {total > reports.length && (
        <p className="muted">
          Showing the newest {reports.length} of {total} reports.
        </p>
      )}
      {reports.map((r) => (
        <article key={r.id} className="evidence-item" data-testid="evidence-report" data-report-id={r.id}>
          <dl className="fields">
            <dt>Received</dt>
            <dd>
              {utcSecond(r.receivedAt)} via {r.channel}
              {r.submissionCount > 1 ? ` (sent ${r.submissionCount} times)` : ''}
            </dd>
            <dt>Reporter</dt>
            <dd>{r.reporter ? `${r.reporter.name}${r.reporter.email ? ` <${r.reporter.email}>` : ''}` : (r.reporterEmail ?? 'unknown')}</dd>
            <dt>Format</dt>
            <dd>
              {r.format ?? 'unknown'} · {r.contentType} · {bytes(r.sizeBytes)}
              {r.confidence ? ` · confidence ${r.confidence}` : ''}
            </dd>
            <dt>Category</dt>
            <dd>{r.category ? categoryLabel(r.category) : 'none'}</dd>
            <dt>Event time</dt>
            <dd>{r.eventTime ? utcSecond(r.eventTime) : 'not given'}</dd>
            <dt>Source IPs</dt>
            <dd className="mono" data-testid="evidence-ips">
              {r.sourceIps.length ? r.sourceIps.join(', ') : 'none'}
            </dd>
            {r.reportedUrls.length > 0 && (
              <>
                <dt>Reported URLs</dt>
                <dd>
                  <pre className="text-block">{r.reportedUrls.join('\n')}</pre>
                </dd>
              </>
            )}
          </dl>
          <h4>Summary</h4>
          <pre className="text-block" data-testid="evidence-summary">
            {r.summary ?? '(no summary)'}
          </pre>
          {r.warnings.length > 0 && (
            <details>
              <summary>
                {r.warnings.length} parser warning{r.warnings.length === 1 ? '' : 's'}
              </summary>
              <pre className="text-block">{r.warnings.join('\n')}</pre>
            </details>
          )}
        </article>
      ))}
    </div>
  );
}
