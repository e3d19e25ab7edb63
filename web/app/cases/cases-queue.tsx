'use client';
// The case queue: the least time left first, with a live countdown; filters by state, category and tenant.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Countdown } from '../components/countdown';
import { useTRPC } from '../../lib/trpc';
import { CASE_STATE_LABELS } from '../../server/case-actions';
import type { CaseListInput } from '../../server/case-inputs';

type Filters = Required<Pick<NonNullable<CaseListInput>, 'state'>> & { category?: string; tenantId?: string };

export function CasesQueue() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>({ state: 'open' });
  const [page, setPage] = useState(0);
  const options = useQuery(trpc.cases.filters.queryOptions());
  const input = { ...filters, page, pageSize: 25 } as NonNullable<CaseListInput>;
  const list = useQuery({ ...trpc.cases.list.queryOptions(input), refetchInterval: 10_000, placeholderData: keepPreviousData });
  const set = (patch: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setPage(0);
  };

  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          State
          <select data-testid="filter-state" value={filters.state} onChange={(e) => set({ state: e.target.value as Filters['state'] })}>
            <option value="open">open (all but closed)</option>
            <option value="all">all</option>
            {Object.entries(CASE_STATE_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Category
          <select data-testid="filter-category" value={filters.category ?? ''} onChange={(e) => set({ category: e.target.value || undefined })}>
            <option value="">any</option>
            {options.data?.categories.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tenant
          <select data-testid="filter-tenant" value={filters.tenantId ?? ''} onChange={(e) => set({ tenantId: e.target.value || undefined })}>
            <option value="">any</option>
            {options.data?.tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
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
          <table data-testid="cases-table">
            <thead>
              <tr>
                <th>Case</th>
                <th>State</th>
                <th>Category</th>
                <th>Tenant / deployment</th>
                <th>Severity</th>
                <th>Reports</th>
                <th>Time left</th>
                <th>Opened</th>
              </tr>
            </thead>
            <tbody>
              {list.data.cases.length === 0 && (
                <tr>
                  <td colSpan={8}>No cases match.</td>
                </tr>
              )}
              {list.data.cases.map((c) => (
                <tr key={c.id} data-testid="case-row" data-case-id={c.id} data-state={c.state}>
                  <td>
                    <Link href={`/cases/${c.id}`} data-testid="case-link">
                      {c.reference}
                    </Link>
                  </td>
                  <td>
                    <span className={`state-badge ${c.state}`}>{CASE_STATE_LABELS[c.state]}</span>
                    {c.extensionStatus === 'requested' && <div className="muted">extension requested</div>}
                    {c.remediationSubmitted && c.state !== 'closed' && <div className="muted">remediation to verify</div>}
                  </td>
                  <td>{c.categoryLabel}</td>
                  <td>
                    {c.tenant?.name ?? 'unknown'}
                    <div className="muted">
                      {c.deployment?.name ?? ''}
                      {c.deployment?.state === 'suspended' ? ' (suspended)' : ''}
                    </div>
                  </td>
                  <td>{c.severity ?? '—'}</td>
                  <td className="num">{c.reportCount}</td>
                  <td>
                    {c.deadlineAt && c.state !== 'closed' && c.state !== 'rejected' ? (
                      <Countdown deadline={c.deadlineAt} testId="case-countdown" />
                    ) : (
                      <span className="muted">{c.state === 'triage' ? 'not yet notified' : '—'}</span>
                    )}
                  </td>
                  <td>{new Date(c.openedAt).toISOString().slice(0, 16).replace('T', ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" className="secondary" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
              Previous
            </button>
            <span className="muted" data-testid="cases-total">
              {list.data.total === 0
                ? 'no cases'
                : `${page * list.data.pageSize + 1}–${page * list.data.pageSize + list.data.cases.length} of ${list.data.total}`}
            </span>
            <button type="button" className="secondary" disabled={(page + 1) * list.data.pageSize >= list.data.total} onClick={() => setPage((p) => p + 1)}>
              Next
            </button>
          </div>
        </>
      )}
    </>
  );
}
