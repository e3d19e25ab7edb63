import { config } from '../../../lib/config';
import { db } from '../../../lib/db';
import { runStatusChecks } from '../../../lib/health';
import { mailTransport } from '../../../lib/mail';
import { getTemporalClient } from '../../../lib/temporal';
import { protectedProcedure, router } from '../trpc';

export const statusRouter = router({
  checks: protectedProcedure.query(async () => {
    const c = config();
    const result = await runStatusChecks({
      db: db(),
      temporal: getTemporalClient,
      mail: mailTransport,
      namespace: c.TEMPORAL_NAMESPACE,
      taskQueue: c.TEMPORAL_TASK_QUEUE,
    });
    return { ...result, temporalUiUrl: c.TEMPORAL_UI_URL, checkedAt: new Date() };
  }),
});
