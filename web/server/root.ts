// One router per domain; later pillars add cases, forensics, access, detections.
import { authRouter } from './routers/auth';
import { mailboxRouter } from './routers/mailbox';
import { statusRouter } from './routers/status';
import { tenantRouter } from './routers/tenant';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  status: statusRouter,
  mailbox: mailboxRouter,
  tenant: tenantRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
