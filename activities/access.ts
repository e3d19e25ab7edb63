// The access workflow's side effects: the request row and its audit trail, the approvers' and the requester's mails,
// the tenant's consent link (and their mail when that access ends), and the grant through the access provider, whose
// ending is recorded under it as its last action. Each is safe to retry: row changes are
// conditional (a retry finds them done and audits nothing twice), mails carry idempotency keys, the provider call is
// keyed by the grant id.
import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { Prisma } from '../generated/prisma/client';
import { ACCESS_CONSENT_LINK, accessRequestPath, type AccessStateName, type ApprovalInput, type TenantConsentInput } from '../domain/access/contracts';
import { accessConsentNotice, accessStaffNotice, accessTenantEndedNotice, type AccessEmailKind, type AccessNoticeInput } from '../domain/access/notices';
import { createAccessLink } from '../lib/access-links';
import { accessScopeFacts } from '../lib/access';
import { bindingScope, LocalAccessProvider, type AccessProvider } from '../lib/access-provider';
import { appendAudit } from '../lib/audit';
import { config } from '../lib/config';
import type { Db } from '../lib/db';
import { createMailActivities } from './mail';
import { isUuid } from '../domain/ids';

export interface AccessActivityDeps {
  db: Db;
  mailer: Transporter;
  /** Defaults to the bindings in our database; a cloud IAM adapter plugs in the same way. */
  accessProvider?: AccessProvider;
}

/** How a grant ends: its own expiry, early by a person, or the workflow cancelled by an operator. */
export type GrantEnding = { how: 'expired' } | { how: 'early'; by: string; comment?: string } | { how: 'cancelled' };

/** The action recorded under a grant for its ending, so that its action list says how it ended and by whom. */
const ENDING_ACTIONS: Record<GrantEnding['how'], string> = { expired: 'grant.expired', early: 'grant.ended_early', cancelled: 'grant.revoked' };

type Tx = Prisma.TransactionClient;

type Actor = { type: string; id: string };

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue;

/** The console page of a request (the approvers' and the requester's mails link to it). */
export const accessRequestUrl = (requestId: string) => `${config().PUBLIC_URL.replace(/\/$/, '')}${accessRequestPath(requestId)}`;

