'use client';
// What the tenant decides on: exactly what would be accessed (the scope text), why, for how long and how long it is
// kept; approve all or part of it, or decline, with a name and email; afterwards where it stands, a Revoke button,
// and the report once the analyst shares it. Everything from the server is rendered as text.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { DATA_KIND_LABELS, type DataKind, type ForensicScope } from '../../../../domain/forensics/types';
import { FormError } from '../../components/form-error';
import { useTRPC } from '../../../lib/trpc';
import type { ConsentView } from '../../../server/routers/forensic-consent';
import { utcMinute } from '../../components/utc';
import { scopeShown, signedBy } from './scope-shown';


const STATE_TEXT: Record<ConsentView['state'], string> = {
  proposed: 'Waiting for your decision',
  approved: 'Approved; collection starts shortly',
  declined: 'Declined: nothing will be collected',
  expired: 'Expired without a decision: nothing will be collected',
  collecting: 'Approved; collecting now',
  analysing: 'Collection finished; the analysis is running',
  completed: 'Analysis completed',
  revoked: 'Consent revoked: collection stopped and collected data deleted',
  window_closed: 'The access window closed; the analysis used what was collected until then',
};

const utc = (d: Date | string | null) => (d ? utcMinute(d) : '');
const toggle = <T,>(list: T[], item: T, on: boolean): T[] => (on ? [...new Set([...list, item])] : list.filter((x) => x !== item));

