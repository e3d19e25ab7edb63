// ARF (RFC 5965): a multipart/report whose message/feedback-report part describes the abuse and whose last part is the original.
import { ARF_FEEDBACK_TYPE_MAP } from './categories';
import { portOf, ReportDraft, reporterOf } from './draft';
import { firstHeader, fromAddress, headerValues, leafText, originalMessage, originalSummary, parseFieldBlock, receivedFromIp, type LoadedMail } from './mime';
import { parseDate } from './text';
import { failure, type ParseOutcome } from './types';

const FEEDBACK_PART = 'message/feedback-report';

/** A mail is ARF when it says so (report-type=feedback-report) or carries a feedback-report part. */
export function isArfMail(mail: LoadedMail): boolean {
  const ct = mail.parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const declared = ct?.value === 'multipart/report' && (ct.params?.['report-type'] ?? '').toLowerCase() === 'feedback-report';
  return declared || mail.leaves.some((l) => l.contentType === FEEDBACK_PART);
}

export async function parseArf(mail: LoadedMail): Promise<ParseOutcome> {
  const draft = new ReportDraft('arf');
  const feedbackLeaf = mail.leaves.find((l) => l.contentType === FEEDBACK_PART);
  if (!feedbackLeaf) return failure('ARF report without a message/feedback-report part', 'arf');
  const fields = await parseFieldBlock(await leafText(feedbackLeaf));
  const field = (name: string) => firstHeader(fields, name);
  const all = (name: string) => headerValues(fields, name);

  const feedbackType = field('feedback-type')?.toLowerCase();
  if (!feedbackType) return failure('ARF feedback report without a Feedback-Type field', 'arf');
  if (feedbackType === 'not-spam') return failure("ARF Feedback-Type 'not-spam' says the message was wanted: nothing to act on", 'arf');
  let category = ARF_FEEDBACK_TYPE_MAP[feedbackType];
  if (!category) {
    draft.warn(`unknown Feedback-Type '${feedbackType.slice(0, 40)}'; treated as 'other' (spam)`);
    category = 'spam';
  }
  for (const required of ['user-agent', 'version']) {
    if (!field(required)) draft.warn(`the feedback report lacks the required ${required === 'version' ? 'Version' : 'User-Agent'} field`);
  }

  const original = await originalMessage(mail);
  const sourceIp = field('source-ip');
  if (sourceIp) draft.ips.add(sourceIp, 'Source-IP');
  else {
    const derived = receivedFromIp(original);
    if (derived) {
      draft.ips.add(derived, "the original's Received header");
      draft.warn(`no Source-IP field; source taken from the original message's top Received header (${derived})`);
    } else draft.warn('no Source-IP field and no address in the original message');
  }
  for (const domain of all('reported-domain')) draft.addDomain(domain, 'Reported-Domain');
  for (const uri of all('reported-uri')) {
    if (/^(https?|ftp):/i.test(uri)) draft.addUrl(uri, 'Reported-Uri');
    else draft.warn(`Reported-Uri '${uri.slice(0, 60)}' is not a web address; kept in the evidence only`);
  }

  const eventTime = eventTimeOf(field('arrival-date'), field('received-date'), firstHeader(mail.parsed, 'date'), draft);
  const from = fromAddress(mail.parsed);
  const strict = Boolean(sourceIp && field('user-agent') && field('version'));
  const human = mail.leaves[0] && mail.leaves[0].contentType === 'text/plain' ? (await leafText(mail.leaves[0])).slice(0, 800) : undefined;
  return draft.finish({
    category,
    reportedAs: `Feedback-Type: ${feedbackType}`,
    eventTime,
    reporter: reporterOf({ name: from.name, email: from.email }),
    confidence: strict ? 'high' : 'medium',
    externalId: firstHeader(mail.parsed, 'message-id'),
    sourcePort: portOf(field('source-port')),
    evidence: [
      `ARF feedback report (${feedbackType}) from ${field('user-agent') ?? 'an unnamed agent'}${mail.parsed.subject ? `\nSubject: ${mail.parsed.subject}` : ''}`,
      ['original-mail-from', 'original-rcpt-to', 'authentication-results', 'auth-failure', 'delivery-result', 'incidents', 'source', 'abuse-type']
        .flatMap((name) => all(name).slice(0, 3).map((v) => `${name}: ${v}`))
        .join('\n'),
      originalSummary(original),
      human ? `message:\n${human}` : undefined,
    ],
  });
}

/** RFC 5965 Arrival-Date, else the legacy Received-Date, else the report mail's own Date. */
function eventTimeOf(arrival: string | undefined, received: string | undefined, mailDate: string | undefined, draft: ReportDraft): Date | null {
  const candidates: [string, string | undefined][] = [['Arrival-Date', arrival], ['Received-Date', received], ["the report mail's Date", mailDate]];
  for (const [i, [name, value]] of candidates.entries()) {
    if (!value) continue;
    const time = parseDate(value);
    if (!time) {
      draft.warn(`${name} '${value.slice(0, 60)}' is not a date`);
      continue;
    }
    if (i > 0) draft.warn(`no usable Arrival-Date; event time taken from ${name}`);
    return time;
  }
  draft.warn('the report gives no event time');
  return null;
}
