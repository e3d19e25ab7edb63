// The tenant's consent page API: no account, the signed link's token comes with every call and is checked each time
// (by lib/forensics). The link names its request; decisions and revocation go to the request's workflow, which keeps
// one decision and an approved scope inside the proposed one.
import { z } from 'zod';
import { FORENSIC_CONSENT_LINK } from '../../../domain/forensics/contracts';
import { ForensicScopeSchema, MAX_PURPOSE } from '../../../domain/forensics/scope';
import { verifyAccessLink } from '../../../lib/access-links';
import { db } from '../../../lib/db';
import { decideForensicRequest, ForensicsError, revokeForensicConsent, viewForensicRequest } from '../../../lib/forensics';
import { getTemporalClient } from '../../../lib/temporal';
import { withForensicsErrors } from '../forensics-errors';
import { withTemporalErrors } from '../temporal-errors';
import { publicProcedure, router } from '../trpc';

const LIVE_AFTER_APPROVAL = new Set(['approved', 'collecting', 'analysing', 'completed', 'window_closed']);

export type ConsentView = Awaited<ReturnType<typeof viewForensicRequest>> & {
  collected: number;
  artifactsDeletedAt: Date | null;
  can: { decide: boolean; revoke: boolean };
};

/** The request the link was issued for; a bad link is refused with its own reason. */
async function requestIdFor(token: string): Promise<string> {
  const verdict = await verifyAccessLink(token, { purpose: FORENSIC_CONSENT_LINK }, db());
  if (!verdict.ok) throw new ForensicsError(verdict.error, verdict.message);
  return verdict.link.subjectId;
}

/** Everything the tenant page shows, or ForensicsError for a link that cannot open it. */
export async function loadConsentView(token: string): Promise<ConsentView> {
  const view = await viewForensicRequest(db(), token, await requestIdFor(token));
  const [collected, row] = await Promise.all([
    db().forensicArtifact.count({ where: { requestId: view.requestId } }),
    db().forensicRequest.findUniqueOrThrow({ where: { id: view.requestId }, select: { artifactsDeletedAt: true } }),
  ]);
  return {
    ...view,
    collected,
    artifactsDeletedAt: row.artifactsDeletedAt,
    can: {
      decide: view.state === 'proposed' && view.decision === null && view.linkExpiresAt.getTime() > Date.now(),
      // Nothing left to withdraw once the artifacts are gone.
      revoke: view.decision === 'approved' && view.revokedAt === null && row.artifactsDeletedAt === null && LIVE_AFTER_APPROVAL.has(view.state),
    },
  };
}

// Links in emails must not leak through Referer headers, and a tenant's page must not be cached by proxies.
const consentProcedure = publicProcedure.use(({ ctx, next }) => {
  ctx.resHeaders.set('Referrer-Policy', 'no-referrer');
  ctx.resHeaders.set('Cache-Control', 'no-store');
  return next();
});

const token = z.string().min(1).max(200);
const person = {
  name: z.string().trim().min(1, 'Give your name.').max(200),
};
const closedWording = { notFound: 'This request is no longer open; reload the page to see where it stands.' };

export const decideInput = z.object({
  token,
  approve: z.boolean(),
  /** Absent: the whole proposed scope. */
  approvedScope: ForensicScopeSchema.optional(),
  reason: z.string().trim().max(MAX_PURPOSE).optional(),
  ...person,
  email: z.email('Give a valid email address.').max(320),
});

export const forensicConsentRouter = router({
  view: consentProcedure.input(z.object({ token })).query(({ input }) => withForensicsErrors(() => loadConsentView(input.token))),

  decide: consentProcedure.input(decideInput).mutation(async ({ ctx, input }) => {
    const temporal = await getTemporalClient();
    const snapshot = await withForensicsErrors(async () =>
      withTemporalErrors(
        async () =>
          decideForensicRequest(db(), temporal, {
            token: input.token,
            requestId: await requestIdFor(input.token),
            approve: input.approve,
            approvedScope: input.approve ? input.approvedScope : undefined,
            reason: input.approve ? undefined : input.reason || undefined,
            name: input.name,
            email: input.email,
            ip: ctx.ip,
            userAgent: ctx.userAgent,
          }),
        closedWording,
      ),
    );
    // The snapshot may already be past the decision (collection starts at once): say what was decided.
    return { decision: input.approve ? ('approved' as const) : ('declined' as const), state: snapshot.state };
  }),

  revoke: consentProcedure.input(z.object({ token, ...person })).mutation(async ({ ctx, input }) => {
    const temporal = await getTemporalClient();
    await withForensicsErrors(async () =>
      withTemporalErrors(
        async () =>
          revokeForensicConsent(db(), temporal, { token: input.token, requestId: await requestIdFor(input.token), name: input.name, ip: ctx.ip, userAgent: ctx.userAgent }),
        closedWording,
      ),
    );
    return { ok: true as const };
  }),
});
