// Decoding speed of NetFlow v5, v9 and IPFIX on one core: records per second through NetflowDecoder.decode into a
// sink that sums bytes and keeps the last record. `npx tsx bench/flows-decode.ts` prints the figures; benchDecode() returns them.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetflowDecoder } from '../domain/flows/netflow';
import type { FlowRecord } from '../domain/flows/types';
import {
  dataSet,
  ipfixMessage,
  ipfixTemplateSet,
  record,
  text,
  v5Packet,
  v9Packet,
  v9TemplateSet,
  varlen,
  VARIABLE,
  type IpfixField,
  type V9Field,
} from '../test/support/netflow-builder';

export interface DecodeFigure {
  name: string;
  recordsPerDatagram: number;
  records: number;
  ms: number;
  recordsPerSecond: number;
}

/** Datagrams of each kind, as large as exporters usually send them (about 1400 bytes), with varied values. */
export function workloads(): { name: string; setup: Uint8Array[]; datagrams: Uint8Array[] }[] {
  const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const ip6 = (i: number) => `2001:db8::${(i & 0xffff).toString(16)}:1`;
  const count = 64;
  const v5 = Array.from({ length: count }, (_, d) =>
    v5Packet(
      { sysUptime: 3_600_000, unixSecs: 1_700_000_000 + d, sequence: d * 30 },
      Array.from({ length: 30 }, (_, i) => ({
        src: ip(d * 30 + i),
        dst: ip(d * 7 + i + 1),
        packets: 1 + i,
        bytes: 64 * (1 + i),
        first: 3_500_000 + i,
        last: 3_599_000,
        srcPort: 1024 + i,
        dstPort: 443,
        tcpFlags: 0x1b,
        protocol: 6,
      })),
    ),
  );
  // Cisco's usual v9 template: 18 fields, 45 bytes a record.
  const v9Fields: V9Field[] = [[8, 4], [12, 4], [15, 4], [10, 2], [14, 2], [2, 4], [1, 4], [22, 4], [21, 4], [7, 2], [11, 2], [6, 1], [4, 1], [5, 1], [16, 2], [17, 2], [9, 1], [13, 1]];
  const v9Record = (i: number) =>
    record([[4, ip(i)], [4, ip(i * 3 + 1)], [4, '0.0.0.0'], [2, 1], [2, 2], [4, 1 + (i % 9)], [4, 100 + i], [4, 3_500_000], [4, 3_599_000], [2, 1024 + (i % 60000)], [2, 443], [1, 0x12], [1, 6], [1, 0], [2, 0], [2, 0], [1, 24], [1, 24]]);
  const perV9 = Math.floor((1400 - 20 - 4) / 45);
  const v9Template = v9Packet({ sysUptime: 3_600_000, unixSecs: 1_700_000_000 }, [v9TemplateSet([{ id: 256, fields: v9Fields }])]);
  const v9 = Array.from({ length: count }, (_, d) =>
    v9Packet({ sysUptime: 3_600_000, unixSecs: 1_700_000_000 + d, sequence: d }, [dataSet(256, Array.from({ length: perV9 }, (_, i) => v9Record(d * perV9 + i)))]),
  );
  // A typical IPFIX template: 64-bit counters, millisecond times, 16-bit TCP flags; 46 bytes a record.
  const ipfixFields: IpfixField[] = [8, 12, 7, 11, 4, 6, 1, 2, 152, 153, 10, 14].map((id) => ({ id, length: ({ 8: 4, 12: 4, 7: 2, 11: 2, 4: 1, 6: 2, 1: 8, 2: 8, 152: 8, 153: 8, 10: 4, 14: 4 } as Record<number, number>)[id]! }));
  const ipfixRecord = (i: number) =>
    record([[4, ip(i)], [4, ip(i * 5 + 2)], [2, 1024 + (i % 60000)], [2, 53], [1, 17], [2, 0], [8, 80 + i], [8, 1 + (i % 5)], [8, 1_700_000_000_000 + i], [8, 1_700_000_001_000 + i], [4, 3], [4, 4]]);
  const perIpfix = Math.floor((1400 - 16 - 4) / 47);
  const ipfixTemplate = ipfixMessage({ exportTime: 1_700_000_000 }, [ipfixTemplateSet([{ id: 300, fields: ipfixFields }])]);
  const ipfix = Array.from({ length: count }, (_, d) =>
    ipfixMessage({ exportTime: 1_700_000_000 + d, sequence: d * perIpfix }, [dataSet(300, Array.from({ length: perIpfix }, (_, i) => ipfixRecord(d * perIpfix + i)))]),
  );
  // IPv6 and a variable-length text field: the slower shapes, for comparison.
  const v6Fields: IpfixField[] = [{ id: 27, length: 16 }, { id: 28, length: 16 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 }, { id: 1, length: 8 }, { id: 2, length: 8 }, { id: 152, length: 8 }, { id: 153, length: 8 }, { id: 82, length: VARIABLE }];
  const v6Record = (i: number) =>
    concatRecord(record([[16, ip6(i)], [16, ip6(i * 7 + 3)], [2, 40000 + (i % 20000)], [2, 443], [1, 6], [8, 1500], [8, 3], [8, 1_700_000_000_000], [8, 1_700_000_000_500]]), varlen(text(`eth${i % 8}`)));
  const perV6 = Math.floor((1400 - 16 - 4) / 75);
  const v6Template = ipfixMessage({ exportTime: 1_700_000_000, domainId: 2 }, [ipfixTemplateSet([{ id: 301, fields: v6Fields }])]);
  const v6 = Array.from({ length: count }, (_, d) =>
    ipfixMessage({ exportTime: 1_700_000_000 + d, domainId: 2 }, [dataSet(301, Array.from({ length: perV6 }, (_, i) => v6Record(d * perV6 + i)))]),
  );
  return [
    { name: 'netflow v5', setup: [], datagrams: v5 },
    { name: 'netflow v9', setup: [v9Template], datagrams: v9 },
    { name: 'ipfix', setup: [ipfixTemplate], datagrams: ipfix },
    { name: 'ipfix ipv6 + variable-length field', setup: [v6Template], datagrams: v6 },
  ];
}

