// tRPC building blocks: procedures by who may call them; errors shaped for people, never with stacks.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z, ZodError } from 'zod';
import { roleAllows, type Role } from '../../domain/roles';
import type { Context } from './context';
import { trpcErrorFromTemporal } from './temporal-errors';

export const GENERIC_SERVER_ERROR = 'Something went wrong on the server. It has been logged; try again.';

// Words for input fields whose name does not say what they are to a person; any other name is spelt out from its
// camelCase. Used only where a schema kept the library's message.
const FIELD_WORDS: Record<string, string> = {
  contentBase64: 'the file',
  filename: 'the file name',
  sourceIps: 'the source addresses',
  eventTime: 'when it happened',
  from: 'the start of the period (From)',
  to: 'the end of the period (To)',
  label: 'the key label',
};

const fieldWords = (path: readonly PropertyKey[]): string => {
  const key = [...path].reverse().find((k): k is string => typeof k === 'string');
  if (!key) return 'this value';
  return FIELD_WORDS[key] ?? `the ${key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()}`;
};

// zod's own English messages ("Too big: expected string to have <=100 characters") name no field and read like code.
const LIBRARY_MESSAGE = /^(Invalid|Too big|Too small|Unrecognized key)/;

/** One sentence a person can act on for each refused input, naming the field in words. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (!LIBRARY_MESSAGE.test(issue.message)) return issue.message;
  const field = fieldWords(issue.path);
  const Field = field[0]!.toUpperCase() + field.slice(1);
  const unit = (origin: string) => (origin === 'string' ? ' characters' : origin === 'array' || origin === 'set' ? ' entries' : '');
  if (issue.code === 'too_big') return `${Field} may be at most ${String(issue.maximum)}${unit(issue.origin)}.`;
  if (issue.code === 'too_small') {
    return issue.origin === 'string' && Number(issue.minimum) <= 1 ? `Enter ${field}.` : `${Field} needs at least ${String(issue.minimum)}${unit(issue.origin)}.`;
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `Enter ${field}.`;
  return `${Field} is not valid.`;
}

/** The refused input as the browser receives it: one sentence naming every bad field, and the same per field. */
export function inputErrors(error: ZodError): { message: string; fieldErrors: Record<string, string[] | undefined> } {
  const fieldErrors: Record<string, string[]> = {};
  const all: string[] = [];
  for (const issue of error.issues) {
    const text = issueMessage(issue);
    if (!all.includes(text)) all.push(text);
    const top = issue.path[0];
    if (typeof top === 'string') (fieldErrors[top] ??= []).push(text);
  }
  return { message: all.join(' ') || 'Check the form.', fieldErrors };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // Field messages only for input the caller sent; a ZodError from inside a procedure is a server fault.
    const input = error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? inputErrors(error.cause) : undefined;
    const message = error.code === 'INTERNAL_SERVER_ERROR' ? GENERIC_SERVER_ERROR : (input?.message ?? shape.message);
    return {
      message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        fieldErrors: input?.fieldErrors,
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
