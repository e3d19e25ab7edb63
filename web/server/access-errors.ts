// The access module's refusals as tRPC errors, decided once for the console's and the tenant's routers.
import { TRPCError } from '@trpc/server';
import { AccessError } from '../../lib/access';
import { STEP_UP_TRPC_CODE } from './step-up';

// 404 for a request or link we do not know; 403 for a real link that no longer (or never did) open this request.
const CODES: Record<AccessError['code'], TRPCError['code']> = {
  'not-found': 'NOT_FOUND',
  unknown: 'NOT_FOUND',
  'bad-request': 'BAD_REQUEST',
  forbidden: 'FORBIDDEN',
  conflict: 'CONFLICT',
  expired: 'FORBIDDEN',
  revoked: 'FORBIDDEN',
  used: 'FORBIDDEN',
  'wrong-subject': 'FORBIDDEN',
};

export function trpcErrorFromAccess(err: AccessError): TRPCError {
  // The workflow found the second-factor check too old by the time the decision reached it: the console asks again.
  const code = err.refusal === 'StepUpRequired' ? STEP_UP_TRPC_CODE : CODES[err.code];
  return new TRPCError({ code, message: err.message, cause: err });
}

/** Runs an access call; its AccessError becomes the matching tRPC error, anything else passes through. */
export async function withAccessErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof AccessError ? trpcErrorFromAccess(err) : err;
  }
}
