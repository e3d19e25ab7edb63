import { describe, expect, test } from 'vitest';
import { createPcapCounts, PcapError, udpDatagrams, type UdpDatagram } from '../../domain/flows/pcap';
import { concat, ethernet, ipv4Udp, ipv6Udp, LINKTYPE, pcapFile, sll, sll2, text, u32 } from '../support/netflow-builder';

const T = 1_704_067_200;
const payload = text('netflow datagram');

function read(file: Uint8Array) {
  const counts = createPcapCounts();
  const datagrams: UdpDatagram[] = [...udpDatagrams(file, counts)];
  return { datagrams, counts };
}

describe('pcap reader', () => {
  test.each([
    ['little-endian, microseconds', true, false, 250_000, 250],
    ['big-endian, microseconds', false, false, 250_000, 250],
    ['little-endian, nanoseconds', true, true, 250_000_000, 250],
    ['big-endian, nanoseconds', false, true, 999_999_999, 999],
  ])('%s', (_, littleEndian, nanoseconds, fraction, ms) => {
    const file = pcapFile({ littleEndian, nanoseconds, linkType: LINKTYPE.ETHERNET }, [{ seconds: T, fraction, frame: ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 40000, 2055, payload)) }]);
    const { datagrams } = read(file);
    expect(datagrams).toHaveLength(1);
    expect(datagrams[0]).toMatchObject({ exporter: '192.0.2.10', srcPort: 40000, dstPort: 2055, timestampMs: T * 1000 + ms });
    expect(Buffer.from(datagrams[0]!.payload).toString()).toBe('netflow datagram');
  });

  test.each([
    ['Ethernet', LINKTYPE.ETHERNET, (ip: Uint8Array) => ethernet(ip)],
    ['Ethernet with a VLAN tag', LINKTYPE.ETHERNET, (ip: Uint8Array) => ethernet(ip, { vlan: 100 })],
    ['Linux cooked (SLL)', LINKTYPE.LINUX_SLL, sll],
    ['Linux cooked v2 (SLL2)', LINKTYPE.LINUX_SLL2, sll2],
    ['raw IP', LINKTYPE.RAW, (ip: Uint8Array) => ip],
    ['BSD loopback', 0, (ip: Uint8Array) => concat(ip[0]! >> 4 === 6 ? Uint8Array.of(30, 0, 0, 0) : Uint8Array.of(2, 0, 0, 0), ip)],
  ])('link type %s, IPv4 and IPv6 senders', (_, linkType, wrap) => {
    const file = pcapFile({ linkType }, [
      { seconds: T, fraction: 0, frame: wrap(ipv4Udp('198.51.100.1', '192.0.2.1', 1000, 2055, payload)) },
      { seconds: T, fraction: 0, frame: wrap(ipv6Udp('2001:db8:0:0:1::10', '2001:db8::1', 1001, 4739, payload)) },
      { seconds: T, fraction: 0, frame: wrap(ipv6Udp('2001:db8::11', '2001:db8::1', 1002, 4739, payload, { extension: 'hop-by-hop' })) },
    ]);
    const { datagrams, counts } = read(file);
    expect(datagrams.map((d) => [d.exporter, d.srcPort, d.payload.length])).toEqual([
      ['198.51.100.1', 1000, payload.length],
      ['2001:db8::1:0:0:10', 1001, payload.length],
      ['2001:db8::11', 1002, payload.length],
    ]);
    expect(counts).toEqual({ packets: 3, udp: 3, notIp: 0, notUdp: 0, fragments: 0, truncated: 0 });
  });

  test('non-IP frames, non-UDP packets and fragments are skipped and counted', () => {
    const file = pcapFile({ linkType: LINKTYPE.ETHERNET }, [
      { seconds: T, fraction: 0, frame: ethernet(new Uint8Array(28), { etherType: 0x0806 }) },
      { seconds: T, fraction: 0, frame: ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 1, 2, payload, { protocol: 6 })) },
      { seconds: T, fraction: 0, frame: ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 1, 2, payload, { flagsOffset: 0x2000 })) }, // more fragments
      { seconds: T, fraction: 0, frame: ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 1, 2, payload, { flagsOffset: 0x0010 })) }, // a later fragment
      { seconds: T, fraction: 0, frame: ethernet(ipv6Udp('2001:db8::10', '2001:db8::1', 1, 2, payload, { extension: 'fragment' })) },
      { seconds: T, fraction: 0, frame: ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 1, 2, payload)) },
    ]);
    const { datagrams, counts } = read(file);
    expect(datagrams).toHaveLength(1);
    expect(counts).toEqual({ packets: 6, udp: 1, notIp: 1, notUdp: 1, fragments: 3, truncated: 0 });
  });

  test('frames cut by the snap length, and a file cut mid-record, are counted as truncated', () => {
    const whole = ethernet(ipv4Udp('192.0.2.10', '192.0.2.1', 1, 2, payload));
    const file = pcapFile({ linkType: LINKTYPE.ETHERNET, snapLength: 40 }, [
      { seconds: T, fraction: 0, frame: whole.subarray(0, 40), originalLength: whole.length },
      { seconds: T, fraction: 0, frame: whole },
    ]);
    const { datagrams, counts } = read(file.subarray(0, file.length - 5));
    expect(datagrams).toEqual([]);
    expect(counts).toMatchObject({ packets: 1, truncated: 2 });
    const { counts: absurd } = read(concat(file.subarray(0, 24), u32(0), u32(0), u32(0xffffff00), u32(0)));
    expect(absurd.truncated).toBe(1);
  });

  test('files that are not classic pcap are refused with a reason', () => {
    expect(() => [...udpDatagrams(text('hello'))]).toThrow(PcapError);
    expect(() => [...udpDatagrams(new Uint8Array(24))]).toThrow(/not a pcap file: magic 00000000/);
    expect(() => [...udpDatagrams(concat(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a), new Uint8Array(28)))]).toThrow(/pcapng/);
    expect(read(pcapFile({ linkType: 147 }, [{ seconds: T, fraction: 0, frame: ipv4Udp('192.0.2.10', '192.0.2.1', 1, 2, payload) }])).counts.notIp).toBe(1);
  });
});