function concatRecord(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Decodes each workload for about `ms` milliseconds after a warm-up; both with a new record per flow and with one reused. */
export async function benchDecode(opts: { ms?: number } = {}): Promise<DecodeFigure[]> {
  const budget = opts.ms ?? 1500;
  const figures: DecodeFigure[] = [];
  for (const w of workloads()) {
    for (const reuseRecord of [false, true]) {
      const decoder = new NetflowDecoder({ reuseRecord });
      let sum = 0;
      let last: FlowRecord | undefined;
      // Keeping the last record makes it escape, as in a real sink: V8 cannot optimise the allocation away.
      const sink = (r: FlowRecord) => {
        sum += r.bytes;
        last = r;
      };
      for (const d of w.setup) decoder.decode(d, '192.0.2.1', sink);
      let perDatagram = 0;
      for (let i = 0; i < 2000; i++) perDatagram = decoder.decode(w.datagrams[i % w.datagrams.length]!, '192.0.2.1', sink); // warm-up (JIT)
      let records = 0;
      const started = performance.now();
      let elapsed = 0;
      while (elapsed < budget) {
        for (let i = 0; i < 1000; i++) records += decoder.decode(w.datagrams[i % w.datagrams.length]!, '192.0.2.1', sink);
        elapsed = performance.now() - started;
      }
      if (sum === 0 || !last || decoder.stats.droppedDatagrams > 0) throw new Error(`${w.name}: the benchmark decoded nothing`);
      figures.push({ name: `${w.name}${reuseRecord ? ', reused record' : ''}`, recordsPerDatagram: perDatagram, records, ms: elapsed, recordsPerSecond: (records * 1000) / elapsed });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return figures;
}

export function printFigures(figures: DecodeFigure[]): void {
  console.log('\nflows decode: NetflowDecoder.decode on one core, ~1400-byte datagrams');
  for (const f of figures) {
    const rate = `${Math.round(f.recordsPerSecond).toLocaleString('en-US')}/s`;
    console.log(`  ${f.name.padEnd(52)} ${rate.padStart(14)}  ${f.recordsPerDatagram} records/datagram, ${f.records.toLocaleString('en-US')} in ${f.ms.toFixed(0)} ms`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  printFigures(await benchDecode());
}
