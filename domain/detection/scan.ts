// Horizontal and vertical scans, counted as Zeek's scan policy counts them: distinct hosts probed on one port, distinct
// ports probed on one host, over a 5-minute window of failed or unanswered attempts. The window is the current and the
// previous half-window, so it slides in half-window steps and never counts anything older than the window.
//
// The port and the host being scanned are found with two Misra-Gries slots each (a port probed on more than a third
// of the probes keeps its slot), each with a small distinct-count bitmap. Scans spread over many ports and hosts at once
// (masscan-style) keep no slot long, so a pigeonhole bound backs them up: some port must have seen at least
// (distinct host-port pairs / distinct ports) hosts, and some host at least (pairs / hosts) ports.
import type { HostPool } from './pool';
import { F64, U32, U8 } from './pool';
import { hllAdd, hllEstimateUnion, linearCountUnion, mix32, pairHash, setBit } from './sketch';
import type { Thresholds } from './thresholds';

export const SCAN_EVIDENCE = 1;
export const SCAN_HORIZONTAL = 2;
export const SCAN_VERTICAL = 4;
export const SCAN_LATE = -1;

/** The pigeonhole bounds ride on HyperLogLog estimates, so they must clear the threshold with room to spare. */
const PIGEONHOLE_MARGIN = 1.5;

/** What the last scanProbe call measured; read right after the call. */
export const scanMetrics = {
  /** Distinct hosts probed on the busiest port. */
  horizontal: 0,
  /** Distinct ports probed on the busiest host. */
  vertical: 0,
  probes: 0,
  ports: 0,
  destinations: 0,
  /** Share of probes recognised by TCP flags (the rest by size alone). */
  flaggedShare: 0,
  topPort: 0,
  topDestination: NaN,
};

// [offset in the row, words per half] of every two-half field, current half first.
const TWO_HALF_U32: readonly (readonly [number, number])[] = [
  [U32.PROBES, 1],
  [U32.FLAGGED, 1],
  [U32.PORT_BITS, 4],
  [U32.PORT_BITS + 8, 4],
  [U32.PORTS_SEEN, 2],
  [U32.DST_BITS, 2],
  [U32.DST_BITS + 4, 2],
];
const TWO_HALF_U8: readonly (readonly [number, number])[] = [
  [U8.PAIR_HLL, 32],
  [U8.DST_HLL, 16],
];

function roll(pool: HostPool, slot: number, steps: number): void {
  const u = slot * U32.STRIDE;
  const b = slot * U8.STRIDE;
  const u32 = pool.u32;
  const u8 = pool.u8;
  for (const [offset, n] of TWO_HALF_U32) {
    const at = u + offset;
    if (steps === 1) u32.copyWithin(at + n, at, at + n);
    else u32.fill(0, at + n, at + 2 * n);
    u32.fill(0, at, at + n);
  }
  for (const [offset, n] of TWO_HALF_U8) {
    const at = b + offset;
    if (steps === 1) u8.copyWithin(at + n, at, at + n);
    else u8.fill(0, at + n, at + 2 * n);
    u8.fill(0, at, at + n);
  }
  // Heavy hitters from long ago should not hold their slots for ever.
  for (let i = 0; i < 2; i++) {
    const v = u32[u + U32.PORT_SLOT + i]!;
    u32[u + U32.PORT_SLOT + i] = (v & 0xffff0000) | ((v & 0xffff) >>> steps);
    u32[u + U32.DST_COUNT + i] = u32[u + U32.DST_COUNT + i]! >>> steps;
  }
}

/**
 * Counts one probe (a failed or unanswered attempt) from the host in `slot`; returns SCAN_LATE for a record older than
 * the window, 0 when nothing countable changed, else SCAN_EVIDENCE / SCAN_HORIZONTAL / SCAN_VERTICAL bits.
 */
