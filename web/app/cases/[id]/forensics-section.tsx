'use client';
// The case page's forensics: propose an analysis of the case tenant's deployments (the tenant decides by link), and
// the requests so far with where each stands. The server checks everything again; the form only helps.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import type { DataKind } from '../../../../domain/forensics/types';
import { FormError } from '../../components/form-error';
import { useTRPC } from '../../../lib/trpc';

const toggle = <T,>(list: T[], item: T, on: boolean): T[] => (on ? [...new Set([...list, item])] : list.filter((x) => x !== item));

export function ForensicsSection({ caseId }: { caseId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = useQuery(trpc.forensics.options.queryOptions({ caseId }));
  const listQuery = trpc.forensics.listForCase.queryOptions({ caseId });
  const list = useQuery({ ...listQuery, refetchInterval: 5_000 });
  const [targets, setTargets] = useState<string[] | null>(null);
  const [kinds, setKinds] = useState<DataKind[]>(['logs']);
  const [purpose, setPurpose] = useState('');
  const [hours, setHours] = useState<number | null>(null);
  const [days, setDays] = useState<number | null>(null);
  const propose = useMutation(
    trpc.forensics.propose.mutationOptions({
      onSuccess: () => {
        setPurpose('');
        void queryClient.invalidateQueries({ queryKey: listQuery.queryKey });
      },
    }),
  );

  if (options.isPending) return <p>Loading…</p>;
  if (options.isError) return <p role="alert" className="error">{options.error.message}</p>;
  const o = options.data;
  // The case's own deployment is checked until the analyst chooses otherwise.
  const chosen = targets ?? (o.caseDeploymentId ? [o.caseDeploymentId] : []);
  const accessHours = hours ?? o.defaults.accessHours;
  const retentionDays = days ?? o.defaults.retentionDays;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    propose.mutate({ caseId, scope: { targets: chosen.map((deploymentId) => ({ deploymentId })), dataKinds: kinds }, purpose, accessHours, retentionDays });
  };

  return (
    <div data-testid="forensics-section">
      <div className="panel">
        {o.deployments.length === 0 ? (
          <p className="muted">This case has no tenant deployments to analyse.</p>
        ) : (
          <form onSubmit={submit} data-testid="forensics-propose">
            <fieldset>
              <legend>Deployments</legend>
              {o.deployments.map((d) => (
                <label key={d.id} className="inline">
                  <input type="checkbox" checked={chosen.includes(d.id)} onChange={(e) => setTargets(toggle(chosen, d.id, e.target.checked))} />
                  {d.name} <span className="muted">({d.state})</span>
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Data to collect</legend>
              {o.dataKinds.map((k) => (
                <label key={k.value} className="inline">
                  <input type="checkbox" data-testid={`forensics-kind-${k.value}`} checked={kinds.includes(k.value)} onChange={(e) => setKinds(toggle(kinds, k.value, e.target.checked))} />
                  {k.label}
                </label>
              ))}
            </fieldset>
            <label>
              Purpose (shown to the tenant)
              <textarea data-testid="forensics-purpose" value={purpose} maxLength={2000} onChange={(e) => setPurpose(e.target.value)} required />
            </label>
            <label>
              Access hours after approval
              <input type="number" min={1} max={o.max.accessHours} value={accessHours} onChange={(e) => setHours(Number(e.target.value))} />
            </label>
            <label>
              Retention days after the analysis
              <input type="number" min={1} max={o.max.retentionDays} value={retentionDays} onChange={(e) => setDays(Number(e.target.value))} />
            </label>
            <button type="submit" data-testid="forensics-propose-submit" disabled={propose.isPending || chosen.length === 0 || kinds.length === 0}>
              Ask the tenant for consent
            </button>
            <FormError error={propose.error} testId="forensics-propose-error" />
          </form>
        )}
      </div>
      {list.data && list.data.length > 0 ? (
        <table data-testid="forensics-requests">
          <thead>
            <tr>
              <th>Proposed</th>
              <th>By</th>
              <th>State</th>
              <th>Artifacts</th>
              <th>Report</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((r) => (
              <tr key={r.id} data-testid="forensics-request" data-state={r.state}>
                <td>
                  <Link href={`/forensics/${r.id}`}>{new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</Link>
                </td>
                <td>{r.proposedBy}</td>
                <td>
                  <span className={`state-badge ${r.state}`}>{r.state.replace('_', ' ')}</span>
                </td>
                <td>{r.artifacts}</td>
                <td>{r.sharedAt ? 'shared' : r.reportReady ? 'ready' : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No forensic analysis proposed for this case.</p>
      )}
    </div>
  );
}
