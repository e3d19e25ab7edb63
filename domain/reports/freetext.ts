// Free-text reports (a person's mail or a pasted text): pull out addresses, URLs and a time, and guess the category from words.
import { FREE_TEXT_KEYWORDS } from './categories';
import { ReportDraft, reporterOf } from './draft';
import { findIps } from './ips';
import { firstHeader, fromAddress, originalMessage, originalSummary, receivedFromIp, type LoadedMail } from './mime';
import { findFirstTime, findUrls, parseDate } from './text';
import { failure, type ParseOutcome, type ReportCategory } from './types';

export interface CategoryGuess {
  category: ReportCategory;
  score: number;
  matched: string[];
}

/** Scores each category by keyword hits (the subject counts double); the first-listed category wins a tie. */
export function guessCategory(body: string, subject = ''): CategoryGuess | null {
  let best: CategoryGuess | null = null;
  for (const [category, re] of FREE_TEXT_KEYWORDS) {
    const inBody = [...body.matchAll(re)].map((m) => m[0].toLowerCase());
    const inSubject = [...subject.matchAll(re)].map((m) => m[0].toLowerCase());
    const score = inBody.length + 2 * inSubject.length;
    if (score > 0 && (!best || score > best.score)) best = { category, score, matched: [...new Set([...inSubject, ...inBody])].slice(0, 5) };
  }
  return best;
}

export interface FreeTextInput {
  text: string;
  subject?: string;
  mail?: LoadedMail;
}

export async function parseFreeText(input: FreeTextInput): Promise<ParseOutcome> {
  const draft = new ReportDraft('free-text');
  const subject = input.subject ?? '';
  const searchable = `${subject}\n${input.text}`;
  const original = input.mail ? await originalMessage(input.mail) : null;

  let guess = guessCategory(input.text, subject);
  if (!guess && original) {
    guess = { category: 'spam', score: 0, matched: [] };
    draft.warn('no category keyword; a forwarded e-mail suggests spam');
  }
  if (!guess) return failure('free text: no abuse category could be recognised (no keyword such as spam, phishing, scan, brute force, DDoS, malware, copyright)', 'free-text');
  draft.warn(`category guessed from free text${guess.matched.length ? ` (matched: ${guess.matched.join(', ')})` : ''}; confirm it`);

  for (const ip of findIps(searchable)) draft.ips.addFound(ip);
  draft.addFoundUrls(findUrls(searchable));
  if (draft.ips.size === 0 && original) {
    const derived = receivedFromIp(original);
    if (derived) {
      draft.ips.add(derived, "the forwarded message's Received header");
      draft.warn(`no address in the text; source taken from the forwarded message's top Received header (${derived})`);
    }
  }
  if (draft.ips.size > 1) draft.warn(`${draft.ips.size} addresses found in the text; every one is listed as a source, check which are`);

  let eventTime: Date | null = null;
  const found = findFirstTime(input.text);
  if (found) {
    eventTime = found.time;
    draft.warn(`event time is the first time written in the text${found.assumedUtc ? ', read as UTC (no zone given)' : ''}`);
  } else if (input.mail) {
    eventTime = parseDate(firstHeader(input.mail.parsed, 'date'));
    draft.warn(eventTime ? "no time in the text; used the mail's Date" : 'no time in the text or the mail');
  } else draft.warn('no time in the text');

  const from = input.mail ? fromAddress(input.mail.parsed) : {};
  return draft.finish({
    category: guess.category,
    reportedAs: 'free text',
    eventTime,
    reporter: reporterOf({ name: from.name, email: from.email }),
    confidence: 'low',
    externalId: input.mail ? firstHeader(input.mail.parsed, 'message-id') : undefined,
    evidence: [subject ? `Subject: ${subject}` : undefined, input.text.slice(0, 3000), originalSummary(original)],
  });
}
