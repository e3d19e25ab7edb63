import { describe, expect, test } from 'vitest';
import { NetflowDecoder, type DecodedRecord } from '../../domain/flows/netflow';
import { ipv4ToKey, type FlowRecord } from '../../domain/flows/types';
import { v5Packet, type V5Flow } from '../support/netflow-builder';

const UNIX = 1_704_067_200; // 2024-01-01T00:00:00Z
const UPTIME = 3_600_000;
const tcp: V5Flow = { src: '198.51.100.7', dst: '203.0.113.9', nextHop: '192.0.2.1', input: 3, output: 4, packets: 3, bytes: 180, first: UPTIME - 2500, last: UPTIME - 1000, srcPort: 51000, dstPort: 22, tcpFlags: 0x1b, protocol: 6, tos: 40, srcAs: 64500, dstAs: 64501, srcMask: 24, dstMask: 16 };
const udp: V5Flow = { src: '203.0.113.9', dst: '198.51.100.7', packets: 1, bytes: 76, first: UPTIME - 10, last: UPTIME - 10, srcPort: 53, dstPort: 40000, protocol: 17 };

function decode(datagram: Uint8Array, decoder = new NetflowDecoder()): FlowRecord[] {
  const out: FlowRecord[] = [];
  decoder.decode(datagram, '192.0.2.10', (r) => out.push(r));
  return out;
}

describe('NetFlow v5', () => {
  test('records become FlowRecords with IPv4 as integers and sysUptime-relative times made absolute', () => {
    const decoder = new NetflowDecoder();
    const records = decode(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX, unixNsecs: 250_000_000 }, [tcp, udp]), decoder);
    const exportMs = UNIX * 1000 + 250;
    expect(records).toEqual([
      { source: 'netflow5', exporter: '192.0.2.10', start: exportMs - 2500, end: exportMs - 1000, src: ipv4ToKey('198.51.100.7'), dst: ipv4ToKey('203.0.113.9'), srcPort: 51000, dstPort: 22, protocol: 6, tcpFlags: 0x1b, packets: 3, bytes: 180, samplingInterval: 1 },
      { source: 'netflow5', exporter: '192.0.2.10', start: exportMs - 10, end: exportMs - 10, src: ipv4ToKey('203.0.113.9'), dst: ipv4ToKey('198.51.100.7'), srcPort: 53, dstPort: 40000, protocol: 17, tcpFlags: 0, packets: 1, bytes: 76, samplingInterval: 1 },
    ]);
    expect(decoder.stats).toMatchObject({ datagrams: 1, flows: 2, droppedDatagrams: 0 });
  });

  test('the header sampling interval (low 14 bits, mode in the top 2) scales packets and bytes', () => {
    const [r] = decode(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX, samplingMode: 1, samplingInterval: 16383 }, [tcp]));
    expect(r).toMatchObject({ packets: 3 * 16383, bytes: 180 * 16383, samplingInterval: 16383 });
    const [unsampled] = decode(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX, samplingMode: 2, samplingInterval: 0 }, [tcp]));
    expect(unsampled).toMatchObject({ packets: 3, bytes: 180, samplingInterval: 1 });
  });

  test('times survive the 32-bit sysUptime wrap (a flow that started before the counter rolled over)', () => {
    const [r] = decode(v5Packet({ sysUptime: 1000, unixSecs: UNIX }, [{ ...tcp, first: 0xfffff000, last: 500 }]));
    expect(r!.start).toBe(UNIX * 1000 - (1000 + 0x1000));
    expect(r!.end).toBe(UNIX * 1000 - 500);
  });

  test('the full decode names every field as logstash-codec-netflow does', () => {
    const out: DecodedRecord[] = [];
    new NetflowDecoder().decodeFull(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX, sequence: 42, engineType: 1, engineId: 7, samplingMode: 1, samplingInterval: 10 }, [tcp]), 'x', (r) => out.push(r));
    expect(out).toHaveLength(1);
    const r = out[0]!;
    expect(r).toMatchObject({ version: 5, exporter: 'x', setId: 0, domainId: 256 + 7, sequence: 42, exportMs: UNIX * 1000, kind: 'flow' });
    expect(r.fields).toEqual({
      flow_records: 1,
      engine_type: 1,
      engine_id: 7,
      sampling_algorithm: 1,
      sampling_interval: 10,
      ipv4_src_addr: '198.51.100.7',
      ipv4_dst_addr: '203.0.113.9',
      ipv4_next_hop: '192.0.2.1',
      input_snmp: 3,
      output_snmp: 4,
      in_pkts: 3,
      in_bytes: 180,
      first_switched: '2023-12-31T23:59:57.500Z',
      last_switched: '2023-12-31T23:59:59.000Z',
      l4_src_port: 51000,
      l4_dst_port: 22,
      tcp_flags: 0x1b,
      protocol: 6,
      src_tos: 40,
      src_as: 64500,
      dst_as: 64501,
      src_mask: 24,
      dst_mask: 16,
    });
    expect(r.flow).toMatchObject({ packets: 30, bytes: 1800, samplingInterval: 10 });
  });

  test('a record count over 30, or beyond the datagram, drops the datagram whole', () => {
    const decoder = new NetflowDecoder();
    const sink = (r: FlowRecord) => {
      throw new Error(`unexpected record ${JSON.stringify(r)}`);
    };
    decoder.decode(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX, count: 31 }, [tcp]), 'x', sink);
    decoder.decode(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX, count: 3 }, [tcp, udp]), 'x', sink);
    decoder.decode(v5Packet({ sysUptime: UPTIME, unixSecs: UNIX }, [tcp]).subarray(0, 23), 'x', sink);
    expect(decoder.stats.dropped).toMatchObject({ 'bad-count': 1, 'bad-length': 1, 'too-short': 1 });
    expect(decoder.stats).toMatchObject({ datagrams: 3, droppedDatagrams: 3, flows: 0 });
  });

  test('by default every record is a new object the sink may keep; reuseRecord hands over one refilled object', () => {
    const datagram = v5Packet({ sysUptime: UPTIME, unixSecs: UNIX }, [tcp, udp]);
    const kept = decode(datagram);
    expect(kept[0]).not.toBe(kept[1]);
    expect(kept[0]!.srcPort).toBe(51000);
    const seen: FlowRecord[] = [];
    const ports: number[] = [];
    new NetflowDecoder({ reuseRecord: true }).decode(datagram, 'x', (r) => {
      seen.push(r);
      ports.push(r.srcPort);
    });
    expect(seen[0]).toBe(seen[1]);
    expect(ports).toEqual([51000, 53]);
  });
});
