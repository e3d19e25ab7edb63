'use client';
// What the tenant sees and does: the case, what was seen (rendered as text, never as HTML), the deadline in UTC
// and their zone, and three actions (acknowledge, describe the remediation, ask once for more time).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTRPC } from '../../../../lib/trpc';
import type { TenantCaseView } from '../../../../server/routers/tenant';
import { deadlineShown } from '../../../cases/[id]/deadline-shown';

const STATE_TEXT: Record<TenantCaseView['state'], string> = {
  triage: 'Under review by the abuse desk',
  notified: 'Waiting for your remediation',
  remediation_submitted: 'Remediation received; waiting for an analyst to verify it',
  suspended: 'Deployment suspended until the remediation is verified',
  closed: 'Closed',
  rejected: 'Closed without action',
};

function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

function timeLeft(ms: number): string {
  if (ms <= 0) return 'passed';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

export function TenantCase({ token, initial }: { token: string; initial: TenantCaseView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const viewQuery = trpc.tenant.view.queryOptions({ token });
  const { data } = useQuery({ ...viewQuery, initialData: initial, refetchInterval: 5_000 });
  const view = data ?? initial;
  const now = useNow();
  const [description, setDescription] = useState('');
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState(24);
  const refresh = () => queryClient.invalidateQueries({ queryKey: viewQuery.queryKey });

  const acknowledge = useMutation(trpc.tenant.acknowledge.mutationOptions({ onSuccess: refresh }));
  const remediate = useMutation(trpc.tenant.submitRemediation.mutationOptions({ onSuccess: refresh }));
  const extend = useMutation(trpc.tenant.requestExtension.mutationOptions({ onSuccess: refresh }));
  const ref = { token, caseId: view.caseId };
  const shown = deadlineShown(view.state, view.deadline?.at, view.closedAt);

  return (
    <section className="narrow" data-testid="tenant-case" data-state={view.state}>
      <h1>
        Abuse case {view.reference}: {view.categoryLabel}
      </h1>
      <p>
        Deployment <strong>{view.deploymentName}</strong> of {view.tenantName}
        {view.severity ? ` · severity ${view.severity}` : ''}
      </p>
      <p data-testid="tenant-case-state">{STATE_TEXT[view.state]}</p>

      {shown.kind === 'ended' && (
        <p data-testid="tenant-case-closed">
          {shown.text}. There is no deadline any more and nothing more for you to do on this case.
        </p>
      )}

      {view.deadline && shown.kind === 'deadline' && (
        <div data-testid="tenant-deadline">
          <h2>Deadline</h2>
          <p>
            <span data-testid="tenant-deadline-utc">{view.deadline.utc}</span>
            <br />
            <span data-testid="tenant-deadline-local">{view.deadline.local}</span>
            <br />
            <span className="muted" data-testid="tenant-countdown">
              Time left: {timeLeft(new Date(view.deadline.at).getTime() - now)}
            </span>
          </p>
        </div>
      )}

      <h2>What was seen</h2>
      <p className="muted">
        {view.evidenceCount} report{view.evidenceCount === 1 ? '' : 's'}
        {view.evidenceCount > view.evidence.length ? `, the newest ${view.evidence.length} shown` : ''}.
      </p>
      <ul data-testid="tenant-evidence">
        {view.evidence.map((e, i) => (
          <li key={i}>
            {new Date(e.receivedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC · {e.channel === 'detection' ? 'our detection' : 'report'}
            {e.sourceIps.length > 0 && ` · source ${e.sourceIps.join(', ')}`}
            {e.reportedUrls.length > 0 && ` · URL ${e.reportedUrls.slice(0, 3).join(', ')}`}
            {/* Attacker-controlled: React renders it as text. */}
            {e.summary && <pre className="message" data-testid="tenant-evidence-summary">{e.summary}</pre>}
          </li>
        ))}
      </ul>

      <h2>Acknowledge</h2>
      {view.acknowledgedAt ? (
        <p data-testid="tenant-acknowledged">Acknowledged at {new Date(view.acknowledgedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC.</p>
      ) : view.can.acknowledge ? (
        <button type="button" data-testid="tenant-acknowledge" disabled={acknowledge.isPending} onClick={() => acknowledge.mutate(ref)}>
          We have received this notice
        </button>
      ) : (
        <p className="muted">Not needed now.</p>
      )}
      {acknowledge.error && <p role="alert" className="error">{acknowledge.error.message}</p>}

      <h2>Remediation</h2>
      {view.remediation ? (
        <>
          <p>Your description{view.remediationAt ? ` (${new Date(view.remediationAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : ''}:</p>
          <pre className="message" data-testid="tenant-remediation">{view.remediation}</pre>
        </>
      ) : view.can.submitRemediation ? (
        <form
          className="form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            remediate.mutate({ ...ref, description });
          }}
        >
          <label htmlFor="remediation">What did you do to stop the activity?</label>
          <textarea id="remediation" data-testid="tenant-remediation-input" rows={5} maxLength={5000} value={description} onChange={(e) => setDescription(e.target.value)} required />
          <button type="submit" data-testid="tenant-remediation-submit" disabled={remediate.isPending}>
            Send for verification
          </button>
        </form>
      ) : (
        <p className="muted">Nothing to do here now.</p>
      )}
      {remediate.error && <p role="alert" className="error" data-testid="tenant-remediation-error">{remediate.error.message}</p>}

      <h2>More time</h2>
      {view.extensionStatus ? (
        <p data-testid="tenant-extension-status">Extension {view.extensionStatus === 'requested' ? 'requested; an analyst will decide' : view.extensionStatus}.</p>
      ) : view.can.requestExtension ? (
        <form
          className="form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            extend.mutate({ ...ref, reason, hours });
          }}
        >
          <label htmlFor="reason">Why do you need more time? (once per case)</label>
          <textarea id="reason" data-testid="tenant-extension-reason" rows={3} maxLength={5000} value={reason} onChange={(e) => setReason(e.target.value)} required />
          <label htmlFor="hours">Hours</label>
          <input id="hours" data-testid="tenant-extension-hours" type="number" min={1} max={168} value={hours} onChange={(e) => setHours(Number(e.target.value))} />
          <button type="submit" data-testid="tenant-extension-submit" disabled={extend.isPending}>
            Ask for more time
          </button>
        </form>
      ) : (
        <p className="muted">Not available now.</p>
      )}
      {extend.error && <p role="alert" className="error">{extend.error.message}</p>}
    </section>
  );
}
