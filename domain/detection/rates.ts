// Packets, bits and new flows per second, as FastNetMon measures them: averaged over a few seconds (two buckets of
// that length, the previous one weighted by how much of it still lies inside the window). Outbound, per target: two
// target slots per host, taken by a new target only when one is nearly idle, so a flood keeps its slot against a
// host's ordinary traffic. Inbound, per tenant host: every source together (a distributed attack has no one target).
//
// A flow record spanning longer than the averaging window adds only the share that falls inside it: a 60-second NetFlow
// record of a steady flood then reads at the flood's rate, not sixty times it.
import type { HostPool } from './pool';
import { F32, F64, U32 } from './pool';
import { setBit, linearCountUnion } from './sketch';
import type { Thresholds } from './thresholds';

export const RATE_EVIDENCE = 1;
export const RATE_CROSSED = 2;
export const RATE_LATE = -1;

/** A slot whose load (largest share of a threshold) is below this may be taken by a new target. */
const IDLE_LOAD = 0.125;

/** What the last call measured. */
export const rateMetrics = { pps: 0, mbps: 0, fps: 0, ratio: 0, packetBytes: 0, sources: 0, target: NaN };

/** Moves two-bucket rates (packets, bytes, flows: current then previous) forward by `steps` buckets. */
function rollRates(f32: Float32Array, at: number, steps: number): void {
  for (let k = 0; k < 3; k++) {
    const c = at + k * 2;
    f32[c + 1] = steps === 1 ? f32[c]! : 0;
    f32[c] = 0;
  }
}

/** Buckets the last bucketHalf call moved forward (0, 1, or 2 for "everything is older than the window"). */
let rolled = 0;

/** Which bucket a placed record falls in: 0 current, 1 previous, RATE_LATE older; moves the bucket index forward first. */
function bucketHalf(u32: Uint32Array, at: number, t: number, averageMs: number): number {
  const bucket = Math.floor(t / averageMs);
  const current = u32[at]!;
  rolled = 0;
  if (bucket > current) {
    rolled = bucket - current > 1 ? 2 : 1;
    u32[at] = bucket;
    return 0;
  }
  if (bucket === current) return 0;
  return bucket === current - 1 ? 1 : RATE_LATE;
}

/**
 * A record's packets lie before its end: it is placed (and the rate measured) at the middle of the part of it inside
 * the averaging window, so one-second records at second boundaries are not counted twice across a bucket edge.
 */
function placeAt(end: number, durationMs: number, averageMs: number): number {
  return durationMs <= 0 ? end : end - (durationMs < averageMs ? durationMs : averageMs) / 2;
}

/** Rates of a two-bucket triple as of `t` (a time inside the current bucket, which starts at `bucketStart`). */
function measure(f32: Float32Array, at: number, t: number, bucketStart: number, averageMs: number): void {
  const weight = t > bucketStart ? 1 - (t - bucketStart) / averageMs : 1;
  const perSecond = 1000 / averageMs;
  const m = rateMetrics;
  const packets = f32[at]! + f32[at + 1]! * weight;
  const bytes = f32[at + 2]! + f32[at + 3]! * weight;
  m.pps = packets * perSecond;
  m.mbps = bytes * perSecond * 8e-6;
  m.fps = (f32[at + 4]! + f32[at + 5]! * weight) * perSecond;
  m.packetBytes = packets > 0 ? bytes / packets : 0;
}

function add(f32: Float32Array, at: number, half: number, packets: number, bytes: number, durationMs: number, averageMs: number): void {
  const share = durationMs > averageMs ? averageMs / durationMs : 1;
  f32[at + half] = f32[at + half]! + packets * share;
  f32[at + 2 + half] = f32[at + 2 + half]! + bytes * share;
  f32[at + 4 + half] = f32[at + 4 + half]! + 1;
}

/** An upper bound of a target slot's load (both buckets at full weight): below IDLE_LOAD the slot may be taken. */
function idle(f32: Float32Array, at: number, averageMs: number, th: Thresholds): boolean {
  const perSecond = 1000 / averageMs;
  return (
    (f32[at]! + f32[at + 1]!) * perSecond < IDLE_LOAD * th.dosPps &&
    (f32[at + 2]! + f32[at + 3]!) * perSecond * 8e-6 < IDLE_LOAD * th.dosMbps &&
    (f32[at + 4]! + f32[at + 5]!) * perSecond < IDLE_LOAD * th.dosFlowsPerSecond
  );
}

