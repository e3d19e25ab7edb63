// Legacy X-ARF: v3 JSON (both published dialects) and X-ARF 0.2 (a YAML report inside a mail). Always lenient, with warnings.
import { parse as parseYaml } from 'yaml';
import { xarf02Category, xarfV3Category } from './categories';
import { portOf, ReportDraft, reporterOf } from './draft';
import { firstHeader, fromAddress, leafText, type LoadedMail, type MimeLeaf } from './mime';
import { validateXarfV3 } from './schemas/xarf-v3';
import { asRecord, decodeTextPayload, fieldLines, parseDate, str } from './text';
import { failure, type ParseOutcome, type SchemaDirs } from './types';
import { judgeXarf02 } from './validation';

export function isXarfV3Document(doc: Record<string, unknown>): boolean {
  return /^3(\.|$)/.test(String(doc.Version ?? '')) && ('Report' in doc || 'ReporterInfo' in doc);
}

const V3_SHOWN_ELSEWHERE = new Set([
  'ReportClass', 'ReportType', 'ReportSubType', 'Date', 'SourceIp', 'SourcePort', 'SourceUrl', 'Source', 'Samples',
  'Attachment', 'AdditionalInfo', 'ReporterNotes', 'ReporterCaseID',
]);

export function parseXarfV3(doc: Record<string, unknown>): ParseOutcome {
  const draft = new ReportDraft('xarf-v3');
  const report = asRecord(doc.Report);
  if (!report) return failure('X-ARF v3 document without a Report object', 'xarf-v3');
  const reportType = str(report.ReportType);
  if (!reportType || typeof report.ReportType !== 'string') return failure('X-ARF v3 Report has no ReportType', 'xarf-v3');
  const reportClass = typeof report.ReportClass === 'string' ? report.ReportClass : undefined;
  const category = xarfV3Category(reportClass, reportType);
  if (!category) return failure(`X-ARF v3 ReportType '${reportType.slice(0, 60)}' is not one we know`, 'xarf-v3');

  const verdict = validateXarfV3(doc);
  draft.warn(`X-ARF v3 (${verdict.dialect} dialect) is deprecated; converted leniently`);
  if (!verdict.valid) for (const issue of verdict.issues) draft.warn(`schema: ${issue}`);

  const source = asRecord(report.Source);
  let port = portOf(report.SourcePort ?? source?.Port);
  if (reportType === 'PotentiallyCompromisedAccount' && report.SourceIp === undefined && report.SourceUrl === undefined) {
    // The account lives on the destination's service; that service's operator is the one to tell.
    draft.ips.add(report.DestinationIp, 'Report.DestinationIp');
    if (report.DestinationIp !== undefined) draft.warn('a potentially compromised account: the service at DestinationIp is taken as the subject');
    port = undefined;
  }
  if (source) {
    if (source.IP !== undefined) draft.ips.add(source.IP, 'Report.Source.IP');
    draft.addUrl(source.URL, 'Report.Source.URL');
  }
  if (report.SourceIp !== undefined) draft.ips.add(report.SourceIp, 'Report.SourceIp');
  draft.addUrl(report.SourceUrl, 'Report.SourceUrl');
  draft.addUrl(report.Url, 'Report.Url');
  draft.addDomain(report.RpzDomain, 'Report.RpzDomain');

  const eventTime = parseDate(report.Date) ?? parseDate(report.FirstSeen);
  if (!eventTime) draft.warn(`Report.Date ${report.Date === undefined ? 'is missing' : `'${String(report.Date).slice(0, 40)}' is not a date`}; no event time`);

  const info = asRecord(doc.ReporterInfo) ?? {};
  const behalf = asRecord(doc.OnBehalfOf);
  const reporter = reporterOf({
    name: info.ReporterContactName,
    org: info.ReporterOrg,
    email: info.ReporterOrgEmail ?? info.ReporterContactEmail,
    domain: info.ReporterOrgDomain,
  });
  return draft.finish({
    category,
    reportedAs: [reportClass, reportType, str(report.ReportSubType)].filter(Boolean).join('/'),
    eventTime,
    reporter,
    confidence: 'medium',
    externalId: str(report.ReporterCaseID),
    sourcePort: port,
    evidence: [
      `X-ARF v3 ${[reportClass, reportType, str(report.ReportSubType)].filter(Boolean).join('/')}${reporter.org ? ` from ${reporter.org}` : ''}`,
      behalf && str(behalf.ComplainantOrg) ? `on behalf of ${str(behalf.ComplainantOrg)}` : undefined,
      str(report.ReporterNotes),
      fieldLines(report, V3_SHOWN_ELSEWHERE),
      asRecord(report.AdditionalInfo) ? fieldLines(asRecord(report.AdditionalInfo)!) : undefined,
      ...v3Samples(report.Samples, 'Payload'),
      ...v3Samples(report.Attachment, 'Data'),
    ],
  });
}

