// Indicators of compromise an analyst looks for: IP addresses or networks, domains (a domain matches its subdomains),
// SHA-256 hashes, and regular expressions. Addresses and domains are validated and made canonical before matching,
// so 2001:DB8::1 in a log matches 2001:db8:0::1 in the list.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseIpKey, parseIpv4Key } from '../flows/logs/address';
import { parseIpOrCidr } from '../reports/ips';
import { normaliseDomain } from '../reports/text';

export const INDICATOR_TYPES = ['ip', 'domain', 'sha256', 'regex'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export interface Indicator {
  type: IndicatorType;
  /** An address or CIDR network, a domain, a SHA-256 in hex, or a regular expression's source. */
  value: string;
  /** Regex flags among i, m, s, u. */
  flags?: string;
  /** What the analyst calls it in the report ("C2 server"). */
  label?: string;
}

export const MAX_INDICATORS = 1000;
/** Longest regex source accepted: analysts' patterns run over a tenant's logs, and must stay readable. */
export const MAX_REGEX_LENGTH = 500;
/** Regexes only see this much of a line, bounding the cost of a pathological pattern on a huge line. */
export const REGEX_LINE_LIMIT = 8192;

export const IndicatorSchema = z.strictObject({
  type: z.enum(INDICATOR_TYPES),
  value: z.string().trim().min(1).max(MAX_REGEX_LENGTH),
  flags: z.string().regex(/^[imsu]{0,4}$/, 'regex flags may only be i, m, s and u').optional(),
  label: z.string().trim().min(1).max(200).optional(),
}) satisfies z.ZodType<Indicator>;

export const IndicatorListSchema = z.array(IndicatorSchema).max(MAX_INDICATORS);

/** Indicators ready to match: IPv4 as integers (the hot path), IPv6 by canonical text, look-up tables elsewhere. */
export interface CompiledIndicators {
  /** The usable indicators, values in canonical form (addresses as RFC 5952, domains and hashes lower-case). */
  indicators: Indicator[];
  v4: Map<number, Indicator>;
  v4Networks: { base: number; mask: number; indicator: Indicator }[];
  v6: Map<string, Indicator>;
  v6Networks: { range: [ipaddr.IPv6, number]; indicator: Indicator }[];
  domains: Map<string, Indicator>;
  hashes: Map<string, Indicator>;
  regexes: { re: RegExp; indicator: Indicator }[];
}

/** Validates and compiles; each indicator that cannot be used is explained and left out. */
export function compileIndicators(list: readonly Indicator[]): { compiled: CompiledIndicators; errors: string[] } {
  const compiled: CompiledIndicators = { indicators: [], v4: new Map(), v4Networks: [], v6: new Map(), v6Networks: [], domains: new Map(), hashes: new Map(), regexes: [] };
  const errors: string[] = [];
  list.slice(0, MAX_INDICATORS).forEach((raw, i) => {
    const at = `indicator ${i + 1}`;
    const parsed = IndicatorSchema.safeParse(raw);
    if (!parsed.success) return errors.push(`${at}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    let ind = parsed.data;
    switch (ind.type) {
      case 'ip': {
        const ip = parseIpOrCidr(ind.value);
        if (!ip.ok) return errors.push(`${at}: ${ip.reason}`);
        ind = { ...ind, value: ip.ip.address };
        const [address, prefix] = ip.ip.address.split('/') as [string, string | undefined];
        if (ip.ip.version === 4) {
          const base = parseIpv4Key(address)!;
          if (prefix === undefined) compiled.v4.set(base, ind);
          else compiled.v4Networks.push({ base, mask: prefix === '0' ? 0 : -1 << (32 - Number(prefix)), indicator: ind });
        } else if (prefix === undefined) compiled.v6.set(address, ind);
        else compiled.v6Networks.push({ range: [ipaddr.IPv6.parse(address), Number(prefix)], indicator: ind });
        break;
      }
      case 'domain': {
        const domain = normaliseDomain(ind.value);
        if (!domain) return errors.push(`${at}: '${ind.value.slice(0, 80)}' is not a domain name`);
        ind = { ...ind, value: domain };
        compiled.domains.set(domain, ind);
        break;
      }
      case 'sha256': {
        const hash = ind.value.toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(hash)) return errors.push(`${at}: a SHA-256 is 64 hexadecimal digits`);
        ind = { ...ind, value: hash };
        compiled.hashes.set(hash, ind);
        break;
      }
      case 'regex': {
        try {
          // No g or y flag: a shared lastIndex would make matches depend on the line before.
          compiled.regexes.push({ re: new RegExp(ind.value, ind.flags ?? ''), indicator: ind });
        } catch (err) {
          return errors.push(`${at}: not a regular expression: ${(err as Error).message}`);
        }
        break;
      }
    }
    compiled.indicators.push(ind);
  });
  if (list.length > MAX_INDICATORS) errors.push(`only the first ${MAX_INDICATORS} of ${list.length} indicators are used`);
  return { compiled, errors };
}

export interface TextHit {
  indicator: Indicator;
  /** The text that matched, as it appears in the line. */
  matched: string;
  /** 1-based column (UTF-16 code units) of the match. */
  column: number;
}

const IPV4_CANDIDATE = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
// Runs of hex digits, colons and dots holding at least two colons; ipaddr.js decides which are addresses.
const IPV6_CANDIDATE = /(?<![\w:.])(?=[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}(?![\w:])/g;
const DOMAIN_CANDIDATE = /(?<![\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9](?![\w-])/g;
const HASH_CANDIDATE = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])/g;

function v4Indicator(key: number, c: CompiledIndicators): Indicator | undefined {
  return c.v4.get(key) ?? c.v4Networks.find((n) => ((key ^ n.base) & n.mask) === 0)?.indicator;
}

/** Every indicator hit in one line of text: one per place, in order of column. */
export function matchLine(text: string, c: CompiledIndicators): TextHit[] {
  const hits: TextHit[] = [];
  if (c.v4.size || c.v4Networks.length) {
    for (const m of text.matchAll(IPV4_CANDIDATE)) {
      const key = parseIpv4Key(m[0]);
      const indicator = key === undefined ? undefined : v4Indicator(key, c);
      if (indicator) hits.push({ indicator, matched: m[0], column: m.index + 1 });
    }
  }
  if (c.v4.size || c.v4Networks.length || c.v6.size || c.v6Networks.length) {
    for (const m of text.matchAll(IPV6_CANDIDATE)) {
      const candidate = m[0];
      // An address has '::' or at least six colons: times (05:12:01) and most MACs end here, before ipaddr.js.
      if (!candidate.includes('::') && candidate.split(':').length < 7) continue;
      const key = parseIpKey(candidate);
      let indicator: Indicator | undefined;
      if (typeof key === 'number') indicator = v4Indicator(key, c);
      else if (key !== undefined) {
        indicator = c.v6.get(key);
        if (!indicator && c.v6Networks.length) {
          const addr = ipaddr.IPv6.parse(key);
          indicator = c.v6Networks.find((n) => addr.match(n.range))?.indicator;
        }
      }
      if (indicator) hits.push({ indicator, matched: candidate, column: m.index + 1 });
    }
  }
  if (c.domains.size) {
    for (const m of text.matchAll(DOMAIN_CANDIDATE)) {
      const name = m[0].toLowerCase();
      // The name itself, or any parent domain of it that is listed.
      let indicator: Indicator | undefined;
      for (let d = name; d.includes('.') && !indicator; d = d.slice(d.indexOf('.') + 1)) indicator = c.domains.get(d);
      if (indicator) hits.push({ indicator, matched: m[0], column: m.index + 1 });
    }
  }
  if (c.hashes.size) {
    for (const m of text.matchAll(HASH_CANDIDATE)) {
      const indicator = c.hashes.get(m[0].toLowerCase());
      if (indicator) hits.push({ indicator, matched: m[0], column: m.index + 1 });
    }
  }
  if (c.regexes.length) {
    const bounded = text.length > REGEX_LINE_LIMIT ? text.slice(0, REGEX_LINE_LIMIT) : text;
    for (const { re, indicator } of c.regexes) {
      const m = re.exec(bounded);
      if (m) hits.push({ indicator, matched: m[0], column: m.index + 1 });
    }
  }
  return withoutNested(hits.sort((a, b) => a.column - b.column || b.matched.length - a.matched.length));
}

/** One hit per place: `::ffff:192.0.2.1` is one address, not also the IPv4 address inside it. */
function withoutNested(sorted: TextHit[]): TextHit[] {
  const out: TextHit[] = [];
  for (const h of sorted) {
    const end = h.column + h.matched.length;
    if (out.some((o) => o.indicator === h.indicator && o.column <= h.column && o.column + o.matched.length >= end)) continue;
    out.push(h);
  }
  return out;
}

export interface PrintableString {
  /** Byte offset in the artifact. */
  offset: number;
  text: string;
}

/** Runs of printable ASCII at least `minLength` long, as `strings(1)` finds them in memory and disk images. */
export function* printableStrings(bytes: Uint8Array, minLength = 6, maxLength = 4096): Generator<PrintableString> {
  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    const b = i < bytes.length ? bytes[i]! : 0;
    const printable = b >= 0x20 && b <= 0x7e;
    if (printable && start === -1) start = i;
    if ((!printable || i - start >= maxLength) && start !== -1) {
      if (i - start >= minLength) yield { offset: start, text: String.fromCharCode(...bytes.subarray(start, i)) };
      start = printable ? i : -1;
    }
  }
}
