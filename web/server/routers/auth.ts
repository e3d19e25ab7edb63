import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { db } from '../../../lib/db';
import { authenticate, createSession, deleteSession, SESSION_TTL_MS, sessionCookie } from '../../../lib/session';
import { AttemptLimiter } from '../rate-limit';
import { publicProcedure, router } from '../trpc';

export const signInInput = z.object({
  email: z.email('Enter an email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
});

const WINDOW_MS = 15 * 60 * 1000;
// Ten tries per address and client in fifteen minutes slows guessing without locking the real user out.
const perClient = new AttemptLimiter(10, WINDOW_MS);
// A client can fake its address when nothing in front of the console overwrites it; this caps guesses per account anyway.
const perAccount = new AttemptLimiter(50, WINDOW_MS);

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) =>
    ctx.user ? { id: ctx.user.id, email: ctx.user.email, name: ctx.user.name, role: ctx.user.role } : null,
  ),

  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const email = input.email.toLowerCase();
    const clientKey = `${email}|${ctx.ip ?? '-'}`;
    const wait = Math.max(perClient.hit(clientKey), perAccount.hit(email));
    if (wait > 0) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Too many attempts. Try again in ${wait} seconds.` });
    const user = await authenticate(db(), email, input.password);
    if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Email or password is not correct.' });
    perClient.reset(clientKey);
    const { token } = await createSession(db(), user.id, { ip: ctx.ip, userAgent: ctx.userAgent });
    ctx.resHeaders.append('Set-Cookie', sessionCookie(token, { secure: ctx.secure, maxAgeSeconds: SESSION_TTL_MS / 1000 }));
    return { name: user.name, role: user.role };
  }),

  // Public, so a session that expired while the page was open can still clear its cookie.
  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await deleteSession(db(), ctx.sessionToken);
    ctx.resHeaders.append('Set-Cookie', sessionCookie('', { secure: ctx.secure, maxAgeSeconds: 0 }));
    return { ok: true };
  }),
});
