'use client';
// The tenant list: search by name, slug or contact email, tenants by name with "More tenants" (keyset pages).
// Names and emails are the tenant's own text: shown as text only.
import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import '../components/console.css';
import { useTRPC } from '../../lib/trpc';

export function TenantList() {
  const trpc = useTRPC();
  const [q, setQ] = useState('');
  const [applied, setApplied] = useState('');
  const list = useInfiniteQuery(
    trpc.tenants.list.infiniteQueryOptions({ q: applied || undefined, limit: 25 }, { getNextPageParam: (last) => last.nextCursor ?? undefined, initialCursor: undefined }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(q.trim());
  };
  const tenants = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <h2>All tenants</h2>
      <form className="filters" onSubmit={submit} aria-label="Search tenants" data-testid="tenant-search">
        <label>
          Name, slug or contact email
          <input data-testid="tenant-search-q" value={q} maxLength={200} onChange={(e) => setQ(e.target.value)} />
        </label>
        <button type="submit" data-testid="tenant-search-submit">
          Search
        </button>
      </form>
      {list.isPending && <p>Loading…</p>}
      {list.isError && (
        <p role="alert" className="error" data-testid="tenants-error">
          {list.error.message}
        </p>
      )}
      {list.data && (
        <>
          {tenants.length === 0 ? (
            <p className="muted" data-testid="tenants-empty">
              No tenants match.
            </p>
          ) : (
            <table data-testid="tenants-table">
              <thead>
                <tr>
                  <th>Tenant</th>
                  <th>Slug</th>
                  <th>Security contact</th>
                  <th>Deployments</th>
                  <th>Suspended</th>
                  <th>Open cases</th>
                </tr>
              </thead>
              <tbody>
                {tenants.map((t) => (
                  <tr key={t.id} data-testid="tenant-row" data-tenant-id={t.id}>
                    <td>
                      <Link href={`/tenants/${t.id}`} data-testid="tenant-link">
                        {t.name}
                      </Link>
                    </td>
                    <td className="mono">{t.slug}</td>
                    <td>{t.securityContactEmail ?? t.ownerEmail}</td>
                    <td data-testid="tenant-deployments">{t.deployments}</td>
                    <td data-testid="tenant-suspended">{t.suspended}</td>
                    <td data-testid="tenant-open-cases">{t.openCases}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="pager">
            {list.hasNextPage && (
              <button type="button" data-testid="tenants-more" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {list.isFetchingNextPage ? 'Loading…' : 'More tenants'}
              </button>
            )}
            <span className="muted">{tenants.length} shown</span>
          </div>
        </>
      )}
    </>
  );
}