export function scanProbe(pool: HostPool, slot: number, t: number, windowMs: number, dstKey: number, dstHash: number, port: number, flagged: boolean, th: Thresholds, evidenceFraction: number): number {
  const u32 = pool.u32;
  const u8 = pool.u8;
  const f64 = pool.f64;
  const u = slot * U32.STRIDE;
  const b = slot * U8.STRIDE;
  const f = slot * F64.STRIDE;
  const epoch = Math.floor(t / (windowMs / 2));
  const current = u32[u + U32.SCAN_EPOCH]!;
  let half = 0;
  if (epoch > current) {
    roll(pool, slot, Math.min(epoch - current, 2));
    u32[u + U32.SCAN_EPOCH] = epoch;
  } else if (epoch === current - 1) half = 1;
  else if (epoch < current) return SCAN_LATE;

  u32[u + U32.PROBES + half] = u32[u + U32.PROBES + half]! + 1;
  if (flagged) u32[u + U32.FLAGGED + half] = u32[u + U32.FLAGGED + half]! + 1;
  const portHash = mix32(port + 0x10000);
  let changed = hllAdd(u8, b + U8.PAIR_HLL + half * 32, 5, pairHash(dstHash, port));
  if (hllAdd(u8, b + U8.DST_HLL + half * 16, 4, dstHash)) changed = true;
  if (setBit(u32, u + U32.PORTS_SEEN + half * 2, 2, portHash)) changed = true;

  // Port slots: count, take a free slot, or wear every slot down by one (Misra-Gries).
  let ps = -1;
  for (let i = 0; i < 2; i++) {
    const v = u32[u + U32.PORT_SLOT + i]!;
    if ((v & 0xffff) > 0 && v >>> 16 === port) ps = i;
  }
  if (ps >= 0) {
    const v = u32[u + U32.PORT_SLOT + ps]!;
    if ((v & 0xffff) < 0xffff) u32[u + U32.PORT_SLOT + ps] = v + 1;
  } else {
    for (let i = 0; i < 2 && ps < 0; i++) {
      if ((u32[u + U32.PORT_SLOT + i]! & 0xffff) === 0) {
        ps = i;
        u32[u + U32.PORT_SLOT + i] = (port << 16) | 1;
        u32.fill(0, u + U32.PORT_BITS + i * 8, u + U32.PORT_BITS + i * 8 + 8);
      }
    }
    if (ps < 0) for (let i = 0; i < 2; i++) u32[u + U32.PORT_SLOT + i] = u32[u + U32.PORT_SLOT + i]! - 1;
  }
  if (ps >= 0 && setBit(u32, u + U32.PORT_BITS + ps * 8 + half * 4, 4, dstHash)) changed = true;

  // Destination slots, the same way.
  let ds = f64[f + F64.DST_KEY] === dstKey && u32[u + U32.DST_COUNT]! > 0 ? 0 : f64[f + F64.DST_KEY + 1] === dstKey && u32[u + U32.DST_COUNT + 1]! > 0 ? 1 : -1;
  if (ds >= 0) {
    if (u32[u + U32.DST_COUNT + ds]! < 0xffff) u32[u + U32.DST_COUNT + ds] = u32[u + U32.DST_COUNT + ds]! + 1;
  } else {
    for (let i = 0; i < 2 && ds < 0; i++) {
      if (u32[u + U32.DST_COUNT + i] === 0) {
        ds = i;
        f64[f + F64.DST_KEY + i] = dstKey;
        u32[u + U32.DST_COUNT + i] = 1;
        u32.fill(0, u + U32.DST_BITS + i * 4, u + U32.DST_BITS + i * 4 + 4);
      }
    }
    if (ds < 0) for (let i = 0; i < 2; i++) u32[u + U32.DST_COUNT + i] = u32[u + U32.DST_COUNT + i]! - 1;
  }
  if (ds >= 0 && setBit(u32, u + U32.DST_BITS + ds * 4 + half * 2, 2, portHash)) changed = true;
  if (!changed) return 0;

  const m = scanMetrics;
  m.horizontal = 0;
  m.topPort = 0;
  let topCount = -1;
  for (let i = 0; i < 2; i++) {
    const v = u32[u + U32.PORT_SLOT + i]!;
    if ((v & 0xffff) === 0) continue;
    const n = linearCountUnion(u32, u + U32.PORT_BITS + i * 8, u + U32.PORT_BITS + i * 8 + 4, 4);
    if (n > m.horizontal) m.horizontal = n;
    if ((v & 0xffff) > topCount) {
      topCount = v & 0xffff;
      m.topPort = v >>> 16;
    }
  }
  m.vertical = 0;
  m.topDestination = NaN;
  topCount = -1;
  for (let i = 0; i < 2; i++) {
    const c = u32[u + U32.DST_COUNT + i]!;
    if (c === 0) continue;
    const n = linearCountUnion(u32, u + U32.DST_BITS + i * 4, u + U32.DST_BITS + i * 4 + 2, 2);
    if (n > m.vertical) m.vertical = n;
    if (c > topCount) {
      topCount = c;
      m.topDestination = f64[f + F64.DST_KEY + i]!;
    }
  }
  const pairs = hllEstimateUnion(u8, b + U8.PAIR_HLL, b + U8.PAIR_HLL + 32, 5);
  m.destinations = hllEstimateUnion(u8, b + U8.DST_HLL, b + U8.DST_HLL + 16, 4);
  m.ports = linearCountUnion(u32, u + U32.PORTS_SEEN, u + U32.PORTS_SEEN + 2, 2);
  const byPorts = pairs / Math.max(1, m.ports);
  const byHosts = pairs / Math.max(1, m.destinations);
  if (byPorts >= PIGEONHOLE_MARGIN * th.horizontalScanDestinations && byPorts > m.horizontal) m.horizontal = byPorts;
  if (byHosts >= PIGEONHOLE_MARGIN * th.verticalScanPorts && byHosts > m.vertical) m.vertical = byHosts;
  m.probes = u32[u + U32.PROBES]! + u32[u + U32.PROBES + 1]!;
  // Estimates can overshoot (a full bitmap reads as about bits*ln(bits)); there are never more than there were probes.
  m.horizontal = Math.min(m.horizontal, m.probes);
  m.vertical = Math.min(m.vertical, m.probes);
  m.destinations = Math.min(m.destinations, m.probes);
  m.ports = Math.min(m.ports, m.probes);
  m.flaggedShare = (u32[u + U32.FLAGGED]! + u32[u + U32.FLAGGED + 1]!) / Math.max(1, m.probes);

  let level = 0;
  if (m.horizontal >= th.horizontalScanDestinations) level |= SCAN_HORIZONTAL;
  if (m.vertical >= th.verticalScanPorts) level |= SCAN_VERTICAL;
  if (m.horizontal >= evidenceFraction * th.horizontalScanDestinations || m.vertical >= evidenceFraction * th.verticalScanPorts) level |= SCAN_EVIDENCE;
  return level;
}
