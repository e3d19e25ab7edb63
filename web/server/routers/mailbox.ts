import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { mailbox, MailboxError } from '../../../lib/mailbox';
import { protectedProcedure, router } from '../trpc';

// The catcher is a development aid; a production deployment without MAILBOX_URL says so plainly.
function box() {
  try {
    return mailbox();
  } catch (err) {
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: err instanceof Error ? err.message : String(err) });
  }
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MailboxError) {
      throw new TRPCError({ code: err.status === 404 ? 'NOT_FOUND' : 'BAD_GATEWAY', message: err.message });
    }
    throw err;
  }
}

export const mailboxRouter = router({
  list: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50), start: z.number().int().min(0).default(0) }).default({ limit: 50, start: 0 }))
    .query(({ input }) => call(() => box().listMessages(input))),
  get: protectedProcedure
    .input(z.object({ id: z.string().min(1).max(200) }))
    .query(({ input }) => call(() => box().getMessage(input.id))),
});
