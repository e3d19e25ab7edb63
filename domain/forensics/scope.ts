// A forensic proposal's scope: schemas for what analysts and tenants send, and the exact text a tenant is shown.
// The rules themselves (narrowing, in-scope checks) are in scope-rules.ts, which workflows can import.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { plainText } from './plain-text';
import { canonicalScope } from './scope-rules';
import {
  DATA_KIND_LABELS,
  DATA_KINDS,
  DEFAULT_ACCESS_HOURS,
  DEFAULT_RETENTION_DAYS,
  MAX_ACCESS_HOURS,
  MAX_RETENTION_DAYS,
  type ForensicScope,
  type ProposalInput,
} from './types';

export * from './scope-rules';
export * from './types';

export const MAX_TARGETS = 50;
export const MAX_VMS_PER_TARGET = 200;
export const MAX_PURPOSE = 2000;

// Ids become path segments in the artifact store and words in the consent text: no slashes, spaces or dots alone.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const IdSchema = z.string().regex(ID_PATTERN, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');

export const DataKindSchema = z.enum(DATA_KINDS);

export const ScopeTargetSchema = z.strictObject({
  deploymentId: IdSchema,
  vmIds: z
    .array(IdSchema)
    .min(1, 'list at least one VM, or leave vmIds out for every VM of the deployment')
    .max(MAX_VMS_PER_TARGET)
    .refine((ids) => new Set(ids).size === ids.length, 'lists a VM twice')
    .optional(),
});

export const ForensicScopeSchema = z
  .strictObject({
    targets: z.array(ScopeTargetSchema).min(1, 'name at least one deployment').max(MAX_TARGETS),
    dataKinds: z
      .array(DataKindSchema)
      .min(1, 'name at least one kind of data')
      .refine((kinds) => new Set(kinds).size === kinds.length, 'lists a kind of data twice'),
  })
  .refine((s) => new Set(s.targets.map((t) => t.deploymentId)).size === s.targets.length, {
    message: 'names a deployment twice',
    path: ['targets'],
  }) satisfies z.ZodType<ForensicScope>;

export const ProposalInputSchema = z.strictObject({
  caseId: z.uuid(),
  scope: ForensicScopeSchema,
  purpose: z.string().trim().min(1, 'say why the analysis is needed').max(MAX_PURPOSE),
  accessHours: z.number().int().min(1).max(MAX_ACCESS_HOURS).default(DEFAULT_ACCESS_HOURS),
  retentionDays: z.number().int().min(1).max(MAX_RETENTION_DAYS).default(DEFAULT_RETENTION_DAYS),
}) satisfies z.ZodType<ProposalInput>;

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

/** SHA-256 (hex) of the scope's RFC 8785 canonical JSON, in its canonical order: records which scope was shown. */
export function scopeHash(scope: ForensicScope): string {
  return createHash('sha256').update(canonicalize(canonicalScope(scope)) ?? '').digest('hex');
}
