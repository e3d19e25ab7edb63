'use client';
// What the tenant decides on: exactly the text of the consent mail (who, what, why, how long), and one answer,
// approve or decline, with their name. The link works once: after answering, the page shows the answer it sent.
// Everything from the server is rendered as text.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormError } from '../../components/form-error';
import { useTRPC } from '../../../lib/trpc';
import type { LockboxView } from '../../../server/routers/access-consent';

const utc = (d: Date | string) => `${new Date(d).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function LockboxPage({ token, initial: view }: { token: string; initial: LockboxView }) {
  const trpc = useTRPC();
  const decide = useMutation(trpc.accessConsent.decide.mutationOptions());
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');

  const send = (approve: boolean) => decide.mutate({ token, approve, name, reason: approve ? undefined : reason.trim() || undefined });
  const answered = decide.data?.decision ?? view.tenantConsent;

  return (
    <section className="narrow" data-testid="lockbox-page" data-state={view.state} style={{ maxWidth: '44rem' }}>
      <h1>Access to customer data of {view.tenantName}</h1>
      <p>
        Our security team asks for access that would reach customer data on your deployment <strong>{view.deploymentName}</strong>. Nothing is
        accessed without your consent; our own approvers must agree as well. Reference <span className="mono">{view.reference}</span>.
      </p>
      <pre className="message" data-testid="lockbox-text" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        {view.text}
      </pre>

      {answered ? (
        <p className={answered === 'approved' ? 'ok' : 'bad'} role="status" data-testid="lockbox-decision" data-decision={answered}>
          {answered === 'approved'
            ? 'You approved this access. It lasts only as long as stated above, is recorded, and is removed automatically.'
            : 'You declined. No access to your data will be given for this request.'}
        </p>
      ) : view.canDecide ? (
        <form
          className="form"
          data-testid="lockbox-form"
          onSubmit={(e: FormEvent<HTMLFormElement>) => {
            e.preventDefault();
            // Which button sent the form; the name field is required for both answers.
            const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
            send(submitter?.value !== 'decline');
          }}
        >
          <p className="muted">Answer by {utc(view.deadline)}; without an answer the request expires and nothing is accessed. This link works once.</p>
          <label htmlFor="lockbox-name">Your name</label>
          <input id="lockbox-name" data-testid="lockbox-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} required />
          <label htmlFor="lockbox-reason">Reason for declining (optional)</label>
          <textarea id="lockbox-reason" data-testid="lockbox-reason" rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
          <button type="submit" name="answer" value="approve" data-testid="lockbox-approve" disabled={decide.isPending}>
            Approve access
          </button>
          <button type="submit" name="answer" value="decline" className="danger" data-testid="lockbox-decline" disabled={decide.isPending}>
            Decline
          </button>
          <FormError error={decide.error} testId="lockbox-error" />
        </form>
      ) : (
        <p data-testid="lockbox-closed">This request no longer takes an answer ({view.state}).</p>
      )}
    </section>
  );
}