function v3Samples(value: unknown, payloadField: 'Payload' | 'Data'): string[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 10).map((item, i) => {
    const s = asRecord(item) ?? {};
    const head = `sample ${i + 1}: [${str(s.ContentType) ?? '?'}] ${str(s.Description) ?? ''}`.trim();
    const payload = s[payloadField];
    if (typeof payload !== 'string') return head;
    // xarf-spec v3 always base64-encodes; abusix says so with Base64Encoded.
    const encoded = payloadField === 'Data' || s.Base64Encoded === true;
    const body = encoded ? decodeTextPayload(payload) : payload.slice(0, 1500);
    return body ? `${head}\n${body}` : head;
  });
}

/** An X-ARF 0.2 report is a few dozen fields; the YAML parser is slow on megabytes. */
const MAX_YAML_CHARS = 256 * 1024;

/** A YAML text as a mapping with string keys, or why not. */
export function parseYamlMapping(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (text.length > MAX_YAML_CHARS) return { ok: false, error: `the YAML report is ${text.length} characters, more than the ${MAX_YAML_CHARS} a report needs` };
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 20, uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    return { ok: false, error: `invalid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}` };
  }
  const record = asRecord(value);
  return record ? { ok: true, value: record } : { ok: false, error: 'the YAML is not a mapping of fields' };
}

function isXarf02Report(doc: Record<string, unknown>): boolean {
  return 'Report-Type' in doc && ('Category' in doc || 'Source' in doc);
}

interface MailContext {
  mail?: LoadedMail;
  humanText?: string;
  evidenceText?: string;
}

