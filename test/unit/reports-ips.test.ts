import { describe, expect, it } from 'vitest';
import { findIps, parseIpOrCidr, SourceIpSet } from '../../domain/reports/ips';
import { evidenceSummary, findFirstTime, findUrls, normaliseDomain, parseDate, sanitise } from '../../domain/reports/text';

describe('parseIpOrCidr', () => {
  it('accepts IPv4 and IPv6 and gives the canonical form and range', () => {
    expect(parseIpOrCidr('93.184.216.34')).toEqual({ ok: true, ip: { address: '93.184.216.34', version: 4, range: 'unicast', public: true } });
    expect(parseIpOrCidr(' 2001:4860:4860:0000:0000:0000:0000:8888 ')).toEqual({
      ok: true,
      ip: { address: '2001:4860:4860::8888', version: 6, range: 'unicast', public: true },
    });
    expect(parseIpOrCidr('[2001:db8::1]')).toMatchObject({ ok: true, ip: { address: '2001:db8::1', range: 'reserved', public: false } });
  });

  it('classifies private and special ranges as not public', () => {
    expect(parseIpOrCidr('10.1.2.3')).toMatchObject({ ok: true, ip: { range: 'private', public: false } });
    expect(parseIpOrCidr('127.0.0.1')).toMatchObject({ ok: true, ip: { range: 'loopback', public: false } });
    expect(parseIpOrCidr('100.64.0.9')).toMatchObject({ ok: true, ip: { range: 'carrierGradeNat', public: false } });
    expect(parseIpOrCidr('fd00::5')).toMatchObject({ ok: true, ip: { range: 'uniqueLocal', public: false } });
    expect(parseIpOrCidr('fe80::1')).toMatchObject({ ok: true, ip: { range: 'linkLocal', public: false } });
  });

  it('turns an IPv4-mapped IPv6 address into IPv4', () => {
    expect(parseIpOrCidr('::ffff:93.184.216.34')).toMatchObject({ ok: true, ip: { address: '93.184.216.34', version: 4 } });
  });

  it('normalises CIDR networks and notes host bits and very wide prefixes', () => {
    expect(parseIpOrCidr('93.184.216.0/24')).toEqual({
      ok: true,
      ip: { address: '93.184.216.0/24', version: 4, prefixLength: 24, range: 'unicast', public: true },
    });
    const hostBits = parseIpOrCidr('93.184.216.34/24');
    expect(hostBits).toMatchObject({ ok: true, ip: { address: '93.184.216.0/24' } });
    expect(hostBits.ok && hostBits.note).toContain('host bits');
    expect(parseIpOrCidr('2001:4860::/32')).toMatchObject({ ok: true, ip: { address: '2001:4860::/32', version: 6, prefixLength: 32 } });
    const wide = parseIpOrCidr('8.0.0.0/8');
    expect(wide.ok && wide.note).toContain('very wide');
    expect(parseIpOrCidr('93.184.216.34/32')).toEqual({ ok: true, ip: { address: '93.184.216.34', version: 4, range: 'unicast', public: true } });
  });

  it('refuses ambiguous and broken forms with a reason', () => {
    for (const bad of ['127.1', '0x7f.0.0.1', '010.1.1.1', '256.1.1.1', '1.2.3', 'not an IP', '', '1.2.3.4/33', '2001:db8::/129', 'fe80::1%eth0', '1.2.3.4/x']) {
      const result = parseIpOrCidr(bad);
      expect(result.ok, bad).toBe(false);
      if (!result.ok) expect(result.reason.length).toBeGreaterThan(5);
    }
  });
});

describe('SourceIpSet', () => {
  it('deduplicates, keeps order, and warns about rejected and non-public addresses', () => {
    const warnings: string[] = [];
    const set = new SourceIpSet(warnings);
    set.add('93.184.216.34', 'a');
    set.add('93.184.216.034', 'b');
    set.add('::ffff:93.184.216.34', 'c');
    set.add('192.168.1.1', 'd');
    set.add(42, 'e');
    const ips = set.finish();
    expect(ips.map((i) => i.address)).toEqual(['93.184.216.34', '192.168.1.1']);
    expect(warnings).toContain("b: '93.184.216.034' is not an IPv4 or IPv6 address");
    expect(warnings.some((w) => w.startsWith("e: '42'"))).toBe(true);
    expect(warnings).toContain('source 192.168.1.1 is not a public address (private)');
  });
});

describe('findIps', () => {
  it('finds addresses in prose, including defanged ones and IPv6, but not times or version numbers', () => {
    const text = 'Attack from 93.184.216[.]34 at 10:23:12 and from 2a00:1450:4001:80b::200e; version 1.2.3.4.5 and MAC 00:1a:2b:3c:4d:5e; net 8.8.8.0/24.';
    expect(findIps(text).map((i) => i.address)).toEqual(['93.184.216.34', '2a00:1450:4001:80b::200e', '8.8.8.0/24']);
  });
});

describe('text helpers', () => {
  it('finds and refangs URLs, trimming trailing punctuation', () => {
    expect(findUrls('see hxxps://bad[.]example.com/x?a=1). and http://ok.example.org/, also ftp://files.example.net/f')).toEqual([
      'https://bad.example.com/x?a=1',
      'http://ok.example.org/',
      'ftp://files.example.net/f',
    ]);
    expect(findUrls('javascript:alert(1) mailto:x@example.com')).toEqual([]);
  });

  it('accepts domain names and refuses addresses and single labels', () => {
    expect(normaliseDomain('Example.COM.')).toBe('example.com');
    expect(normaliseDomain('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(normaliseDomain('192.0.2.1')).toBeNull();
    expect(normaliseDomain('localhost')).toBeNull();
    expect(normaliseDomain('-bad.example')).toBeNull();
  });

  it('parses mail dates with comments and non-US zone names', () => {
    expect(parseDate('Thu, 9 Apr 2006 23:34:45 JST')?.toISOString()).toBe('2006-04-09T14:34:45.000Z');
    expect(parseDate('Thu, 29 Apr 2009 00:00:00 -0000 (EST)')?.toISOString()).toBe('2009-04-29T00:00:00.000Z');
    expect(parseDate('2026-03-01T11:22:33+01:00')?.toISOString()).toBe('2026-03-01T10:22:33.000Z');
    expect(parseDate('This is not a date')).toBeNull();
    expect(parseDate('Mon, 01 Jan 1900 00:00:00 +0000')).toBeNull();
  });

  it('takes the first time written in text and says when the zone was assumed', () => {
    expect(findFirstTime('seen on Tue, 3 Mar 2026 10:00:00 +0200 and 2026-03-04T00:00:00Z')).toEqual({
      time: new Date('2026-03-03T08:00:00Z'),
      assumedUtc: false,
    });
    expect(findFirstTime('since 2026-03-05 21:14:03 the host ...')).toEqual({ time: new Date('2026-03-05T21:14:03Z'), assumedUtc: true });
    expect(findFirstTime('no time here')).toBeNull();
  });

  it('strips control and bidi-override characters and truncates the evidence', () => {
    expect(sanitise('a\u0007b\u001b[31mred\u202Egnp.exe\r\nline')).toBe('ab[31mredgnp.exe\nline');
    const long = evidenceSummary(['x'.repeat(5000)], 100);
    expect(long.startsWith('x'.repeat(100))).toBe(true);
    expect(long).toContain('[... 4900 more characters not shown]');
  });
});
