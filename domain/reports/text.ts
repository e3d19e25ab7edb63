// Small text helpers shared by the parsers: URLs and domains (validated by the WHATWG URL parser), dates, evidence text.
import { EVIDENCE_SUMMARY_MAX } from './types';

export const MAX_URLS = 100;

const URL_CANDIDATE = /\b(?:https?|hxxps?|ftp|fxp):\/\/[^\s<>"'`{}|\\^]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}>'"]+$/;

/** Undoes the usual defanging (`hxxp://`, `[.]`) so a reported URL can be matched against what we host. */
export function refang(text: string): string {
  return text
    .replace(/\bhxxp(s?):\/\//gi, 'http$1://')
    .replace(/\bfxp:\/\//gi, 'ftp://')
    .replace(/\[\.\]|\(\.\)|\{\.\}/g, '.')
    .replace(/\[:\]/g, ':');
}

/** A URL worth acting on: http, https or ftp, with a host; returns the parser's canonical form. */
export function normaliseUrl(value: string): string | null {
  const text = refang(value.trim());
  if (text.length > 2048 || /[\s\u0000-\u001f]/.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'ftp:'].includes(url.protocol) || url.hostname === '') return null;
  return url.href;
}

/** Every acceptable URL in free text, in order, without duplicates. */
export function findUrls(text: string): string[] {
  const out = new Set<string>();
  for (const m of refang(text).matchAll(URL_CANDIDATE)) {
    const url = normaliseUrl(m[0].replace(TRAILING_PUNCTUATION, ''));
    if (url) out.add(url);
    if (out.size >= MAX_URLS) break;
  }
  return [...out];
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A registrable-looking DNS name (at least two labels, alphabetic or IDNA top label), lower-cased; else null. */
export function normaliseDomain(value: string): string | null {
  const name = value.trim().toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) return null;
  const labels = name.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  const top = labels[labels.length - 1]!;
  return /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(top) ? name : null;
}

/** The host of a URL when it is a name (not an address literal). */
export function urlDomain(url: string): string | null {
  try {
    return normaliseDomain(new URL(url).hostname);
  } catch {
    return null;
  }
}

// Zone abbreviations seen in abuse mail that Date.parse does not know (it knows UT, GMT and the US zones).
const ZONE_OFFSETS: Record<string, string> = {
  UTC: '+0000', WET: '+0000', WEST: '+0100', BST: '+0100', CET: '+0100', MET: '+0100', CEST: '+0200', MEST: '+0200',
  EET: '+0200', EEST: '+0300', MSK: '+0300', HKT: '+0800', SGT: '+0800', JST: '+0900', KST: '+0900',
  AEST: '+1000', AEDT: '+1100', NZST: '+1200', NZDT: '+1300',
};

/** Parses an RFC 5322 or ISO 8601 date as reports write them; null when it does not name a plausible time. */
export function parseDate(value: unknown): Date | null {
  if (value instanceof Date) return plausible(value);
  if (typeof value !== 'string') return null;
  const text = value.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (text === '' || text.length > 100) return null;
  let ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    const zone = /\s([A-Z]{3,4})$/.exec(text);
    const offset = zone ? ZONE_OFFSETS[zone[1]!] : undefined;
    if (offset) ms = Date.parse(`${text.slice(0, zone!.index)} ${offset}`);
  }
  return Number.isNaN(ms) ? null : plausible(new Date(ms));
}

/** True when an ISO 8601 text carries no zone, which Date.parse would read as local time. */
export function lacksZone(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(value.trim());
}

function plausible(d: Date): Date | null {
  const year = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || year < 1990 || year > 2200 ? null : d;
}

const ISO_IN_TEXT = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b/g;
const RFC5322_IN_TEXT =
  /\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?(?:\s+(?:[+-]\d{4}|[A-Z]{2,4}))?/g;

/** The first time written in free text, with a note when its zone had to be assumed. */
export function findFirstTime(text: string): { time: Date; assumedUtc: boolean } | null {
  const hits: { index: number; raw: string }[] = [];
  for (const re of [ISO_IN_TEXT, RFC5322_IN_TEXT]) {
    let seen = 0;
    for (const m of text.matchAll(re)) {
      hits.push({ index: m.index ?? 0, raw: m[0] });
      if (++seen >= 20) break; // the first plausible one is wanted, a few spares cover implausible years
    }
  }
  hits.sort((a, b) => a.index - b.index);
  for (const hit of hits) {
    const zoneless = lacksZone(hit.raw) || /\d{2}:\d{2}(?::\d{2})?$/.test(hit.raw);
    const time = parseDate(zoneless ? `${hit.raw.replace(' ', 'T')}Z` : hit.raw) ?? parseDate(hit.raw);
    if (time) return { time, assumedUtc: zoneless };
  }
  return null;
}

/** Removes what must never reach an analyst's screen from attacker text: control and bidi-override characters. */
export function sanitise(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufffe\uffff]/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Joins labelled sections into the evidence summary: plain text, sanitised, at most EVIDENCE_SUMMARY_MAX characters. */
export function evidenceSummary(sections: (string | undefined | null | false)[], max = EVIDENCE_SUMMARY_MAX): string {
  const text = sanitise(sections.filter((s): s is string => typeof s === 'string' && s.trim() !== '').join('\n\n'));
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[... ${text.length - max} more characters not shown]`;
}

/** One line per field for the summary; nested values are shown as compact JSON. */
export function fieldLines(fields: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (skip.has(key) || value === undefined || value === null || value === '') continue;
    const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
    lines.push(`${key}: ${shown.length > 300 ? `${shown.slice(0, 297)}...` : shown}`);
  }
  return lines.join('\n');
}

/** Decodes base64 evidence when it is readable text; null for binary or invalid payloads. */
export function decodeTextPayload(payload: string, maxChars = 1500): string | null {
  const compact = payload.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  const bytes = Buffer.from(compact, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, maxChars * 4));
  const bad = (text.match(/[\u0000-\u0008\u000e-\u001f\ufffd]/g) ?? []).length;
  if (bad > text.length / 20) return null;
  return text.length > maxChars ? `${text.slice(0, maxChars)}...` : text;
}

/** A JSON value as a plain object, or null. */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A non-empty trimmed string field, or undefined. */
export function str(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Keeps list entries in first-seen order without repeats. */
export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}
