'use client';
// Asking for just-in-time access: the target (a tenant's deployment, or a part of the provider's infrastructure), the
// level, whether customer data is in scope, how long and why. Before sending, the form shows what the policy asks for
// this target (how many approvers, the tenant's consent, the longest grant). Sending needs a fresh second-factor
// check: the server says so, and the step-up dialog asks for it.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { ACCESS_REASON_MAX, ACCESS_REASON_MIN, type AccessLevel, type AccessTargetKind } from '../../../../domain/access/contracts';
import { useTRPC } from '../../../lib/trpc';
import { FormError } from '../../components/form-error';
import { isStepUpRequired, useStepUp } from '../../components/step-up';
import '../../components/console.css';
import { minutesText } from '../access-format';

export function RequestForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const stepUp = useStepUp();
  const targets = useQuery(trpc.access.targets.queryOptions());
  const [kind, setKind] = useState<AccessTargetKind>('deployment');
  const [deploymentId, setDeploymentId] = useState('');
  const [infraScope, setInfraScope] = useState('');
  const [level, setLevel] = useState<AccessLevel>('read');
  const [customerData, setCustomerData] = useState(false);
  const [duration, setDuration] = useState('60');
  const [caseId, setCaseId] = useState('');
  const [reason, setReason] = useState('');
  const target = { targetKind: kind, level, customerData: kind === 'deployment' && customerData, ...(kind === 'infrastructure' && infraScope ? { infraScope } : {}) };
  const policy = useQuery(trpc.access.policy.queryOptions({ target }));
  const create = useMutation(trpc.access.create.mutationOptions());
  const [cancelled, setCancelled] = useState(false);

  const preview = policy.data?.preview;
  const minutes = Number(duration);
  const tooLong = preview !== null && preview !== undefined && Number.isFinite(minutes) && minutes > preview.maxMinutes;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input = {
      targetKind: kind,
      ...(kind === 'deployment' ? { deploymentId: deploymentId || undefined } : { infraScope: infraScope || undefined }),
      level,
      customerData: kind === 'deployment' && customerData,
      reason,
      durationMinutes: Number.isFinite(minutes) ? Math.round(minutes) : 0,
      ...(caseId ? { caseId } : {}),
    };
    setCancelled(false);
    try {
      // Without a fresh check the server answers PRECONDITION_FAILED; the dialog asks and the request is sent again.
      const created = await stepUp.withStepUp(() => create.mutateAsync(input));
      if (created) router.push(`/access/${created.id}`);
      else setCancelled(true);
    } catch {
      // Shown below from the mutation's error.
    }
  };

  const t = targets.data;
  const casesForTarget = t?.cases.filter((c) => kind !== 'deployment' || !deploymentId || c.deploymentId === null || c.deploymentId === deploymentId) ?? [];
  return (
    <>
      {stepUp.dialog}
      {targets.isError && (
        <p role="alert" className="error">
          {targets.error.message}
        </p>
      )}
      <form className="panel" onSubmit={(e) => void submit(e)} data-testid="access-form">
        <fieldset>
          <legend>What</legend>
          <label className="inline">
            <input type="radio" name="kind" data-testid="access-kind-deployment" checked={kind === 'deployment'} onChange={() => setKind('deployment')} />
            A tenant&apos;s deployment
          </label>
          <label className="inline">
            <input type="radio" name="kind" data-testid="access-kind-infrastructure" checked={kind === 'infrastructure'} onChange={() => setKind('infrastructure')} />
            Provider infrastructure
          </label>
        </fieldset>

        {kind === 'deployment' ? (
          <label>
            Deployment
            <select data-testid="access-deployment" value={deploymentId} onChange={(e) => setDeploymentId(e.target.value)} required>
              <option value="">Choose…</option>
              {t?.deployments.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.tenantName} / {d.name}
                  {d.state === 'suspended' ? ' (suspended)' : ''}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Infrastructure
            <select data-testid="access-infra-scope" value={infraScope} onChange={(e) => setInfraScope(e.target.value)} required>
              <option value="">Choose…</option>
              {t?.infraScopes.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        )}

        <label>
          Level
          <select data-testid="access-level" value={level} onChange={(e) => setLevel(e.target.value as AccessLevel)}>
            {policy.data?.levels.map((l) => (
              <option key={l.value} value={l.value}>
                {l.value}: {l.text}
              </option>
            )) ?? <option value="read">read</option>}
          </select>
        </label>

        {kind === 'deployment' && (
          <label className="inline">
            <input type="checkbox" data-testid="access-customer-data" checked={customerData} onChange={(e) => setCustomerData(e.target.checked)} />
            The work needs the customer data stored in the deployment
          </label>
        )}

        <div className="notice" data-testid="access-policy-preview" aria-live="polite">
          {policy.isError && <span className="error">{policy.error.message}</span>}
          {preview ? (
            <>
              Policy <strong>{preview.rule}</strong>: needs{' '}
              <strong data-testid="access-policy-approvals">
                {preview.approvals} approval{preview.approvals === 1 ? '' : 's'}
              </strong>{' '}
              from people other than you{preview.namedApprovers ? ` (out of ${preview.namedApprovers} named approvers)` : ''}
              {preview.tenantConsent ? (
                <>
                  {' '}
                  and <strong data-testid="access-policy-consent">the tenant&apos;s consent</strong> (they get a link by mail)
                </>
              ) : null}
              ; grants last at most <strong data-testid="access-policy-max">{minutesText(preview.maxMinutes)}</strong>. Approvals are accepted for{' '}
              {policy.data?.approvalWindow}.
            </>
          ) : (
            !policy.isError && 'Choose a target to see what the policy asks for.'
          )}
        </div>

        <label>
          Duration (minutes)
          <input
            type="number"
            data-testid="access-duration"
            min={1}
            max={preview?.maxMinutes}
            step={1}
            value={duration}
            onChange={(e) => setDuration(e.target.value)}
            required
          />
        </label>
        {tooLong && (
          <p className="error" data-testid="access-duration-too-long">
            This policy allows at most {minutesText(preview.maxMinutes)}.
          </p>
        )}

        <label>
          Case (optional)
          <select data-testid="access-case" value={caseId} onChange={(e) => setCaseId(e.target.value)}>
            <option value="">None</option>
            {casesForTarget.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>

        <label>
          Why ({ACCESS_REASON_MIN}–{ACCESS_REASON_MAX} characters; approvers{preview?.tenantConsent ? ' and the tenant' : ''} read this)
          <textarea data-testid="access-reason" value={reason} maxLength={ACCESS_REASON_MAX} onChange={(e) => setReason(e.target.value)} required />
        </label>

        <div>
          <button type="submit" data-testid="access-submit" disabled={create.isPending || tooLong}>
            {create.isPending ? 'Sending…' : 'Send request'}
          </button>
        </div>
        {cancelled && (
          <p role="alert" className="error" data-testid="access-form-cancelled">
            Not sent: the request needs a check with your second factor.
          </p>
        )}
        {/* "Step-up needed" is answered by the dialog, not shown as a failure. */}
        <FormError error={create.error && !isStepUpRequired(create.error) ? create.error : null} testId="access-form-error" />
      </form>
    </>
  );
}
