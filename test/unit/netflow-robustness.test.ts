// Malformed input never throws out of the decoder: every truncation of valid datagrams, random corruption, and
// hostile template state are counted and dropped.
import { describe, expect, test } from 'vitest';
import { errorCount, NetflowDecoder } from '../../domain/flows/netflow';
import {
  concat,
  dataSet,
  ipfixMessage,
  ipfixOptionsTemplateSet,
  ipfixTemplateSet,
  record,
  text,
  u32,
  v5Packet,
  v9OptionsTemplateSet,
  v9Packet,
  v9TemplateSet,
  VARIABLE,
  varlen,
} from '../support/netflow-builder';

const UNIX = 1_704_067_200;
const v5 = v5Packet({ sysUptime: 5000, unixSecs: UNIX, samplingInterval: 10 }, [
  { src: '10.0.0.1', dst: '10.0.0.2', packets: 1, bytes: 40, first: 1000, last: 2000, srcPort: 1, dstPort: 2, protocol: 6 },
  { src: '10.0.0.3', dst: '10.0.0.4', packets: 2, bytes: 80, first: 1000, last: 2000, srcPort: 3, dstPort: 4, protocol: 17 },
]);
const v9 = v9Packet({ sysUptime: 5000, unixSecs: UNIX }, [
  v9TemplateSet([{ id: 256, fields: [[8, 4], [12, 4], [1, 4], [2, 4], [21, 4], [22, 4], [48, 1], [82, 6]] }]),
  v9OptionsTemplateSet({ id: 257, scope: [[1, 4]], options: [[48, 1], [50, 4]] }),
  dataSet(257, [record([[4, 0], [1, 1], [4, 100]])], 4),
  dataSet(256, [record([[4, '10.0.0.1'], [4, '10.0.0.2'], [4, 40], [4, 1], [4, 4000], [4, 3000], [1, 1], [6, text('eth0\0\0')]])], 4),
]);
const ipfix = ipfixMessage({ exportTime: UNIX, domainId: 9 }, [
  ipfixTemplateSet([{ id: 256, fields: [{ id: 27, length: 16 }, { id: 28, length: 16 }, { id: 82, length: VARIABLE }, { id: 1, length: 8 }, { id: 7, length: 4, pen: 6871 }, { id: 154, length: 8 }] }]),
  ipfixOptionsTemplateSet([{ id: 258, scopeCount: 1, fields: [{ id: 302, length: 4 }, { id: 305, length: 4 }, { id: 306, length: 4 }] }]),
  dataSet(258, [record([[4, 1], [4, 1], [4, 9]])]),
  dataSet(256, [concat(record([[16, '2001:db8::1'], [16, '2001:db8::2']]), varlen(text('x'.repeat(300))), record([[8, 1500], [4, 7], [8, 1n << 40n]]))]),
]);
const SAMPLES = { v5, v9, ipfix } as const;

function decodeBoth(d: Uint8Array, hot: NetflowDecoder, whole: NetflowDecoder): number {
  let n = hot.decode(d, 'e', () => {});
  n += whole.decodeFull(d, 'e', (r) => {
    JSON.stringify(r); // every value is JSON-safe (no bigint)
  });
  return n;
}

