'use client';
// The audit log: filters, entries newest first with "Older entries" (keyset pages), the chain check, and the same
// filters as a CSV or JSON download. Actors are named as the server resolved them, the stored id below (the filter
// takes it). Entry data and names are attacker-reachable (reports, tenants' answers): shown as text only.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import '../components/console.css';
import { useTRPC } from '../../lib/trpc';
import { utcSecond } from '../components/utc';
import { EMPTY_FORM as EMPTY, filterParams, filtersOf, formFromQuery, type AuditFilters, type AuditForm as Form } from './audit-query';

const FIELDS = [
  { key: 'actorId', label: 'Actor', placeholder: 'user email or id, api key…' },
  { key: 'action', label: 'Action starts with', placeholder: 'access.' },
  { key: 'subjectType', label: 'Subject type', placeholder: 'access_request' },
  { key: 'subjectId', label: 'Subject id', placeholder: '' },
] as const;


const utc = utcSecond;

function exportHref(format: 'csv' | 'json', filters: AuditFilters): string {
  const params = new URLSearchParams({ format });
  for (const [k, v] of filterParams(filters)) params.set(k, v);
  return `/api/audit/export?${params.toString()}`;
}

/** The page's address for these filters (replaced, not pushed: filtering is not navigation). */
function showInAddress(filters: AuditFilters): void {
  const query = filterParams(filters).toString();
  window.history.replaceState(null, '', query ? `/audit?${query}` : '/audit');
}

export function AuditView() {
  const trpc = useTRPC();
  const [form, setForm] = useState<Form>(EMPTY);
  const [applied, setApplied] = useState<Form>(EMPTY);
  // The filters a bookmarked or shared address asks for, read in the browser (times are shown in its zone); the list
  // waits for them rather than loading the unfiltered log first.
  const [addressRead, setAddressRead] = useState(false);
  useEffect(() => {
    const asked = formFromQuery(new URLSearchParams(window.location.search));
    setForm(asked);
    setApplied(asked);
    setAddressRead(true);
  }, []);
  const filters = filtersOf(applied);
  const list = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions({ filters, limit: 50 }, { getNextPageParam: (last) => last.nextCursor ?? undefined, initialCursor: undefined }),
    enabled: addressRead,
  });
  const verify = useQuery({ ...trpc.audit.verify.queryOptions(), enabled: false });

  const [problem, setProblem] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The server refuses this too; saying it here names the two fields as the form labels them.
    const { from, to } = filtersOf(form);
    if (from && to && from.getTime() > to.getTime()) return setProblem('From is after To: the start of the period must come before its end.');
    setProblem(null);
    setApplied(form);
    showInAddress(filtersOf(form));
  };
  const entries = list.data?.pages.flatMap((p) => p.entries) ?? [];

  return (
    <>
      <form className="filters" onSubmit={submit} aria-label="Filters" data-testid="audit-filters">
        {FIELDS.map((f) => (
          <label key={f.key}>
            {f.label}
            <input data-testid={`audit-filter-${f.key}`} value={form[f.key]} placeholder={f.placeholder} maxLength={200} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />
          </label>
        ))}
        <label>
          From
          <input type="datetime-local" data-testid="audit-filter-from" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" data-testid="audit-filter-to" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        </label>
        <button type="submit" data-testid="audit-apply">
          Show
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setForm(EMPTY);
            setApplied(EMPTY);
            setProblem(null);
            showInAddress({});
          }}
        >
          Clear
        </button>
        {problem && (
          <p role="alert" className="field-error" data-testid="audit-filter-problem">
            {problem}
          </p>
        )}
      </form>

      <div className="panel">
        <button type="button" data-testid="audit-verify" disabled={verify.isFetching} onClick={() => void verify.refetch()}>
          {verify.isFetching ? 'Verifying…' : 'Verify chain'}
        </button>{' '}
        <a href={exportHref('csv', filters)} data-testid="audit-export-csv" download>
          Export CSV
        </a>{' '}
        ·{' '}
        <a href={exportHref('json', filters)} data-testid="audit-export-json" download>
          Export JSON (with the hash chain)
        </a>{' '}
        <span className="muted">(the entries matching the filters, at most 100,000)</span>
        {verify.isError && (
          <p role="alert" className="error">
            {verify.error.message}
          </p>
        )}
        {verify.data && (
          <div data-testid="audit-verify-result" data-ok={verify.data.ok ? 'true' : 'false'}>
            <p className={verify.data.ok ? 'ok' : 'bad'}>
              {verify.data.ok
                ? `The chain holds: ${verify.data.entries} sealed entries verified.`
                : `The chain is broken: ${verify.data.entries} entries verified before the break.`}{' '}
              <span className="muted">Checked {utc(verify.data.checkedAt)}.</span>
            </p>
            {verify.data.problems.length > 0 && (
              <ul data-testid="audit-verify-problems">
                {verify.data.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
            {verify.data.lastHash && <p className="muted mono">Last hash {verify.data.lastHash}</p>}
          </div>
        )}
      </div>

      {list.isPending && <p>Loading…</p>}
      {list.isError && (
        <p role="alert" className="error" data-testid="audit-error">
          {list.error.message}
        </p>
      )}
      {list.data && (
        <>
          {entries.length === 0 ? (
            <p className="muted" data-testid="audit-empty">
              No entries match.
            </p>
          ) : (
            <table data-testid="audit-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>When</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Subject</th>
                  <th>Data</th>
                  <th>Sealed</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.seq} data-testid="audit-row" data-seq={e.seq} data-action={e.action}>
                    <td className="mono">{e.seq}</td>
                    <td>{utc(e.at)}</td>
                    <td>
                      <span data-testid="audit-actor" title={e.actor.detail}>
                        {e.actor.label}
                      </span>
                      <br />
                      <span className="muted">
                        {e.actorType} <span className="mono">{e.actorId}</span>
                      </span>
                    </td>
                    <td className="mono">{e.action}</td>
                    <td>
                      {e.subjectType} <span className="mono">{e.subjectId}</span>
                    </td>
                    <td>
                      <pre className="text-block" data-testid="audit-data">
                        {JSON.stringify(e.data, null, 2)}
                      </pre>
                    </td>
                    <td className="mono" title={e.hash ?? undefined}>
                      {e.chainSeq ? `#${e.chainSeq}` : 'not yet'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="pager">
            {list.hasNextPage && (
              <button type="button" data-testid="audit-more" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {list.isFetchingNextPage ? 'Loading…' : 'Older entries'}
              </button>
            )}
            <span className="muted">{entries.length} shown</span>
          </div>
        </>
      )}
    </>
  );
}