export function createAccessActivities({ db, mailer, accessProvider = new LocalAccessProvider(db) }: AccessActivityDeps) {
  const { sendNotification } = createMailActivities({ db, mailer });
  const workflowActor = (requestId: string): Actor => ({ type: 'workflow', id: `access:${requestId}` });
  const audit = (tx: Db | Tx, requestId: string, action: string, actor: Actor, data: Record<string, unknown>) =>
    appendAudit(tx, { actorType: actor.type, actorId: actor.id, action, subjectType: 'access_request', subjectId: requestId, data });

  const loadRequest = (requestId: string) =>
    db.accessRequest.findUniqueOrThrow({ where: { id: requestId }, include: { requester: true, grant: true, approvals: { include: { approver: true } } } });
  type RequestRow = Awaited<ReturnType<typeof loadRequest>>;

  async function noticeInput(req: RequestRow, extra: Partial<AccessNoticeInput> = {}): Promise<AccessNoticeInput> {
    const { tenantId: _tenant, contactEmail: _contact, ...facts } = await accessScopeFacts(db, req);
    return {
      reference: req.id.slice(0, 8),
      facts,
      requiredApprovals: req.requiredApprovals,
      tenantConsentRequired: req.tenantConsentRequired,
      deadlineAt: req.approvalDeadline,
      linkUrl: accessRequestUrl(req.id),
      grantExpiresAt: req.grant?.expiresAt,
      ...extra,
    };
  }

  /** Who is told of a new request: the pool, or everyone who may approve, never the requester. */
  async function approverAddresses(req: RequestRow): Promise<string[]> {
    const users = await db.user.findMany({
      where: {
        disabled: false,
        id: { not: req.requesterId, ...(req.approverPool.length > 0 ? { in: req.approverPool } : {}) },
        role: { in: ['approver', 'admin'] },
      },
      select: { email: true },
      orderBy: { email: 'asc' },
    });
    return users.map((u) => u.email);
  }

  /**
   * The tenant who consented hears, once per grant, that the access has ended: when, how, and how many actions were
   * recorded under it (all of them: nothing is accepted under a grant once it has ended). To the address the consent
   * link went to, as recorded with their answer.
   */
  async function notifyTenantOfEnd(req: RequestRow): Promise<{ to: string; sentNow: boolean }[]> {
    const grant = req.grant;
    const to = (req.tenantConsentBy as { email?: unknown } | null)?.email;
    if (!req.tenantConsentRequired || req.tenantConsent !== 'approved' || !grant?.endedAt || typeof to !== 'string') return [];
    const [tenant, actionCount] = await Promise.all([
      req.tenantId ? db.tenant.findUnique({ where: { id: req.tenantId }, select: { timeZone: true } }) : null,
      db.grantAction.count({ where: { grantId: grant.id, action: { notIn: Object.values(ENDING_ACTIONS) } } }),
    ]);
    const email = accessTenantEndedNotice({
      ...(await noticeInput(req, { timeZone: tenant?.timeZone })),
      endedAt: grant.endedAt,
      outcome: grant.endReason ?? 'ended',
      actionCount,
    });
    const r = await sendNotification({ idempotencyKey: `access-grant:${grant.id}:tenant_ended`, kind: 'access_tenant_ended', to, ...email });
    return [{ to, sentNow: r.sentNow }];
  }

  /** Who denied, in words for the requester's mail and the row's closing reason. */
  function denialOf(req: RequestRow): { text: string; comment?: string } {
    const deny = req.approvals.find((a) => a.decision === 'deny');
    if (deny) return { text: `by ${deny.approver.name}`, comment: deny.comment ?? undefined };
    const by = req.tenantConsentBy as { name?: string; reason?: string } | null;
    return { text: `by the tenant${by?.name ? ` (${by.name})` : ''}`, comment: by?.reason };
  }

  return {
    /**
     * One kind of mail for a request: to the approvers (new request), to the tenant's security contact (consent, with
     * a single-use link), or to the requester (outcome; when a grant the tenant consented to ends, to the tenant as
     * well). Keys per request, kind and address (per grant for the tenant's): a retry sends nothing twice.
     */
    async notifyAccess({ requestId, kind }: { requestId: string; kind: AccessEmailKind }): Promise<{ sent: { to: string; sentNow: boolean }[] }> {
      const req = await loadRequest(requestId);
      const key = (to: string) => `access:${requestId}:${kind}:${to}`;
      const sent: { to: string; sentNow: boolean }[] = [];
      if (kind === 'access_consent') {
        const deployment = await db.deployment.findUniqueOrThrow({ where: { id: req.deploymentId! }, include: { tenant: true } });
        const tenant = deployment.tenant;
        const to = tenant.securityContactEmail ?? tenant.ownerEmail;
        const done = await db.notification.findUnique({ where: { idempotencyKey: key(to) } });
        if (done?.status === 'sent') return { sent: [{ to, sentNow: false }] };
        // The link lives as long as the request accepts decisions, and works once.
        const link = await createAccessLink(
          { purpose: ACCESS_CONSENT_LINK, subjectId: requestId, tenantId: tenant.id, email: to, ttlMs: Math.max(req.approvalDeadline.getTime() - Date.now(), 1_000), path: '/l/' },
          db,
        );
        const email = accessConsentNotice(await noticeInput(req, { linkUrl: link.url, timeZone: tenant.timeZone }));
        const r = await sendNotification({ idempotencyKey: key(to), kind, to, ...email });
        sent.push({ to, sentNow: r.sentNow });
      } else {
        const recipients = kind === 'access_request' ? await approverAddresses(req) : [req.requester.email];
        const denial = kind === 'access_denied' ? denialOf(req) : undefined;
        const email = accessStaffNotice(kind, await noticeInput(req, { outcome: kind === 'access_ended' ? (req.grant?.endReason ?? undefined) : denial?.text, note: denial?.comment }));
        for (const to of recipients) {
          const r = await sendNotification({ idempotencyKey: key(to), kind, to, ...email });
          sent.push({ to, sentNow: r.sentNow });
        }
        if (kind === 'access_ended') sent.push(...(await notifyTenantOfEnd(req)));
      }
      const now = sent.filter((x) => x.sentNow).map((x) => x.to);
      if (now.length > 0) await audit(db, requestId, 'access.email_sent', workflowActor(requestId), { kind, to: now });
      return { sent };
    },

    /** An approver's decision, once per approver (the row is unique per request and approver). */
    async recordAccessApproval({ requestId, approval, at }: { requestId: string; approval: ApprovalInput; at: string }): Promise<{ at: string }> {
      // Only a person who exists can approve; anything else is refused for good rather than retried.
      const approver = isUuid(approval.approverId) ? await db.user.findUnique({ where: { id: approval.approverId }, select: { disabled: true } }) : null;
      if (!approver || approver.disabled) throw ApplicationFailure.nonRetryable('there is no such approver, or the account is disabled', 'UnknownApprover');
      // A retried attempt (its workflow task run again) finds the first one's row: its time is the one that holds.
      return db.$transaction(async (tx) => {
        const existing = await tx.accessApproval.findUnique({ where: { requestId_approverId: { requestId, approverId: approval.approverId } } });
        if (existing) return { at: existing.at.toISOString() };
        await tx.accessApproval.create({
          data: { requestId, approverId: approval.approverId, decision: approval.approve ? 'approve' : 'deny', comment: approval.comment ?? null, stepUpMethod: approval.stepUp.method, at: new Date(at) },
        });
        await audit(tx, requestId, approval.approve ? 'access.approved_by' : 'access.denied_by', { type: 'user', id: approval.approverId }, {
          role: approval.approverRole,
          comment: approval.comment,
          stepUp: approval.stepUp,
        });
        return { at };
      });
    },

    /** The tenant's answer, once, with who answered, from where and exactly the text they were shown. */
    async recordTenantConsent({ requestId, consent, at }: { requestId: string; consent: TenantConsentInput; at: string }): Promise<void> {
      await db.$transaction(async (tx) => {
        const { count } = await tx.accessRequest.updateMany({
          where: { id: requestId, tenantConsent: null },
          data: { tenantConsent: consent.approve ? 'approved' : 'declined', tenantConsentAt: new Date(at), tenantConsentBy: json({ ...consent.by, reason: consent.reason }) },
        });
        if (count === 0) return; // a retry: recorded already
        await audit(tx, requestId, consent.approve ? 'access.tenant_consented' : 'access.tenant_declined', { type: 'tenant', id: consent.by.email }, {
          name: consent.by.name,
          ip: consent.by.ip,
          userAgent: consent.by.userAgent,
          textShown: consent.by.textShown,
          reason: consent.reason,
        });
      });
    },

    /** How the pending phase ended: approved, denied, expired or withdrawn (cancelled). */
    async recordAccessOutcome(input: { requestId: string; state: Extract<AccessStateName, 'approved' | 'denied' | 'expired' | 'cancelled'>; by?: string; reason?: string }): Promise<void> {
      const { requestId, state } = input;
      const req = await loadRequest(requestId);
      const closedReason =
        state === 'denied'
          ? `denied ${denialOf(req).text}`
          : state === 'expired'
            ? 'not enough approvals within the approval window'
            : state === 'cancelled'
              ? (input.reason ?? 'withdrawn by the requester')
              : null;
      await db.$transaction(async (tx) => {
        const from: AccessStateName[] = state === 'cancelled' ? ['pending', 'approved'] : ['pending'];
        const { count } = await tx.accessRequest.updateMany({
          where: { id: requestId, state: { in: from } },
          data: { state, closedReason, ...(state === 'approved' || state === 'denied' ? { decidedAt: new Date() } : {}) },
        });
        if (count === 0) return;
        const actor: Actor = input.by ? { type: 'user', id: input.by } : workflowActor(requestId);
        const approvals = req.approvals.map((a) => ({ approverId: a.approverId, decision: a.decision }));
        await audit(tx, requestId, `access.${state}`, actor, { approvals, tenantConsent: req.tenantConsent, ...(closedReason ? { reason: closedReason } : {}) });
      });
    },

    /**
     * Issues the grant: the AccessGrant row (its expiry fixed on the first attempt), then the provider's binding,
     * then the request becomes active. A retry reuses the row, and the provider returns the binding it made.
     */
    async issueAccessGrant({ requestId, durationMs }: { requestId: string; durationMs: number }): Promise<{ grantId: string; expiresAt: string; providerRef: string }> {
      const req = await loadRequest(requestId);
      if (req.state !== 'approved' && req.state !== 'active') throw ApplicationFailure.nonRetryable(`the request is ${req.state}, not approved`, 'NotApproved');
      const grant = req.grant ?? (await db.accessGrant.upsert({ where: { requestId }, create: { requestId, expiresAt: new Date(Date.now() + durationMs) }, update: {} }));
      const { ref } = await accessProvider.grant({ grantId: grant.id, principal: req.requester.email, scope: bindingScope(req), level: req.level });
      await db.$transaction(async (tx) => {
        const { count } = await tx.accessGrant.updateMany({ where: { id: grant.id, providerRef: null }, data: { providerRef: ref } });
        await tx.accessRequest.updateMany({ where: { id: requestId, state: 'approved' }, data: { state: 'active' } });
        if (count > 0) {
          await audit(tx, requestId, 'access.granted', workflowActor(requestId), { grantId: grant.id, expiresAt: grant.expiresAt.toISOString(), provider: accessProvider.name, providerRef: ref, scope: bindingScope(req), level: req.level });
        }
      });
      return { grantId: grant.id, expiresAt: grant.expiresAt.toISOString(), providerRef: ref };
    },

    /**
     * Marks the grant ended, so nothing more is done under it from this moment (the provider's revocation follows), and
     * records the ending as the grant's last action. Ended by time, its end is its expiry, even when a worker outage
     * made this run later.
     */
    async endAccessGrant({ requestId, grantId, ending }: { requestId: string; grantId: string; ending: GrantEnding }): Promise<{ endedAt: string; endReason: string }> {
      return db.$transaction(async (tx) => {
        // Row lock: an action being recorded under the grant finishes first, or sees it ended.
        await tx.$queryRaw`SELECT id FROM "AccessGrant" WHERE id = ${grantId}::uuid FOR UPDATE`;
        const grant = await tx.accessGrant.findUniqueOrThrow({ where: { id: grantId } });
        if (grant.endedAt) return { endedAt: grant.endedAt.toISOString(), endReason: grant.endReason ?? 'ended' };
        const now = new Date();
        let endReason: string;
        let endedBy: string;
        let endedAt = now;
        if (ending.how === 'early') {
          const user = isUuid(ending.by) ? await tx.user.findUnique({ where: { id: ending.by }, select: { name: true } }) : null;
          endReason = `ended early by ${user?.name ?? ending.by}`;
          endedBy = ending.by;
        } else if (ending.how === 'expired') {
          endReason = 'expired';
          endedBy = 'system';
          endedAt = grant.expiresAt < now ? grant.expiresAt : now;
        } else {
          endReason = 'revoked: its workflow was cancelled by an operator';
          endedBy = 'system';
        }
        const comment = ending.how === 'early' && ending.comment ? { comment: ending.comment } : {};
        await tx.accessGrant.update({ where: { id: grantId }, data: { endedAt, endedBy, endReason } });
        // The last action under the grant, whoever ended it (the holder's own actions stop here).
        const action = await tx.grantAction.create({
          data: { grantId, at: endedAt, actorId: endedBy, source: 'workflow', action: ENDING_ACTIONS[ending.how], detail: json({ reason: endReason, ...comment }) },
        });
        const actor: Actor = ending.how === 'early' ? { type: 'user', id: ending.by } : workflowActor(requestId);
        await audit(tx, requestId, 'access.ended', actor, { grantId, reason: endReason, endedAt: endedAt.toISOString(), actionId: action.id, ...comment });
        return { endedAt: endedAt.toISOString(), endReason };
      });
    },

    /**
     * Asks the provider to remove the binding, then reads it back. Unconfirmed, it throws and the workflow retries it
     * (unlimited); every attempt is counted and a failed one audited. Confirmed, the request is ended.
     */
    async revokeAccessGrant({ requestId, grantId }: { requestId: string; grantId: string }): Promise<{ revokedAt: string; attempts: number }> {
      const grant = await db.accessGrant.findUniqueOrThrow({ where: { id: grantId } });
      if (grant.revokedAt) return { revokedAt: grant.revokedAt.toISOString(), attempts: grant.revokeAttempts };
      const { revokeAttempts: attempts } = await db.accessGrant.update({ where: { id: grantId }, data: { revokeAttempts: { increment: 1 } }, select: { revokeAttempts: true } });
      // Nothing bound (the provider never answered the grant): nothing to take away.
      if (grant.providerRef) {
        try {
          await accessProvider.revoke(grant.providerRef);
          if (!(await accessProvider.isRevoked(grant.providerRef))) throw new Error(`${accessProvider.name} has not confirmed that binding ${grant.providerRef} is gone`);
        } catch (err) {
          await audit(db, requestId, 'access.revoke_failed', workflowActor(requestId), { grantId, attempt: attempts, error: err instanceof Error ? err.message : String(err) });
          throw err;
        }
      }
      return db.$transaction(async (tx) => {
        const revokedAt = new Date();
        const { count } = await tx.accessGrant.updateMany({ where: { id: grantId, revokedAt: null }, data: { revokedAt } });
        if (count === 0) {
          const done = await tx.accessGrant.findUniqueOrThrow({ where: { id: grantId } });
          return { revokedAt: done.revokedAt!.toISOString(), attempts: done.revokeAttempts };
        }
        await tx.accessRequest.update({ where: { id: requestId }, data: { state: 'ended', closedReason: grant.endReason ?? 'ended' } });
        await audit(tx, requestId, 'access.revoked', workflowActor(requestId), { grantId, attempts, provider: accessProvider.name, providerRef: grant.providerRef, reason: grant.endReason });
        return { revokedAt: revokedAt.toISOString(), attempts };
      });
    },
  };
}
