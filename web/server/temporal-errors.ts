// Temporal client errors as tRPC errors, decided once for every router (the middleware in trpc.ts applies it to
// anything a procedure did not handle; procedures that know what the workflow is pass their own wording).
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { TRPCError } from '@trpc/server';

export interface TemporalErrorWording {
  /** The workflow is gone or finished, e.g. "This case is closed." */
  notFound?: string;
  /** A workflow with this id is already running. */
  alreadyStarted?: string;
}

/** The tRPC error a person should see for a Temporal error, or null when it is not one we can name. */
export function trpcErrorFromTemporal(err: unknown, wording: TemporalErrorWording = {}): TRPCError | null {
  if (err instanceof WorkflowUpdateFailedError) {
    // The workflow's validator or handler refused: its message is written for the person who asked.
    return new TRPCError({ code: 'BAD_REQUEST', message: sentence(err.cause?.message) || 'The request was refused.', cause: err });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new TRPCError({ code: 'NOT_FOUND', message: wording.notFound ?? 'That process is not running any more.', cause: err });
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    // No worker took the update in time: nothing was decided, so asking again is safe.
    return new TRPCError({ code: 'GATEWAY_TIMEOUT', message: 'The workflow did not answer in time; check that a worker is running, then try again.', cause: err });
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new TRPCError({ code: 'CONFLICT', message: wording.alreadyStarted ?? 'That process is already running.', cause: err });
  }
  return null;
}

/** Runs a Temporal call; its known errors become tRPC errors with this wording, anything else passes through. */
export async function withTemporalErrors<T>(run: () => Promise<T>, wording: TemporalErrorWording = {}): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw trpcErrorFromTemporal(err, wording) ?? err;
  }
}

// Validators throw lower-case fragments ("the case is closed, ..."): shown as a sentence.
function sentence(message: string | undefined): string {
  const m = message?.trim();
  if (!m) return '';
  const s = m[0]!.toUpperCase() + m.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
