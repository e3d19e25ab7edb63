// A template compiled once when it arrives: record length, field offsets, and which field gives each part of a
// FlowRecord, so the per-record work is a handful of reads at known offsets.
import { ipfixElement, netflow9Field, netflow9Scope, type ElementKind } from './elements';

/** IPFIX field length meaning "variable": the value carries its own length prefix (RFC 7011 7); H3C uses it in v9 too. */
export const VARLEN = 65535;

export interface TemplateField {
  id: number;
  /** Private enterprise number; 0 for IANA elements and every NetFlow v9 field. */
  pen: number;
  length: number;
}

/** How a time field counts. Micro- and nanosecond IPFIX elements both use the NTP 64-bit format (RFC 7011 6.1.9/10). */
export const TIME = { NONE: 0, UPTIME: 1, SECONDS: 2, MILLIS: 3, NTP: 4, DELTA_MICROS: 5 } as const;
export type TimeKind = (typeof TIME)[keyof typeof TIME];

/** How a sampling rate is written: 1-in-N directly, interval plus space (305/306), population over size, probability. */
export const RATE = { NONE: 0, INTERVAL: 1, SPACING: 2, POPULATION: 3, PROBABILITY: 4 } as const;
export type RateKind = (typeof RATE)[keyof typeof RATE];

export interface RateSource {
  kind: RateKind;
  a: number;
  b: number;
}

/** Field indexes (-1 when absent) of what a FlowRecord needs. */
export interface FlowLayout {
  src4: number;
  dst4: number;
  src6: number;
  dst6: number;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags: number;
  icmpTypeCode: number;
  bytes: number;
  packets: number;
  start: number;
  startKind: TimeKind;
  end: number;
  endKind: TimeKind;
  /** flowDurationMilliseconds (161) or -Microseconds (162): the end when only the start is given. */
  duration: number;
  durationMicros: boolean;
  rate: RateSource;
  /** samplerId (48) or selectorId (302): which sampler's rate, announced in options data, applies. */
  sampler: number;
  systemInit: number;
}

/** What an options data record can tell about its exporter: a sampler's rate, the device's boot time. */
export interface OptionsLayout {
  sampler: number;
  rate: RateSource;
  systemInit: number;
}

export type FullKind = ElementKind | 'ts-seconds' | 'ts-millis' | 'ts-ntp' | 'uptime';

export interface FullField {
  name: string;
  kind: FullKind;
}

export interface Template {
  id: number;
  version: 9 | 10;
  fields: TemplateField[];
  /** Leading scope fields of an options template (0 for data templates). */
  scopeCount: number;
  options: boolean;
  /** No variable-length field: offsets and lengths hold for every record. */
  fixed: boolean;
  /** The record length of a fixed template; the least a variable one can take (one length byte per such field). */
  recordLength: number;
  /** Value offset within the record and value length, per field; refilled per record for variable templates. */
  offsets: Int32Array;
  lengths: Int32Array;
  /** Null when the template lacks a source and destination address: its records are not flows. */
  flow: FlowLayout | null;
  sampling: OptionsLayout | null;
  /** Names and kinds for the full decode, built the first time a record of this template is fully decoded. */
  full: FullField[] | null;
}

