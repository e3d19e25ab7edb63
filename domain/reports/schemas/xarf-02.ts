// X-ARF 0.2 YAML reports, written from the field definitions of the latest stable x-arf.org schemata of each family.
import { z } from 'zod';
import { dateTime, email, ipv4, issueLines, uri } from './formats';
import type { SchemaVerdict } from './xarf-v4';

const tlp = z.enum(['white', 'green', 'amber', 'red']);
const addressType = z.enum(['ipv4', 'ipv6', 'ip-address']);

/** Fields every 0.2 schema shares. Report-ID is declared with format email: it is a Message-ID-like local@domain. */
const base = z.looseObject({
  'Reported-From': email,
  'Report-ID': email,
  Category: z.string(),
  'Report-Type': z.string(),
  'User-Agent': z.string(),
  Date: dateTime,
  Source: z.string(),
  'Source-Type': addressType,
  'Schema-URL': uri,
  Version: z.number().optional(),
  Occurrences: z.int().optional(),
  TLP: tlp.optional(),
});

/** `Destination` needs its `Destination-Type` (the draft-02 `requires`). */
function destinationTyped(doc: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (doc.Destination !== undefined && doc['Destination-Type'] === undefined) {
    ctx.addIssue({ code: 'custom', path: ['Destination-Type'], message: 'is required when Destination is given' });
  }
}

const destination = {
  Destination: z.string().optional(),
  'Destination-Type': addressType.optional(),
};

const loginAttack = base
  .extend({
    Category: z.enum(['abuse', 'auth']),
    'Report-Type': z.literal('login-attack'),
    Service: z.string(),
    Port: z.int(),
    Attachment: z.literal('text/plain'),
    ...destination,
  })
  .superRefine(destinationTyped);

const malwareAttack = base
  .extend({
    Category: z.literal('abuse'),
    'Report-Type': z.literal('malware-attack'),
    'Destination-System': z.enum(['real-world', 'honeypot', 'spamtrap', 'honeyd', 'nepenthes']).optional(),
    'Download-Link': uri.optional(),
    'Download-Port': z.int().optional(),
    'Malware-MD5': z.string().optional(),
    'Antivirus-Result': z.string().optional(),
    'Antivirus-Vendor': z.string().optional(),
    'Feedback-Link': uri.optional(),
    Attachment: z.enum(['none', 'text/plain', 'message/rfc822']),
  })
  .superRefine((doc, ctx) => {
    if (doc['Antivirus-Vendor'] !== undefined && doc['Antivirus-Result'] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['Antivirus-Result'], message: 'is required when Antivirus-Vendor is given' });
    }
  });

const botInfection = base
  .extend({
    Category: z.literal('abuse'),
    'Report-Type': z.enum(['bot-infection', 'grumbot-infection']),
    'Bot-Name': z.string().optional(),
    'Destination-Port': z.int().optional(),
    'Destination-Domain': z.string().optional(),
    'Source-Port': z.int().optional(),
    'Feedback-Link': uri.optional(),
    'Malware-MD5': z.string().optional(),
    Attachment: z.enum(['none', 'text/plain']),
    ...destination,
  })
  .superRefine((doc, ctx) => {
    destinationTyped(doc, ctx);
    if (doc['Report-Type'] === 'bot-infection' && doc['Bot-Name'] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['Bot-Name'], message: 'is required for bot-infection' });
    }
  });

const compromisedAccount = base.extend({
  Category: z.literal('abuse'),
  'Report-Type': z.literal('compromised-account'),
  'Source-Type': z.enum(['ipv4', 'ipv6', 'ip-address', 'uri', 'domain']),
  Attachment: z.enum(['none', 'text/plain']),
  TLP: tlp,
  'Account-Type': z.enum(['email', 'plain']),
  Account: z.string(),
});

const fraud = base.extend({
  Category: z.literal('fraud'),
  'Report-Type': z.enum(['phishing', 'infected', 'defacement', 'scam', 'spam']),
  'Source-Type': z.enum(['ipv4', 'ipv6', 'ip-address', 'uri']),
  Service: z.string(),
  Port: z.int(),
  Domain: z.string().optional(),
  Attachment: z.enum(['none', 'text/plain', 'message/rfc822']).optional(),
});

const dnsbl = base.extend({
  Category: z.literal('info'),
  'Report-Type': z.enum(['dnsbl-listing', 'dnsbl-listed', 'dnsbl-delisted']),
  'Source-Type': z.enum(['ipv4', 'ipv6', 'ip-address', 'domain']),
  'DNSBL-Record': ipv4.optional(),
  DNSBL: uri,
  Attachment: z.literal('text/plain').optional(),
});

const vertized = base.extend({
  Category: z.enum(['abuse', 'fraud', 'auth', 'info', 'private', 'outdated', 'update']),
  'Report-Type': z.enum(['nsvertized', 'spamvertized']),
  Service: z.string(),
  Attachment: z.literal('text/plain'),
  URL: uri,
  'DNS-Record-Type': z.enum(['NS', 'A']),
  'DNS-Record-Value': z.string(),
});

/** The schema family for a Category/Report-Type pair, or undefined when no schemata define it. */
export function xarf02SchemaFor(category: string, reportType: string): z.ZodType | undefined {
  const t = reportType.toLowerCase();
  const c = category.toLowerCase();
  if (t === 'login-attack') return loginAttack;
  if (t === 'malware-attack') return malwareAttack;
  if (t === 'bot-infection' || t === 'grumbot-infection') return botInfection;
  if (t === 'compromised-account') return compromisedAccount;
  if (t === 'nsvertized' || t === 'spamvertized') return vertized;
  if (c === 'fraud') return fraud;
  if (c === 'info' && t.startsWith('dnsbl-')) return dnsbl;
  return undefined;
}

export function validateXarf02(doc: Record<string, unknown>): SchemaVerdict {
  const schema = xarf02SchemaFor(String(doc.Category ?? ''), String(doc['Report-Type'] ?? ''));
  const result = (schema ?? base).safeParse(doc);
  const issues = result.success ? [] : issueLines(result.error);
  if (!schema) issues.push(`no X-ARF 0.2 schema defines ${String(doc.Category)}/${String(doc['Report-Type'])}`);
  return issues.length ? { valid: false, issues } : { valid: true };
}