export function ConsentPage({ token, initial }: { token: string; initial: ConsentView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const viewQuery = trpc.forensicConsent.view.queryOptions({ token });
  const { data } = useQuery({ ...viewQuery, initialData: initial, refetchInterval: 5_000 });
  const view = data ?? initial;
  const refresh = () => queryClient.invalidateQueries({ queryKey: viewQuery.queryKey });

  const proposed = view.proposedScope;
  const [targets, setTargets] = useState<string[]>(() => proposed.targets.map((t) => t.deploymentId));
  const [kinds, setKinds] = useState<string[]>(() => proposed.dataKinds);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [reason, setReason] = useState('');
  const [revoker, setRevoker] = useState('');
  const decide = useMutation(trpc.forensicConsent.decide.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.forensicConsent.revoke.mutationOptions({ onSuccess: refresh }));

  const narrowed = targets.length < proposed.targets.length || kinds.length < proposed.dataKinds.length;
  const narrowedScope = { targets: proposed.targets.filter((t) => targets.includes(t.deploymentId)), dataKinds: kinds as DataKind[] };
  // What an approval would cover, in the words the server stores with the decision (the same function and names);
  // after an approval, what was approved.
  const shown = scopeShown(view, narrowed && targets.length > 0 && kinds.length > 0 ? (narrowedScope as ForensicScope) : undefined);
  const signed = signedBy(name, email);
  const approve = (e: FormEvent) => {
    e.preventDefault();
    // Unchanged: the whole proposed scope, exactly as shown above.
    decide.mutate({ token, approve: true, approvedScope: narrowed ? narrowedScope : undefined, name, email });
  };
  const decline = () => decide.mutate({ token, approve: false, reason: reason || undefined, name, email });

  return (
    <section className="narrow" data-testid="consent-page" data-state={view.state}>
      <h1>Consent to a forensic analysis of {view.tenantName}&apos;s resources</h1>
      <p data-testid="consent-state">{STATE_TEXT[view.state]}</p>

      <h2>Why</h2>
      <pre className="message" data-testid="consent-purpose">
        {view.purpose}
      </pre>

      <h2>{shown.heading}</h2>
      <pre className="message" data-testid="consent-scope" data-narrowed={shown.narrowed ? 'yes' : 'no'}>
        {shown.text}
      </pre>
      {shown.proposedText && (
        <details data-testid="consent-proposed-scope">
          <summary>What was proposed</summary>
          <pre className="message">{shown.proposedText}</pre>
        </details>
      )}
      <p>
        Access lasts at most <strong>{view.accessHours} hours</strong> from your approval, or until you revoke it. Collected data is kept{' '}
        <strong>{view.retentionDays} days</strong> after the analysis ends, then deleted.
      </p>

      {view.can.decide && (
        <form className="form" onSubmit={approve} data-testid="consent-form">
          <p className="muted">
            Decide by {utc(view.linkExpiresAt)}; without a decision the request is declined by itself. You may approve only part of it:
          </p>
          <fieldset>
            <legend>Deployments</legend>
            {proposed.targets.map((t) => (
              <label key={t.deploymentId} className="inline">
                <input
                  type="checkbox"
                  data-testid={`consent-target-${t.deploymentId}`}
                  checked={targets.includes(t.deploymentId)}
                  onChange={(e) => setTargets(toggle(targets, t.deploymentId, e.target.checked))}
                />
                {view.deploymentNames[t.deploymentId] ?? t.deploymentId}
                {t.vmIds ? ` (${t.vmIds.length} virtual machine${t.vmIds.length === 1 ? '' : 's'})` : ' (every virtual machine)'}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Data</legend>
            {proposed.dataKinds.map((k) => (
              <label key={k} className="inline">
                <input type="checkbox" data-testid={`consent-kind-${k}`} checked={kinds.includes(k)} onChange={(e) => setKinds(toggle(kinds, k, e.target.checked))} />
                {DATA_KIND_LABELS[k as DataKind] ?? k}
              </label>
            ))}
          </fieldset>
          <label htmlFor="consent-name">Your name</label>
          <input id="consent-name" data-testid="consent-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} required />
          <label htmlFor="consent-email">Your email</label>
          <input id="consent-email" data-testid="consent-email" type="email" value={email} maxLength={320} onChange={(e) => setEmail(e.target.value)} required />
          <button type="submit" data-testid="consent-approve" disabled={decide.isPending || !signed || targets.length === 0 || kinds.length === 0}>
            {narrowed ? 'Approve the checked items only' : 'Approve'}
          </button>
          <label htmlFor="consent-reason">Reason for declining (optional)</label>
          <textarea id="consent-reason" data-testid="consent-reason" rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
          <button type="button" data-testid="consent-decline" disabled={decide.isPending || !signed} onClick={decline}>
            Decline
          </button>
          {!signed && <p className="muted" data-testid="consent-sign-hint">Enter your name and email to approve or decline.</p>}
          <FormError error={decide.error} testId="consent-error" />
        </form>
      )}

      {view.decision && (
        <>
          <h2>Your decision</h2>
          <p data-testid="consent-decision">
            {view.decision === 'approved' ? 'Approved' : 'Declined'} {utc(view.decidedAt)}
            {view.windowEndsAt && view.decision === 'approved' ? `; access ends ${utc(view.windowEndsAt)}` : ''}.
            {view.decision === 'approved' ? ` ${view.collected} item${view.collected === 1 ? '' : 's'} collected so far.` : ''}
          </p>
          {view.revokedAt && <p data-testid="consent-revoked">Revoked {utc(view.revokedAt)}.</p>}
        </>
      )}

      {view.can.revoke && (
        <form
          className="form"
          data-testid="consent-revoke-form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            revoke.mutate({ token, name: revoker });
          }}
        >
          <p>Revoking stops any collection at once and deletes what was collected.</p>
          <label htmlFor="consent-revoker">Your name</label>
          <input id="consent-revoker" data-testid="consent-revoker" value={revoker} maxLength={200} onChange={(e) => setRevoker(e.target.value)} required />
          <button type="submit" data-testid="consent-revoke" disabled={revoke.isPending || revoke.isSuccess}>
            Revoke consent
          </button>
          {revoke.isSuccess && <p data-testid="consent-revoke-sent">Revocation sent; this page updates when it has taken effect.</p>}
          <FormError error={revoke.error} />
        </form>
      )}

      {view.reportText && (
        <>
          <h2>Report</h2>
          <pre className="message" data-testid="consent-report">
            {view.reportText}
          </pre>
        </>
      )}
    </section>
  );
}
