// JSON Schema formats as zod types, with the meaning the published schemas give them under ajv-formats' full mode.
import { z } from 'zod';
import { isIpAddress } from '../ips';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDay(y: number, m: number, d: number): boolean {
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1]!;
}

/** RFC 3339 date-time with a mandatory zone (format "date-time"). */
export function isDateTime(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi, s, zh, zm] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  return validDay(y!, mo!, d!) && h! <= 23 && mi! <= 59 && s! <= 60 && zh! <= 23 && zm! <= 59;
}

export function isFullDate(value: string): boolean {
  const m = FULL_DATE.exec(value);
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** RFC 1123 host name (format "hostname"). */
export function isHostname(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/** An absolute URI with a scheme and no white space (format "uri"). */
export function isUri(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:[^\s\u0000-\u001f]*$/i.test(value)) return false;
  return URL.canParse(value);
}

export function isIpv4(value: string): boolean {
  return !value.includes(':') && isIpAddress(value);
}

export function isIpv6(value: string): boolean {
  return value.includes(':') && isIpAddress(value);
}

export const dateTime = z.string().refine(isDateTime, { message: 'must be an RFC 3339 date-time with a time zone' });
export const fullDate = z.string().refine(isFullDate, { message: 'must be a date (YYYY-MM-DD)' });
export const hostname = z.string().refine(isHostname, { message: 'must be a host name' });
export const uri = z.string().refine(isUri, { message: 'must be an absolute URI' });
export const email = z.email({ message: 'must be an e-mail address' });
export const ipv4 = z.string().refine(isIpv4, { message: 'must be an IPv4 address' });
export const ipv6 = z.string().refine(isIpv6, { message: 'must be an IPv6 address' });
export const ipAddress = z.string().refine(isIpAddress, { message: 'must be an IPv4 or IPv6 address' });
export const port = z.int().min(1).max(65535);
export const count = (min: number) => z.int().min(min);
export const share = z.number().min(0).max(1);
export const text = (max: number) => z.string().max(max);
export const list = <T extends z.ZodType>(item: T) => z.array(item);

/** zod issues as `path: message` lines a person can act on. */
export function issueLines(error: z.ZodError, limit = 20): string[] {
  const lines = error.issues.slice(0, limit).map((i) => `${i.path.length ? i.path.join('.') : '(document)'}: ${i.message}`);
  if (error.issues.length > limit) lines.push(`... and ${error.issues.length - limit} more problems`);
  return lines;
}