describe('robustness', () => {
  test.each(Object.entries(SAMPLES))('every truncation of a %s datagram decodes or drops without throwing', (_, datagram) => {
    const hot = new NetflowDecoder();
    const whole = new NetflowDecoder();
    const complete = decodeBoth(datagram, hot, whole);
    expect(complete).toBeGreaterThan(0);
    expect(errorCount(hot.stats)).toBe(0);
    for (let cut = 0; cut < datagram.length; cut++) {
      const part = datagram.subarray(0, cut);
      // No truncated datagram yields more records than the whole one did.
      expect(decodeBoth(part, hot, whole)).toBeLessThanOrEqual(complete);
    }
    expect(hot.stats.droppedDatagrams).toBeGreaterThan(datagram.length / 2);
    expect(hot.stats.datagrams).toBe(datagram.length + 1);
  });

  test('the same truncations as Buffers and as views into a larger buffer at an odd offset', () => {
    const hot = new NetflowDecoder();
    const whole = new NetflowDecoder();
    for (const datagram of Object.values(SAMPLES)) {
      const host = new Uint8Array(datagram.length + 3);
      host.set(datagram, 3);
      for (let cut = 0; cut <= datagram.length; cut++) {
        expect(() => decodeBoth(Buffer.from(datagram.subarray(0, cut)), hot, whole)).not.toThrow();
        expect(() => decodeBoth(host.subarray(3, 3 + cut), hot, whole)).not.toThrow();
      }
    }
  });

  test('random corruption of valid datagrams never throws', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const hot = new NetflowDecoder();
    const whole = new NetflowDecoder();
    for (let i = 0; i < 6000; i++) {
      const base = Object.values(SAMPLES)[i % 3]!;
      const d = Uint8Array.from(base);
      const flips = 1 + Math.floor(random() * 6);
      for (let k = 0; k < flips; k++) d[2 + Math.floor(random() * (d.length - 2))] = Math.floor(random() * 256);
      expect(() => decodeBoth(d, hot, whole)).not.toThrow();
    }
    expect(hot.stats.datagrams).toBe(6000);
  });

  test('zero- and odd-length inputs, and unknown versions, are dropped by reason', () => {
    const decoder = new NetflowDecoder();
    for (const d of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0, 7, 1, 2), Uint8Array.of(0, 9), Uint8Array.of(0, 10, 0)]) decoder.decode(d, 'e', () => {});
    expect(decoder.stats.dropped).toMatchObject({ 'too-short': 4, 'unsupported-version': 1 });
    expect(decoder.stats.droppedDatagrams).toBe(5);
  });

  test('state is bounded: exporters, domains and templates past the limits are refused and counted', () => {
    const decoder = new NetflowDecoder({ limits: { exporters: 2, domainsPerExporter: 2, templatesPerDomain: 3 } });
    const template = (id: number, domainId = 0) => ipfixMessage({ exportTime: UNIX, domainId }, [ipfixTemplateSet([{ id, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }] }])]);
    for (const exporter of ['a', 'b', 'c']) decoder.decode(template(256), exporter, () => {});
    for (const domain of [1, 2]) decoder.decode(template(256, domain), 'a', () => {});
    for (let id = 300; id < 305; id++) decoder.decode(template(id), 'a', () => {});
    decoder.decode(template(300), 'a', () => {}); // a refresh of a stored template is still accepted
    expect(decoder.state.exporters.size).toBe(2);
    expect(decoder.state.exporters.get('a')!.domains.size).toBe(2);
    expect(decoder.stats.setErrors['state-limit']).toBe(1 + 1 + 3);
    expect(decoder.stats.templates).toBe(2 + 1 + 2 + 1);
  });

  test('a v9 options record naming ever more sampler ids stops growing the sampler table', () => {
    const decoder = new NetflowDecoder();
    const records = Array.from({ length: 5000 }, (_, i) => record([[4, 0], [4, i], [4, 10]]));
    const header = { sysUptime: 1, unixSecs: UNIX };
    decoder.decode(v9Packet(header, [v9OptionsTemplateSet({ id: 257, scope: [[1, 4]], options: [[48, 4], [50, 4]] })]), 'e', () => {});
    for (let i = 0; i < records.length; i += 100) decoder.decode(v9Packet(header, [dataSet(257, records.slice(i, i + 100))]), 'e', () => {});
    expect(decoder.stats.optionRecords).toBe(5000);
    const domain = [...decoder.state.exporters.get('e')!.domains.values()][0]!;
    expect(domain.samplerRates.size).toBe(4096);
  });

  test('a sink may keep records, and counters beyond 2^53 stay finite numbers', () => {
    const big = ipfixMessage({ exportTime: UNIX }, [
      ipfixTemplateSet([{ id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 1, length: 8 }] }]),
      dataSet(256, [concat(record([[4, '10.0.0.1'], [4, '10.0.0.2']]), u32(0xffffffff), u32(0xffffffff))]),
    ]);
    const kept: number[] = [];
    new NetflowDecoder().decode(big, 'e', (r) => kept.push(r.bytes));
    expect(kept).toEqual([2 ** 64 - 1]);
    const fields: unknown[] = [];
    new NetflowDecoder().decodeFull(big, 'e', (r) => fields.push(r.fields.octetDeltaCount));
    expect(fields).toEqual(['18446744073709551615']);
  });
});
