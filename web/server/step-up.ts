// Step-up for tRPC: procedure bases that need a recent second-factor check, and the mapping of the MFA module's
// refusals. "Step-up needed" is PRECONDITION_FAILED, which the console's step-up dialog (useStepUp) answers.
import { TRPCError } from '@trpc/server';
import { db } from '../../lib/db';
import { hasSecondFactor, MfaError, requireFreshStepUp, StepUpRequiredError } from '../../lib/mfa';
import { protectedProcedure } from './trpc';

export const STEP_UP_TRPC_CODE = 'PRECONDITION_FAILED' satisfies TRPCError['code'];

export function stepUpRequiredToTrpc(err: StepUpRequiredError): TRPCError {
  return new TRPCError({ code: STEP_UP_TRPC_CODE, message: err.message, cause: err });
}

const MFA_CODES: Record<MfaError['code'], TRPCError['code']> = {
  'invalid-code': 'BAD_REQUEST',
  'bad-request': 'BAD_REQUEST',
  'not-found': 'NOT_FOUND',
};

/** Runs an MFA call; its StepUpRequiredError and MfaError become tRPC errors, anything else passes through. */
export async function withMfaErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StepUpRequiredError) throw stepUpRequiredToTrpc(err);
    if (err instanceof MfaError) throw new TRPCError({ code: MFA_CODES[err.code], message: err.message, cause: err });
    throw err;
  }
}

/** Signed in, with a step-up within STEP_UP_MAX_AGE in this session; the proof is `ctx.stepUp`. */
export const stepUpProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const stepUp = await withMfaErrors(() => requireFreshStepUp(db(), ctx.user.sessionId));
  return next({ ctx: { ...ctx, stepUp } });
});

/**
 * For adding a second factor: free while the account has none (there is nothing to check against), a fresh step-up
 * once it has one, so a stolen password alone cannot add the thief's authenticator.
 */
export const factorEnrolmentProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  if (await hasSecondFactor(db(), ctx.user.id)) await withMfaErrors(() => requireFreshStepUp(db(), ctx.user.sessionId));
  return next();
});
