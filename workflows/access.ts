// Just-in-time access: a request waits for N distinct approvers other than the requester (and the tenant's consent
// when customer data is in scope) within the approval window; one denial ends it. Once approved, the grant is issued
// through the access provider for its duration, and revoked when that runs out or when someone ends it early. The
// revocation is retried until the provider confirms it, across worker crashes. The rules on who may decide are
// enforced here, in the updates' validators, whatever a page does.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GrantEnding } from '../activities/access';
import type {
  AccessInput,
  AccessOutcome,
  AccessRefusal,
  AccessSnapshot,
  ApprovalInput,
  EndInput,
  StepUpProof,
  TenantConsentInput,
} from '../domain/access/contracts';
import { durationMs } from '../domain/durations';
import { dbWrite, mail, providerCall } from './options';

const records = proxyLocalActivities<Activities>(dbWrite);
const mailer = proxyLocalActivities<Activities>(mail);
const provider = proxyActivities<Activities>(providerCall);

// ── Messages ──
export const approveUpdate = defineUpdate<AccessSnapshot, [ApprovalInput]>('approve');
export const tenantConsentUpdate = defineUpdate<AccessSnapshot, [TenantConsentInput]>('tenantConsent');
export const endUpdate = defineUpdate<AccessSnapshot, [EndInput]>('end');
export const accessQuery = defineQuery<AccessSnapshot>('access');

/** Revocation backoff unless the input says otherwise; attempts are unlimited. */
export const DEFAULT_REVOKE_RETRY = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;

const refuse = (type: AccessRefusal, message: string) => ApplicationFailure.nonRetryable(message, type);

/** The innermost reason of an activity's failure, without the failure-type prefix. */
function rootMessage(err: unknown): string {
  let root: unknown = err;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  return root instanceof Error ? root.message.replace(/^ApplicationFailure: /, '') : String(err);
}

