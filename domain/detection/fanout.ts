// Spam (SMTP sessions to many mail servers) and brute force (many short sessions to SSH or RDP): counts over a window
// made of the current and the previous half-window, with a small bitmap of distinct destinations.
import type { HostPool } from './pool';
import { U32 } from './pool';
import { linearCountUnion, setBit } from './sketch';
import type { Thresholds } from './thresholds';

export const FANOUT_EVIDENCE = 1;
export const FANOUT_CROSSED = 2;
export const FANOUT_LATE = -1;

export const fanoutMetrics = { destinations: 0, connections: 0, ratio: 0 };

/** Rolls a window of [count x2][bitmap: words current, words previous] and says which half `t` falls in. */
function half(u32: Uint32Array, epochAt: number, countAt: number, bitsAt: number, words: number, t: number, windowMs: number): number {
  const epoch = Math.floor(t / (windowMs / 2));
  const current = u32[epochAt]!;
  if (epoch > current) {
    const one = epoch - current === 1;
    u32[countAt + 1] = one ? u32[countAt]! : 0;
    u32[countAt] = 0;
    if (one) u32.copyWithin(bitsAt + words, bitsAt, bitsAt + words);
    else u32.fill(0, bitsAt + words, bitsAt + 2 * words);
    u32.fill(0, bitsAt, bitsAt + words);
    u32[epochAt] = epoch;
    return 0;
  }
  if (epoch === current) return 0;
  return epoch === current - 1 ? 1 : FANOUT_LATE;
}

/** One SMTP session from the host; crosses at `spamDestinations` distinct mail servers in the window. */
export function spamSession(pool: HostPool, slot: number, t: number, windowMs: number, dstHash: number, th: Thresholds, evidenceFraction: number): number {
  const u32 = pool.u32;
  const u = slot * U32.STRIDE;
  const h = half(u32, u + U32.SPAM_EPOCH, u + U32.SPAM_CONN, u + U32.SPAM_BITS, 4, t, windowMs);
  if (h === FANOUT_LATE) return FANOUT_LATE;
  u32[u + U32.SPAM_CONN + h] = u32[u + U32.SPAM_CONN + h]! + 1;
  if (!setBit(u32, u + U32.SPAM_BITS + h * 4, 4, dstHash)) return 0;
  const m = fanoutMetrics;
  m.connections = u32[u + U32.SPAM_CONN]! + u32[u + U32.SPAM_CONN + 1]!;
  m.destinations = Math.min(linearCountUnion(u32, u + U32.SPAM_BITS, u + U32.SPAM_BITS + 4, 4), m.connections);
  m.ratio = m.destinations / th.spamDestinations;
  return m.ratio >= 1 ? FANOUT_CROSSED : m.ratio >= evidenceFraction ? FANOUT_EVIDENCE : 0;
}

/** One short session to an authentication port; crosses at `bruteForceConnections` in the window. */
export function loginSession(pool: HostPool, slot: number, t: number, windowMs: number, dstHash: number, th: Thresholds, evidenceFraction: number): number {
  const u32 = pool.u32;
  const u = slot * U32.STRIDE;
  const h = half(u32, u + U32.BF_EPOCH, u + U32.BF_CONN, u + U32.BF_BITS, 2, t, windowMs);
  if (h === FANOUT_LATE) return FANOUT_LATE;
  u32[u + U32.BF_CONN + h] = u32[u + U32.BF_CONN + h]! + 1;
  setBit(u32, u + U32.BF_BITS + h * 2, 2, dstHash);
  const m = fanoutMetrics;
  m.connections = u32[u + U32.BF_CONN]! + u32[u + U32.BF_CONN + 1]!;
  m.destinations = Math.min(linearCountUnion(u32, u + U32.BF_BITS, u + U32.BF_BITS + 2, 2), m.connections);
  m.ratio = m.connections / th.bruteForceConnections;
  return m.ratio >= 1 ? FANOUT_CROSSED : m.ratio >= evidenceFraction ? FANOUT_EVIDENCE : 0;
}
