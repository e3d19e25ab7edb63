// tRPC building blocks: procedures by who may call them; errors shaped for people, never with stacks.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z, ZodError } from 'zod';
import { roleAllows, type Role } from '../../domain/roles';
import type { Context } from './context';
import { trpcErrorFromTemporal } from './temporal-errors';

export const GENERIC_SERVER_ERROR = 'Something went wrong on the server. It has been logged; try again.';

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // Field messages only for input the caller sent; a ZodError from inside a procedure is a server fault.
    const zod = error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? z.flattenError(error.cause) : undefined;
    const message =
      error.code === 'INTERNAL_SERVER_ERROR' ? GENERIC_SERVER_ERROR : zod ? 'Some fields are not valid.' : shape.message;
    return {
      message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        fieldErrors: zod?.fieldErrors as Record<string, string[] | undefined> | undefined,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// A Temporal error a procedure did not handle itself still reaches the person as what it means, not as a 500.
const temporalErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const mapped = trpcErrorFromTemporal(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
});

export const publicProcedure = t.procedure.use(temporalErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** The second-factor check itself: signed in, or between the password and the second factor at sign-in. */
export const secondFactorProcedure = publicProcedure.use(({ ctx, next }) => {
  const user = ctx.user ?? ctx.pendingUser;
  if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
  return next({ ctx: { ...ctx, user } });
});

/** A procedure for users whose role is at least `role` (admin > approver > analyst). */
export const roleProcedure = (role: Role) =>
  protectedProcedure.use(({ ctx, next }) => {
    if (!roleAllows(ctx.user.role, role)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${role} role; you are ${ctx.user.role}.` });
    }
    return next();
  });
