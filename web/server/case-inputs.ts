// Input schemas of the cases, inbox, reporters and public report procedures. No server imports: the forms in the
// browser validate with the same schemas before they send.
import { z } from 'zod';
import { CASE_CATEGORIES, SEVERITIES } from '../../domain/cases';
import { EVENT_TIME_SKEW_MS } from '../../domain/reports/types';
import { CASE_STATES } from './case-actions';

export const MAX_NOTE = 2_000;
export const MAX_REASON = 2_000;
export const PAGE_SIZES = { default: 25, max: 100 } as const;

const page = { page: z.number().int().min(0).max(10_000).default(0), pageSize: z.number().int().min(1).max(PAGE_SIZES.max).default(PAGE_SIZES.default) };

export const caseListInput = z
  .object({
    /** 'open' (the default) is every state a person may still act on; 'all' shows closed and rejected cases too. */
    state: z.enum([...CASE_STATES, 'open', 'all']).default('open'),
    category: z.enum(CASE_CATEGORIES).optional(),
    tenantId: z.uuid('Choose a tenant from the list.').optional(),
    ...page,
  })
  .default({ state: 'open', page: 0, pageSize: PAGE_SIZES.default });
export type CaseListInput = z.input<typeof caseListInput>;

const caseId = z.uuid('That is not a case id.');
const note = z.string().trim().max(MAX_NOTE, `A note may be at most ${MAX_NOTE} characters.`).optional();

export const triageDecisionInput = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept'), severity: z.enum(SEVERITIES, 'Choose a severity.') }),
  z.object({
    action: z.literal('reject'),
    reason: z.string().trim().min(1, 'Give a reason for the rejection.').max(MAX_REASON, `A reason may be at most ${MAX_REASON} characters.`),
    notifyReporter: z.boolean(),
  }),
  // The target is picked by case id in the console; the server turns it into the workflow id.
  z.object({ action: z.literal('merge'), intoCaseId: z.uuid('Enter the id of the case to merge into.') }),
]);
export const triageInput = z.object({ caseId, decision: triageDecisionInput });
export const decideExtensionInput = z.object({ caseId, approve: z.boolean(), note });
export const verifyRemediationInput = z.object({ caseId, accepted: z.boolean(), note });

// ── Inbox ──
export const INBOX_KINDS = ['all', 'failed', 'unattributed'] as const;
export const inboxListInput = z.object({ kind: z.enum(INBOX_KINDS).default('all'), ...page }).default({ kind: 'all', page: 0, pageSize: PAGE_SIZES.default });
export const reportRef = z.object({ reportId: z.uuid('That is not a report id.') });
export const assignInput = reportRef.extend({
  deploymentId: z.uuid('Choose a deployment.'),
  /** Needed when the report could not be parsed and so has no category of its own. */
  category: z.enum(CASE_CATEGORIES).optional(),
  note: z.string().trim().min(1, 'Say why this report belongs to that deployment.').max(MAX_NOTE),
});
export const uploadEmlInput = z.object({
  filename: z
    .string('Choose an .eml file to upload.')
    .trim()
    .min(1, 'Choose an .eml file to upload.')
    .max(255, 'The file name is longer than 255 characters; rename the file.')
    .regex(/\.(eml|msg|txt)$/i, 'The file must be a saved email: its name should end in .eml (or .msg, .txt).'),
  contentBase64: z
    .string('Choose an .eml file to upload.')
    .min(1, 'The chosen file is empty: choose the saved email itself.')
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'The file could not be read; choose it again.'),
});

// ── Reporters (admin) ──
export const MAX_KEY_LABEL = 100;
export const createReporterInput = z.object({
  name: z.string().trim().min(1, "Enter the reporter's name.").max(200, "The reporter's name may be at most 200 characters."),
  email: z.union([z.email('Enter a valid email address for the reporter.').max(320, 'The email address may be at most 320 characters.'), z.literal('')]).optional(),
  notifyOutcome: z.boolean().default(true),
});
export const createKeyInput = z.object({
  reporterId: z.uuid('Choose a reporter from the list.'),
  label: z.string().trim().min(1, 'Enter a label for the key.').max(MAX_KEY_LABEL, `The key label may be at most ${MAX_KEY_LABEL} characters.`),
});
export const revokeKeyInput = z.object({ keyId: z.uuid('That is not a key id.') });

// ── Public web form ──
export const MAX_FORM_IPS = 20;
// X-ARF v4 allows 1,000 characters of description; the form keeps within it so the report validates.
export const MAX_DESCRIPTION = 1_000;
export const publicReportInput = z.object({
  email: z.email('Enter your email address; we send a confirmation link to it.').max(320),
  category: z.enum(CASE_CATEGORIES, 'Choose what kind of abuse this is.'),
  sourceIps: z
    .string()
    .trim()
    .min(1, 'Enter at least one source IP address.')
    .max(2_000)
    .transform((s) => [...new Set(s.split(/[\s,;]+/).filter(Boolean))])
    .pipe(z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], 'Each source must be an IPv4 or IPv6 address.')).min(1).max(MAX_FORM_IPS, `At most ${MAX_FORM_IPS} addresses.`)),
  eventTime: z.iso
    .datetime({ offset: true, local: false, message: 'Enter when it happened (date and time).' })
    // A reporter's clock may run a little ahead of ours; an event time further ahead has not happened yet.
    .refine((t) => Date.parse(t) <= Date.now() + EVENT_TIME_SKEW_MS, 'When it happened cannot be in the future: enter the date and time you saw it.'),
  description: z.string().trim().min(10, 'Describe what happened (at least 10 characters).').max(MAX_DESCRIPTION, `At most ${MAX_DESCRIPTION} characters.`),
});
export type PublicReportForm = z.input<typeof publicReportInput>;
