// Volume unusual for this host: bytes sent per hour against what the host itself has taught us. The expectation for an
// hour is a level per hour of the day plus an offset per hour of the week (weekday rhythms), both EWMAs of log2 volume;
// their spread is an EWMA of absolute deviations (a mean-absolute-deviation scale, robust in log space). Surges are
// winsorised before they are learned, so an attack does not teach the baseline that attacks are normal.
// Nothing is unusual during the warm-up: a host must have been watched for `volumeWarmupHours`, and the hour of day for
// `volumeMinHourSamples` days. The running hour is checked on every record, so an anomaly is found as it happens.
import type { HostPool } from './pool';
import { F32, F64, FLAG, U16, U32, U8 } from './pool';
import type { DetectionSettings, Thresholds } from './thresholds';

const HOUR_MS = 3_600_000;
/** Epoch hour 0 (1970-01-01) was a Thursday; hours of the week count from Monday 00:00 UTC. */
const MONDAY_OFFSET_HOURS = 72;
const LEVEL_SCALE = 256;
/** Hour-of-week offsets are stored as nibbles in half-bit steps: 1..15 is -3.5..+3.5, 0 is "never seen". */
const OFFSET_STEP = 0.5;
const LEVEL_ALPHA_MIN = 0.2;
const OFFSET_ALPHA = 0.3;
const SCALE_ALPHA = 0.1;
/** Largest absolute deviation (log2 units) one hour may add to the scale. */
const MAX_SPREAD = 2;
/** Silent hours in a gap are learned as zero volume, up to a day of them. */
const MAX_SILENT_HOURS = 24;

export const VOLUME_CROSSED = 2;
export const VOLUME_LATE = -1;

export const volumeMetrics = { bytes: 0, expected: 0, bound: 0, ratio: 0 };

function readOffset(u8: Uint8Array, at: number, how: number): number | undefined {
  const byte = u8[at + (how >>> 1)]!;
  const nibble = how & 1 ? byte >>> 4 : byte & 15;
  return nibble === 0 ? undefined : (nibble - 8) * OFFSET_STEP;
}

function writeOffset(u8: Uint8Array, at: number, how: number, value: number): void {
  const nibble = Math.min(15, Math.max(1, Math.round(value / OFFSET_STEP) + 8));
  const i = at + (how >>> 1);
  u8[i] = how & 1 ? (u8[i]! & 0x0f) | (nibble << 4) : (u8[i]! & 0xf0) | nibble;
}

/** Learns one finished hour; a silent hour teaches the level but not the spread (silence is not surprise). */
function learnHour(pool: HostPool, slot: number, hour: number, bytes: number, silent: boolean): void {
  const b = slot * U8.STRIDE;
  const w = slot * U16.STRIDE;
  const s = slot * F32.STRIDE + F32.SCALE;
  const u8 = pool.u8;
  const hod = hour % 24;
  const how = (hour + MONDAY_OFFSET_HOURS) % 168;
  const x = Math.log2(1 + bytes);
  const samples = u8[b + U8.HOD_SAMPLES + hod]!;
  if (samples === 0) {
    pool.u16[w + U16.HOD_LEVEL + hod] = Math.round(x * LEVEL_SCALE);
  } else {
    const level = pool.u16[w + U16.HOD_LEVEL + hod]! / LEVEL_SCALE;
    const offset = readOffset(u8, b + U8.HOW_OFFSET, how);
    const predicted = level + (offset ?? 0);
    const scale = pool.f32[s]!;
    const clip = Math.max(4 * scale, 2);
    // Only surges are clipped (attacks add traffic); a host that got quieter is believed at once.
    const residual = Math.min(clip, x - predicted);
    const xw = predicted + residual;
    // A fixed cap, not one relative to the scale, so a run of odd hours cannot inflate the scale without bound.
    const spread = Math.min(Math.abs(residual), MAX_SPREAD);
    if (!silent) pool.f32[s] = scale === 0 ? spread : scale + SCALE_ALPHA * (spread - scale);
    const alpha = Math.max(1 / (samples + 1), LEVEL_ALPHA_MIN);
    const nextLevel = level + alpha * (xw - (offset ?? 0) - level);
    pool.u16[w + U16.HOD_LEVEL + hod] = Math.round(Math.max(0, Math.min(255, nextLevel)) * LEVEL_SCALE);
    // Weekly offsets mean something only once the hour of day has a week of history behind it.
    if (samples >= 7) {
      const target = Math.max(-3.5, Math.min(3.5, xw - level));
      writeOffset(u8, b + U8.HOW_OFFSET, how, offset === undefined ? target : offset + OFFSET_ALPHA * (target - offset));
    }
  }
  u8[b + U8.HOD_SAMPLES + hod] = Math.min(255, samples + 1);
  const u = slot * U32.STRIDE + U32.HOURS_SEEN;
  pool.u32[u] = pool.u32[u]! + 1;
}

