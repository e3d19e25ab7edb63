// Reading mail: mailparser for headers, addresses and decoding; its own MIME splitter (mailsplit) to keep parts apart.
import type { Transform } from 'node:stream';
import { Splitter } from '@zone-eu/mailsplit';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { findIps } from './ips';

export type LineEndings = 'crlf' | 'lf' | 'cr' | 'none';

export interface MimeLeaf {
  contentType: string;
  filename?: string;
  disposition?: string;
  charset?: string;
  /** The part's own header block and still-encoded body: a message mailparser can decode on its own. */
  raw: Buffer;
}

export interface LoadedMail {
  parsed: ParsedMail;
  leaves: MimeLeaf[];
  lineEndings: LineEndings;
}

const PARSER_LIMITS = { maxHeadSize: 256 * 1024, maxChildNodes: 200 } as const;

/** How the first line of the bytes ends (the mac variants of old reports use a bare CR). */
export function detectLineEndings(bytes: Uint8Array): LineEndings {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) return 'lf';
    if (bytes[i] === 0x0d) return bytes[i + 1] === 0x0a ? 'crlf' : 'cr';
  }
  return 'none';
}

/** mailparser splits lines on LF only, so CR-only mail becomes LF mail first; CRLF and LF pass unchanged. */
export function normaliseLineEndings(bytes: Uint8Array): { bytes: Buffer; lineEndings: LineEndings } {
  const lineEndings = detectLineEndings(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (lineEndings !== 'cr') return { bytes: buf, lineEndings };
  const out = Buffer.from(buf);
  for (let i = 0; i < out.length; i++) if (out[i] === 0x0d && out[i + 1] !== 0x0a) out[i] = 0x0a;
  return { bytes: out, lineEndings };
}

/** Every non-multipart part, in order; embedded messages stay whole (a forwarded original is one part). */
export function splitLeaves(bytes: Buffer): Promise<MimeLeaf[]> {
  return new Promise((resolve, reject) => {
    const splitter = new Splitter({ ignoreEmbedded: true, ...PARSER_LIMITS });
    const leaves: MimeLeaf[] = [];
    let current: { leaf: Omit<MimeLeaf, 'raw'>; chunks: Buffer[] } | null = null;
    const close = () => {
      if (current) leaves.push({ ...current.leaf, raw: Buffer.concat(current.chunks) });
      current = null;
    };
    splitter.on('data', (data: {
      type: string;
      value?: Buffer;
      multipart?: string | false;
      contentType?: string | false;
      filename?: string | false;
      disposition?: string | false;
      charset?: string | false;
      getHeaders?: () => Buffer;
    }) => {
      if (data.type === 'node') {
        close();
        if (!data.multipart && data.getHeaders) {
          current = {
            leaf: {
              contentType: (data.contentType || 'text/plain').toLowerCase(),
              ...(data.filename ? { filename: data.filename } : {}),
              ...(data.disposition ? { disposition: data.disposition } : {}),
              ...(data.charset ? { charset: data.charset } : {}),
            },
            chunks: [data.getHeaders()],
          };
        }
      } else if (data.type === 'body' && current && data.value) {
        current.chunks.push(data.value);
      }
    });
    // mailsplit's typings declare only 'data'; it is a Transform stream underneath.
    const stream = splitter as unknown as Transform;
    stream.on('error', reject);
    stream.on('end', () => {
      close();
      resolve(leaves);
    });
    splitter.end(bytes);
  });
}

export async function parseMail(bytes: Buffer): Promise<ParsedMail> {
  return simpleParser(bytes, { ignoreEmbedded: true, skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true, checksumAlgo: false, ...PARSER_LIMITS });
}

/** Parses a whole mail (any line endings) into its headers, text and separate parts. */
export async function loadMail(input: Uint8Array): Promise<LoadedMail> {
  const { bytes, lineEndings } = normaliseLineEndings(input);
  const [parsed, leaves] = await Promise.all([parseMail(bytes), splitLeaves(bytes)]);
  return { parsed, leaves, lineEndings };
}

/** A part's decoded content: text for text parts (charset applied), the bytes otherwise. */
export async function leafContent(leaf: MimeLeaf): Promise<{ text?: string; bytes: Buffer }> {
  const part = await parseMail(leaf.raw);
  const attachment = part.attachments[0];
  if (leaf.contentType === 'text/plain' || leaf.contentType === 'text/html') {
    // A text part marked as an attachment comes back undecoded from its charset.
    const text = part.text ?? (attachment ? decodeCharset(attachment.content, leaf.charset) : '');
    return { text, bytes: Buffer.from(text, 'utf8') };
  }
  return { bytes: attachment ? attachment.content : Buffer.alloc(0) };
}

function decodeCharset(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes); // an unknown charset label: UTF-8 is the best guess
  }
}