/** Counts one outbound flow to `targetKey`; RATE_CROSSED when the rate to that target exceeds a DoS threshold. */
export function outboundRate(pool: HostPool, slot: number, t: number, averageMs: number, targetKey: number, packets: number, bytes: number, durationMs: number, th: Thresholds, evidenceFraction: number): number {
  const f = slot * F64.STRIDE + F64.TARGET_KEY;
  const r = slot * F32.STRIDE + F32.TARGET_RATE;
  const b = slot * U32.STRIDE + U32.OUT_BUCKET;
  const u32 = pool.u32;
  const f64 = pool.f64;
  const f32 = pool.f32;
  t = placeAt(t, durationMs, averageMs);
  const half = bucketHalf(u32, b, t, averageMs);
  if (half === RATE_LATE) return RATE_LATE;
  if (rolled) {
    rollRates(f32, r, rolled);
    rollRates(f32, r + 6, rolled);
  }
  let ts = f64[f] === targetKey ? 0 : f64[f + 1] === targetKey ? 1 : -1;
  if (ts < 0) {
    if (Number.isNaN(f64[f]!) || idle(f32, r, averageMs, th)) ts = 0;
    else if (Number.isNaN(f64[f + 1]!) || idle(f32, r + 6, averageMs, th)) ts = 1;
    else return 0;
    f64[f + ts] = targetKey;
    const at = r + ts * 6;
    f32[at] = f32[at + 1] = f32[at + 2] = f32[at + 3] = f32[at + 4] = f32[at + 5] = 0;
  }
  const at = r + ts * 6;
  add(f32, at, half, packets, bytes, durationMs, averageMs);
  // A small flow to a quiet target cannot have crossed anything: skip the arithmetic.
  if (!(idle(f32, at, averageMs, th) && evidenceFraction >= IDLE_LOAD)) {
    measure(f32, at, t, u32[b]! * averageMs, averageMs);
    const m = rateMetrics;
    m.target = targetKey;
    const floods = m.packetBytes <= th.dosFloodMaxPacketBytes;
    m.ratio = Math.max(floods ? m.pps / th.dosPps : 0, m.mbps / th.dosMbps, m.fps / th.dosFlowsPerSecond);
    return m.ratio >= 1 ? RATE_CROSSED : m.ratio >= evidenceFraction ? RATE_EVIDENCE : 0;
  }
  return 0;
}

/** Counts one flow towards the tenant host in `slot`; RATE_CROSSED when all sources together exceed a threshold. */
export function inboundRate(pool: HostPool, slot: number, t: number, averageMs: number, sourceHash: number, packets: number, bytes: number, durationMs: number, th: Thresholds, evidenceFraction: number): number {
  const r = slot * F32.STRIDE + F32.IN_RATE;
  const u = slot * U32.STRIDE;
  const u32 = pool.u32;
  const f32 = pool.f32;
  t = placeAt(t, durationMs, averageMs);
  const half = bucketHalf(u32, u + U32.IN_BUCKET, t, averageMs);
  if (half === RATE_LATE) return RATE_LATE;
  const s = u + U32.IN_SOURCES;
  if (rolled) {
    rollRates(f32, r, rolled);
    if (rolled === 1) {
      u32[s + 2] = u32[s]!;
      u32[s + 3] = u32[s + 1]!;
    } else u32[s + 2] = u32[s + 3] = 0;
    u32[s] = u32[s + 1] = 0;
  }
  setBit(u32, s + half * 2, 2, sourceHash);
  add(f32, r, half, packets, bytes, durationMs, averageMs);
  const perSecond = 1000 / averageMs;
  // Quick way out: both buckets at full weight are still below the evidence fraction of every threshold.
  // (The packet-rate threshold, like outbound, only counts flood-sized packets: a backup stream is not an attack.)
  if (
    (f32[r]! + f32[r + 1]!) * perSecond < evidenceFraction * th.inboundPps &&
    (f32[r + 2]! + f32[r + 3]!) * perSecond * 8e-6 < evidenceFraction * th.inboundMbps &&
    (f32[r + 4]! + f32[r + 5]!) * perSecond < evidenceFraction * th.inboundFlowsPerSecond
  ) {
    return 0;
  }
  measure(f32, r, t, u32[u + U32.IN_BUCKET]! * averageMs, averageMs);
  const m = rateMetrics;
  m.sources = linearCountUnion(u32, s, s + 2, 2);
  const floods = m.packetBytes <= th.dosFloodMaxPacketBytes;
  m.ratio = Math.max(floods ? m.pps / th.inboundPps : 0, m.mbps / th.inboundMbps, m.fps / th.inboundFlowsPerSecond);
  return m.ratio >= 1 ? RATE_CROSSED : m.ratio >= evidenceFraction ? RATE_EVIDENCE : 0;
}
