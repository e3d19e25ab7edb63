// Per-host state as rows of shared typed arrays: a host is a slot number, its counters live at slot * STRIDE in each
// column. No object per host, nothing for silent addresses, and one copy when the pool grows. IPv4 hosts are found
// through an open-addressing table keyed by the address integer; IPv6 hosts through a Map keyed by canonical text.
import type { IpKey } from '../flows/types';
import type { TenantRef } from './allocations';
import type { Thresholds } from './thresholds';

function layout<const T extends Record<string, number>>(sizes: T): { [K in keyof T]: number } & { STRIDE: number } {
  let at = 0;
  const out: Record<string, number> = {};
  for (const [name, size] of Object.entries(sizes)) {
    out[name] = at;
    at += size;
  }
  out.STRIDE = at;
  return out as { [K in keyof T]: number } & { STRIDE: number };
}

// Two-window fields hold the current half-window first, then the previous one.
export const F64 = layout({ KEY: 1, LAST: 1, TARGET_KEY: 2, DST_KEY: 2, HOUR_BYTES: 1, HOUR_BOUND: 1, HOUR_EXPECTED: 1 });
export const U32 = layout({
  FLAGS: 1,
  SCAN_EPOCH: 1,
  PROBES: 2,
  FLAGGED: 2,
  /** Misra-Gries slots of the most probed ports: port << 16 | count. */
  PORT_SLOT: 2,
  /** Per port slot, a 128-bit bitmap of destinations for each half-window. */
  PORT_BITS: 16,
  /** 64-bit bitmap of distinct probed ports, per half-window. */
  PORTS_SEEN: 4,
  /** Misra-Gries counts of the most probed destinations (keys in F64.DST_KEY). */
  DST_COUNT: 2,
  /** Per destination slot, a 64-bit bitmap of ports for each half-window. */
  DST_BITS: 8,
  SPAM_EPOCH: 1,
  SPAM_CONN: 2,
  SPAM_BITS: 8,
  BF_EPOCH: 1,
  BF_CONN: 2,
  BF_BITS: 4,
  OUT_BUCKET: 1,
  IN_BUCKET: 1,
  IN_SOURCES: 4,
  HOUR_INDEX: 1,
  HOURS_SEEN: 1,
});
/** Rates: per target slot, then inbound: packets, bytes, flows, each current then previous bucket. */
export const F32 = layout({ TARGET_RATE: 12, IN_RATE: 6, SCALE: 1 });
/** HyperLogLog registers (probed destination-port pairs, probed destinations), hour-of-day counts, hour-of-week offsets. */
export const U8 = layout({ PAIR_HLL: 64, DST_HLL: 32, HOD_SAMPLES: 24, HOW_OFFSET: 84 });
/** Learned log2 volume per hour of day, in 1/256 steps. */
export const U16 = layout({ HOD_LEVEL: 24 });

export const FLAG = {
  VOLUME_STARTED: 1 << 0,
  OUT_SUSPECT: 1 << 1,
  IN_SUSPECT: 1 << 2,
  /** Bit of the first kind with an open finding; kind k uses OPEN << k. */
  OPEN: 1 << 8,
} as const;

export const BYTES_PER_SLOT = F64.STRIDE * 8 + U32.STRIDE * 4 + F32.STRIDE * 4 + U8.STRIDE + U16.STRIDE * 2;

const EMPTY = 0;

