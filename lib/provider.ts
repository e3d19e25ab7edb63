// The cloud provider's control plane as the case workflow needs it: suspend and restore a deployment.
// Every call carries an idempotency key; the implementation here acts on our database and records the call.
import type { DeploymentState } from '../generated/prisma/client';
import type { Db } from './db';

export interface ProviderResult {
  actionId: string;
  deploymentId: string;
  state: DeploymentState;
  /** False when the key had already been acted on (a retry): nothing was done twice. */
  actedNow: boolean;
}

export interface CloudProvider {
  readonly name: string;
  suspend(deploymentId: string, idempotencyKey: string, context?: { caseId?: string }): Promise<ProviderResult>;
  restore(deploymentId: string, idempotencyKey: string, context?: { caseId?: string }): Promise<ProviderResult>;
}

export class UnknownDeploymentError extends Error {
  constructor(readonly deploymentId: string) {
    super(`deployment ${deploymentId} does not exist`);
    this.name = 'UnknownDeploymentError';
  }
}

/** The provider for this installation: Deployment.state in our database is the deployment's state. */
export function createDatabaseProvider(db: Db): CloudProvider {
  async function act(kind: 'suspend' | 'restore', deploymentId: string, key: string, caseId?: string): Promise<ProviderResult> {
    const target: DeploymentState = kind === 'suspend' ? 'suspended' : 'running';
    return db.$transaction(async (tx) => {
      const done = await tx.providerAction.findUnique({ where: { idempotencyKey: key } });
      if (done?.completedAt) {
        const state = (done.result as { state?: DeploymentState } | null)?.state ?? target;
        return { actionId: done.id, deploymentId: done.deploymentId, state, actedNow: false };
      }
      // Row lock: a concurrent attempt with the same key waits here and then finds the action completed.
      const rows = await tx.$queryRaw<{ state: DeploymentState }[]>`SELECT state FROM "Deployment" WHERE id = ${deploymentId}::uuid FOR UPDATE`;
      if (rows.length === 0) throw new UnknownDeploymentError(deploymentId);
      const again = await tx.providerAction.findUnique({ where: { idempotencyKey: key } });
      if (again?.completedAt) return { actionId: again.id, deploymentId, state: target, actedNow: false };
      const deployment = await tx.deployment.update({ where: { id: deploymentId }, data: { state: target, stateChangedAt: new Date() } });
      const result = { state: deployment.state, previous: rows[0]!.state };
      const row = await tx.providerAction.upsert({
        where: { idempotencyKey: key },
        create: { idempotencyKey: key, kind, deploymentId, caseId, provider: 'database', completedAt: new Date(), result },
        update: { completedAt: new Date(), result },
      });
      return { actionId: row.id, deploymentId, state: deployment.state, actedNow: true };
    });
  }
  return {
    name: 'database',
    suspend: (deploymentId, key, context) => act('suspend', deploymentId, key, context?.caseId),
    restore: (deploymentId, key, context) => act('restore', deploymentId, key, context?.caseId),
  };
}
