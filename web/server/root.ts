// One router per domain; later pillars add cases, forensics, access, detections.
import { accessRouter } from './routers/access';
import { accessConsentRouter } from './routers/access-consent';
import { auditRouter } from './routers/audit';
import { authRouter } from './routers/auth';
import { casesRouter } from './routers/cases';
import { detectionsRouter } from './routers/detections';
import { forensicConsentRouter } from './routers/forensic-consent';
import { forensicsRouter } from './routers/forensics';
import { inboxRouter } from './routers/inbox';
import { mailboxRouter } from './routers/mailbox';
import { mfaRouter } from './routers/mfa';
import { publicReportRouter } from './routers/public-report';
import { reportersRouter } from './routers/reporters';
import { statusRouter } from './routers/status';
import { tenantRouter } from './routers/tenant';
import { tenantsRouter } from './routers/tenants';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  status: statusRouter,
  mailbox: mailboxRouter,
  tenant: tenantRouter,
  cases: casesRouter,
  inbox: inboxRouter,
  detections: detectionsRouter,
  reporters: reportersRouter,
  tenants: tenantsRouter,
  publicReport: publicReportRouter,
  forensics: forensicsRouter,
  forensicConsent: forensicConsentRouter,
  audit: auditRouter,
  access: accessRouter,
  accessConsent: accessConsentRouter,
  mfa: mfaRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
