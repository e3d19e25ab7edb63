// Contracts shared by the worker, the console and the command line.
// No zod and no Prisma here: workflows import this file and must stay deterministic.

/** Default Temporal task queue; TEMPORAL_TASK_QUEUE overrides it. */
export const DEFAULT_TASK_QUEUE = 'safeguard';

/** Readable, deterministic workflow ids so operators can find them in the Temporal UI. */
export const workflowIds = {
  healthProbe: (requestId: string) => `health-probe:${requestId}`,
} as const;

export interface HealthProbeInput {
  /** Who asked for the probe (a user id, "status-page", "cli"). */
  requestedBy: string;
  /** Correlates the probe row with the request that started it. */
  requestId: string;
}

export interface HealthProbeResult {
  probeId: string;
  workerIdentity: string;
  databaseLatencyMs: number;
  completedAt: string;
}
