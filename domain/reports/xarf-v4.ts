// X-ARF v4 JSON: strict when the document validates, lenient (with warnings) for 4.0-era and slightly broken documents.
import { reputationCategory, XARF_V4_TYPE_ALIASES, xarfV4Category } from './categories';
import { portOf, ReportDraft, reporterOf } from './draft';
import { asRecord, decodeTextPayload, fieldLines, lacksZone, parseDate, str } from './text';
import { failure, type ParseOutcome, type SchemaDirs } from './types';
import { judgeXarfV4 } from './validation';

/** Fields the summary does not repeat (they are shown elsewhere or are noise to an analyst). */
const CORE_FIELDS = new Set([
  'xarf_version', 'report_id', 'timestamp', 'reporter', 'sender', 'source_identifier', 'source_port', 'category', 'class',
  'type', 'evidence', 'tags', 'description', '_internal', 'legacy_version', 'confidence',
]);

/** URL fields that name the abusive resource itself (never the victim: target_url and destination_* are the victim's). */
const ABUSIVE_URL_FIELDS = ['url', 'infringing_url', 'submission_url'] as const;

export function isXarfV4Document(doc: Record<string, unknown>): boolean {
  return typeof doc.xarf_version === 'string' || typeof doc.xarf_version === 'number';
}

function normaliseType(category: string, type: string): string {
  const t = type.trim().toLowerCase().replace(/[-\s]+/g, '_');
  return XARF_V4_TYPE_ALIASES[`${category}/${t}`] ?? t;
}

export async function parseXarfV4(doc: Record<string, unknown>, dirs: SchemaDirs): Promise<ParseOutcome> {
  const judgement = await judgeXarfV4(doc, dirs);
  const strict = judgement.verdict.valid;
  const draft = new ReportDraft(strict ? 'xarf-v4' : 'xarf-v4-lenient');
  if (judgement.note) draft.warn(judgement.note);

  // 4.0-era drafts called the category `class`.
  const category = (str(doc.category) ?? str(doc.class) ?? '').toLowerCase();
  const type = normaliseType(category, str(doc.type) ?? '');
  let mapped = xarfV4Category(category, type);
  if (!mapped) {
    const issues = judgement.verdict.valid ? [] : judgement.verdict.issues;
    return failure(
      `not an X-ARF v4 report we can use: category/type '${category || '?'}/${type || '?'}' is not defined${issues.length ? `; ${issues.slice(0, 5).join('; ')}` : ''}`,
      'xarf-v4',
    );
  }
  if (!judgement.verdict.valid) {
    draft.warn(`accepted leniently: the document does not validate against the X-ARF v4 schema (${judgement.by})`);
    for (const issue of judgement.verdict.issues) draft.warn(`schema: ${issue}`);
  }
  if (category === 'reputation') mapped = reputationCategory(str(doc.threat_type)) ?? mapped;

  draft.addSource(doc.source_identifier, 'source_identifier');
  for (const field of ABUSIVE_URL_FIELDS) draft.addUrl(doc[field], field);
  for (const url of Array.isArray(doc.redirect_chain) ? doc.redirect_chain : []) draft.addUrl(url, 'redirect_chain');
  const indicators = asRecord(doc.spam_indicators);
  for (const url of Array.isArray(indicators?.suspicious_links) ? indicators.suspicious_links : []) draft.addUrl(url, 'spam_indicators.suspicious_links');
  if (category === 'content') draft.addDomain(doc.domain, 'domain');

  const eventTime = eventTimeOf(doc, draft);
  const reporterDoc = asRecord(doc.reporter) ?? {};
  const senderDoc = asRecord(doc.sender);
  const reporter = reporterOf({ org: reporterDoc.org, email: reporterDoc.contact, domain: reporterDoc.domain });
  const sentBy = senderDoc && str(senderDoc.org) && senderDoc.org !== reporterDoc.org ? `sent by ${str(senderDoc.org)} <${str(senderDoc.contact) ?? '?'}>` : undefined;

  return draft.finish({
    category: mapped,
    reportedAs: `${category}/${type}`,
    eventTime,
    reporter,
    confidence: strict ? 'high' : 'medium',
    externalId: str(doc.report_id),
    sourcePort: portOf(doc.source_port),
    evidence: [
      `X-ARF ${str(doc.xarf_version) ?? '4'} ${category}/${type}${reporter.org ? ` from ${reporter.org}` : ''}${sentBy ? `, ${sentBy}` : ''}`,
      str(doc.description),
      fieldLines(doc, CORE_FIELDS),
      Array.isArray(doc.tags) ? `tags: ${doc.tags.filter((t) => typeof t === 'string').join(', ')}` : undefined,
      ...evidenceItems(doc.evidence),
    ],
  });
}

function eventTimeOf(doc: Record<string, unknown>, draft: ReportDraft): Date | null {
  for (const field of ['timestamp', 'first_seen'] as const) {
    const raw = str(doc[field]);
    if (!raw) continue;
    const zoneless = lacksZone(raw);
    const time = parseDate(zoneless ? `${raw}Z` : raw);
    if (time) {
      if (zoneless) draft.warn(`${field} '${raw}' has no time zone; read as UTC`);
      if (field !== 'timestamp') draft.warn(`no usable timestamp; event time taken from ${field}`);
      return time;
    }
    draft.warn(`${field} '${raw.slice(0, 60)}' is not a date-time`);
  }
  draft.warn('the report gives no event time');
  return null;
}

/** Evidence items as analysts need them: what each is, and the text itself when it is text. */
function evidenceItems(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 10).map((item, i) => {
    const e = asRecord(item) ?? {};
    const contentType = str(e.content_type) ?? 'unknown type';
    const head = `evidence ${i + 1}: [${contentType}] ${str(e.description) ?? ''}`.trim();
    const readable = /^(text\/|message\/|application\/(json|xml))/i.test(contentType) && typeof e.payload === 'string' ? decodeTextPayload(e.payload) : null;
    return readable ? `${head}\n${readable}` : head;
  });
}
