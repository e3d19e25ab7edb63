// The forensics module's refusals as tRPC errors, decided once for the analyst and the tenant routers.
import { TRPCError } from '@trpc/server';
import { ForensicsError } from '../../lib/forensics';

// 404 for a request or link we do not know; 403 for a real link that no longer (or never did) open this request.
const CODES: Record<ForensicsError['code'], TRPCError['code']> = {
  'not-found': 'NOT_FOUND',
  unknown: 'NOT_FOUND',
  'bad-request': 'BAD_REQUEST',
  expired: 'FORBIDDEN',
  revoked: 'FORBIDDEN',
  used: 'FORBIDDEN',
  'wrong-subject': 'FORBIDDEN',
};

export function trpcErrorFromForensics(err: ForensicsError): TRPCError {
  return new TRPCError({ code: CODES[err.code], message: err.message, cause: err });
}

/** Runs a forensics call; its ForensicsError becomes the matching tRPC error, anything else passes through. */
export async function withForensicsErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof ForensicsError ? trpcErrorFromForensics(err) : err;
  }
}