export function compileTemplate(version: 9 | 10, id: number, fields: TemplateField[], scopeCount: number, options: boolean): Template {
  const offsets = new Int32Array(fields.length);
  const lengths = new Int32Array(fields.length);
  let at = 0;
  let fixed = true;
  fields.forEach((f, i) => {
    if (f.length === VARLEN) {
      fixed = false;
      at += 1;
      offsets[i] = -1;
      lengths[i] = -1;
    } else {
      offsets[i] = at;
      lengths[i] = f.length;
      at += f.length;
    }
  });
  // v9 scope fields carry scope types (1 system, 2 interface, ...), not element numbers: keep them out of the roles.
  const roleFrom = version === 9 ? scopeCount : 0;
  // The first of the ids present with a length the hot path can read without checking (never variable).
  const findSized = (ids: number[], fits: (length: number) => boolean): number => {
    for (const want of ids) {
      for (let i = roleFrom; i < fields.length; i++) {
        const f = fields[i]!;
        if (f.id === want && f.pen === 0 && fits(f.length)) return i;
      }
    }
    return -1;
  };
  const find = (...ids: number[]): number => findSized(ids, isUint);
  const address = (id: number, length: number): number => findSized([id], (l) => l === length);
  const rate = rateSource(find, findSized);
  const sampler = find(48, 302);
  const systemInit = find(160);
  const template: Template = {
    id,
    version,
    fields,
    scopeCount,
    options,
    fixed,
    recordLength: at,
    offsets,
    lengths,
    flow: null,
    sampling: null,
    full: null,
  };
  if (options) {
    if (rate.kind !== RATE.NONE || systemInit >= 0) template.sampling = { sampler, rate, systemInit };
    return template;
  }
  const src4 = address(8, 4);
  const dst4 = address(12, 4);
  const src6 = address(27, 16);
  const dst6 = address(28, 16);
  if ((src4 < 0 || dst4 < 0) && (src6 < 0 || dst6 < 0)) return template;
  const [start, startKind] = timeSource(findSized, [152, TIME.MILLIS], [150, TIME.SECONDS], [154, TIME.NTP], [156, TIME.NTP], [22, TIME.UPTIME], [158, TIME.DELTA_MICROS]);
  const [end, endKind] = timeSource(findSized, [153, TIME.MILLIS], [151, TIME.SECONDS], [155, TIME.NTP], [157, TIME.NTP], [21, TIME.UPTIME], [159, TIME.DELTA_MICROS]);
  const durationMs = find(161);
  template.flow = {
    src4: src4 >= 0 && dst4 >= 0 ? src4 : -1,
    dst4: src4 >= 0 && dst4 >= 0 ? dst4 : -1,
    src6: src6 >= 0 && dst6 >= 0 ? src6 : -1,
    dst6: src6 >= 0 && dst6 >= 0 ? dst6 : -1,
    srcPort: find(7, 182, 180),
    dstPort: find(11, 183, 181),
    protocol: find(4),
    tcpFlags: find(6),
    icmpTypeCode: find(32, 139),
    // Delta counts first; then egress (v9 OUT_BYTES / postOctetDeltaCount), NSEL initiator counts, totals.
    bytes: find(1, 23, 231, 85, 352),
    packets: find(2, 24, 298, 86),
    start,
    startKind,
    end,
    endKind,
    duration: durationMs >= 0 ? durationMs : find(162),
    durationMicros: durationMs < 0,
    rate,
    sampler,
    systemInit,
  };
  return template;
}

const isUint = (length: number): boolean => length >= 1 && length <= 8;

function timeSource(
  findSized: (ids: number[], fits: (length: number) => boolean) => number,
  ...candidates: [number, TimeKind][]
): [number, TimeKind] {
  for (const [id, kind] of candidates) {
    const i = findSized([id], kind === TIME.NTP ? (l) => l === 8 : isUint);
    if (i >= 0) return [i, kind];
  }
  return [-1, TIME.NONE];
}

function rateSource(
  find: (...ids: number[]) => number,
  findSized: (ids: number[], fits: (length: number) => boolean) => number,
): RateSource {
  const interval = find(34, 50);
  if (interval >= 0) return { kind: RATE.INTERVAL, a: interval, b: -1 };
  const packetInterval = find(305);
  const packetSpace = find(306);
  if (packetInterval >= 0 && packetSpace >= 0) return { kind: RATE.SPACING, a: packetInterval, b: packetSpace };
  const size = find(309);
  const population = find(310);
  if (size >= 0 && population >= 0) return { kind: RATE.POPULATION, a: size, b: population };
  const probability = findSized([311], (l) => l === 4 || l === 8);
  if (probability >= 0) return { kind: RATE.PROBABILITY, a: probability, b: -1 };
  return { kind: RATE.NONE, a: -1, b: -1 };
}

/**
 * Fills a variable-length template's offsets and lengths for the record at `at`; returns the record's length,
 * or -1 when it runs past `end`. A length byte of 255 announces a 2-byte length (RFC 7011 7).
 */
export function measureRecord(t: Template, b: Uint8Array, at: number, end: number): number {
  const { fields, offsets, lengths } = t;
  let o = at;
  for (let i = 0; i < fields.length; i++) {
    let len = fields[i]!.length;
    if (len === VARLEN) {
      if (o + 1 > end) return -1;
      len = b[o]!;
      o += 1;
      if (len === 255) {
        if (o + 2 > end) return -1;
        len = (b[o]! << 8) | b[o + 1]!;
        o += 2;
      }
    }
    offsets[i] = o - at;
    lengths[i] = len;
    o += len;
    if (o > end) return -1;
  }
  return o - at;
}

/** Names and kinds of every field, for the full decode. */
export function fullFields(t: Template): FullField[] {
  return t.fields.map((f, i) => {
    if (t.version === 9) {
      if (i < t.scopeCount) return netflow9Scope(f.id);
      const info = netflow9Field(f.id);
      return { name: info.name, kind: f.id === 21 || f.id === 22 ? 'uptime' : info.kind };
    }
    const info = ipfixElement(f.pen, f.id);
    if (f.pen !== 0) return info;
    if (f.id === 150 || f.id === 151) return { name: info.name, kind: 'ts-seconds' };
    if (f.id === 152 || f.id === 153) return { name: info.name, kind: 'ts-millis' };
    if (f.id >= 154 && f.id <= 157) return { name: info.name, kind: 'ts-ntp' };
    return info;
  });
}
