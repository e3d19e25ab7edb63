// X-ARF v4 core fields, written from the field definitions of the published xarf-core schema (draft 2020-12).
import { z } from 'zod';
import { XARF_V4_CATEGORY_MAP } from '../categories';
import { dateTime, email, hostname, isIpv4, isIpv6, port, text } from './formats';

/** reporter and sender: the complainant and the party that filed the report. */
export const contactInfo = z.strictObject({
  org: text(200),
  contact: email,
  domain: hostname,
});

export const evidenceItem = z.strictObject({
  content_type: z.string(),
  description: text(500).optional(),
  /** Base64 (contentEncoding is an annotation only; the parser decodes it when it is text). */
  payload: z.string(),
  hash: z.string().regex(/^(md5|sha1|sha256|sha512):[a-fA-F0-9]+$/, 'must be algorithm:hex').optional(),
  size: z.int().min(0).max(5_242_880).optional(),
});

export const XARF_V4_CATEGORIES = Object.keys(XARF_V4_CATEGORY_MAP) as [keyof typeof XARF_V4_CATEGORY_MAP, ...(keyof typeof XARF_V4_CATEGORY_MAP)[]];

/** Unknown fields are allowed (additionalProperties: true), so every object here is loose. */
export const xarfV4Core = z.looseObject({
  xarf_version: z.string().regex(/^4\.[0-9]+\.[0-9]+$/, 'must be a 4.x.y version'),
  /** The schema says UUID v4 but checks only the UUID shape. */
  report_id: z.guid({ message: 'must be a UUID' }),
  timestamp: dateTime,
  reporter: contactInfo,
  sender: contactInfo,
  source_identifier: z.string(),
  source_port: port.optional(),
  category: z.enum(XARF_V4_CATEGORIES),
  type: z.string(),
  evidence_source: z.string().optional(),
  evidence: z.array(evidenceItem).max(50).optional(),
  tags: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9_+-]*:[a-z0-9][a-z0-9_+-]*$/, 'must be namespace:predicate'))
    .max(20)
    .optional(),
  confidence: z.number().min(0).max(1).optional(),
  description: text(1000).optional(),
  legacy_version: z.literal('3').optional(),
  _internal: z.looseObject({}).optional(),
});
export type XarfV4Core = z.infer<typeof xarfV4Core>;

type Doc = Record<string, unknown>;

function isIpSource(doc: Doc): boolean {
  const s = doc.source_identifier;
  return typeof s === 'string' && (isIpv4(s) || isIpv6(s));
}

/** Network types: a source given as an address needs its port (CGNAT makes the address alone ambiguous). */
export function requirePortForIpSource(doc: Doc, ctx: z.RefinementCtx): void {
  if (isIpSource(doc) && doc.source_port === undefined) {
    ctx.addIssue({ code: 'custom', path: ['source_port'], message: 'is required when source_identifier is an IP address' });
  }
}

/** Messaging over SMTP must name the envelope sender and the source port. */
export function requireSmtpFields(doc: Doc, ctx: z.RefinementCtx): void {
  if (doc.protocol !== 'smtp') return;
  for (const field of ['smtp_from', 'source_port']) {
    if (doc[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required when protocol is smtp' });
  }
}
