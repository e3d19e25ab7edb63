// Which partition a flow record belongs to, and which partitions a detector process owns. Every record of one source
// address goes to one partition, so one detector holds all of that host's state. The hash is part of the wire contract:
// a collector written in another language must compute the same, and changing it moves every host to another detector.
import type { FlowRecord, IpKey } from '../domain/flows/types';

export const MAX_PARTITIONS = 1_024;

/** murmur3's 32-bit finaliser, so the low bits the modulo keeps depend on every input bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The partition hash of an address: FNV-1a (32-bit) over its bytes, then fmix32. IPv4: the 4 address bytes in network
 * order. IPv6: the ASCII bytes of its canonical RFC 5952 text (the IpKey itself), so no parsing on the hot path.
 * Independent of the detection engine's own table hashing (multiplicative on IPv4 keys), so a partition's hosts do
 * not crowd a few buckets there.
 */
export function addressHash(key: IpKey): number {
  let h = 0x811c9dc5;
  if (typeof key === 'number') {
    h = Math.imul(h ^ (key >>> 24), 0x01000193);
    h = Math.imul(h ^ ((key >>> 16) & 255), 0x01000193);
    h = Math.imul(h ^ ((key >>> 8) & 255), 0x01000193);
    h = Math.imul(h ^ (key & 255), 0x01000193);
  } else {
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ (key.charCodeAt(i) & 255), 0x01000193);
  }
  return fmix32(h);
}

/** The partition of a source (or any) address among `partitions`. */
export function partitionOf(key: IpKey, partitions: number): number {
  return addressHash(key) % partitions;
}

/** The partition a record is published to: by its source address. */
export function flowPartition(record: FlowRecord, partitions: number): number {
  return addressHash(record.src) % partitions;
}

export function checkPartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new RangeError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${partitions}`);
  }
}

/**
 * The partitions detector `index` of `of` owns out of `total`, round-robin (index, index + of, ...): every partition has
 * exactly one owner and owners differ by at most one partition. More detectors than partitions leaves some idle.
 */
export function partitionsFor(index: number, of: number, total: number): number[] {
  checkPartitionCount(total);
  if (!Number.isInteger(of) || of < 1) throw new RangeError(`the number of detectors must be a positive integer, got ${of}`);
  if (!Number.isInteger(index) || index < 0 || index >= of) throw new RangeError(`detector index must be an integer from 0 to ${of - 1}, got ${index}`);
  const owned: number[] = [];
  for (let p = index; p < total; p += of) owned.push(p);
  return owned;
}
