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
export * from './scope-text';
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


/** SHA-256 (hex) of the scope's RFC 8785 canonical JSON, in its canonical order: records which scope was shown. */
export function scopeHash(scope: ForensicScope): string {
  return createHash('sha256').update(canonicalize(canonicalScope(scope)) ?? '').digest('hex');
}
