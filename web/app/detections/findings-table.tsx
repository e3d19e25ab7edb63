'use client';
// The findings, newest first, filtered by kind and tenant, a page at a time ("Load more" follows the cursor).
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '../../lib/trpc';
import { kindLabel } from './charts';

const PAGE = 50;
const utc = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '—');
const TARGETS_SHOWN = 3;

export function FindingsTable() {
  const trpc = useTRPC();
  const [kind, setKind] = useState<string | undefined>();
  const [tenantId, setTenantId] = useState<string | undefined>();
  const filters = useQuery({ ...trpc.detections.filters.queryOptions(), refetchInterval: 60_000 });
  const list = useInfiniteQuery({
    ...trpc.detections.findings.infiniteQueryOptions({ kind, tenantId, limit: PAGE }, { getNextPageParam: (last) => last.nextCursor }),
    refetchInterval: 10_000,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Finding filters">
        <label>
          Kind
          <select data-testid="filter-kind" value={kind ?? ''} onChange={(e) => setKind(e.target.value || undefined)}>
            <option value="">any</option>
            {filters.data?.kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tenant
          <select data-testid="filter-tenant" value={tenantId ?? ''} onChange={(e) => setTenantId(e.target.value || undefined)}>
            <option value="">any</option>
            {filters.data?.tenants.map((t) => (
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
      {list.data && items.length === 0 && (
        <p className="empty" data-testid="findings-empty">
          {kind || tenantId ? 'No findings match these filters.' : 'No findings yet: the detectors have not reported anything.'}
        </p>
      )}
      {items.length > 0 && (
        <table data-testid="findings-table">
          <thead>
            <tr>
              <th>Received (UTC)</th>
              <th>Kind</th>
              <th>Source → targets</th>
              <th>Window (UTC)</th>
              <th>Severity</th>
              <th>Tenant / deployment</th>
              <th>Case</th>
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.id} data-testid="finding-row" data-finding-id={f.id}>
                <td>
                  <Link href={`/detections/${f.id}`} data-testid="finding-link">
                    {utc(f.receivedAt)}
                  </Link>
                  {f.submissionCount > 1 && <div className="muted">sent {f.submissionCount}×</div>}
                </td>
                <td>
                  {kindLabel(f.kind)}
                  <div className="muted">{[f.category, f.detector].filter(Boolean).join(' · ')}</div>
                </td>
                <td className="mono">
                  {f.sourceIp ?? '—'}
                  {f.targets.length > 0 && (
                    <div className="muted">
                      → {f.targets.slice(0, TARGETS_SHOWN).join(', ')}
                      {f.targets.length > TARGETS_SHOWN ? ` and ${f.targetsCapped ? 'more' : `${f.targets.length - TARGETS_SHOWN} more`}` : ''}
                    </div>
                  )}
                </td>
                <td>
                  {utc(f.windowStart)}
                  {f.windowEnd && <div className="muted">to {utc(f.windowEnd)}</div>}
                </td>
                <td>
                  {f.severity ? <span className={`severity ${f.severity}`}>{f.severity}</span> : '—'}
                  {f.confidence && <div className="muted">confidence {f.confidence}</div>}
                </td>
                <td>
                  {f.tenant ? (f.tenant.name ?? f.tenant.id) : <span className="muted">not attributed</span>}
                  {f.deployment && <div className="muted">{f.deployment.name ?? f.deployment.id}</div>}
                </td>
                <td>
                  {f.caseId ? (
                    <Link href={`/cases/${f.caseId}`} data-testid="finding-case-link">
                      {f.caseId.slice(0, 8)}
                    </Link>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.hasNextPage && (
        <div className="pager">
          <button type="button" className="secondary" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
