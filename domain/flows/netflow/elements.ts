// Names and value kinds of template fields for the full decode: IANA and vendor IPFIX elements, NetFlow v9 types.
import { IANA_ELEMENTS } from './elements-iana';
import { NETFLOW9_FIELDS } from './elements-netflow9';
import { VENDOR_ELEMENTS } from './elements-vendors';

/**
 * How a value is shown: u unsigned, i signed, ip4/ip6/mac addresses, s text, f float, x hex, '-' left out,
 * app RFC 6759 application id ("engine..selector"), fwd forwarding status, mpls label stack entry, acl Cisco ASA ACL id.
 */
export type ElementKind = 'u' | 'i' | 'ip4' | 'ip6' | 'mac' | 's' | 'f' | 'x' | '-' | 'app' | 'fwd' | 'mpls' | 'acl';

export type ElementTable = Record<number, readonly [name: string, kind: ElementKind]>;

export interface ElementInfo {
  name: string;
  kind: ElementKind;
}

/** RFC 5103: enterprise 29305 carries the reverse direction of IANA element N as "reverse" + its name. */
export const REVERSE_PEN = 29305;

/** NetFlow v9 options scope field types (RFC 3954 6.1), named as logstash names them. */
const NETFLOW9_SCOPES: Record<number, string> = {
  1: 'scope_system',
  2: 'scope_interface',
  3: 'scope_line_card',
  4: 'scope_netflow_cache',
  5: 'scope_template',
};

export function ipfixElement(pen: number, id: number): ElementInfo {
  if (pen === 0) {
    const known = IANA_ELEMENTS[id];
    return known ? { name: known[0], kind: known[1] } : { name: `ie_${id}`, kind: 'x' };
  }
  if (pen === REVERSE_PEN) {
    const known = IANA_ELEMENTS[id];
    if (known) return { name: `reverse${known[0].charAt(0).toUpperCase()}${known[0].slice(1)}`, kind: known[1] };
  }
  const known = VENDOR_ELEMENTS[pen]?.[id];
  return known ? { name: known[0], kind: known[1] } : { name: `ie_${pen}_${id}`, kind: 'x' };
}

export function netflow9Field(type: number): ElementInfo {
  const known = NETFLOW9_FIELDS[type];
  if (known) return { name: known[0], kind: known[1] };
  // Cisco's MPLS_LABEL_1..10, which the logstash table leaves out.
  if (type >= 70 && type <= 79) return { name: `mpls_label_${type - 69}`, kind: 'mpls' };
  // v9 types below 128 and many above were adopted as IPFIX elements with the same number.
  const iana = IANA_ELEMENTS[type];
  return iana ? { name: iana[0], kind: iana[1] } : { name: `field_${type}`, kind: 'x' };
}

export function netflow9Scope(type: number): ElementInfo {
  return { name: NETFLOW9_SCOPES[type] ?? `scope_${type}`, kind: 'u' };
}
