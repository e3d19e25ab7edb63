// Collects what a parser finds, validates each piece as it comes in, and produces the normalised report or a clear refusal.
import { SourceIpSet } from './ips';
import { evidenceSummary, MAX_URLS, normaliseDomain, normaliseUrl, unique, urlDomain } from './text';
import {
  failure,
  NormalisedReportSchema,
  type Confidence,
  type ParseOutcome,
  type ReportCategory,
  type ReportFormat,
  type Reporter,
} from './types';

export interface DraftResult {
  category: ReportCategory;
  reportedAs: string;
  eventTime: Date | null;
  reporter: Reporter;
  confidence: Confidence;
  evidence: (string | undefined | null | false)[];
  externalId?: string;
  sourcePort?: number;
}

export class ReportDraft {
  readonly warnings: string[] = [];
  /** Problems with stated sources, kept apart so a refusal for want of a source can say what was wrong with them. */
  private readonly sourceNotes: string[] = [];
  readonly ips = new SourceIpSet(this.sourceNotes);
  private readonly urls = new Set<string>();
  private readonly domains = new Set<string>();

  constructor(readonly format: ReportFormat) {}

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** A URL the report names as abusive; its host name is recorded as a reported domain too. */
  addUrl(value: unknown, what: string): void {
    if (value === undefined || value === null || value === '') return;
    const url = typeof value === 'string' ? normaliseUrl(value) : null;
    if (!url) {
      this.sourceNotes.push(`${what}: '${String(value).slice(0, 80)}' is not an http, https or ftp URL`);
      return;
    }
    if (this.urls.size >= MAX_URLS) return;
    this.urls.add(url);
    const host = urlDomain(url);
    if (host) this.domains.add(host);
  }

  /** URLs already validated (found in text). */
  addFoundUrls(urls: string[]): void {
    for (const url of urls) this.addUrl(url, 'URL');
  }

  addDomain(value: unknown, what: string): void {
    if (value === undefined || value === null || value === '') return;
    const domain = typeof value === 'string' ? normaliseDomain(value) : null;
    if (!domain) this.sourceNotes.push(`${what}: '${String(value).slice(0, 80)}' is not a domain name`);
    else this.domains.add(domain);
  }

  /** A stated source that may be an address, a network, a URL or a host name (X-ARF source_identifier and kin). */
  addSource(value: unknown, what: string): void {
    if (typeof value !== 'string' || value.trim() === '') {
      if (value !== undefined) this.sourceNotes.push(`${what} is empty or not text`);
      return;
    }
    const text = value.trim();
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return this.addUrl(text, what);
    if (/^[\d.:/[\]a-f]+$/i.test(text) && /[.:]/.test(text) && !normaliseDomain(text)) {
      this.ips.add(text, what);
      return;
    }
    if (normaliseDomain(text)) return this.addDomain(text, what);
    this.ips.add(text, what); // explains why it is neither
  }

  hasSource(): boolean {
    return this.ips.size > 0 || this.urls.size > 0 || this.domains.size > 0;
  }

  /** The report, or a refusal when nothing in it names something we could host. */
  finish(result: DraftResult): ParseOutcome {
    const sourceIps = this.ips.finish();
    if (sourceIps.length === 0 && this.urls.size === 0 && this.domains.size === 0) {
      const why = this.sourceNotes.length ? ` (${unique(this.sourceNotes).slice(0, 3).join('; ')})` : '';
      return failure(`the report names no source: no valid IP address, URL or domain${why}`, this.format);
    }
    const report = NormalisedReportSchema.safeParse({
      format: this.format,
      category: result.category,
      reportedAs: result.reportedAs,
      sourceIps,
      ...(result.sourcePort !== undefined ? { sourcePort: result.sourcePort } : {}),
      eventTime: result.eventTime,
      reportedUrls: [...this.urls],
      reportedDomains: [...this.domains],
      reporter: result.reporter,
      ...(result.externalId ? { externalId: result.externalId.slice(0, 500) } : {}),
      evidenceSummary: evidenceSummary(result.evidence),
      confidence: result.confidence,
      warnings: unique([...this.sourceNotes, ...this.warnings]),
    });
    if (!report.success) return failure(`internal error building the report: ${report.error.issues[0]?.message ?? 'invalid'}`, this.format);
    return { ok: true, report: report.data };
  }
}

/** A reporter with only the fields that are present and readable. */
export function reporterOf(fields: { name?: unknown; org?: unknown; email?: unknown; domain?: unknown }): Reporter {
  const out: Reporter = {};
  for (const key of ['name', 'org', 'email', 'domain'] as const) {
    const v = fields[key];
    if (typeof v === 'string' && v.trim() !== '') out[key] = v.trim().slice(0, 200);
  }
  if (!out.domain && out.email) {
    const d = normaliseDomain(out.email.split('@')[1] ?? '');
    if (d) out.domain = d;
  }
  return out;
}

/** An integer port, if the value is one. */
export function portOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}
