// Big-endian readers over a Uint8Array and the text forms of addresses: the few byte helpers every decoder here shares.
// Plain index arithmetic rather than a DataView: no object per datagram, and V8 inlines these into the record loops.

export const u8 = (b: Uint8Array, o: number): number => b[o]!;

export const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

export const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** An unsigned integer of 1 to 8 bytes (reduced-size encoding, RFC 7011 6.2); exact up to 2^53, approximate above. */
export function uintN(b: Uint8Array, o: number, len: number): number {
  switch (len) {
    case 1:
      return b[o]!;
    case 2:
      return (b[o]! << 8) | b[o + 1]!;
    case 4:
      return u32(b, o);
    case 8:
      return u32(b, o) * 4294967296 + u32(b, o + 4);
    default: {
      let n = 0;
      for (let i = 0; i < len; i++) n = n * 256 + b[o + i]!;
      return n;
    }
  }
}

/** An unsigned integer of any length as a bigint, for values past 2^53 in the full decode. */
export function uintBig(b: Uint8Array, o: number, len: number): bigint {
  let n = 0n;
  for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(b[o + i]!);
  return n;
}

export function hex(b: Uint8Array, o: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[b[o + i]!];
  return s;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Bytes as hex without a leading zero: the high byte of an IPv6 group. */
const HEX_SHORT: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));

export function macText(b: Uint8Array, o: number): string {
  return `${HEX[b[o]!]}:${HEX[b[o + 1]!]}:${HEX[b[o + 2]!]}:${HEX[b[o + 3]!]}:${HEX[b[o + 4]!]}:${HEX[b[o + 5]!]}`;
}

/**
 * 16 bytes as RFC 5952 text, exactly as ipaddr.js's toRFC5952String writes it, so flow keys equal the addresses
 * the rest of the project canonicalises with it: lower-case hex, no leading zeros, one run of two or more zero
 * groups as "::". Which run: ipaddr.js measures each in characters of the uncompressed text, so a run inside the
 * address beats one of equal length at either end (where RFC 5952 4.2.3 would take the first); we do the same.
 */
export function ipv6Text(b: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let bestScore = 0;
  for (let i = 0; i < 8; ) {
    if (b[o + 2 * i] !== 0 || b[o + 2 * i + 1] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && b[o + 2 * j] === 0 && b[o + 2 * j + 1] === 0) j++;
    const len = j - i;
    const score = 2 * len + (i > 0 && j < 8 ? 1 : 0);
    if (len >= 2 && score > bestScore) {
      bestStart = i;
      bestLen = len;
      bestScore = score;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    const hi = b[o + 2 * i]!;
    s += hi === 0 ? HEX_SHORT[b[o + 2 * i + 1]!] : HEX_SHORT[hi]! + HEX[b[o + 2 * i + 1]!];
    if (i < 7) s += ':';
  }
  return s;
}

/** Text decoding for string elements: UTF-8 with replacement, trailing NUL padding removed (exporters pad fixed fields). */
export function stringValue(b: Uint8Array, o: number, len: number): string {
  let end = o + len;
  while (end > o && b[end - 1] === 0) end--;
  return UTF8.decode(b.subarray(o, end));
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });
