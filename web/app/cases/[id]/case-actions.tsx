'use client';
// The actions the server says this user may take on this case now, as forms. Inputs are checked with the
// procedures' own schemas before sending; the workflow's refusal, if any, is shown as it comes.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { SEVERITIES, type Severity } from '../../../../domain/cases';
import { FormError } from '../../components/form-error';
import { useTRPC } from '../../../lib/trpc';
import type { AllowedActions } from '../../../server/case-actions';
import { decideExtensionInput, triageInput, verifyRemediationInput } from '../../../server/case-inputs';

type Props = { caseId: string; allowed: AllowedActions; onDone: () => void; /** Our detectors' gravest grading, to start triage from. */ detectedSeverity?: Severity | null };

/** The first message of a failed parse, for the field under the form. */
function firstIssue(result: { success: boolean; error?: { issues: { message: string }[] } }): string | null {
  return result.success ? null : (result.error?.issues[0]?.message ?? 'Check the form.');
}

export function CaseActions({ caseId, allowed, onDone, detectedSeverity }: Props) {
  const none = !allowed.triage && !allowed.decideExtension && !allowed.verifyRemediation;
  if (none) return <p className="muted" data-testid="no-actions">No action is possible on this case now.</p>;
  return (
    <div className="actions" data-testid="case-actions">
      {allowed.triage && <TriageForms caseId={caseId} onDone={onDone} detectedSeverity={detectedSeverity ?? null} />}
      {allowed.decideExtension && <ExtensionForm caseId={caseId} onDone={onDone} />}
      {allowed.verifyRemediation && <VerifyForm caseId={caseId} onDone={onDone} />}
    </div>
  );
}

function TriageForms({ caseId, onDone, detectedSeverity }: { caseId: string; onDone: () => void; detectedSeverity: Severity | null }) {
  const trpc = useTRPC();
  const triage = useMutation(trpc.cases.triage.mutationOptions({ onSuccess: onDone }));
  const [severity, setSeverity] = useState<Severity>(detectedSeverity ?? 'medium');
  const [reason, setReason] = useState('');
  const [notifyReporter, setNotifyReporter] = useState(true);
  const [into, setInto] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);

  const send = (decision: unknown) => (e: FormEvent) => {
    e.preventDefault();
    const parsed = triageInput.safeParse({ caseId, decision });
    setInvalid(firstIssue(parsed));
    if (parsed.success) triage.mutate(parsed.data);
  };

  return (
    <div className="panel" data-testid="triage-actions">
      <h3>Triage</h3>
      <form onSubmit={send({ action: 'accept', severity })} data-testid="triage-accept-form">
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value as Severity)} data-testid="triage-severity">
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={triage.isPending} data-testid="triage-accept">
          Accept and notify the tenant
        </button>
      </form>
      <form onSubmit={send({ action: 'reject', reason, notifyReporter })} data-testid="triage-reject-form">
        <label>
          Reason for rejecting
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} data-testid="triage-reason" />
        </label>
        <label className="inline">
          <input type="checkbox" checked={notifyReporter} onChange={(e) => setNotifyReporter(e.target.checked)} /> Tell the reporter
        </label>
        <button type="submit" className="danger" disabled={triage.isPending} data-testid="triage-reject">
          Reject
        </button>
      </form>
      <form onSubmit={send({ action: 'merge', intoCaseId: into.trim() })} data-testid="triage-merge-form">
        <label>
          Merge into case (id)
          <input value={into} onChange={(e) => setInto(e.target.value)} placeholder="00000000-0000-0000-0000-000000000000" data-testid="triage-merge-into" />
        </label>
        <button type="submit" className="secondary" disabled={triage.isPending} data-testid="triage-merge">
          Merge
        </button>
      </form>
      {invalid && (
        <p role="alert" className="field-error" data-testid="triage-invalid">
          {invalid}
        </p>
      )}
      <FormError error={triage.error} testId="triage-error" />
    </div>
  );
}

function ExtensionForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const decide = useMutation(trpc.cases.decideExtension.mutationOptions({ onSuccess: onDone }));
  const [note, setNote] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const send = (approve: boolean) => {
    const parsed = decideExtensionInput.safeParse({ caseId, approve, note });
    setInvalid(firstIssue(parsed));
    if (parsed.success) decide.mutate(parsed.data);
  };
  return (
    <div className="panel" data-testid="extension-actions">
      <h3>Extension request</h3>
      <form onSubmit={(e) => e.preventDefault()}>
        <label>
          Note to the tenant (optional)
          <textarea value={note} onChange={(e) => setNote(e.target.value)} data-testid="extension-note" />
        </label>
        <div>
          <button type="button" disabled={decide.isPending} onClick={() => send(true)} data-testid="extension-approve">
            Grant
          </button>{' '}
          <button type="button" className="danger" disabled={decide.isPending} onClick={() => send(false)} data-testid="extension-refuse">
            Refuse
          </button>
        </div>
      </form>
      {invalid && <p role="alert" className="field-error">{invalid}</p>}
      <FormError error={decide.error} testId="extension-error" />
    </div>
  );
}

function VerifyForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const verify = useMutation(trpc.cases.verifyRemediation.mutationOptions({ onSuccess: onDone }));
  const [note, setNote] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const send = (accepted: boolean) => {
    const parsed = verifyRemediationInput.safeParse({ caseId, accepted, note });
    setInvalid(firstIssue(parsed));
    if (parsed.success) verify.mutate(parsed.data);
  };
  return (
    <div className="panel" data-testid="verify-actions">
      <h3>Verify the remediation</h3>
      <form onSubmit={(e) => e.preventDefault()}>
        <label>
          Note (optional; sent to the tenant when refused)
          <textarea value={note} onChange={(e) => setNote(e.target.value)} data-testid="verify-note" />
        </label>
        <div>
          <button type="button" disabled={verify.isPending} onClick={() => send(true)} data-testid="verify-accept">
            Verified: close the case
          </button>{' '}
          <button type="button" className="danger" disabled={verify.isPending} onClick={() => send(false)} data-testid="verify-refuse">
            Not sufficient
          </button>
        </div>
      </form>
      {invalid && <p role="alert" className="field-error">{invalid}</p>}
      <FormError error={verify.error} testId="verify-error" />
    </div>
  );
}
