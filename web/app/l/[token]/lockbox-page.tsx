'use client';
// What the tenant decides on: exactly the text of the consent mail (who, what, why, how long), and one answer,
// approve or decline, with their name. The link takes one answer: afterwards, and whenever it is opened again, the
// page shows the answer as recorded (when, by whom, and the text it was given on). Everything from the server is
// rendered as text.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormError } from '../../components/form-error';
import { useTRPC } from '../../../lib/trpc';
import type { LockboxView } from '../../../server/routers/access-consent';
import { utcMinute } from '../../components/utc';

const utc = utcMinute;

export function LockboxPage({ token, initial }: { token: string; initial: LockboxView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const viewQuery = trpc.accessConsent.view.queryOptions({ token });
  const { data } = useQuery({ ...viewQuery, initialData: initial });
  const view = data ?? initial;
  // Once answered, the page reads the answer back as it was recorded.
  const decide = useMutation(trpc.accessConsent.decide.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: viewQuery.queryKey }) }));
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');

  const send = (approve: boolean) => decide.mutate({ token, approve, name, reason: approve ? undefined : reason.trim() || undefined });
  const answer = view.answer;
  const answered = answer?.decision ?? decide.data?.decision ?? view.tenantConsent;

  return (
    <section className="narrow" data-testid="lockbox-page" data-state={view.state} style={{ maxWidth: '44rem' }}>
      <h1>Access to customer data of {view.tenantName}</h1>
      <p>
        Our security team asks for access that would reach customer data on your deployment <strong>{view.deploymentName}</strong>. Nothing is
        accessed without your consent; our own approvers must agree as well. Reference <span className="mono">{view.reference}</span>.
      </p>
      {answer && <h2>What you were shown when you answered</h2>}
      <pre className="message" data-testid="lockbox-text" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        {answer?.textShown || view.text}
      </pre>

      {answered ? (
        <>
          <p className={answered === 'approved' ? 'ok' : 'bad'} role="status" data-testid="lockbox-decision" data-decision={answered}>
            {answered === 'approved'
              ? 'You approved this access. It lasts only as long as stated above, is recorded, and is removed automatically.'
              : 'You declined. No access to your data will be given for this request.'}
          </p>
          {answer && (
            <dl data-testid="lockbox-answer" data-decision={answer.decision}>
              <dt>Answer</dt>
              <dd>{answer.decision === 'approved' ? 'Approved' : 'Declined'}</dd>
              <dt>When</dt>
              <dd data-testid="lockbox-answer-at">{utc(answer.at)}</dd>
              <dt>By</dt>
              <dd data-testid="lockbox-answer-by">
                {answer.name}
                {answer.email ? ` (${answer.email})` : ''}
              </dd>
              {answer.reason && (
                <>
                  <dt>Reason given</dt>
                  <dd data-testid="lockbox-answer-reason" style={{ whiteSpace: 'pre-wrap' }}>
                    {answer.reason}
                  </dd>
                </>
              )}
            </dl>
          )}
          <p className="muted">The answer stands and no other is taken; reply to the email if something is wrong.</p>
        </>
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
