'use client';
// The access lists: my requests, requests waiting for my decision, grants in force (with a live countdown to their
// end), and the history. Reasons are the requester's text: rendered as text only.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Countdown } from '../components/countdown';
import '../components/console.css';
import { useTRPC } from '../../lib/trpc';
import { STATE_LABELS, minutesText, utc, type AccessSummary } from './access-format';

export type AccessTab = 'mine' | 'waiting' | 'active' | 'history';

const TAB_LABELS: Record<AccessTab, string> = { mine: 'My requests', waiting: 'Waiting for me', active: 'Active grants', history: 'History' };

export function AccessLists({ initialTab, canApprove }: { initialTab: AccessTab; canApprove: boolean }) {
  const [tab, setTab] = useState<AccessTab>(initialTab);
  const select = (t: AccessTab) => {
    setTab(t);
    // The tab is in the address, so a reload or a shared link opens the same list.
    window.history.replaceState(null, '', `/access?tab=${t}`);
  };
  return (
    <>
      <div role="tablist" aria-label="Access lists" className="filters">
        {(Object.keys(TAB_LABELS) as AccessTab[]).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? undefined : 'secondary'}
            data-testid={`access-tab-${t}`}
            onClick={() => select(t)}
          >
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      <div role="tabpanel" data-testid={`access-panel-${tab}`}>
        {tab === 'mine' && <Paged which="mine" empty="You have not asked for access yet." />}
        {tab === 'waiting' && (canApprove ? <Waiting /> : <p className="muted">Only approvers and admins decide on access requests.</p>)}
        {tab === 'active' && <Active />}
        {tab === 'history' && <Paged which="history" empty="No finished requests yet." />}
      </div>
    </>
  );
}

function Waiting() {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.access.waitingForMe.queryOptions(), refetchInterval: 5_000 });
  return <Listing query={q} empty="Nothing waits for your decision." deadline="approval" />;
}

function Active() {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.access.active.queryOptions(), refetchInterval: 5_000 });
  return <Listing query={q} empty="No grant is in force." deadline="grant" />;
}

function Paged({ which, empty }: { which: 'mine' | 'history'; empty: string }) {
  const trpc = useTRPC();
  const proc = which === 'mine' ? trpc.access.mine : trpc.access.history;
  const q = useInfiniteQuery({
    ...proc.infiniteQueryOptions({}, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
    refetchInterval: 10_000,
  });
  const items = q.data?.pages.flatMap((p) => p.items);
  return (
    <>
      <Listing query={{ ...q, data: items ? { items } : undefined }} empty={empty} deadline={which === 'mine' ? 'either' : 'none'} />
      {q.hasNextPage && (
        <div className="pager">
          <button type="button" className="secondary" data-testid="access-more" disabled={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
            {q.isFetchingNextPage ? 'Loading…' : 'Older requests'}
          </button>
        </div>
      )}
    </>
  );
}

interface ListQuery {
  isPending: boolean;
  isError: boolean;
  error: { message: string } | null;
  data?: { items: AccessSummary[] };
}

/** Which time the last column counts down to. */
type Deadline = 'approval' | 'grant' | 'either' | 'none';

function Listing({ query, empty, deadline }: { query: ListQuery; empty: string; deadline: Deadline }) {
  if (query.isPending) return <p>Loading…</p>;
  if (query.isError)
    return (
      <p role="alert" className="error">
        {query.error?.message}
      </p>
    );
  const items = query.data?.items ?? [];
  if (items.length === 0)
    return (
      <p className="muted" data-testid="access-empty">
        {empty}
      </p>
    );
  return (
    <table data-testid="access-list">
      <thead>
        <tr>
          <th>Request</th>
          <th>Target</th>
          <th>Requester</th>
          <th>State</th>
          <th>Approvals</th>
          <th>{deadline === 'none' ? 'Closed' : 'Time left'}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((r) => (
          <tr key={r.id} data-testid="access-row" data-id={r.id} data-state={r.state}>
            <td>
              <Link href={`/access/${r.id}`} className="mono" data-testid="access-link">
                {r.reference}
              </Link>
              <div className="muted">{utc(r.createdAt)}</div>
            </td>
            <td>
              <strong>{r.level}</strong> on {r.target}
              {r.customerData && <div className="bad">customer data</div>}
              <div className="muted" data-testid="access-reason" style={{ maxWidth: '28rem', overflowWrap: 'anywhere' }}>
                {r.reason.length > 160 ? `${r.reason.slice(0, 160)}…` : r.reason}
              </div>
            </td>
            <td>{r.requester.name}</td>
            <td>
              <span className={`state-badge ${r.state}`}>{STATE_LABELS[r.state]}</span>
              {r.closedReason && <div className="muted">{r.closedReason}</div>}
            </td>
            <td>
              {r.approvalsGiven} of {r.requiredApprovals}
              {r.tenantConsentRequired && <div className="muted">tenant: {r.tenantConsent ?? 'waiting'}</div>}
            </td>
            <td>
              <TimeLeft r={r} deadline={deadline} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TimeLeft({ r, deadline }: { r: AccessSummary; deadline: Deadline }) {
  const live = r.grant && !r.grant.endedAt && r.state === 'active';
  if ((deadline === 'grant' || deadline === 'either') && live) {
    return (
      <>
        <Countdown deadline={r.grant!.expiresAt} testId="grant-countdown" />
        <div className="muted">grant of {minutesText(r.durationMinutes)}</div>
      </>
    );
  }
  if ((deadline === 'approval' || deadline === 'either') && r.state === 'pending') {
    return (
      <>
        <Countdown deadline={r.approvalDeadline} testId="approval-countdown" />
        <div className="muted">to decide</div>
      </>
    );
  }
  return <span className="muted">{r.grant?.endedAt ? utc(r.grant.endedAt) : '—'}</span>;
}
