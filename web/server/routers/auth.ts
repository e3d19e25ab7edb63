import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { db } from '../../../lib/db';
import { authenticate, createSession, deleteSession, SESSION_TTL_MS, sessionCookie } from '../../../lib/session';
import { AttemptLimiter } from '../rate-limit';
import { protectedProcedure, publicProcedure, router } from '../trpc';

export const signInInput = z.object({
  email: z.email('Enter an email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
});

// Ten tries per address and client in fifteen minutes slows guessing without locking the real user out.
const limiter = new AttemptLimiter(10, 15 * 60 * 1000);

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) =>
    ctx.user ? { id: ctx.user.id, email: ctx.user.email, name: ctx.user.name, role: ctx.user.role } : null,
  ),

  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const key = `${input.email.toLowerCase()}|${ctx.ip ?? '-'}`;
    const wait = limiter.hit(key);
    if (wait > 0) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Too many attempts. Try again in ${wait} seconds.` });
    const user = await authenticate(db(), input.email, input.password);
    if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Email or password is not correct.' });
    limiter.reset(key);
    const { token } = await createSession(db(), user.id, { ip: ctx.ip, userAgent: ctx.userAgent });
    ctx.resHeaders.append('Set-Cookie', sessionCookie(token, { secure: ctx.secure, maxAgeSeconds: SESSION_TTL_MS / 1000 }));
    return { name: user.name, role: user.role };
  }),

  signOut: protectedProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await deleteSession(db(), ctx.sessionToken);
    ctx.resHeaders.append('Set-Cookie', sessionCookie('', { secure: ctx.secure, maxAgeSeconds: 0 }));
    return { ok: true };
  }),
});
