// The one shape every intake channel produces: an abuse report, normalised, before attribution and storage.
import { z } from 'zod';
import { CASE_CATEGORIES } from '../cases';

/** Our abuse categories (domain/cases.ts); one case workflow runs per (deployment, category). README.md maps every input type to one. */
export const REPORT_CATEGORIES = CASE_CATEGORIES;
export const ReportCategorySchema = z.enum(REPORT_CATEGORIES);
export type ReportCategory = z.infer<typeof ReportCategorySchema>;

/** The wire format a report arrived in. */
export const REPORT_FORMATS = ['xarf-v4', 'xarf-v4-lenient', 'xarf-v3', 'xarf-0.2', 'arf', 'free-text'] as const;
export const ReportFormatSchema = z.enum(REPORT_FORMATS);
export type ReportFormat = z.infer<typeof ReportFormatSchema>;

/** high: schema-valid structured report; medium: lenient or legacy format; low: guessed from free text. */
export const ConfidenceSchema = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof ConfidenceSchema>;

/** A validated source address or network; `public` is false for private, reserved and other special ranges. */
export const SourceIpSchema = z.object({
  /** Canonical text: `192.0.2.7`, `2001:db8::7`, or a network `192.0.2.0/24` (host bits cleared). */
  address: z.string().min(2),
  version: z.union([z.literal(4), z.literal(6)]),
  /** Set for CIDR networks only. */
  prefixLength: z.int().min(0).max(128).optional(),
  /** ipaddr.js range name: `unicast` for public space, else `private`, `reserved`, `loopback`, `uniqueLocal`, ... */
  range: z.string(),
  public: z.boolean(),
});
export type SourceIp = z.infer<typeof SourceIpSchema>;

/** Who filed the report, as far as the report says (nothing here is verified). */
export const ReporterSchema = z.object({
  name: z.string().optional(),
  org: z.string().optional(),
  email: z.string().optional(),
  domain: z.string().optional(),
});
export type Reporter = z.infer<typeof ReporterSchema>;

export const EVIDENCE_SUMMARY_MAX = 4000;

/** How far a report's event time may lie past its arrival (clocks differ) before it is taken for a wrong one. */
export const EVENT_TIME_SKEW_MS = 5 * 60_000;

export const NormalisedReportSchema = z.object({
  format: ReportFormatSchema,
  category: ReportCategorySchema,
  /** The reporter's own classification as it was written, e.g. `connection/ddos` or `Feedback-Type: abuse`. */
  reportedAs: z.string(),
  sourceIps: z.array(SourceIpSchema),
  sourcePort: z.int().min(0).max(65535).optional(),
  /** When the abuse happened (coerced so that a stored JSON copy parses back into a Date); null if nothing said. */
  eventTime: z.coerce.date().nullable(),
  reportedUrls: z.array(z.string()),
  reportedDomains: z.array(z.string()),
  reporter: ReporterSchema,
  /** The reporter's identifier for this report (X-ARF report_id, Report-ID, Message-ID). */
  externalId: z.string().optional(),
  /** Plain text for analysts, control characters removed and truncated; the console escapes it, never render it as HTML. */
  evidenceSummary: z.string().max(EVIDENCE_SUMMARY_MAX + 200),
  confidence: ConfidenceSchema,
  warnings: z.array(z.string()),
});
export type NormalisedReport = z.infer<typeof NormalisedReportSchema>;

export type ParseOutcome =
  | { ok: true; report: NormalisedReport }
  | { ok: false; error: string; format?: ReportFormat };

/** What the channel knows about the bytes besides the bytes. */
export interface ParseHint {
  contentType?: string;
  filename?: string;
}

/** Where published schemas live (XARF_SCHEMA_DIR, XARF_V02_SCHEMA_DIR); null means use only our own zod schemas. */
export interface SchemaDirs {
  xarfV4: string | null;
  xarf02: string | null;
}

export interface ParseOptions {
  /** Unset: read from the configuration. */
  schemaDirs?: SchemaDirs;
  /** Larger inputs are refused without parsing. */
  maxBytes?: number;
}

export const DEFAULT_MAX_REPORT_BYTES = 10 * 1024 * 1024;

/** A parser's failure, carried as a value: bad input is never an exception. */
export function failure(error: string, format?: ReportFormat): ParseOutcome {
  return format ? { ok: false, error, format } : { ok: false, error };
}
