// Small counting structures that fit a few hundred bytes per host: linear-counting bitmaps (exact enough up to a few
// times their size in bits) and HyperLogLog registers (for counts that can be large). All work on slices of shared
// typed arrays, so a host's state is a few offsets, not objects.
import type { IpKey } from '../flows/types';

/** murmur3's finaliser: spreads sequential addresses and ports over all 32 bits. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 units, then mixed: IPv6 keys are canonical text. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

export function hashIp(key: IpKey): number {
  return typeof key === 'number' ? mix32(key | 0) : hashString(key);
}

/** A number that stands for an address in a Float64Array slot: IPv4 itself, IPv6 a negative hash (never equal). */
export function ipSlotKey(key: IpKey): number {
  return typeof key === 'number' ? key : -1 - hashString(key);
}

export function pairHash(ipHash: number, port: number): number {
  return mix32(ipHash ^ Math.imul(port + 1, 0x9e3779b1));
}

/** Sets bit `hash mod bits` of a bitmap of `words` 32-bit words; true when it was clear. */
export function setBit(words: Uint32Array, base: number, wordCount: number, hash: number): boolean {
  const bit = hash % (wordCount * 32);
  const i = base + (bit >>> 5);
  const mask = 1 << (bit & 31);
  const w = words[i]!;
  if (w & mask) return false;
  words[i] = w | mask;
  return true;
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Linear counting over the union of two equal bitmaps (the current and the previous half-window). */
export function linearCountUnion(words: Uint32Array, a: number, b: number, wordCount: number): number {
  let set = 0;
  for (let i = 0; i < wordCount; i++) set += popcount32(words[a + i]! | words[b + i]!);
  const bits = wordCount * 32;
  // A full bitmap only says "at least about bits*ln(bits)".
  const zero = Math.max(bits - set, 0.5);
  return bits * Math.log(bits / zero);
}

/** Adds a hash to 2^p HyperLogLog registers; true when a register grew (the estimate may have changed). */
export function hllAdd(regs: Uint8Array, base: number, p: number, hash: number): boolean {
  const idx = hash >>> (32 - p);
  const rest = ((hash << p) | (1 << (p - 1))) >>> 0;
  const rank = Math.clz32(rest) + 1;
  if (rank <= regs[base + idx]!) return false;
  regs[base + idx] = rank;
  return true;
}

const POW2_NEG = Float64Array.from({ length: 34 }, (_, k) => 2 ** -k);

/** HyperLogLog estimate of the union of two register sets (element-wise max), with the small-range correction. */
export function hllEstimateUnion(regs: Uint8Array, a: number, b: number, p: number): number {
  const m = 1 << p;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    const r = Math.max(regs[a + i]!, regs[b + i]!);
    sum += POW2_NEG[r]!;
    if (r === 0) zeros++;
  }
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
}
