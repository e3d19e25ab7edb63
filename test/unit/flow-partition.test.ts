import { describe, expect, test } from 'vitest';
import { addressHash, flowPartition, partitionOf, partitionsFor } from '../../detection/flow-partition';
import { ipv4ToKey, type FlowRecord } from '../../domain/flows/types';

describe('partition of a source address', () => {
  // Computed independently (Python: FNV-1a 32 over the bytes, then murmur3 fmix32): the hash is a wire contract.
  test.each([
    ['0.0.0.0', 1_234_692_987, 11],
    ['10.0.0.1', 4_242_520_943, 15],
    ['192.0.2.1', 1_291_677_996, 12],
    ['203.0.113.10', 2_041_664_421, 5],
    ['255.255.255.255', 650_290_018, 2],
  ])('IPv4 %s hashes to %i, partition %i of 16', (text, hash, partition) => {
    const key = ipv4ToKey(text)!;
    expect(addressHash(key)).toBe(hash);
    expect(partitionOf(key, 16)).toBe(partition);
  });

  test.each([
    ['::1', 4_026_782_422, 6],
    ['2001:db8::1', 3_849_813_818, 10],
    ['fe80::1', 2_543_691_103, 15],
  ])('IPv6 %s hashes to %i, partition %i of 16', (key, hash, partition) => {
    expect(addressHash(key)).toBe(hash);
    expect(partitionOf(key, 16)).toBe(partition);
  });

  test('a record goes by its source, whatever the destination', () => {
    const record = { src: ipv4ToKey('203.0.113.10')!, dst: 1 } as FlowRecord;
    expect(flowPartition(record, 16)).toBe(5);
    expect(flowPartition({ ...record, dst: '2001:db8::1' }, 16)).toBe(5);
  });

  test('sequential addresses (a tenant network) spread evenly', () => {
    for (const partitions of [2, 3, 16, 64]) {
      const counts = new Array<number>(partitions).fill(0);
      const n = 64 * 1024;
      for (let i = 0; i < n; i++) counts[partitionOf(ipv4ToKey('10.0.0.0')! + i, partitions)]!++;
      const mean = n / partitions;
      for (const c of counts) expect(Math.abs(c - mean) / mean, `${partitions} partitions: ${counts.join(',')}`).toBeLessThan(0.1);
      const v6 = new Array<number>(partitions).fill(0);
      for (let i = 0; i < n; i++) v6[partitionOf(`2001:db8::${(i + 1).toString(16)}`, partitions)]!++;
      for (const c of v6) expect(Math.abs(c - mean) / mean, `IPv6, ${partitions} partitions: ${v6.join(',')}`).toBeLessThan(0.1);
    }
  });
});

describe('partitions of detector index of N', () => {
  test('two detectors of 16 partitions take the even and the odd ones', () => {
    expect(partitionsFor(0, 2, 16)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(partitionsFor(1, 2, 16)).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
  });

  test('every partition has exactly one owner, and owners differ by at most one partition', () => {
    for (const total of [1, 7, 16, 100]) {
      for (const of of [1, 2, 3, 5, 16, 20]) {
        const all = Array.from({ length: of }, (_, i) => partitionsFor(i, of, total));
        expect(all.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, p) => p));
        const sizes = all.map((ps) => ps.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  test('more detectors than partitions leaves the extra ones idle', () => {
    expect(partitionsFor(3, 4, 3)).toEqual([]);
  });

  test.each([
    [2, 2, 16, /index must be an integer from 0 to 1/],
    [-1, 2, 16, /index/],
    [0, 0, 16, /positive integer/],
    [0, 1.5, 16, /positive integer/],
    [0, 2, 0, /partitions must be an integer from 1/],
    [0, 2, 5000, /partitions must be an integer from 1 to 1024/],
  ])('refuses index %d of %d over %d partitions', (index, of, total, reason) => {
    expect(() => partitionsFor(index, of, total)).toThrow(reason);
  });
});