export class HostPool {
  f64: Float64Array;
  u32: Uint32Array;
  f32: Float32Array;
  u8: Uint8Array;
  u16: Uint16Array;
  /** Who holds each slot's address, and the thresholds that apply. */
  readonly refs: (TenantRef | undefined)[] = [];
  readonly thresholds: (Thresholds | undefined)[] = [];
  capacity: number;
  /** Slots ever handed out (the high-water mark); live hosts are `size`. */
  used = 0;
  size = 0;
  private readonly free: number[] = [];
  private tableKeys: Uint32Array;
  private tableSlots: Int32Array;
  private tableMask: number;
  private tableShift: number;
  private tableCount = 0;
  private readonly v6 = new Map<string, number>();
  private readonly v6Text = new Map<number, string>();

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.f64 = new Float64Array(this.capacity * F64.STRIDE);
    this.u32 = new Uint32Array(this.capacity * U32.STRIDE);
    this.f32 = new Float32Array(this.capacity * F32.STRIDE);
    this.u8 = new Uint8Array(this.capacity * U8.STRIDE);
    this.u16 = new Uint16Array(this.capacity * U16.STRIDE);
    let bits = 4;
    while (1 << bits < this.capacity * 2) bits++;
    this.tableKeys = new Uint32Array(1 << bits);
    this.tableSlots = new Int32Array(1 << bits);
    this.tableMask = (1 << bits) - 1;
    this.tableShift = 32 - bits;
  }

  /** The slot of a host, or -1 if it has none. */
  find(key: IpKey): number {
    if (typeof key !== 'number') return this.v6.get(key) ?? -1;
    const keys = this.tableKeys;
    const slots = this.tableSlots;
    for (let i = Math.imul(key, 0x9e3779b1) >>> this.tableShift; ; i = (i + 1) & this.tableMask) {
      const s = slots[i]!;
      if (s === EMPTY) return -1;
      if (keys[i] === key) return s - 1;
    }
  }

  /** The slot of a host, created (zeroed) if it had none; `created` says which. */
  findOrCreate(key: IpKey): number {
    if (typeof key !== 'number') {
      const known = this.v6.get(key);
      if (known !== undefined) return known;
      const slot = this.allocate(NaN);
      this.v6.set(key, slot);
      this.v6Text.set(slot, key);
      return slot;
    }
    const keys = this.tableKeys;
    const slots = this.tableSlots;
    let i = Math.imul(key, 0x9e3779b1) >>> this.tableShift;
    for (; ; i = (i + 1) & this.tableMask) {
      const s = slots[i]!;
      if (s === EMPTY) break;
      if (keys[i] === key) return s - 1;
    }
    const slot = this.allocate(key);
    keys[i] = key;
    slots[i] = slot + 1;
    if (++this.tableCount * 2 > slots.length) this.rehash(slots.length * 2);
    return slot;
  }

  keyOf(slot: number): IpKey {
    const n = this.f64[slot * F64.STRIDE + F64.KEY]!;
    return Number.isNaN(n) ? this.v6Text.get(slot)! : n;
  }

  /** Forgets a host: its slot is zeroed and reused. */
  release(slot: number): void {
    const key = this.keyOf(slot);
    if (typeof key === 'number') this.tableDelete(key);
    else {
      this.v6.delete(key);
      this.v6Text.delete(slot);
    }
    this.refs[slot] = undefined;
    this.thresholds[slot] = undefined;
    this.f64[slot * F64.STRIDE + F64.LAST] = -1;
    this.free.push(slot);
    this.size--;
  }

  /** Whether a slot holds a host (released slots have LAST = -1). */
  live(slot: number): boolean {
    return slot < this.used && this.f64[slot * F64.STRIDE + F64.LAST]! >= 0;
  }

  /** Zeroes everything a slot has learned, keeping its address (a reallocated address starts afresh). */
  reset(slot: number): void {
    const key = this.f64[slot * F64.STRIDE + F64.KEY]!;
    const last = this.f64[slot * F64.STRIDE + F64.LAST]!;
    this.clear(slot);
    this.f64[slot * F64.STRIDE + F64.KEY] = key;
    this.f64[slot * F64.STRIDE + F64.LAST] = last;
  }

  /** Bytes held by the typed arrays and the address table (what grows with hosts). */
  bytes(): number {
    return this.f64.byteLength + this.u32.byteLength + this.f32.byteLength + this.u8.byteLength + this.u16.byteLength + this.tableKeys.byteLength + this.tableSlots.byteLength;
  }

  private allocate(key: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow(Math.ceil(this.capacity * 1.5));
      slot = this.used++;
    }
    this.clear(slot);
    this.f64[slot * F64.STRIDE + F64.KEY] = key;
    this.f64[slot * F64.STRIDE + F64.LAST] = 0;
    this.size++;
    return slot;
  }

  private clear(slot: number): void {
    this.f64.fill(0, slot * F64.STRIDE, (slot + 1) * F64.STRIDE);
    this.u32.fill(0, slot * U32.STRIDE, (slot + 1) * U32.STRIDE);
    this.f32.fill(0, slot * F32.STRIDE, (slot + 1) * F32.STRIDE);
    this.u8.fill(0, slot * U8.STRIDE, (slot + 1) * U8.STRIDE);
    this.u16.fill(0, slot * U16.STRIDE, (slot + 1) * U16.STRIDE);
    const f = slot * F64.STRIDE;
    // NaN never equals anything: empty target and destination slots.
    this.f64[f + F64.TARGET_KEY] = NaN;
    this.f64[f + F64.TARGET_KEY + 1] = NaN;
    this.f64[f + F64.DST_KEY] = NaN;
    this.f64[f + F64.DST_KEY + 1] = NaN;
    this.f64[f + F64.HOUR_BOUND] = Infinity;
  }

  private grow(capacity: number): void {
    const grown = <A extends Float64Array | Uint32Array | Float32Array | Uint8Array | Uint16Array>(old: A, stride: number, make: new (n: number) => A): A => {
      const next = new make(capacity * stride);
      next.set(old);
      return next;
    };
    this.f64 = grown(this.f64, F64.STRIDE, Float64Array);
    this.u32 = grown(this.u32, U32.STRIDE, Uint32Array);
    this.f32 = grown(this.f32, F32.STRIDE, Float32Array);
    this.u8 = grown(this.u8, U8.STRIDE, Uint8Array);
    this.u16 = grown(this.u16, U16.STRIDE, Uint16Array);
    this.capacity = capacity;
  }

  private rehash(size: number): void {
    const oldKeys = this.tableKeys;
    const oldSlots = this.tableSlots;
    this.tableKeys = new Uint32Array(size);
    this.tableSlots = new Int32Array(size);
    this.tableMask = size - 1;
    this.tableShift = 32 - Math.log2(size);
    for (let j = 0; j < oldSlots.length; j++) {
      if (oldSlots[j] === EMPTY) continue;
      let i = Math.imul(oldKeys[j]!, 0x9e3779b1) >>> this.tableShift;
      while (this.tableSlots[i] !== EMPTY) i = (i + 1) & this.tableMask;
      this.tableKeys[i] = oldKeys[j]!;
      this.tableSlots[i] = oldSlots[j]!;
    }
  }

  /** Linear-probing delete with backward shift, so lookups never need tombstones. */
  private tableDelete(key: number): void {
    const keys = this.tableKeys;
    const slots = this.tableSlots;
    const mask = this.tableMask;
    let i = Math.imul(key, 0x9e3779b1) >>> this.tableShift;
    while (slots[i] !== EMPTY && keys[i] !== key) i = (i + 1) & mask;
    if (slots[i] === EMPTY) return;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (slots[j] === EMPTY) break;
      const home = Math.imul(keys[j]!, 0x9e3779b1) >>> this.tableShift;
      // Move j back to i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      keys[i] = keys[j]!;
      slots[i] = slots[j]!;
      i = j;
    }
    slots[i] = EMPTY;
    this.tableCount--;
  }
}
