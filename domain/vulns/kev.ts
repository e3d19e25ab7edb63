// CISA's Known Exploited Vulnerabilities catalogue (https://www.cisa.gov/known-exploited-vulnerabilities-catalog),
// in the JSON form of cisagov/kev-data and its schema. A bad entry is counted, not fatal.
import { z } from 'zod';

const date = z.iso.date();

export const KevEntrySchema = z.object({
  cveID: z.string().regex(/^CVE-[0-9]{4}-[0-9]{4,19}$/, 'not a CVE id'),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: date,
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: date,
  knownRansomwareCampaignUse: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string()).optional(),
});
export type KevEntry = z.infer<typeof KevEntrySchema>;

export const KevCatalogSchema = z.object({
  title: z.string().optional(),
  catalogVersion: z.string(),
  dateReleased: z.string(),
  count: z.int().nonnegative(),
  // Entries are checked one by one below.
  vulnerabilities: z.array(z.unknown()),
});

export interface KevCatalog {
  catalogVersion: string;
  dateReleased: string;
  entries: ReadonlyMap<string, KevEntry>;
}

export type KevParse =
  | { ok: true; catalog: KevCatalog; bad: { index: number; error: string }[]; warnings: string[] }
  | { ok: false; error: string };

/** Parses the catalogue's JSON text; never throws. */
export function parseKevCatalog(text: string): KevParse {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { ok: false, error: `malformed JSON (${(err as Error).message})` };
  }
  const parsed = KevCatalogSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, error: `not a KEV catalogue: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  }
  const entries = new Map<string, KevEntry>();
  const bad: { index: number; error: string }[] = [];
  const warnings: string[] = [];
  parsed.data.vulnerabilities.forEach((raw, index) => {
    const entry = KevEntrySchema.safeParse(raw);
    if (!entry.success) {
      bad.push({ index, error: entry.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ') });
      return;
    }
    if (entries.has(entry.data.cveID)) warnings.push(`${entry.data.cveID} is listed twice; the first entry is used`);
    else entries.set(entry.data.cveID, entry.data);
  });
  if (parsed.data.count !== parsed.data.vulnerabilities.length) {
    warnings.push(`the catalogue says count ${parsed.data.count} but lists ${parsed.data.vulnerabilities.length} entries`);
  }
  return { ok: true, catalog: { catalogVersion: parsed.data.catalogVersion, dateReleased: parsed.data.dateReleased, entries }, bad, warnings };
}

/** Whether CISA knows the vulnerability to be used by ransomware campaigns ("Known"; anything else is not confirmed). */
export const ransomwareKnown = (entry: KevEntry) => entry.knownRansomwareCampaignUse?.trim().toLowerCase() === 'known';
