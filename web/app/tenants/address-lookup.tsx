'use client';
// "Who held this address at that time?": the same verdict intake reaches for a report, the holder's tenant, deployment
// and allocation window, or why nobody (a range never routed on the Internet, or no allocation at that time).
import { skipToken, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { FormError } from '../components/form-error';
import '../components/console.css';
import { useTRPC } from '../../lib/trpc';
import { heldWindow, utc } from './when';

export function AddressLookup() {
  const trpc = useTRPC();
  const [address, setAddress] = useState('');
  // datetime-local is the browser's local time; empty means now.
  const [at, setAt] = useState('');
  const [asked, setAsked] = useState<{ address: string; at?: Date } | null>(null);
  const lookup = useQuery(trpc.tenants.lookup.queryOptions(asked ?? skipToken));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAsked({ address, ...(at ? { at: new Date(at) } : {}) });
  };
  const r = lookup.data;

  return (
    <div className="panel" data-testid="address-lookup">
      <h2>Who held an address?</h2>
      <form className="inline-form" onSubmit={submit} aria-label="Address lookup">
        <label>
          Address or CIDR network <input data-testid="lookup-address" value={address} maxLength={100} placeholder="203.0.113.7" onChange={(e) => setAddress(e.target.value)} />
        </label>
        <label>
          At (empty: now) <input type="datetime-local" data-testid="lookup-at" value={at} onChange={(e) => setAt(e.target.value)} />
        </label>
        <button type="submit" data-testid="lookup-submit" disabled={lookup.isFetching}>
          Look up
        </button>
      </form>
      <FormError error={lookup.error} testId="lookup-error" />
      {r && (
        <div data-testid="lookup-result" data-outcome={r.outcome}>
          {r.holder ? (
            <p>
              <span className="mono">{r.address}</span> was held at {utc(r.at)} by{' '}
              <Link href={`/tenants/${r.holder.tenant.id}`} data-testid="lookup-tenant">
                {r.holder.tenant.name ?? r.holder.tenant.id}
              </Link>
              , deployment <span data-testid="lookup-deployment">{r.holder.deployment.name ?? r.holder.deployment.id}</span> ({r.holder.deployment.state ?? 'unknown'}), through{' '}
              <span className="mono" data-testid="lookup-cidr">
                {r.holder.cidr}
              </span>{' '}
              <span data-testid="lookup-window">{heldWindow(r.holder.validFrom, r.holder.validTo)}</span>.
            </p>
          ) : (
            <p data-testid="lookup-why">Nobody: {r.note}.</p>
          )}
          {r.outcome === 'not-held' && r.containing.length > 1 && <Allocations title={`Allocations containing it at ${utc(r.at)}`} rows={r.containing} testId="lookup-containing" />}
          {r.history.length > 0 && <Allocations title="Every allocation that contained it, newest first" rows={r.history} testId="lookup-history" />}
        </div>
      )}
    </div>
  );
}

interface AllocationRow {
  allocationId: string;
  cidr: string;
  validFrom: Date;
  validTo: Date | null;
  tenant: { id: string; name: string | null };
  deployment: { name: string | null };
}

function Allocations({ title, rows, testId }: { title: string; rows: AllocationRow[]; testId: string }) {
  return (
    <table data-testid={testId}>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th>Network</th>
          <th>Held</th>
          <th>Tenant</th>
          <th>Deployment</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.allocationId} data-testid="lookup-allocation">
            <td className="mono">{a.cidr}</td>
            <td>{heldWindow(a.validFrom, a.validTo)}</td>
            <td>
              <Link href={`/tenants/${a.tenant.id}`}>{a.tenant.name ?? a.tenant.id}</Link>
            </td>
            <td>{a.deployment.name ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
