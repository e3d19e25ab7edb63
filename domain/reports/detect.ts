// The single intake entry: sniff the format of some bytes and hand them to the right parser. Never throws for bad input.
import { config } from '../../lib/config';
import { isArfMail, parseArf } from './arf';
import { parseFreeText } from './freetext';
import { firstHeader, leafContent, loadMail, type LoadedMail } from './mime';
import { asRecord } from './text';
import { DEFAULT_MAX_REPORT_BYTES, failure, type ParseHint, type ParseOptions, type ParseOutcome, type SchemaDirs } from './types';
import { isXarfV3Document, parseXarf02Mail, parseXarf02Report, parseXarf02Text, parseXarfV3 } from './xarf-legacy';
import { isXarfV4Document, parseXarfV4 } from './xarf-v4';

export type SniffedKind = 'json' | 'yaml' | 'mail' | 'text';

/** The published-schema folders the configuration names (unset: built-in zod schemas only). */
export function configuredSchemaDirs(): SchemaDirs {
  const c = config();
  return { xarfV4: c.XARF_SCHEMA_DIR ?? null, xarf02: c.XARF_V02_SCHEMA_DIR ?? null };
}

/** Parses one report from any channel into the normalised form, or says clearly why it cannot. */
export async function parseReport(bytes: Uint8Array, hint: ParseHint = {}, options: ParseOptions = {}): Promise<ParseOutcome> {
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_REPORT_BYTES;
    if (bytes.byteLength === 0) return failure('the report is empty');
    if (bytes.byteLength > maxBytes) return failure(`the report is ${bytes.byteLength} bytes, more than the ${maxBytes} accepted`);
    const body = stripBom(bytes);
    if ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff)) {
      return failure('the report is UTF-16 text; send it as UTF-8');
    }
    if (looksBinary(body)) return failure('the report is binary data, not text, JSON or e-mail');
    const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
    if (text.trim() === '') return failure('the report is empty (only white space)');
    const dirs = options.schemaDirs ?? configuredSchemaDirs();
    switch (sniff(text, hint)) {
      case 'json':
        return await parseJson(text, dirs);
      case 'yaml':
        return await parseXarf02Text(text, dirs);
      case 'mail':
        return await parseMailReport(await loadMail(body), dirs);
      case 'text':
        return await parseFreeText({ text });
    }
  } catch (err) {
    // A parser bug must not take the intake down; the report is kept and a person looks at it.
    return failure(`the report could not be parsed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}

function stripBom(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/** NUL bytes or mostly non-text bytes near the start: an image, an archive, random data. */
function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 4096);
  let odd = 0;
  for (const b of head) {
    if (b === 0) return true;
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) odd++;
  }
  if (odd > head.length / 10) return true;
  // Invalid UTF-8 throughout is not a report in any format we read (mail bodies in other charsets are 7-bit encoded).
  const replaced = (new TextDecoder('utf-8', { fatal: false }).decode(head).match(/\ufffd/g) ?? []).length;
  return replaced > head.length / 4;
}

const MAIL_FIELDS = /^(from|received|subject|date|message-id|mime-version|content-type|return-path|to|x-xarf|x-arf|delivered-to)\s*:/i;

/** Decides the format from the hint first, then from the content. */
export function sniff(text: string, hint: ParseHint = {}): SniffedKind {
  const type = (hint.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const ext = (hint.filename ?? '').toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? '';
  if (type === 'application/json' || type.endsWith('+json') || ext === 'json') return 'json';
  if (type === 'message/rfc822' || ext === 'eml') return 'mail';
  if (/^(application|text)\/(x-)?yaml$/.test(type) || ext === 'yaml' || ext === 'yml') return 'yaml';
  const start = text.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) return 'json';
  const head = start.slice(0, 64 * 1024);
  const blockEnd = head.search(/\r?\n\r?\n|\r\r/);
  const lines = (blockEnd === -1 ? head : head.slice(0, blockEnd)).split(/\r\n|\r|\n/).filter((l) => l !== '');
  if (lines[0] === '---') return 'yaml';
  const isYamlReport = lines.some((l) => /^Report-Type\s*:/.test(l)) && lines.some((l) => /^(Reported-From|Category)\s*:/.test(l));
  if (isYamlReport && !lines.some((l) => /^(received|content-type|mime-version|subject|return-path|message-id)\s*:/i.test(l))) return 'yaml';
  if (lines[0]?.startsWith('From ')) lines.shift(); // an mbox separator line
  const fields = lines.filter((l) => /^[!-9;-~]+:/.test(l));
  const everyLineIsHeader = lines.every((l) => /^[!-9;-~]+:/.test(l) || /^[ \t]/.test(l));
  if (everyLineIsHeader && fields.length >= 2 && fields.some((l) => MAIL_FIELDS.test(l))) return 'mail';
  return 'text';
}

async function parseJson(text: string, dirs: SchemaDirs): Promise<ParseOutcome> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return failure(`malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const doc = asRecord(value);
  if (!doc) return failure(`the JSON document is ${Array.isArray(value) ? 'an array' : typeof value}, not an X-ARF report object`);
  return parseJsonDocument(doc, dirs);
}

async function parseJsonDocument(doc: Record<string, unknown>, dirs: SchemaDirs): Promise<ParseOutcome> {
  if (isXarfV4Document(doc)) return parseXarfV4(doc, dirs);
  if (isXarfV3Document(doc)) return parseXarfV3(doc);
  if ('Report-Type' in doc) return parseXarf02Report(doc, dirs);
  if ('Version' in doc && /^3/.test(String(doc.Version))) return failure('X-ARF v3 document without a Report', 'xarf-v3');
  if ('$schema' in doc || ('properties' in doc && doc.type === 'object')) return failure('the JSON document is a JSON Schema, not a report');
  return failure('the JSON document is not an X-ARF report (no xarf_version, no X-ARF v3 Version and Report)');
}

async function parseMailReport(mail: LoadedMail, dirs: SchemaDirs): Promise<ParseOutcome> {
  // X-ARF JSON (v4 or v3) sent as an attachment, whatever the mail's headers say.
  for (const leaf of mail.leaves) {
    if (leaf.contentType !== 'application/json' && !(leaf.filename ?? '').toLowerCase().endsWith('.json')) continue;
    const content = await leafContent(leaf);
    const outcome = await parseJson(content.text ?? new TextDecoder().decode(content.bytes), dirs);
    if (outcome.ok || outcome.format) return outcome;
  }
  if (firstHeader(mail.parsed, 'x-xarf') ?? firstHeader(mail.parsed, 'x-arf')) return parseXarf02Mail(mail, dirs);
  if (isArfMail(mail)) return parseArf(mail);
  return parseFreeText({ text: mail.parsed.text ?? '', subject: mail.parsed.subject, mail });
}
