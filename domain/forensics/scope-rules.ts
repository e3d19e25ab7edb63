// What a tenant's approval allows: narrowing a proposal, and checking each collection against the approved scope.
// No zod, no Node built-ins: the approval update's validator runs these inside the workflow.
import { DATA_KINDS, type DataKind, type ForensicScope, type Narrowed, type ScopeItem, type ScopeTarget } from './types';

// Code-unit order, not localeCompare: the same scope must sort the same on every machine.
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The same scope with duplicates removed and everything in a fixed order: targets by deployment, VMs by id, kinds as DATA_KINDS lists them. */
export function canonicalScope(scope: ForensicScope): ForensicScope {
  const vms = new Map<string, Set<string> | 'all'>();
  for (const t of scope.targets) {
    const seen = vms.get(t.deploymentId);
    if (seen === 'all' || t.vmIds === undefined) vms.set(t.deploymentId, 'all');
    else vms.set(t.deploymentId, new Set([...(seen ?? []), ...t.vmIds]));
  }
  const targets: ScopeTarget[] = [...vms.keys()].sort(byText).map((deploymentId) => {
    const v = vms.get(deploymentId)!;
    return v === 'all' ? { deploymentId } : { deploymentId, vmIds: [...v].sort(byText) };
  });
  const kinds = new Set(scope.dataKinds);
  return { targets, dataKinds: DATA_KINDS.filter((k) => kinds.has(k)) };
}

/**
 * The scope a tenant approved, when it is the proposal or a part of it. Everything that would widen the proposal is
 * listed: a deployment, VM or kind that was not proposed, or "all VMs" where only some were proposed.
 */
export function narrowScope(proposed: ForensicScope, approved: ForensicScope): Narrowed {
  const p = canonicalScope(proposed);
  const a = canonicalScope(approved);
  const errors: string[] = [];
  if (a.targets.length === 0) errors.push('the approved scope names no deployment (declining is a separate answer)');
  if (a.dataKinds.length === 0) errors.push('the approved scope names no kind of data (declining is a separate answer)');
  const proposedKinds = new Set<DataKind>(p.dataKinds);
  for (const kind of a.dataKinds) {
    if (!proposedKinds.has(kind)) errors.push(`data kind ${kind} was not proposed`);
  }
  const proposedTargets = new Map(p.targets.map((t) => [t.deploymentId, t]));
  for (const t of a.targets) {
    const pt = proposedTargets.get(t.deploymentId);
    if (!pt) {
      errors.push(`deployment ${t.deploymentId} was not proposed`);
      continue;
    }
    if (pt.vmIds === undefined) continue;
    if (t.vmIds === undefined) {
      errors.push(`deployment ${t.deploymentId}: all VMs approved, but only ${pt.vmIds.join(', ')} were proposed`);
      continue;
    }
    if (t.vmIds.length === 0) errors.push(`deployment ${t.deploymentId}: an empty list of VMs`);
    const allowed = new Set(pt.vmIds);
    for (const vm of t.vmIds) {
      if (!allowed.has(vm)) errors.push(`VM ${vm} was not proposed for deployment ${t.deploymentId}`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, scope: a };
}

/** Why an item lies outside the scope, or null when it is inside. */
export function outOfScopeReason(scope: ForensicScope, item: ScopeItem): string | null {
  if (!scope.dataKinds.includes(item.kind)) return `data kind ${item.kind} is not in the approved scope`;
  const targets = scope.targets.filter((t) => t.deploymentId === item.deploymentId);
  if (targets.length === 0) return `deployment ${item.deploymentId} is not in the approved scope`;
  if (targets.some((t) => t.vmIds === undefined || t.vmIds.includes(item.vmId))) return null;
  return `VM ${item.vmId} of deployment ${item.deploymentId} is not in the approved scope`;
}

export function isWithinScope(scope: ForensicScope, item: ScopeItem): boolean {
  return outOfScopeReason(scope, item) === null;
}

/**
 * Replaces "all VMs" with the VMs a deployment has now, so the tenant approves named machines and a VM created later
 * is not covered. Deployments missing from `vmsByDeployment` are left as they are.
 */
export function expandAllVms(scope: ForensicScope, vmsByDeployment: Readonly<Record<string, readonly string[]>>): ForensicScope {
  return canonicalScope({
    targets: scope.targets.map((t) => {
      const vms = vmsByDeployment[t.deploymentId];
      return t.vmIds === undefined && vms && vms.length > 0 ? { deploymentId: t.deploymentId, vmIds: [...vms] } : t;
    }),
    dataKinds: scope.dataKinds,
  });
}

/** The access window: from the approval for `accessHours`. */
export function accessWindow(approvedAt: Date, accessHours: number): { startsAt: Date; endsAt: Date } {
  return { startsAt: new Date(approvedAt.getTime()), endsAt: new Date(approvedAt.getTime() + accessHours * 3_600_000) };
}

/** Inside the window: at or after its start and strictly before its end. */
export function isWithinWindow(window: { startsAt: Date; endsAt: Date }, at: Date): boolean {
  const t = at.getTime();
  return t >= window.startsAt.getTime() && t < window.endsAt.getTime();
}

/** When artifacts must be deleted: `retentionDays` after the analysis ended. */
export function retentionEnds(endedAt: Date, retentionDays: number): Date {
  return new Date(endedAt.getTime() + retentionDays * 86_400_000);
}