export async function accessRequestWorkflow(input: AccessInput): Promise<AccessOutcome> {
  const { requestId } = input;
  const s: AccessSnapshot = { state: 'pending', approvals: [] };
  // The approval window counts from the start, not from when the mails went out.
  const approvalDeadline = Date.now() + durationMs(input.approvalWindow);
  let withdrawal: EndInput | undefined;
  // Decisions accepted and being written: their authors may not decide again meanwhile.
  const deciding = new Set<string>();
  let consentArriving = false;
  let ending: GrantEnding | undefined;
  // The revocation is a provider call retried until it is confirmed: an ordinary activity an operator can watch.
  const revoker = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: input.revokeRetry?.initialInterval ?? DEFAULT_REVOKE_RETRY.initialInterval,
      maximumInterval: input.revokeRetry?.maximumInterval ?? DEFAULT_REVOKE_RETRY.maximumInterval,
      backoffCoefficient: 2,
    },
  });

  const approvedCount = () => s.approvals.filter((a) => a.approve).length;
  const consentGiven = () => !input.tenantConsentRequired || s.tenantConsent === 'approved';

  function requirePending(): void {
    if (s.state !== 'pending') throw refuse('NotPending', `this request is ${s.state} and takes no more decisions`);
  }

  function requireFreshStepUp(stepUp: StepUpProof | undefined): void {
    const at = stepUp ? Date.parse(stepUp.at) : NaN;
    const maxAge = durationMs(input.stepUpMaxAge);
    // A check from the future is as suspect as an old one (beyond the allowed clock difference).
    if (!Number.isFinite(at) || Date.now() - at > maxAge || at - Date.now() > maxAge) {
      throw refuse('StepUpRequired', 'confirm with your second factor again: the last check is missing or too old');
    }
  }

  // ── Handlers ──
  setHandler(accessQuery, () => s);

  setHandler(
    approveUpdate,
    async (a) => {
      let at = new Date().toISOString();
      // Counted once written: a decision that cannot be recorded counts for nothing. Until then a second message
      // from the same approver is refused.
      deciding.add(a.approverId);
      try {
        // The stored time: an attempt run again finds the first one's row (histories from before carry no result).
        at = (await records.recordAccessApproval({ requestId, approval: a, at }))?.at ?? at;
      } catch (err) {
        if (isCancellation(err)) throw err;
        throw ApplicationFailure.nonRetryable(`the decision could not be recorded: ${rootMessage(err)}`, 'DecisionNotRecorded');
      } finally {
        deciding.delete(a.approverId);
      }
      s.approvals.push({ approverId: a.approverId, approve: a.approve, at });
      // A denial written after the request was settled (approved or expired) changes nothing.
      if (!a.approve && s.state === 'pending') s.state = 'denied';
      return s;
    },
    {
      validator: (a) => {
        if (a.approverId === input.requesterId) {
          throw refuse('SelfApproval', a.approve ? 'you cannot approve your own request' : 'you cannot deny your own request; withdraw it instead');
        }
        if (a.approverRole !== 'approver' && a.approverRole !== 'admin') throw refuse('NotApprover', 'only approvers and admins can decide on access requests');
        if (input.approverPool.length > 0 && !input.approverPool.includes(a.approverId)) {
          throw refuse('NotInApproverPool', 'you are not one of the approvers this request needs');
        }
        requireFreshStepUp(a.stepUp);
        requirePending();
        if (deciding.has(a.approverId) || s.approvals.some((x) => x.approverId === a.approverId)) throw refuse('AlreadyDecided', 'you have already decided on this request');
      },
    },
  );

  setHandler(
    tenantConsentUpdate,
    async (c) => {
      const at = new Date().toISOString();
      consentArriving = true;
      try {
        await records.recordTenantConsent({ requestId, consent: c, at });
      } catch (err) {
        consentArriving = false;
        if (isCancellation(err)) throw err;
        throw ApplicationFailure.nonRetryable(`the answer could not be recorded: ${rootMessage(err)}`, 'DecisionNotRecorded');
      }
      s.tenantConsent = c.approve ? 'approved' : 'declined';
      if (!c.approve && s.state === 'pending') s.state = 'denied';
      return s;
    },
    {
      validator: (_c: TenantConsentInput) => {
        if (!input.tenantConsentRequired) throw refuse('ConsentNotRequired', "this request does not need the tenant's consent");
        requirePending();
        if (consentArriving || s.tenantConsent) throw refuse('AlreadyDecided', 'the tenant has already answered this request');
      },
    },
  );

  setHandler(
    endUpdate,
    async (e) => {
      if (s.state === 'pending') {
        // Withdrawn: the main flow records it once the window's wait returns.
        withdrawal = e;
        s.state = 'cancelled';
        return s;
      }
      ending = { how: 'early', by: e.userId, comment: e.reason };
      // Marked ended before answering, so nothing more is accepted under the grant; the main flow revokes it.
      if (s.grantId && !s.endedAt) {
        const r = await records.endAccessGrant({ requestId, grantId: s.grantId, ending });
        s.endedAt ??= r.endedAt;
        s.endReason ??= r.endReason;
      }
      return s;
    },
    {
      validator: (e) => {
        const isRequester = e.userId === input.requesterId;
        if (s.state === 'pending') {
          if (!isRequester) throw refuse('NotAllowedToEnd', 'only the requester can withdraw a pending request');
          return;
        }
        if ((s.state !== 'approved' && s.state !== 'active') || ending) throw refuse('NotActive', `this request is ${ending ? 'already ending' : s.state}`);
        if (!isRequester && e.role !== 'approver' && e.role !== 'admin') throw refuse('NotAllowedToEnd', 'only the requester, an approver or an admin can end this access');
      },
    },
  );

  await mailer.notifyAccess({ requestId, kind: 'access_request' });
  if (input.tenantConsentRequired) await mailer.notifyAccess({ requestId, kind: 'access_consent' });

  // ── Approval: N approvals (and consent), one denial, a withdrawal, or the window runs out ──
  let inTime: boolean;
  try {
    inTime = await condition(() => s.state !== 'pending' || (approvedCount() >= input.requiredApprovals && consentGiven()), Math.max(approvalDeadline - Date.now(), 1));
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // An operator cancelled the workflow: the request is closed, nothing was granted.
    s.state = 'cancelled';
    await CancellationScope.nonCancellable(() => records.recordAccessOutcome({ requestId, state: 'cancelled', reason: 'cancelled by an operator' }));
    return 'cancelled';
  }
  // Set at once: from here every validator sees the request decided.
  if (s.state === 'pending') s.state = inTime ? 'approved' : 'expired';
  // Approvals and consent already accepted are written before the outcome.
  await condition(allHandlersFinished);

  if (s.state === 'denied') {
    await records.recordAccessOutcome({ requestId, state: 'denied' });
    await mailer.notifyAccess({ requestId, kind: 'access_denied' });
    return finish('denied');
  }
  if (s.state === 'cancelled') {
    await records.recordAccessOutcome({ requestId, state: 'cancelled', by: withdrawal?.userId, reason: withdrawal?.reason ? `withdrawn by the requester: ${withdrawal.reason}` : undefined });
    return finish('cancelled');
  }
  if (s.state === 'expired') {
    await records.recordAccessOutcome({ requestId, state: 'expired' });
    await mailer.notifyAccess({ requestId, kind: 'access_expired' });
    return finish('expired');
  }

  // ── The grant: issued through the provider, active until it runs out or is ended early ──
  await records.recordAccessOutcome({ requestId, state: 'approved' });
  let grant: { grantId: string; expiresAt: string };
  try {
    // Not cancellable half-way: a binding the provider made must be known, so that it can be revoked.
    grant = await CancellationScope.nonCancellable(() => provider.issueAccessGrant({ requestId, durationMs: durationMs(input.duration) }));
  } catch (err) {
    // The provider refused for good: nothing is bound, and the request is closed with its reason.
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    s.state = 'cancelled';
    await records.recordAccessOutcome({ requestId, state: 'cancelled', reason: `the access provider could not grant it: ${reason}` });
    return finish('cancelled');
  }
  s.grantId = grant.grantId;
  s.grantExpiresAt = grant.expiresAt;
  s.state = 'active';

  if (!ending) {
    try {
      await mailer.notifyAccess({ requestId, kind: 'access_granted' });
      if (!(await condition(() => ending !== undefined, Math.max(Date.parse(grant.expiresAt) - Date.now(), 1)))) ending = { how: 'expired' };
    } catch (err) {
      if (!isCancellation(err)) throw err;
      ending ??= { how: 'cancelled' };
    }
  }

  // ── Revocation: whatever ended it, and even if the workflow was cancelled ──
  const end = ending!;
  await CancellationScope.nonCancellable(async () => {
    await condition(allHandlersFinished);
    if (!s.endedAt) {
      const r = await records.endAccessGrant({ requestId, grantId: grant.grantId, ending: end });
      s.endedAt = r.endedAt;
      s.endReason = r.endReason;
    }
    const revoked = await revoker.revokeAccessGrant({ requestId, grantId: grant.grantId });
    s.revokedAt = revoked.revokedAt;
    s.state = 'ended';
    await mailer.notifyAccess({ requestId, kind: 'access_ended' });
    await condition(allHandlersFinished);
  });
  return 'ended';

  async function finish(outcome: AccessOutcome): Promise<AccessOutcome> {
    await condition(allHandlersFinished);
    return outcome;
  }
}
