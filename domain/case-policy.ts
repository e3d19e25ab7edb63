// Case policy per category and severity: skip triage, the remediation window, reminders, the longest extension.
// Defaults below; an operator overrides them with CASE_POLICY (JSON, validated by casePolicyTableSchema).
import { z } from 'zod';
import { durationMs } from './durations';
import {
  CASE_CATEGORIES,
  DEFAULT_CASE_POLICY,
  SEVERITIES,
  type CaseCategory,
  type CasePolicy,
  type PolicyDuration,
  type Severity,
} from './cases';

export const policyDurationSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|seconds?|minutes?|hours?|days?)$/)])
  .refine((d) => {
    try {
      return durationMs(d as PolicyDuration) > 0;
    } catch {
      return false;
    }
  }, 'not a duration (e.g. "48 hours", "4h", or milliseconds)')
  .transform((d) => d as PolicyDuration);

const partialPolicy = z
  .object({
    skipTriage: z.boolean(),
    skipTriageOn: z.array(z.enum(['report', 'detection'])),
    defaultSeverity: z.enum(SEVERITIES),
    remediationWindow: policyDurationSchema,
    reminderOffsets: z.array(policyDurationSchema).max(10),
    maxExtension: policyDurationSchema,
    remediationWindowBySeverity: z.partialRecord(z.enum(SEVERITIES), policyDurationSchema),
  })
  .partial()
  .strict();

/** CASE_POLICY's shape: defaults for every category, then overrides per category. */
export const casePolicyTableSchema = z
  .object({
    defaults: partialPolicy.optional(),
    categories: z.partialRecord(z.enum(CASE_CATEGORIES), partialPolicy).optional(),
  })
  .strict();

export type CasePolicyTable = z.infer<typeof casePolicyTableSchema>;

/** Built-in policy: 48 hours for everyone; a DoS our own detectors confirm skips triage; critical cases get 24 hours. */
export const DEFAULT_POLICY_TABLE: CasePolicyTable = {
  defaults: { remediationWindowBySeverity: { critical: '24 hours' } },
  categories: {
    dos: { skipTriageOn: ['detection'], defaultSeverity: 'high' },
    malware_hosting: { defaultSeverity: 'high' },
    phishing: { defaultSeverity: 'high' },
  },
};

/** The policy a case of `category` starts with: built-in defaults, then the table's defaults, then its category. */
export function casePolicyFor(category: CaseCategory, table: CasePolicyTable = DEFAULT_POLICY_TABLE): CasePolicy {
  const layers = table === DEFAULT_POLICY_TABLE ? [DEFAULT_POLICY_TABLE] : [DEFAULT_POLICY_TABLE, table];
  let policy: CasePolicy = { ...DEFAULT_CASE_POLICY };
  for (const layer of layers) {
    for (const part of [layer.defaults, layer.categories?.[category]]) {
      if (!part) continue;
      const bySeverity = { ...policy.remediationWindowBySeverity, ...part.remediationWindowBySeverity };
      policy = { ...policy, ...part, remediationWindowBySeverity: bySeverity };
    }
  }
  return policy;
}

/** The window from notice to suspension for a severity (also what the workflow computes). */
export function remediationWindowFor(policy: CasePolicy, severity: Severity): PolicyDuration {
  return policy.remediationWindowBySeverity?.[severity] ?? policy.remediationWindow;
}

/** Parses CASE_POLICY's JSON text; throws a readable message on bad JSON or a bad field. */
export function parseCasePolicyTable(json: string): CasePolicyTable {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`CASE_POLICY is not JSON: ${(err as Error).message}`);
  }
  const parsed = casePolicyTableSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`CASE_POLICY: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
