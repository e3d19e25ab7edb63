'use client';
// The unattributed and failed reports: the raw text (escaped, capped), retry, manual assignment, and .eml upload.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { CASE_CATEGORIES } from '../../../domain/cases';
import { categoryLabel } from '../../../domain/notices';
import { FormError } from '../components/form-error';
import { useTRPC } from '../../lib/trpc';
import { assignInput, INBOX_KINDS } from '../../server/case-inputs';
import { EmlUpload } from './eml-upload';
import '../components/console.css';

type Kind = (typeof INBOX_KINDS)[number];

export function InboxView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>('all');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const listQuery = trpc.inbox.list.queryOptions({ kind, page, pageSize: 25 });
  const list = useQuery({ ...listQuery, refetchInterval: 10_000, placeholderData: keepPreviousData });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.inbox.list.queryKey() });

  return (
    <>
      <EmlUpload onStored={refresh} />
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Show
          <select
            value={kind}
            data-testid="inbox-kind"
            onChange={(e) => {
              setKind(e.target.value as Kind);
              setPage(0);
            }}
          >
            <option value="all">failed and unattributed</option>
            <option value="failed">could not be parsed</option>
            <option value="unattributed">no tenant found</option>
          </select>
        </label>
      </form>
      {list.isPending && <p>Loading…</p>}
      {list.isError && (
        <p role="alert" className="error">
          {list.error.message}
        </p>
      )}
      {list.data && (
        <>
          <table data-testid="inbox-table">
            <thead>
              <tr>
                <th>Received</th>
                <th>Channel</th>
                <th>Problem</th>
                <th>Sources</th>
                <th>Summary</th>
              </tr>
            </thead>
            <tbody>
              {list.data.reports.length === 0 && (
                <tr>
                  <td colSpan={5}>The inbox is empty.</td>
                </tr>
              )}
              {list.data.reports.map((r) => (
                <tr key={r.id} data-testid="inbox-row" data-report-id={r.id} className={r.id === selected ? 'selected' : undefined}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(r.id)} data-testid="inbox-open">
                      {new Date(r.receivedAt).toISOString().slice(0, 19).replace('T', ' ')}
                    </button>
                    {r.submissionCount > 1 && <div className="muted">sent {r.submissionCount}×</div>}
                  </td>
                  <td>
                    {r.channel}
                    <div className="muted">{r.reporter?.name ?? r.reporterEmail ?? ''}</div>
                  </td>
                  <td>{r.parseStatus === 'failed' ? `Not parsed: ${r.parseError ?? 'unknown error'}` : (r.attributionNote ?? 'No tenant held the address.')}</td>
                  <td className="mono">{r.sourceIps.join(', ') || '—'}</td>
                  <td>
                    <pre className="text-block">{r.summary ?? ''}</pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" className="secondary" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
              Previous
            </button>
            <span className="muted">{list.data.total} report{list.data.total === 1 ? '' : 's'}</span>
            <button type="button" className="secondary" disabled={(page + 1) * list.data.pageSize >= list.data.total} onClick={() => setPage((p) => p + 1)}>
              Next
            </button>
          </div>
        </>
      )}
      {selected && list.data?.reports.some((r) => r.id === selected) && (
        <InboxReport
          key={selected}
          report={list.data.reports.find((r) => r.id === selected)!}
          onChanged={() => {
            void refresh();
          }}
        />
      )}
    </>
  );
}

interface InboxRow {
  id: string;
  parseStatus: string;
  category: string | null;
  warnings: string[];
}

function InboxReport({ report, onChanged }: { report: InboxRow; onChanged: () => void }) {
  const trpc = useTRPC();
  const raw = useQuery(trpc.inbox.raw.queryOptions({ reportId: report.id }));
  const deployments = useQuery(trpc.inbox.deployments.queryOptions());
  const retry = useMutation(trpc.inbox.retry.mutationOptions({ onSuccess: onChanged }));
  const assign = useMutation(trpc.inbox.assign.mutationOptions({ onSuccess: onChanged }));
  const [deploymentId, setDeploymentId] = useState('');
  const [category, setCategory] = useState(report.category ?? '');
  const [note, setNote] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);

  const submitAssign = (e: FormEvent) => {
    e.preventDefault();
    const parsed = assignInput.safeParse({ reportId: report.id, deploymentId, category: category || undefined, note });
    setInvalid(parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Check the form.'));
    if (parsed.success) assign.mutate(parsed.data);
  };

  return (
    <article className="panel" data-testid="inbox-report">
      <h2>Report {report.id.slice(0, 8)}</h2>
      {report.warnings.length > 0 && <pre className="text-block">{report.warnings.join('\n')}</pre>}
      <h3>Raw report</h3>
      {raw.isPending && <p>Loading…</p>}
      {raw.isError && <p role="alert" className="error">{raw.error.message}</p>}
      {raw.data && (
        <>
          <p className="muted">
            {raw.data.contentType} · {raw.data.sizeBytes} bytes · sha256 <span className="mono">{raw.data.sha256}</span>
            {raw.data.truncated && ` · showing the first ${raw.data.limit / 1024} KiB`}
          </p>
          {/* Text, not HTML: React escapes every character of the attacker's bytes. */}
          <pre className="text-block raw-view" data-testid="inbox-raw">
            {raw.data.text}
          </pre>
        </>
      )}
      <h3>Retry</h3>
      <p className="muted">Run the intake again, after a parser fix or once the address allocation is recorded.</p>
      <button type="button" onClick={() => retry.mutate({ reportId: report.id })} disabled={retry.isPending} data-testid="inbox-retry">
        Retry intake
      </button>
      {retry.isSuccess && <p className="ok" data-testid="inbox-retry-result">{retryOutcome(retry.data)}</p>}
      <FormError error={retry.error} testId="inbox-retry-error" />
      <h3>Assign to a deployment</h3>
      <form onSubmit={submitAssign} data-testid="inbox-assign-form">
        <label>
          Deployment
          <select value={deploymentId} onChange={(e) => setDeploymentId(e.target.value)} data-testid="inbox-assign-deployment">
            <option value="">choose…</option>
            {deployments.data?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.tenant.name} / {d.name}
                {d.state === 'suspended' ? ' (suspended)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Category
          <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="inbox-assign-category">
            <option value="">{report.category ? 'as parsed' : 'choose…'}</option>
            {CASE_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {categoryLabel(c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Why this deployment (recorded in the audit log)
          <textarea value={note} onChange={(e) => setNote(e.target.value)} data-testid="inbox-assign-note" />
        </label>
        <button type="submit" disabled={assign.isPending} data-testid="inbox-assign">
          Assign
        </button>
      </form>
      {invalid && <p role="alert" className="field-error">{invalid}</p>}
      {assign.isSuccess && <p className="ok">Assigned; the report was added to {assign.data.caseWorkflowId}.</p>}
      <FormError error={assign.error} testId="inbox-assign-error" />
    </article>
  );
}

function retryOutcome(result: { outcome: string; cases?: string[]; error?: string; note?: string }): string {
  if (result.outcome === 'routed') return `Routed to ${result.cases?.join(', ') || 'its case'}.`;
  if (result.outcome === 'parse_failed') return `Still does not parse: ${result.error ?? ''}`;
  if (result.outcome === 'unattributed') return `Still not attributed: ${result.note ?? ''}`;
  return `Intake: ${result.outcome}.`;
}
