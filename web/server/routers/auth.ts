import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { db } from '../../../lib/db';
import { hasSecondFactor, secondFactorsOf } from '../../../lib/mfa';
import { authenticate, createSession, deleteSession, SECOND_FACTOR_TTL_MS, SESSION_TTL_MS, sessionCookie } from '../../../lib/session';
import { AttemptLimiter, clearAttempts, enforceLimits } from '../rate-limit';
import { publicProcedure, router } from '../trpc';

export const signInInput = z.object({
  email: z.email('Enter an email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
});

const WINDOW_MS = 15 * 60 * 1000;
// Ten tries per address and client in fifteen minutes slows guessing without locking the real user out.
const perClient = new AttemptLimiter({ name: 'signin:client', max: 10, windowMs: WINDOW_MS, db });
// A client can fake its address when nothing in front of the console overwrites it; this caps guesses per account anyway.
const perAccount = new AttemptLimiter({ name: 'signin:account', max: 50, windowMs: WINDOW_MS, db });

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) =>
    ctx.user ? { id: ctx.user.id, email: ctx.user.email, name: ctx.user.name, role: ctx.user.role } : null,
  ),

  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const email = input.email.toLowerCase();
    const clientKey = `${email}|${ctx.ip ?? '-'}`;
    await enforceLimits([[perClient, clientKey], [perAccount, email]], {
      tooMany: (wait) => `Too many attempts. Try again in ${wait} seconds.`,
      unavailable: 'Sign-in attempts cannot be checked right now, so sign-in is paused. Try again in a minute.',
    });
    const user = await authenticate(db(), email, input.password);
    if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Email or password is not correct.' });
    await clearAttempts([[perClient, clientKey]]);
    // A user with a second factor gets a session that can do nothing but pass it (mfa.stepUp), for ten minutes.
    const secondFactorPending = await hasSecondFactor(db(), user.id);
    const { token } = await createSession(db(), user.id, { ip: ctx.ip, userAgent: ctx.userAgent }, { secondFactorPending });
    const maxAgeSeconds = (secondFactorPending ? SECOND_FACTOR_TTL_MS : SESSION_TTL_MS) / 1000;
    ctx.resHeaders.append('Set-Cookie', sessionCookie(token, { secure: ctx.secure, maxAgeSeconds }));
    // The cookie must outlive the second step: passing it extends the session, so it is set again then (below).
    return { name: user.name, role: user.role, secondFactor: secondFactorPending ? await secondFactorsOf(db(), user.id) : null };
  }),

  /** After mfa.stepUp passed at sign-in: the cookie, until now minutes long, gets the session's lifetime. */
  secondFactorDone: publicProcedure.mutation(({ ctx }) => {
    if (!ctx.user || !ctx.sessionToken) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
    ctx.resHeaders.append('Set-Cookie', sessionCookie(ctx.sessionToken, { secure: ctx.secure, maxAgeSeconds: SESSION_TTL_MS / 1000 }));
    return { ok: true };
  }),

  // Public, so a session that expired while the page was open can still clear its cookie.
  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await deleteSession(db(), ctx.sessionToken);
    ctx.resHeaders.append('Set-Cookie', sessionCookie('', { secure: ctx.secure, maxAgeSeconds: 0 }));
    return { ok: true };
  }),
});
