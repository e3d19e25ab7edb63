// The exact text a tenant is shown for a forensic scope. No Node.js modules here: the consent page renders the same
// text in the browser as the tenant narrows the scope, and the server stores what this function gives.
import { plainText } from './plain-text';
import { canonicalScope } from './scope-rules';
import { DATA_KIND_LABELS, type ForensicScope } from './types';

/** Display names for the ids in a scope: deployments by id, VMs by deployment id then VM id. */
export interface ScopeNames {
  deployments?: Readonly<Record<string, string>>;
  vms?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The terms shown with the scope. */
export interface ScopeTerms {
  purpose: string;
  accessHours: number;
  retentionDays: number;
}

const named = (name: string | undefined, id: string, what: string): string => {
  const clean = name === undefined ? '' : plainText(name.trim(), 200);
  return clean && clean !== id ? `${clean} [${what} ${id}]` : `[${what} ${id}]`;
};

/**
 * The exact text a tenant approves: the same scope gives the same text, whatever order it was written in.
 * Names come from people and are shown as plain text (no line breaks, no control characters).
 */
export function scopeText(scope: ForensicScope, names: ScopeNames = {}, terms?: ScopeTerms): string {
  const s = canonicalScope(scope);
  const lines: string[] = ['Deployments and machines:'];
  for (const t of s.targets) {
    const deployment = named(names.deployments?.[t.deploymentId], t.deploymentId, 'deployment');
    if (t.vmIds === undefined) {
      lines.push(`- ${deployment}: every virtual machine in the deployment when collection runs`);
      continue;
    }
    const vmNames = names.vms?.[t.deploymentId] ?? {};
    const count = t.vmIds.length === 1 ? '1 virtual machine' : `${t.vmIds.length} virtual machines`;
    lines.push(`- ${deployment}: ${count}`);
    for (const vm of t.vmIds) lines.push(`    - ${named(vmNames[vm], vm, 'VM')}`);
  }
  lines.push('', 'Data to collect:');
  for (const kind of s.dataKinds) lines.push(`- ${DATA_KIND_LABELS[kind]}`);
  if (terms) {
    lines.push('', 'Purpose:');
    for (const line of terms.purpose.trim().split(/\r\n|\r|\n/)) lines.push(`  ${plainText(line, 2000)}`);
    lines.push(
      '',
      `Access: for at most ${plural(terms.accessHours, 'hour')} from your approval, or until you revoke it.`,
      `Artifacts kept: ${plural(terms.retentionDays, 'day')} after the analysis ends, then deleted.`,
    );
  }
  return lines.join('\n');
}

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
