// The full decode: every field of a data record by name, valued the way logstash-codec-netflow shows it
// (addresses as text, v9 FIRST/LAST_SWITCHED and IPFIX absolute times as ISO 8601, RFC 6759 application ids as
// "engine..selector"). For the CLI and conformance checks, not the hot path.
import { hex, ipv6Text, macText, stringValue, u16, u32, uintBig, uintN } from './bytes';
import type { FullField, Template } from './template';

export type FieldValue = number | string | Record<string, number>;

const NTP_OFFSET_S = 2208988800;

/** Reads every field of the record at `rec` (offsets and lengths already filled for variable templates). */
export function readFields(
  t: Template,
  full: FullField[],
  b: Uint8Array,
  rec: number,
  time: { exportMs: number; sysUptime: number },
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (let i = 0; i < full.length; i++) {
    const { name, kind } = full[i]!;
    const len = t.lengths[i]!;
    // Zero-length fields are placeholders (some v9 exporters send them); '-' marks padding and reserved types.
    if (kind === '-' || (len === 0 && kind !== 's')) continue;
    const o = rec + t.offsets[i]!;
    out[name] = valueOf(kind, b, o, len, time);
  }
  return out;
}

function valueOf(kind: FullField['kind'], b: Uint8Array, o: number, len: number, time: { exportMs: number; sysUptime: number }): FieldValue {
  switch (kind) {
    case 'u':
      return unsigned(b, o, len);
    case 'i':
      return signed(b, o, len);
    case 'ip4':
      return len === 4 ? `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}` : hex(b, o, len);
    case 'ip6':
      return len === 16 ? ipv6Text(b, o) : hex(b, o, len);
    case 'mac':
      return len === 6 ? macText(b, o) : hex(b, o, len);
    case 's':
      return stringValue(b, o, len);
    case 'f':
      if (len === 8) return new DataView(b.buffer, b.byteOffset + o, 8).getFloat64(0);
      if (len === 4) return new DataView(b.buffer, b.byteOffset + o, 4).getFloat32(0);
      return hex(b, o, len);
    case 'app':
      return applicationId(b, o, len);
    case 'fwd':
      // RFC 7270 forwardingStatus: status in the top two bits, reason code below
      return len === 1 ? { status: b[o]! >> 6, reason: b[o]! & 0x3f } : unsigned(b, o, len);
    case 'mpls':
      return mplsEntry(b, o, len);
    case 'acl':
      return len === 12 ? `${hex(b, o, 4)}-${hex(b, o + 4, 4)}-${hex(b, o + 8, 4)}` : hex(b, o, len);
    case 'ts-seconds':
      return len <= 8 ? isoMillis(uintN(b, o, len) * 1000) : hex(b, o, len);
    case 'ts-millis':
      return len <= 8 ? isoMillis(uintN(b, o, len)) : hex(b, o, len);
    case 'ts-ntp':
      return len === 8 ? isoNtp(u32(b, o), u32(b, o + 4)) : hex(b, o, len);
    case 'uptime':
      return len <= 4 ? isoMillis(time.exportMs - ((time.sysUptime - uintN(b, o, len)) | 0)) : unsigned(b, o, len);
    default:
      return hex(b, o, len);
  }
}

/** Up to 8 bytes as a number, exact to 2^53; larger values as decimal text; longer fields as hex. */
function unsigned(b: Uint8Array, o: number, len: number): number | string {
  if (len > 8) return hex(b, o, len);
  const n = uintN(b, o, len);
  return Number.isSafeInteger(n) ? n : uintBig(b, o, len).toString();
}

function signed(b: Uint8Array, o: number, len: number): number | string {
  if (len > 8) return hex(b, o, len);
  const n = uintBig(b, o, len);
  const bits = BigInt(len * 8);
  const v = n >= 1n << (bits - 1n) ? n - (1n << bits) : n;
  return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
}

/** RFC 6759: classification engine id, then the selector; engine 20 (PANA-L7-PEN) puts a 4-byte PEN first. */
function applicationId(b: Uint8Array, o: number, len: number): string {
  if (len < 2) return hex(b, o, len);
  const engine = b[o]!;
  if (engine === 20 && len >= 7) return `${engine}..${u32(b, o + 1)}..${unsigned(b, o + 5, len - 5)}`;
  return `${engine}..${unsigned(b, o + 1, len - 1)}`;
}

/** An MPLS label stack entry: 20-bit label, 3 experimental bits, bottom-of-stack bit, and the TTL when 4 bytes. */
function mplsEntry(b: Uint8Array, o: number, len: number): FieldValue {
  if (len !== 3 && len !== 4) return hex(b, o, len);
  const v = (u16(b, o) << 8) | b[o + 2]!;
  const entry: Record<string, number> = { label: v >>> 4, experimental: (v >> 1) & 7, bottom_of_stack: v & 1 };
  if (len === 4) entry.ttl = b[o + 3]!;
  return entry;
}

const MAX_DATE_MS = 8.64e15;

export function isoMillis(ms: number): string | number {
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : ms;
}

/** NTP seconds and fraction as ISO 8601 with nanoseconds (the precision the format carries). */
function isoNtp(seconds: number, fraction: number): string | number {
  const ms = (seconds - NTP_OFFSET_S) * 1000;
  const iso = isoMillis(ms);
  if (typeof iso === 'number') return iso;
  const nanos = Math.floor((fraction * 1e9) / 4294967296);
  return `${iso.slice(0, 20)}${String(nanos).padStart(9, '0')}Z`;
}
