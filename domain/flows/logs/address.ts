// Text addresses from flow logs to the IpKey the detectors use: IPv4 as an integer (parsed by hand, it is the hot path),
// IPv6 validated and made canonical by ipaddr.js; an IPv4-mapped IPv6 address is the IPv4 address it carries.
import ipaddr from 'ipaddr.js';
import type { IpKey } from '../types';

/** Dotted-quad IPv4 to its integer, or undefined; no leading zeros (readers disagree on `010`), no short forms. */
export function parseIpv4Key(text: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255 || dots === 3) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) leadingZero = c === 48;
      else if (leadingZero || digits === 3) return undefined;
      octet = octet * 10 + (c - 48);
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return undefined;
  return n * 256 + octet;
}

/** Any address a flow log writes: IPv4, or IPv6 in any valid spelling (no zone ids: they name the logger's interface). */
export function parseIpKey(text: string): IpKey | undefined {
  const v4 = parseIpv4Key(text);
  if (v4 !== undefined) return v4;
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  if (v6.isIPv4MappedAddress()) return parseIpv4Key(v6.toIPv4Address().toString());
  return v6.toRFC5952String();
}
