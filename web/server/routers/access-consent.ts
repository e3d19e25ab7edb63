// The tenant's Customer Lockbox page API (/l/<token>): no account; the signed link's token comes with every call and
// is checked each time by lib/access. The page shows exactly the text the consent mail carried; the answer uses the
// link up, and goes to the request's workflow with who gave it, from where, and that text. A used link still views
// the recorded answer, and takes no second one.
import { z } from 'zod';
import { ACCESS_REASON_MAX } from '../../../domain/access/contracts';
import { decideTenantConsent, viewTenantConsent, type TenantConsentView } from '../../../lib/access';
import { db } from '../../../lib/db';
import { getTemporalClient } from '../../../lib/temporal';
import { withAccessErrors } from '../access-errors';
import { publicProcedure, router } from '../trpc';

export type LockboxView = TenantConsentView;

/** Everything the lockbox page shows (with the recorded answer once there is one), or AccessError for a link that cannot open it. */
export const loadLockboxView = (token: string): Promise<LockboxView> => viewTenantConsent(db(), token);

// Links in emails must not leak through Referer headers, and a tenant's page must not be cached by proxies.
const lockboxProcedure = publicProcedure.use(({ ctx, next }) => {
  ctx.resHeaders.set('Referrer-Policy', 'no-referrer');
  ctx.resHeaders.set('Cache-Control', 'no-store');
  return next();
});

const token = z.string().min(1).max(200);

export const lockboxDecideInput = z.object({
  token,
  approve: z.boolean(),
  name: z.string().trim().min(1, 'Give your name.').max(200, 'Keep your name under 200 characters.'),
  reason: z.string().trim().max(ACCESS_REASON_MAX, `Keep the reason under ${ACCESS_REASON_MAX} characters.`).optional(),
});

export const accessConsentRouter = router({
  view: lockboxProcedure.input(z.object({ token })).query(({ input }) => withAccessErrors(() => loadLockboxView(input.token))),

  decide: lockboxProcedure.input(lockboxDecideInput).mutation(async ({ ctx, input }) => {
    const temporal = await getTemporalClient();
    const snapshot = await withAccessErrors(() =>
      decideTenantConsent({ db: db(), temporal }, input.token, {
        approve: input.approve,
        reason: input.approve ? undefined : input.reason || undefined,
        name: input.name,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      }),
    );
    return { decision: input.approve ? ('approved' as const) : ('declined' as const), state: snapshot.state };
  }),
});
