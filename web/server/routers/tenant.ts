// The tenant page's API: no account, the signed link's token comes with every call and is checked each time.
// Reads come from the Case row; actions are Temporal updates on the case workflow, whose validators give the refusals.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { TENANT_CASE_LINK, type CaseState, type ExtensionStatus, type PolicyDuration } from '../../../domain/cases';
import { categoryLabel, formatDeadline } from '../../../domain/notices';
import { verifyAccessLink, type AccessLinkErrorCode } from '../../../lib/access-links';
import { db } from '../../../lib/db';
import { getTemporalClient } from '../../../lib/temporal';
import {
  acknowledgeUpdate,
  MAX_TENANT_TEXT,
  requestExtensionUpdate,
  submitRemediationUpdate,
} from '../../../workflows/abuse-case';
import { publicProcedure, router } from '../trpc';

/** Longest extension a tenant may ask for on the page; the workflow's policy may allow less and says so. */
export const MAX_EXTENSION_HOURS = 168;

export interface TenantCaseView {
  caseId: string;
  reference: string;
  category: string;
  categoryLabel: string;
  state: CaseState;
  severity: string | null;
  tenantName: string;
  deploymentName: string;
  timeZone: string;
  deadline: { at: Date; utc: string; local: string } | null;
  /** When the case closed; a closed case has no deadline any more. */
  closedAt: Date | null;
  acknowledgedAt: Date | null;
  remediation: string | null;
  remediationAt: Date | null;
  extensionStatus: ExtensionStatus | null;
  everSuspended: boolean;
  /** Attacker-controlled text: rendered as text, never as HTML. */
  evidence: { receivedAt: Date; channel: string; summary: string | null; sourceIps: string[]; reportedUrls: string[] }[];
  evidenceCount: number;
  can: { acknowledge: boolean; submitRemediation: boolean; requestExtension: boolean };
}

export type TenantLinkFailure = { ok: false; error: AccessLinkErrorCode | 'not-found'; message: string };

const EVIDENCE_SHOWN = 10;

/** Verifies the link and loads its case; one tenant's link never opens another tenant's case. */
export async function loadTenantCase(token: string, caseId?: string): Promise<{ ok: true; view: TenantCaseView; workflowId: string } | TenantLinkFailure> {
  const verdict = await verifyAccessLink(token, { purpose: TENANT_CASE_LINK, subjectId: caseId });
  if (!verdict.ok) return verdict;
  const kase = await db().case.findUnique({ where: { id: verdict.link.subjectId }, include: { tenant: true, deployment: true } });
  if (!kase || !kase.tenant || kase.tenantId !== verdict.link.tenantId) {
    return { ok: false, error: 'wrong-subject', message: 'This link does not belong to this case.' };
  }
  const reports = await db().abuseReport.findMany({ where: { caseId: kase.id }, orderBy: { receivedAt: 'desc' }, take: EVIDENCE_SHOWN });
  const live = kase.state === 'notified' || kase.state === 'remediation_submitted' || kase.state === 'suspended';
  const view: TenantCaseView = {
    caseId: kase.id,
    reference: kase.id.slice(0, 8),
    category: kase.category,
    categoryLabel: categoryLabel(kase.category),
    state: kase.state,
    severity: kase.severity,
    tenantName: kase.tenant.name,
    deploymentName: kase.deployment?.name ?? 'unknown',
    timeZone: kase.tenant.timeZone,
    deadline: kase.deadlineAt ? { at: kase.deadlineAt, ...formatDeadline(kase.deadlineAt, kase.tenant.timeZone) } : null,
    closedAt: kase.closedAt,
    acknowledgedAt: kase.acknowledgedAt,
    remediation: kase.remediation,
    remediationAt: kase.remediationAt,
    extensionStatus: (kase.extensionStatus as ExtensionStatus | null) ?? null,
    everSuspended: kase.everSuspended,
    evidence: reports.map((r) => ({ receivedAt: r.receivedAt, channel: r.channel, summary: r.summary, sourceIps: r.sourceIps, reportedUrls: r.reportedUrls })),
    evidenceCount: kase.reportCount,
    can: {
      acknowledge: live && !kase.acknowledgedAt,
      submitRemediation: live && !kase.remediation,
      requestExtension: live && kase.state !== 'suspended' && !kase.extensionStatus,
    },
  };
  return { ok: true, view, workflowId: kase.workflowId };
}

function refuse(failure: TenantLinkFailure): never {
  // 404 for a link we do not know; 403 for a known link that no longer (or never did) open this case.
  const code = failure.error === 'unknown' || failure.error === 'not-found' ? 'NOT_FOUND' : 'FORBIDDEN';
  throw new TRPCError({ code, message: failure.message, cause: new Error(failure.error) });
}

// Links in emails must not leak through Referer headers, and a tenant's page must not be cached by proxies.
const tenantProcedure = publicProcedure.use(({ ctx, next }) => {
  ctx.resHeaders.set('Referrer-Policy', 'no-referrer');
  ctx.resHeaders.set('Cache-Control', 'no-store');
  return next();
});

const token = z.string().min(1).max(200);
const caseRef = z.object({ token, caseId: z.uuid() });

/** Runs an update on the case workflow; a validator's refusal becomes BAD_REQUEST with its message. */
async function update<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: err.cause?.message ?? err.message, cause: err });
    }
    if (err instanceof WorkflowNotFoundError) {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'This case is no longer active.', cause: err });
    }
    throw err;
  }
}

async function caseHandle(input: { token: string; caseId: string }) {
  const loaded = await loadTenantCase(input.token, input.caseId);
  if (!loaded.ok) refuse(loaded);
  const client = await getTemporalClient();
  return client.workflow.getHandle(loaded.workflowId);
}

export const tenantRouter = router({
  view: tenantProcedure.input(z.object({ token })).query(async ({ input }) => {
    const loaded = await loadTenantCase(input.token);
    if (!loaded.ok) refuse(loaded);
    return loaded.view;
  }),

  acknowledge: tenantProcedure.input(caseRef).mutation(async ({ input }) => {
    const handle = await caseHandle(input);
    await update(() => handle.executeUpdate(acknowledgeUpdate, { args: [] }));
    return { ok: true as const };
  }),

  submitRemediation: tenantProcedure
    .input(caseRef.extend({ description: z.string().trim().min(1, 'Describe what was done.').max(MAX_TENANT_TEXT) }))
    .mutation(async ({ input }) => {
      const handle = await caseHandle(input);
      await update(() => handle.executeUpdate(submitRemediationUpdate, { args: [{ description: input.description }] }));
      return { ok: true as const };
    }),

  requestExtension: tenantProcedure
    .input(
      caseRef.extend({
        reason: z.string().trim().min(1, 'Say why more time is needed.').max(MAX_TENANT_TEXT),
        hours: z.number().positive().max(MAX_EXTENSION_HOURS),
      }),
    )
    .mutation(async ({ input }) => {
      const handle = await caseHandle(input);
      // Hours from the page; the workflow counts milliseconds (tests use fractions of an hour).
      const requested: PolicyDuration = Math.round(input.hours * 3600_000);
      await update(() => handle.executeUpdate(requestExtensionUpdate, { args: [{ reason: input.reason, requested }] }));
      return { ok: true as const };
    }),
});