/** Sets the running hour's expectation and its alert bound (Infinity while warming up). */
function prepareHour(pool: HostPool, slot: number, hour: number, th: Thresholds, settings: DetectionSettings): void {
  const f = slot * F64.STRIDE;
  const b = slot * U8.STRIDE;
  const hod = hour % 24;
  const samples = pool.u8[b + U8.HOD_SAMPLES + hod]!;
  if (pool.u32[slot * U32.STRIDE + U32.HOURS_SEEN]! < settings.volumeWarmupHours || samples < settings.volumeMinHourSamples || th.disabled.includes('volume-anomaly')) {
    pool.f64[f + F64.HOUR_BOUND] = Infinity;
    pool.f64[f + F64.HOUR_EXPECTED] = 0;
    return;
  }
  const level = pool.u16[slot * U16.STRIDE + U16.HOD_LEVEL + hod]! / LEVEL_SCALE;
  const predicted = level + (readOffset(pool.u8, b + U8.HOW_OFFSET, (hour + MONDAY_OFFSET_HOURS) % 168) ?? 0);
  const margin = Math.max(Math.log2(th.volumeFactor), th.volumeDeviations * pool.f32[slot * F32.STRIDE + F32.SCALE]!);
  pool.f64[f + F64.HOUR_EXPECTED] = 2 ** predicted - 1;
  pool.f64[f + F64.HOUR_BOUND] = Math.max(2 ** (predicted + margin) - 1, th.volumeMinBytes);
}

/** Adds one outbound flow's bytes to the host's running hour; VOLUME_CROSSED while the hour is over its bound. */
export function volumeFlow(pool: HostPool, slot: number, t: number, bytes: number, th: Thresholds, settings: DetectionSettings): number {
  const u = slot * U32.STRIDE;
  const f = slot * F64.STRIDE;
  const hour = Math.floor(t / HOUR_MS);
  const u32 = pool.u32;
  const running = u32[u + U32.HOUR_INDEX]!;
  if (!(u32[u + U32.FLAGS]! & FLAG.VOLUME_STARTED)) {
    u32[u + U32.FLAGS] = u32[u + U32.FLAGS]! | FLAG.VOLUME_STARTED;
    u32[u + U32.HOUR_INDEX] = hour;
    pool.f64[f + F64.HOUR_BYTES] = 0;
    prepareHour(pool, slot, hour, th, settings);
  } else if (hour > running) {
    learnHour(pool, slot, running, pool.f64[f + F64.HOUR_BYTES]!, false);
    const silentUntil = Math.min(hour, running + 1 + MAX_SILENT_HOURS);
    for (let h = running + 1; h < silentUntil; h++) learnHour(pool, slot, h, 0, true);
    u32[u + U32.HOUR_INDEX] = hour;
    pool.f64[f + F64.HOUR_BYTES] = 0;
    prepareHour(pool, slot, hour, th, settings);
  } else if (hour < running) {
    return VOLUME_LATE;
  }
  const total = (pool.f64[f + F64.HOUR_BYTES] = pool.f64[f + F64.HOUR_BYTES]! + bytes);
  const bound = pool.f64[f + F64.HOUR_BOUND]!;
  if (total <= bound) return 0;
  const m = volumeMetrics;
  m.bytes = total;
  m.expected = pool.f64[f + F64.HOUR_EXPECTED]!;
  m.bound = bound;
  m.ratio = total / bound;
  return VOLUME_CROSSED;
}

/** The hour of week (Monday 00:00 UTC = 0) of a time; exported for tests and docs. */
export function hourOfWeek(t: number): number {
  return (Math.floor(t / HOUR_MS) + MONDAY_OFFSET_HOURS) % 168;
}
