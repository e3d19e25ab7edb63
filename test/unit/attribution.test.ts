// Which sources are looked up in the allocation history and which go straight to the inbox (no database needed).
import { describe, expect, it } from 'vitest';
import { classifySource } from '../../lib/attribution';

describe('classifySource', () => {
  it.each([
    ['203.0.113.7', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['192.0.2.255', 'documentation'],
    ['2001:db8:100::5', 'documentation'],
    ['3fff::1', 'documentation'],
    ['93.184.216.34', 'unicast'],
    ['2a00:1450:4001::1', 'unicast'],
    ['2002:c000:0204::1', '6to4'],
  ])('%s is looked up (%s)', (source, range) => {
    expect(classifySource(source)).toMatchObject({ kind: 'lookup', range });
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.1.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['224.0.0.5', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['64:ff9b::1', 'rfc6052'],
  ])('%s never reaches the lookup (%s)', (source, range) => {
    const c = classifySource(source);
    expect(c).toMatchObject({ kind: 'not-routable', range });
    expect(c.kind === 'not-routable' && c.reason).toMatch(/never routed/);
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(classifySource('::ffff:10.0.0.1')).toMatchObject({ kind: 'not-routable', address: '10.0.0.1', range: 'private' });
    expect(classifySource('::ffff:203.0.113.9')).toMatchObject({ kind: 'lookup', address: '203.0.113.9' });
  });

  it('classifies a network by both of its ends', () => {
    expect(classifySource('203.0.113.128/25')).toMatchObject({ kind: 'lookup', network: true, address: '203.0.113.128/25' });
    expect(classifySource('2001:db8:100::/48')).toMatchObject({ kind: 'lookup', network: true, version: 6 });
    // Host bits are cleared, as the parser does.
    expect(classifySource('203.0.113.130/25')).toMatchObject({ kind: 'lookup', address: '203.0.113.128/25' });
    // A network that runs into private space at its end is not attributable.
    expect(classifySource('10.0.0.0/8')).toMatchObject({ kind: 'not-routable', range: 'private' });
    expect(classifySource('0.0.0.0/0')).toMatchObject({ kind: 'not-routable' });
    expect(classifySource('::/0')).toMatchObject({ kind: 'not-routable' });
  });

  it('a single-host prefix is an address, not a network', () => {
    expect(classifySource('203.0.113.7/32')).toMatchObject({ kind: 'lookup', address: '203.0.113.7', network: false });
    expect(classifySource('2001:db8::7/128')).toMatchObject({ kind: 'lookup', address: '2001:db8::7', network: false });
  });

  it.each(['not an ip', '999.1.1.1', '10.0.0.1/33', '2001:db8::/129', 'fe80::1%eth0', ''])('rejects %j as invalid', (source) => {
    expect(classifySource(source).kind).toBe('invalid');
  });
});
