// Temporal client errors as tRPC errors, decided once for every router.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';

/** The tRPC error a person should see for a Temporal error, or null when it is not one we can name. */
export function trpcErrorFromTemporal(err: unknown): TRPCError | null {
  if (err instanceof WorkflowUpdateFailedError) {
    // The workflow's validator or handler refused: its message is written for the person who asked.
    return new TRPCError({ code: 'BAD_REQUEST', message: err.cause?.message || 'The request was refused.', cause: err });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new TRPCError({ code: 'NOT_FOUND', message: 'That process is not running any more.', cause: err });
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new TRPCError({ code: 'CONFLICT', message: 'That process is already running.', cause: err });
  }
  return null;
}
