// Source addresses: validation, canonical form and range classification are ipaddr.js's; we only find candidates.
import ipaddr from 'ipaddr.js';
import type { SourceIp } from './types';

export type IpParse = { ok: true; ip: SourceIp; note?: string } | { ok: false; reason: string };

/** Most addresses one report may name; log dumps pasted as free text can hold thousands. */
export const MAX_SOURCE_IPS = 256;

/** Networks wider than this are almost certainly a mistake in a report about one resource. */
const WIDEST_V4_PREFIX = 16;
const WIDEST_V6_PREFIX = 32;

function describe(addr: ipaddr.IPv4 | ipaddr.IPv6): { version: 4 | 6; range: string } {
  return { version: addr.kind() === 'ipv4' ? 4 : 6, range: addr.range() };
}

/** Only dotted-quad IPv4 (no `127.1`, octal or hex forms, which readers disagree about). */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (text.includes('%')) return null; // zone ids name an interface on the reporter's host, not a source
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const v6 = ipaddr.IPv6.parse(text);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  return null;
}

/** Parses one address or CIDR network as a report states it (`[2001:db8::1]` brackets allowed). */
export function parseIpOrCidr(input: string): IpParse {
  const text = input.trim().replace(/^\[(.*)\]$/, '$1');
  if (text === '') return { ok: false, reason: 'empty address' };
  const slash = text.indexOf('/');
  if (slash === -1) {
    const addr = parseAddress(text);
    if (!addr) return { ok: false, reason: `'${clip(input)}' is not an IPv4 or IPv6 address` };
    const d = describe(addr);
    return { ok: true, ip: { address: addr.toString(), ...d, public: d.range === 'unicast' } };
  }
  const base = parseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!base || !/^\d{1,3}$/.test(lengthText)) return { ok: false, reason: `'${clip(input)}' is not a CIDR network` };
  const prefixLength = Number(lengthText);
  const max = base.kind() === 'ipv4' ? 32 : 128;
  if (prefixLength > max) return { ok: false, reason: `'${clip(input)}' has a prefix longer than ${max} bits` };
  const network =
    base.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${base.toString()}/${prefixLength}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${base.toString()}/${prefixLength}`);
  const d = describe(network);
  if (prefixLength === max) return { ok: true, ip: { address: network.toString(), ...d, public: d.range === 'unicast' } };
  const ip: SourceIp = { address: `${network.toString()}/${prefixLength}`, ...d, prefixLength, public: d.range === 'unicast' };
  const notes: string[] = [];
  if (network.toString() !== base.toString()) notes.push(`${clip(input)} has host bits set; read as ${ip.address}`);
  if (prefixLength < (d.version === 4 ? WIDEST_V4_PREFIX : WIDEST_V6_PREFIX)) notes.push(`${ip.address} is a very wide network`);
  return notes.length ? { ok: true, ip, note: notes.join('; ') } : { ok: true, ip };
}

/** Collects validated, deduplicated source addresses, explaining every rejection and non-public range in warnings. */
export class SourceIpSet {
  private readonly byAddress = new Map<string, SourceIp>();
  private dropped = 0;
  constructor(private readonly warnings: string[]) {}

  /** Adds one stated address; `what` names where it came from for the warning. */
  add(value: unknown, what: string): boolean {
    if (typeof value !== 'string' && typeof value !== 'number') {
      if (value !== undefined && value !== null) this.warnings.push(`${what} is not an address`);
      return false;
    }
    const parsed = parseIpOrCidr(String(value));
    if (!parsed.ok) {
      this.warnings.push(`${what}: ${parsed.reason}`);
      return false;
    }
    if (parsed.note) this.warnings.push(`${what}: ${parsed.note}`);
    return this.put(parsed.ip);
  }

  /** Adds an address already found in text; quiet about anything unparseable (free text is full of near-misses). */
  addFound(ip: SourceIp): boolean {
    return this.put(ip);
  }

  private put(ip: SourceIp): boolean {
    if (this.byAddress.has(ip.address)) return false;
    if (this.byAddress.size >= MAX_SOURCE_IPS) {
      this.dropped++;
      return false;
    }
    this.byAddress.set(ip.address, ip);
    return true;
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** The addresses in the order first seen, with a warning for each that no tenant can hold. */
  finish(): SourceIp[] {
    const list = [...this.byAddress.values()];
    const nonPublic = list.filter((ip) => !ip.public);
    // Whether a tenant holds such an address is for attribution to say (documentation ranges are looked up).
    if (nonPublic.length > 3) {
      const shown = nonPublic.slice(0, 3).map((ip) => `${ip.address} (${ip.range})`).join(', ');
      this.warnings.push(`${nonPublic.length} sources are not public addresses (${shown}, ...)`);
    } else {
      for (const ip of nonPublic) this.warnings.push(`source ${ip.address} is not a public address (${ip.range})`);
    }
    if (this.dropped) this.warnings.push(`${this.dropped} further addresses were left out (limit ${MAX_SOURCE_IPS})`);
    return list;
  }
}

// Candidate finders for free text: deliberately loose, every hit is then validated by ipaddr.js.
const V4_CANDIDATE = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,2})?(?![\d.]*\d)/g;
const V6_CANDIDATE = /(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:\/\d{1,3})?(?![0-9A-Za-z:])/g;

/** Enough candidates for any real report; a pasted log dump is cut here rather than slowing intake down. */
const MAX_CANDIDATES = 5000;

/** Cheap shape test first: times like 10:23:12 are candidates too, and ipaddr.js rejects by throwing, which is slow. */
function plausibleV6(candidate: string): boolean {
  const address = candidate.split('/')[0]!;
  if (!/[0-9A-Fa-f]/.test(address)) return false; // a bare '::' in prose
  const colons = address.split(':').length - 1;
  return address.includes('::') || colons === 7 || (colons === 6 && address.includes('.'));
}

/** Every valid address or network in a text, in order of appearance, without duplicates. Defanged `[.]` counts. */
export function findIps(text: string): SourceIp[] {
  const refanged = text.replace(/\[\.\]|\(\.\)|\{\.\}/g, '.').replace(/\[:\]/g, ':');
  const hits: { index: number; ip: SourceIp }[] = [];
  for (const re of [V4_CANDIDATE, V6_CANDIDATE]) {
    let examined = 0;
    for (const m of refanged.matchAll(re)) {
      if (++examined > MAX_CANDIDATES) break;
      const candidate = m[0];
      if (re === V6_CANDIDATE && !plausibleV6(candidate)) continue;
      const parsed = parseIpOrCidr(candidate);
      if (parsed.ok && parsed.ip.range !== 'unspecified') hits.push({ index: m.index ?? 0, ip: parsed.ip });
    }
  }
  hits.sort((a, b) => a.index - b.index);
  const seen = new Set<string>();
  return hits.filter((h) => !seen.has(h.ip.address) && seen.add(h.ip.address)).map((h) => h.ip);
}

/** True if the string is exactly one IPv4 or IPv6 address (no network). */
export function isIpAddress(value: string): boolean {
  return parseAddress(value.trim()) !== null;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
