// Named activity option presets, so timeouts are chosen once per kind of work.
// Short database writes and mail to the relay run as local activities: they execute in the worker that runs the
// workflow task and are recorded as one marker in its completion, instead of three history events and a round trip
// through the server's task queues each. That is what lets one dev server carry intake at full speed
// (`npm run bench:intake`). Calls to the cloud provider stay ordinary activities: they may be slow, and an operator
// should see them scheduled and retried in the Temporal UI.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

export const dbWrite: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // Past this, retries are scheduled with a durable timer rather than held in the workflow task.
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
};

export const mail: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
};

export const providerCall: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
};
