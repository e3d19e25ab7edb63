'use client';
// One access request: what was asked and why, the policy it fell under, every approval (who, when, with which second
// factor), the tenant's consent with its evidence, the grant with a live countdown, everything done under it, and the
// audit timeline. Approving or denying asks for a fresh second-factor check; ending early or withdrawing does not
// (it only takes access away). Reasons, comments and the tenant's answers are shown as text.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '../../../lib/trpc';
import { Countdown } from '../../components/countdown';
import { FormError } from '../../components/form-error';
import { isStepUpRequired, useStepUp } from '../../components/step-up';
import { Timeline } from '../../components/timeline';
import '../../components/console.css';
import { STATE_LABELS, minutesText, utc, type AccessOutputs } from '../access-format';
import { WorkflowRow } from '../../components/workflow-link';

type Request = AccessOutputs['get'];

export function RequestView({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = trpc.access.get.queryOptions({ id });
  const req = useQuery({ ...query, refetchInterval: 3_000 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: query.queryKey });

  if (req.isPending) return <p>Loading…</p>;
  if (req.isError)
    return (
      <p role="alert" className="error" data-testid="access-error">
        {req.error.message}
      </p>
    );
  const r = req.data;
  return (
    <section data-testid="access-request" data-state={r.state}>
      <p>
        <Link href="/access">← Access</Link>
      </p>
      <h1>
        {r.level} access to {r.target} <span className="muted mono">{r.reference}</span>
      </h1>
      <div className="panel">
        <dl className="fields">
          <dt>State</dt>
          <dd>
            <span className={`state-badge ${r.state}`} data-testid="access-state">
              {STATE_LABELS[r.state]}
            </span>
            {r.closedReason && <span className="muted"> · {r.closedReason}</span>}
          </dd>
          <dt>Requested</dt>
          <dd>
            {utc(r.createdAt)} by {r.requester.name} &lt;{r.requester.email}&gt; · confirmed with {r.requestStepUp}
          </dd>
          <dt>Access</dt>
          <dd>
            {r.levelText} to {r.target}
            {r.targetKind === 'deployment' && (r.customerData ? <strong className="bad"> · including customer data</strong> : ' · without customer data')}
          </dd>
          <dt>Why</dt>
          <dd>
            <pre className="text-block" data-testid="access-reason">
              {r.reason}
            </pre>
          </dd>
          {r.case && (
            <>
              <dt>Case</dt>
              <dd>
                <Link href={`/cases/${r.case.id}`}>{r.case.label}</Link>
              </dd>
            </>
          )}
          <dt>Duration</dt>
          <dd>{minutesText(r.durationMinutes)} from approval</dd>
          <dt>Policy</dt>
          <dd data-testid="access-policy">
            {r.policyRule}: {r.requiredApprovals} approval{r.requiredApprovals === 1 ? '' : 's'}
            {r.approverPool.length > 0 ? ` from ${r.approverPool.map((p) => p.name).join(', ')}` : ' from approvers or admins'}
            {r.tenantConsent.required ? " and the tenant's consent" : ''}
          </dd>
          {r.state === 'pending' && (
            <>
              <dt>Decide within</dt>
              <dd>
                <Countdown deadline={r.approvalDeadline} testId="approval-countdown" /> <span className="muted">(until {utc(r.approvalDeadline)})</span>
              </dd>
            </>
          )}
          <WorkflowRow workflowId={r.workflowId} href={r.temporalUiLink} />
        </dl>
      </div>

      <h2>
        Approvals ({r.approvalsGiven} of {r.requiredApprovals})
      </h2>
      {r.approvals.length === 0 ? (
        <p className="muted">No decision yet.</p>
      ) : (
        <table data-testid="access-approvals">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Decision</th>
              <th>Second factor</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {r.approvals.map((a) => (
              <tr key={a.approverId} data-testid="access-approval" data-decision={a.decision}>
                <td>{utc(a.at)}</td>
                <td>{a.approverName}</td>
                <td className={a.decision === 'approve' ? 'ok' : 'bad'}>{a.decision === 'approve' ? 'approved' : 'denied'}</td>
                <td>{a.stepUpMethod}</td>
                <td style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{a.comment ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.can.decide && <DecideForm id={r.id} onDone={refresh} />}

      {r.tenantConsent.required && <TenantConsent consent={r.tenantConsent} />}

      <h2>Grant</h2>
      <GrantSection r={r} onChange={refresh} />

      <h2>Timeline</h2>
      <Timeline entries={r.timeline} />
    </section>
  );
}

function DecideForm({ id, onDone }: { id: string; onDone: () => Promise<void> }) {
  const trpc = useTRPC();
  const stepUp = useStepUp();
  const decide = useMutation(trpc.access.decide.mutationOptions());
  const [comment, setComment] = useState('');
  const [cancelled, setCancelled] = useState(false);
  const send = async (approve: boolean) => {
    setCancelled(false);
    try {
      const done = await stepUp.withStepUp(() => decide.mutateAsync({ id, approve, comment: comment.trim() || undefined }));
      if (done === undefined) setCancelled(true);
    } catch {
      // Shown below.
    }
    await onDone();
  };
  return (
    <div className="panel" data-testid="access-decide">
      {stepUp.dialog}
      <label style={{ display: 'grid', gap: '0.2rem' }}>
        Comment (optional; the requester sees it)
        <textarea data-testid="access-decide-comment" value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} />
      </label>
      <p>
        <button type="button" data-testid="access-approve" disabled={decide.isPending} onClick={() => void send(true)}>
          Approve
        </button>{' '}
        <button type="button" className="danger" data-testid="access-deny" disabled={decide.isPending} onClick={() => void send(false)}>
          Deny
        </button>{' '}
        <span className="muted">You will be asked to confirm with your second factor.</span>
      </p>
      {cancelled && (
        <p role="alert" className="error">
          Not sent: deciding needs a check with your second factor.
        </p>
      )}
      <FormError error={decide.error && !isStepUpRequired(decide.error) ? decide.error : null} testId="access-decide-error" />
    </div>
  );
}

function TenantConsent({ consent }: { consent: Request['tenantConsent'] }) {
  return (
    <>
      <h2>Tenant consent</h2>
      <div className="panel" data-testid="access-tenant-consent" data-decision={consent.decision ?? 'waiting'}>
        {consent.decision === null ? (
          <p>Waiting for the tenant: their security contact has a link by mail.</p>
        ) : (
          <>
            <p className={consent.decision === 'approved' ? 'ok' : 'bad'}>
              {consent.decision === 'approved' ? 'Approved' : 'Declined'} {utc(consent.at)}
              {consent.by ? ` by ${consent.by.name ?? 'unknown'} <${consent.by.email ?? 'unknown'}>` : ''}
            </p>
            {consent.by && (
              <dl className="fields">
                <dt>From</dt>
                <dd>{consent.by.ip ?? 'unknown address'}</dd>
                <dt>Browser</dt>
                <dd>{consent.by.userAgent ?? 'unknown'}</dd>
                {consent.by.reason && (
                  <>
                    <dt>Reason</dt>
                    <dd style={{ whiteSpace: 'pre-wrap' }}>{consent.by.reason}</dd>
                  </>
                )}
                {consent.by.textShown && (
                  <>
                    <dt>They were shown</dt>
                    <dd>
                      <pre className="text-block">{consent.by.textShown}</pre>
                    </dd>
                  </>
                )}
              </dl>
            )}
          </>
        )}
      </div>
    </>
  );
}

function GrantSection({ r, onChange }: { r: Request; onChange: () => Promise<void> }) {
  const trpc = useTRPC();
  const end = useMutation(trpc.access.end.mutationOptions({ onSettled: onChange }));
  const token = useMutation(trpc.access.issueToolToken.mutationOptions({ onSettled: onChange }));
  const [reason, setReason] = useState('');
  const g = r.grant;
  return (
    <>
      {!g ? (
        <p className="muted">{r.state === 'pending' || r.state === 'approved' ? 'Not granted yet.' : 'No access was granted.'}</p>
      ) : (
        <div className="panel" data-testid="access-grant" data-active={g.active ? 'yes' : 'no'}>
          <dl className="fields">
            <dt>Issued</dt>
            <dd>{utc(g.issuedAt)}</dd>
            <dt>{g.active ? 'Ends in' : 'Was to end'}</dt>
            <dd>
              {g.active ? <Countdown deadline={g.expiresAt} testId="grant-countdown" /> : null} <span className="muted">({utc(g.expiresAt)})</span>
            </dd>
            {g.endedAt && (
              <>
                <dt>Ended</dt>
                <dd data-testid="grant-ended">
                  {utc(g.endedAt)} · {g.endReason}
                </dd>
              </>
            )}
            <dt>Revoked at the provider</dt>
            <dd data-testid="grant-revoked">{g.revokedAt ? utc(g.revokedAt) : g.endedAt ? 'in progress (retried until confirmed)' : '—'}</dd>
            <dt>Tool token</dt>
            <dd>{g.hasToolToken ? 'issued (only its hash is kept)' : 'none'}</dd>
          </dl>
        </div>
      )}

      {r.can.issueToolToken && (
        <div className="panel">
          <p>
            Tools report what they do under this grant with a token. It is shown once; getting a new one replaces it.{' '}
            <button type="button" className="secondary" data-testid="grant-token-issue" disabled={token.isPending} onClick={() => token.mutate({ id: r.id })}>
              {g?.hasToolToken ? 'Replace the tool token' : 'Get a tool token'}
            </button>
          </p>
          {token.data && (
            <div className="secret" role="status" data-testid="grant-token">
              <p>
                Token (copy it now): <code data-testid="grant-token-value">{token.data.token}</code>
              </p>
              <pre className="text-block">{`curl -X POST ${token.data.endpoint} \\
  -H 'Authorization: Bearer ${token.data.token}' \\
  -H 'Content-Type: application/json' \\
  -d '{"action": "ssh.login", "target": "host-1"}'`}</pre>
            </div>
          )}
          <FormError error={token.error} />
        </div>
      )}

      {(r.can.end || r.can.withdraw) && (
        <form
          className="panel inline-form"
          data-testid="access-end-form"
          onSubmit={(e) => {
            e.preventDefault();
            end.mutate({ id: r.id, reason: reason.trim() || undefined });
          }}
        >
          <label>
            {r.can.end ? 'Reason for ending early (optional)' : 'Reason for withdrawing (optional)'}
            <input data-testid="access-end-reason" value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button type="submit" className="danger" data-testid={r.can.end ? 'access-end' : 'access-withdraw'} disabled={end.isPending}>
            {r.can.end ? 'End access now' : 'Withdraw the request'}
          </button>
          <FormError error={end.error} />
        </form>
      )}

      {g && (
        <>
          <h3>Actions under the grant</h3>
          {g.actions.length === 0 ? (
            <p className="muted">Nothing recorded.</p>
          ) : (
            <table data-testid="grant-actions">
              <thead>
                <tr>
                  <th>When</th>
                  <th>By</th>
                  <th>From</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                {g.actions.map((a) => (
                  <tr key={a.id} data-testid="grant-action" data-action={a.action}>
                    <td>{utc(a.at)}</td>
                    <td title={a.actor.detail}>{a.actor.label}</td>
                    <td>{a.source}</td>
                    <td className="mono">{a.action}</td>
                    <td className="mono">{a.target ?? ''}</td>
                    <td>{a.detail === null || a.detail === undefined ? '' : <pre className="text-block">{JSON.stringify(a.detail, null, 2)}</pre>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}
