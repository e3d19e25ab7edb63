import { config } from '../../../lib/config';
import { db } from '../../../lib/db';
import { checkDatabase, checkMail, checkTemporal, checkWorkers } from '../../../lib/health';
import { mailTransport } from '../../../lib/mail';
import { getTemporalClient } from '../../../lib/temporal';
import { protectedProcedure, router } from '../trpc';

export const statusRouter = router({
  checks: protectedProcedure.query(async () => {
    const c = config();
    const checks = await Promise.all([
      checkDatabase(db()),
      checkTemporal(getTemporalClient, c.TEMPORAL_NAMESPACE),
      checkWorkers(getTemporalClient, c.TEMPORAL_NAMESPACE, c.TEMPORAL_TASK_QUEUE),
      checkMail(mailTransport),
    ]);
    return { ok: checks.every((x) => x.ok), checks, temporalUiUrl: c.TEMPORAL_UI_URL, checkedAt: new Date() };
  }),
});
