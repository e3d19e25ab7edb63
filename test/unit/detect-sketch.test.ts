import { describe, expect, it } from 'vitest';
import { HostPool } from '../../domain/detection/pool';
import { hashIp, hllAdd, hllEstimateUnion, linearCountUnion, mix32, popcount32, setBit } from '../../domain/detection/sketch';

describe('counting sketches', () => {
  it('counts bits', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
  });

  it('linear counting estimates distinct values closely up to a few times the bitmap size', () => {
    for (const n of [5, 15, 25, 50, 100, 200]) {
      const words = new Uint32Array(8);
      for (let i = 0; i < n; i++) setBit(words, 0, 4, mix32(i + 1000));
      // Half in each window half: the union counts them once.
      for (let i = 0; i < n; i += 2) setBit(words, 4, 4, mix32(i + 1000));
      const estimate = linearCountUnion(words, 0, 4, 4);
      expect(Math.abs(estimate - n) / n, `n=${n} estimate=${estimate}`).toBeLessThan(0.2);
    }
  });

  it('HyperLogLog stays within its error for large counts, and unions two halves', () => {
    for (const n of [1000, 20000]) {
      const regs = new Uint8Array(64);
      for (let i = 0; i < n; i++) hllAdd(regs, i % 2 ? 0 : 32, 5, mix32(i * 7 + 1));
      const estimate = hllEstimateUnion(regs, 0, 32, 5);
      expect(Math.abs(estimate - n) / n, `n=${n} estimate=${estimate}`).toBeLessThan(0.45);
    }
    const small = new Uint8Array(32);
    for (let i = 0; i < 10; i++) hllAdd(small, 0, 4, mix32(i + 1));
    expect(Math.round(hllEstimateUnion(small, 0, 16, 4))).toBeGreaterThanOrEqual(7);
  });

  it('hashes IPv4 and IPv6 keys apart', () => {
    expect(hashIp(1)).not.toBe(hashIp(2));
    expect(hashIp('2001:db8::1')).not.toBe(hashIp('2001:db8::2'));
  });
});

describe('HostPool', () => {
  it('agrees with a Map under random inserts and deletes, through growth and rehashing', () => {
    const pool = new HostPool(16);
    const model = new Map<number | string, number>();
    const taken = new Set<number>();
    let seed = 1;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let step = 0; step < 20_000; step++) {
      // Few distinct keys so deletes hit often; clustered keys to exercise probing.
      const key = rnd() < 0.1 ? `2001:db8::${Math.floor(rnd() * 50).toString(16)}` : 0xc6336400 + Math.floor(rnd() * 3000);
      if (rnd() < 0.3 && model.has(key)) {
        pool.release(model.get(key)!);
        taken.delete(model.get(key)!);
        model.delete(key);
      } else {
        const slot = pool.findOrCreate(key);
        if (model.has(key)) expect(slot).toBe(model.get(key));
        else {
          expect(taken.has(slot)).toBe(false);
          model.set(key, slot);
          taken.add(slot);
        }
      }
      if (step % 997 === 0) {
        for (const [k, s] of model) {
          expect(pool.find(k)).toBe(s);
          expect(pool.keyOf(s)).toBe(k);
        }
      }
    }
    expect(pool.size).toBe(model.size);
    expect(pool.find(0x01020304)).toBe(-1);
  });
});
