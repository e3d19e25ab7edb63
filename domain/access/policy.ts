// Access policy: for a request's target, level and data, how many approvers (N of M), whether the tenant must consent,
// and the longest grant. Decided here once; the console shows it before a request is sent, the workflow enforces it.
import { z } from 'zod';
import type { PolicyDuration } from '../cases';
import { policyDurationSchema } from '../case-policy';
import { durationMs } from '../durations';
import { ACCESS_LEVELS, type AccessLevel, type AccessTargetKind } from './contracts';

export interface AccessPolicyRule {
  /** Shown in the console and stored on the request. */
  name: string;
  match: { targetKind?: AccessTargetKind; levels?: AccessLevel[]; customerData?: boolean; infraScopes?: string[] };
  /** N: distinct approvers needed (never the requester). */
  approvals: number;
  /** M: emails of the people who may approve; unset: anyone with the approver role. */
  approvers?: string[];
  tenantConsent: boolean;
  maxDuration: PolicyDuration;
}

export interface AccessPolicy {
  /** First matching rule wins; the last rule should match everything. */
  rules: AccessPolicyRule[];
  /** How long a request waits for approvals before it expires. */
  approvalWindow: PolicyDuration;
  /** Infrastructure scopes one may ask for. */
  infraScopes: string[];
}

export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  rules: [
    { name: 'customer data', match: { targetKind: 'deployment', customerData: true }, approvals: 2, tenantConsent: true, maxDuration: '4 hours' },
    { name: 'tenant deployment', match: { targetKind: 'deployment' }, approvals: 1, tenantConsent: false, maxDuration: '8 hours' },
    { name: 'infrastructure admin', match: { targetKind: 'infrastructure', levels: ['admin'] }, approvals: 2, tenantConsent: false, maxDuration: '4 hours' },
    { name: 'infrastructure', match: { targetKind: 'infrastructure' }, approvals: 1, tenantConsent: false, maxDuration: '8 hours' },
  ],
  approvalWindow: '24 hours',
  infraScopes: ['network', 'hypervisors', 'databases', 'mail-relay', 'workflow-engine'],
};

export interface AccessTarget {
  targetKind: AccessTargetKind;
  level: AccessLevel;
  customerData: boolean;
  infraScope?: string;
}

/** The rule that governs a request (customer data only exists on deployments). */
export function ruleFor(policy: AccessPolicy, target: AccessTarget): AccessPolicyRule {
  const rule = policy.rules.find(({ match: m }) => {
    if (m.targetKind && m.targetKind !== target.targetKind) return false;
    if (m.levels && !m.levels.includes(target.level)) return false;
    if (m.customerData !== undefined && m.customerData !== (target.targetKind === 'deployment' && target.customerData)) return false;
    if (m.infraScopes && !(target.infraScope && m.infraScopes.includes(target.infraScope))) return false;
    return true;
  });
  if (!rule) throw new Error(`no access policy rule matches ${target.targetKind}/${target.level}`);
  return rule;
}

/** Minutes the rule allows at most. */
export const maxMinutes = (rule: AccessPolicyRule) => Math.floor(durationMs(rule.maxDuration) / 60_000);

const ruleSchema = z.object({
  name: z.string().min(1),
  match: z
    .object({
      targetKind: z.enum(['deployment', 'infrastructure']),
      levels: z.array(z.enum(ACCESS_LEVELS)).min(1),
      customerData: z.boolean(),
      infraScopes: z.array(z.string().min(1)).min(1),
    })
    .partial()
    .strict(),
  approvals: z.number().int().min(1).max(10),
  approvers: z.array(z.email()).min(1).optional(),
  tenantConsent: z.boolean(),
  maxDuration: policyDurationSchema,
});

const policySchema = z
  .object({
    rules: z.array(ruleSchema.strict()).min(1),
    approvalWindow: policyDurationSchema,
    infraScopes: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/)).min(1),
  })
  .partial()
  .strict()
  .superRefine((p, ctx) => {
    for (const [i, r] of (p.rules ?? []).entries()) {
      if (r.approvers && r.approvers.length < r.approvals) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'approvers'], message: `${r.approvals} approvals need at least that many approvers` });
      }
    }
  });

/** Parses ACCESS_POLICY's JSON text over the defaults (fields given replace the default's); throws a readable message. */
export function parseAccessPolicy(json: string): AccessPolicy {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`ACCESS_POLICY is not JSON: ${(err as Error).message}`);
  }
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`ACCESS_POLICY: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return { ...DEFAULT_ACCESS_POLICY, ...(parsed.data as Partial<AccessPolicy>) };
}