/** A part read as text whatever its declared type (feedback reports and YAML parts are text under other names). */
export async function leafText(leaf: MimeLeaf): Promise<string> {
  const content = await leafContent(leaf);
  return content.text ?? new TextDecoder('utf-8').decode(content.bytes);
}

/** Raw values of a header field, unfolded, in order (mailparser keeps repeated unknown fields only as header lines). */
export function headerValues(mail: ParsedMail, name: string): string[] {
  const key = name.toLowerCase();
  return mail.headerLines
    .filter((h) => h.key === key)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim())
    .filter((v) => v !== '');
}

export function firstHeader(mail: ParsedMail, name: string): string | undefined {
  return headerValues(mail, name)[0];
}

/** The first address of From (name and e-mail), if any. */
export function fromAddress(mail: ParsedMail): { name?: string; email?: string } {
  const from = mail.from as AddressObject | undefined;
  const first = from?.value?.[0];
  if (!first) return {};
  return { ...(first.name ? { name: first.name } : {}), ...(first.address ? { email: first.address } : {}) };
}

/** A block of `Name: value` fields (a message/feedback-report body) read with the same header parser. */
export async function parseFieldBlock(text: string): Promise<ParsedMail> {
  return parseMail(Buffer.from(`${text.replace(/^\s+/, '')}\n\n`, 'utf8'));
}

// The forwarded original inside a report: ARF's last part, or a complaint's attached message.
const ORIGINAL_PARTS = new Set(['message/rfc822', 'text/rfc822-headers', 'text/rfc822-header', 'message/rfc822-headers']);

/** The original message's headers (a forwarded message, or only its header block). */
export async function originalMessage(mail: LoadedMail): Promise<ParsedMail | null> {
  const leaf = mail.leaves.find((l) => ORIGINAL_PARTS.has(l.contentType));
  if (!leaf) return null;
  const content = await leafContent(leaf);
  const bytes = content.text !== undefined ? Buffer.from(content.text, 'utf8') : content.bytes;
  return bytes.length ? parseMail(bytes) : null;
}

/** The address the reporting MTA received the original from: the first bracketed or parenthesised address of the top Received. */
export function receivedFromIp(original: ParsedMail | null): string | undefined {
  const top = original ? headerValues(original, 'received')[0] : undefined;
  if (!top) return undefined;
  const fromClause = top.split(/\bby\b/i)[0] ?? top;
  return findIps(fromClause).find((ip) => ip.range !== 'loopback')?.address;
}

/** What an analyst wants to see of the original: who, what, through which hosts. */
export function originalSummary(original: ParsedMail | null): string | undefined {
  if (!original) return undefined;
  const lines = [
    ...headerValues(original, 'received').slice(0, 3).map((r) => `Received: ${r}`),
    ...['From', 'To', 'Subject', 'Date', 'Message-ID'].flatMap((h) => {
      const v = firstHeader(original, h);
      return v ? [`${h}: ${v}`] : [];
    }),
  ];
  return lines.length ? `original message:\n${lines.join('\n')}` : undefined;
}
