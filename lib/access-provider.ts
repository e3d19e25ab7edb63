// Where a just-in-time grant becomes real access, and where it is taken away again. The access workflow calls the
// provider only for approved requests; the provider itself knows nothing of approvals.
//
// This installation's provider keeps its bindings in ProviderAccessBinding rows. A cloud IAM adapter implements the
// same three calls:
// - grant: a time-bound role binding for the requester's principal on the target (AWS: an IAM Identity Center
//   permission-set assignment, CreateAccountAssignment, or a role whose trust policy names the principal with an
//   aws:CurrentTime condition; Azure: a PIM role assignment schedule request, roleAssignmentScheduleRequests.create
//   with an expiration; GCP: setIamPolicy with an IAM condition on request.time). The binding is tagged with the
//   grant id so a retried grant finds it instead of adding a second one.
// - revoke: deletes that binding (DeleteAccountAssignment; a roleAssignmentScheduleRequest with AdminRemove;
//   setIamPolicy without the binding) and ends the principal's live sessions where the cloud allows it.
// - isRevoked: reads the binding back (DescribeAccountAssignmentDeletionStatus / roleAssignments.get /
//   getIamPolicy); only a read that no longer finds it counts as revoked, so the workflow retries until it is gone.
import type { Db } from './db';

export interface AccessBinding {
  /** The grant this binding serves: the idempotency key of the grant call. */
  grantId: string;
  /** Who receives the access (the requester's email). */
  principal: string;
  /** What it reaches, e.g. `deployment:<id>`, `deployment:<id>:customer-data`, `infrastructure:network`. */
  scope: string;
  level: string;
}

export interface AccessProvider {
  readonly name: string;
  /** Creates the binding; a second call for the same grantId returns the first binding's ref. */
  grant(binding: AccessBinding): Promise<{ ref: string }>;
  /** Removes the binding; removing one already gone is not an error. */
  revoke(ref: string): Promise<void>;
  /** True once the binding is confirmed gone. */
  isRevoked(ref: string): Promise<boolean>;
}

/** The scope string a binding carries for a request's target. */
export function bindingScope(r: { targetKind: string; deploymentId: string | null; infraScope: string | null; customerData: boolean }): string {
  if (r.targetKind === 'deployment') return `deployment:${r.deploymentId}${r.customerData ? ':customer-data' : ''}`;
  return `infrastructure:${r.infraScope}`;
}

/** Bindings in our own database: what the console and the tests can read back. */
export class LocalAccessProvider implements AccessProvider {
  readonly name = 'local';

  constructor(private readonly db: Db) {}

  async grant(binding: AccessBinding): Promise<{ ref: string }> {
    // Keyed by grantId: a retried call finds the row the first call made.
    const row = await this.db.providerAccessBinding.upsert({
      where: { grantId: binding.grantId },
      create: { grantId: binding.grantId, principal: binding.principal, scope: binding.scope, level: binding.level },
      update: {},
    });
    return { ref: row.id };
  }

  async revoke(ref: string): Promise<void> {
    await this.db.providerAccessBinding.updateMany({ where: { id: ref, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  async isRevoked(ref: string): Promise<boolean> {
    const row = await this.db.providerAccessBinding.findUnique({ where: { id: ref }, select: { revokedAt: true } });
    // A binding that does not exist grants nothing.
    return !row || row.revokedAt !== null;
  }
}