export async function parseXarf02Report(doc: Record<string, unknown>, dirs: SchemaDirs, ctx: MailContext = {}): Promise<ParseOutcome> {
  const categoryName = str(doc.Category) ?? '';
  const reportType = str(doc['Report-Type']) ?? '';
  const category = xarf02Category(categoryName, reportType);
  if (!category) return failure(`X-ARF 0.2 Category/Report-Type '${categoryName || '?'}/${reportType || '?'}' is not one we know`, 'xarf-0.2');

  const draft = new ReportDraft('xarf-0.2');
  const judgement = await judgeXarf02(doc, dirs);
  if (judgement.note) draft.warn(judgement.note);
  if (!judgement.verdict.valid) {
    draft.warn(`the YAML report does not validate against the X-ARF 0.2 schema (${judgement.by}); accepted leniently`);
    for (const issue of judgement.verdict.issues) draft.warn(`schema: ${issue}`);
  }

  const sourceType = str(doc['Source-Type'])?.toLowerCase();
  if (sourceType === 'uri') draft.addUrl(doc.Source, 'Source');
  else if (sourceType === 'domain') draft.addDomain(doc.Source, 'Source');
  else if (sourceType) draft.ips.add(doc.Source, 'Source');
  else draft.addSource(typeof doc.Source === 'number' ? String(doc.Source) : doc.Source, 'Source');
  for (const field of ['URL', 'Url', 'URI', 'Download-Link']) draft.addUrl(doc[field], field);
  draft.addDomain(doc.Domain, 'Domain');

  const mailDate = ctx.mail ? parseDate(firstHeader(ctx.mail.parsed, 'date')) : null;
  let eventTime = parseDate(doc.Date);
  if (!eventTime) {
    draft.warn(`Date ${doc.Date === undefined ? 'is missing' : `'${String(doc.Date).slice(0, 40)}' is not a date`}${mailDate ? "; used the mail's Date" : ''}`);
    eventTime = mailDate;
  }
  const from = ctx.mail ? fromAddress(ctx.mail.parsed) : {};
  const reporter = reporterOf({ name: from.name, email: str(doc['Reported-From']) ?? from.email });
  return draft.finish({
    category,
    reportedAs: `${categoryName}/${reportType}`,
    eventTime,
    reporter,
    confidence: 'medium',
    externalId: str(doc['Report-ID']),
    sourcePort: portOf(doc['Source-Port']),
    evidence: [
      `X-ARF 0.2 ${categoryName}/${reportType}${str(doc['User-Agent']) ? ` (${str(doc['User-Agent'])})` : ''}`,
      ctx.mail?.parsed.subject ? `Subject: ${ctx.mail.parsed.subject}` : undefined,
      fieldLines(doc, new Set(['Category', 'Report-Type', 'User-Agent'])),
      ctx.evidenceText ? `attached evidence:\n${ctx.evidenceText.slice(0, 1500)}` : undefined,
      ctx.humanText ? `message:\n${ctx.humanText.slice(0, 1000)}` : undefined,
    ],
  });
}

const YAML_TYPES = new Set(['text/plain', 'text/yaml', 'text/x-yaml', 'application/yaml', 'application/x-yaml']);

/** An X-ARF 0.2 mail: a human-readable part, the YAML report part, and optional evidence. */
export async function parseXarf02Mail(mail: LoadedMail, dirs: SchemaDirs): Promise<ParseOutcome> {
  let reportIndex = -1;
  let report: Record<string, unknown> | null = null;
  let lastError = '';
  const texts: string[] = [];
  for (const [i, leaf] of mail.leaves.entries()) {
    texts.push(isTextual(leaf) ? await leafText(leaf) : '');
    if (report || !YAML_TYPES.has(leaf.contentType)) continue;
    const parsed = parseYamlMapping(texts[i]!);
    if (parsed.ok && isXarf02Report(parsed.value)) {
      report = parsed.value;
      reportIndex = i;
    } else if (!parsed.ok && /report/i.test(leaf.filename ?? '')) lastError = parsed.error;
  }
  if (!report) return failure(`X-ARF mail without a readable YAML report part${lastError ? ` (${lastError})` : ''}`, 'xarf-0.2');
  const humanText = texts.slice(0, reportIndex).find((t) => t.trim() !== '');
  const evidenceText = texts.slice(reportIndex + 1).find((t) => t.trim() !== '');
  return parseXarf02Report(report, dirs, { mail, humanText, evidenceText });
}

/** A bare YAML report (a file saved from such a mail). */
export async function parseXarf02Text(text: string, dirs: SchemaDirs): Promise<ParseOutcome> {
  const parsed = parseYamlMapping(text);
  if (!parsed.ok) return failure(parsed.error, 'xarf-0.2');
  if (!isXarf02Report(parsed.value)) return failure('YAML document is not an X-ARF 0.2 report (no Report-Type)', 'xarf-0.2');
  return parseXarf02Report(parsed.value, dirs);
}

function isTextual(leaf: MimeLeaf): boolean {
  return leaf.contentType.startsWith('text/') || leaf.contentType.startsWith('message/') || YAML_TYPES.has(leaf.contentType);
}
