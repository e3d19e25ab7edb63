import { describe, expect, it } from 'vitest';
import { AllocationError, AllocationIndex, AllocationsFileSchema, type AllocationEntry } from '../../domain/detection/allocations';
import { parseIpKey } from '../../domain/flows/logs';

const T = (iso: string) => Date.parse(iso);
const ip = (text: string) => parseIpKey(text)!;

const entries: AllocationEntry[] = [
  { cidr: '198.51.100.0/24', tenantId: 'acme', deploymentId: 'acme-web', validFrom: new Date('2024-01-01T00:00:00Z'), validTo: null },
  // A /28 inside it, held by someone else for a while: the more specific one wins while it is valid.
  { cidr: '198.51.100.16/28', tenantId: 'globex', deploymentId: 'globex-mail', validFrom: new Date('2024-03-01T00:00:00Z'), validTo: new Date('2024-04-01T00:00:00Z'), hostGroup: 'mail-relay' },
  // The same address reallocated: initech until June, then hooli.
  { cidr: '203.0.113.5/32', tenantId: 'initech', deploymentId: 'initech-1', validFrom: new Date('2024-01-01T00:00:00Z'), validTo: new Date('2024-06-01T00:00:00Z') },
  { cidr: '203.0.113.5', tenantId: 'hooli', deploymentId: 'hooli-1', validFrom: new Date('2024-06-01T00:00:00Z'), validTo: null },
  { cidr: '2001:db8:100::/48', tenantId: 'acme', deploymentId: 'acme-v6', validFrom: new Date('2024-01-01T00:00:00Z'), validTo: null },
  { cidr: '2001:db8:100:5::/64', tenantId: 'globex', deploymentId: 'globex-v6', validFrom: new Date('2024-01-01T00:00:00Z'), validTo: null },
];

describe('AllocationIndex', () => {
  const index = new AllocationIndex(entries);

  it('finds the holder of an IPv4 address, the most specific allocation first, honouring validity', () => {
    expect(index.lookup(ip('198.51.100.1'), T('2024-03-15T00:00:00Z'))).toEqual({ tenantId: 'acme', deploymentId: 'acme-web' });
    expect(index.lookup(ip('198.51.100.20'), T('2024-03-15T00:00:00Z'))).toEqual({ tenantId: 'globex', deploymentId: 'globex-mail', hostGroup: 'mail-relay' });
    // Before and after the /28's validity the /24 holder has it.
    expect(index.lookup(ip('198.51.100.20'), T('2024-02-15T00:00:00Z'))?.tenantId).toBe('acme');
    expect(index.lookup(ip('198.51.100.20'), T('2024-04-01T00:00:00Z'))?.tenantId).toBe('acme');
    expect(index.lookup(ip('198.51.100.255'), T('2024-03-15T00:00:00Z'))?.tenantId).toBe('acme');
    expect(index.lookup(ip('198.51.101.0'), T('2024-03-15T00:00:00Z'))).toBeUndefined();
    expect(index.lookup(ip('198.51.99.255'), T('2024-03-15T00:00:00Z'))).toBeUndefined();
    // Before anyone held it.
    expect(index.lookup(ip('198.51.100.1'), T('2023-12-31T23:59:59Z'))).toBeUndefined();
  });

  it('follows an address from one holder to the next at the boundary (validTo exclusive)', () => {
    expect(index.lookup(ip('203.0.113.5'), T('2024-05-31T23:59:59.999Z'))?.tenantId).toBe('initech');
    expect(index.lookup(ip('203.0.113.5'), T('2024-06-01T00:00:00Z'))?.tenantId).toBe('hooli');
    expect(index.lookup(ip('203.0.113.4'), T('2024-06-01T00:00:00Z'))).toBeUndefined();
    expect(index.lookup(ip('203.0.113.6'), T('2024-06-01T00:00:00Z'))).toBeUndefined();
  });

  it('finds IPv6 holders the same way, any spelling of the address', () => {
    expect(index.lookup(ip('2001:db8:100:1::7'), T('2024-02-01T00:00:00Z'))?.deploymentId).toBe('acme-v6');
    expect(index.lookup(ip('2001:DB8:100:5:0:0:0:1'), T('2024-02-01T00:00:00Z'))?.deploymentId).toBe('globex-v6');
    expect(index.lookup(ip('2001:db8:101::1'), T('2024-02-01T00:00:00Z'))).toBeUndefined();
    // Cached answers still honour the time.
    expect(index.lookup(ip('2001:db8:100:1::7'), T('2023-02-01T00:00:00Z'))).toBeUndefined();
  });

  it('agrees with a brute-force scan over random addresses and times', () => {
    const many: AllocationEntry[] = [];
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const prefix = 16 + Math.floor(rnd() * 17);
      const base = Math.floor(rnd() * 2 ** 12) << 20;
      const net = base - (base % 2 ** (32 - prefix));
      const from = Math.floor(rnd() * 100) * 86_400_000;
      const to = rnd() < 0.3 ? null : new Date(from + (1 + Math.floor(rnd() * 100)) * 86_400_000);
      const a = [net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.');
      many.push({ cidr: `${a}/${prefix}`, tenantId: `t${i}`, deploymentId: `d${i}`, validFrom: new Date(from), validTo: to });
    }
    const idx = new AllocationIndex(many);
    const parsed = many.map((e, i) => {
      const [a, p] = e.cidr.split('/');
      const lo = ip(a!) as number;
      return { i, lo, hi: lo + 2 ** (32 - Number(p)) - 1, prefix: Number(p), from: (e.validFrom as Date).getTime(), to: e.validTo ? (e.validTo as Date).getTime() : Infinity };
    });
    for (let k = 0; k < 3000; k++) {
      const addr = Math.floor(rnd() * 2 ** 32);
      const at = Math.floor(rnd() * 200) * 86_400_000;
      const holders = parsed.filter((p) => p.lo <= addr && addr <= p.hi && p.from <= at && at < p.to).sort((x, y) => y.prefix - x.prefix || y.from - x.from);
      const expected = holders[0] ? `t${holders[0].i}` : undefined;
      expect(idx.lookup(addr, at)?.tenantId).toBe(expected);
    }
  });

  it('reports equally specific allocations of different deployments at the same time', () => {
    const clash = new AllocationIndex([
      { cidr: '192.0.2.0/24', tenantId: 'a', deploymentId: 'a1', validFrom: new Date('2024-01-01'), validTo: null },
      { cidr: '192.0.2.0/24', tenantId: 'b', deploymentId: 'b1', validFrom: new Date('2024-02-01'), validTo: null },
    ]);
    expect(clash.conflicts).toEqual(['192.0.2.0/24 is held by deployments b1 and a1 at the same time; the later allocation wins']);
    expect(clash.lookup(ip('192.0.2.9'), T('2024-03-01'))?.deploymentId).toBe('b1');
    expect(index.conflicts).toEqual([]);
  });

  it('refuses unusable entries with a message naming the entry', () => {
    const bad = (cidr: string, validTo: Date | null = null) => () =>
      new AllocationIndex([{ cidr, tenantId: 't', deploymentId: 'd', validFrom: new Date('2024-02-01'), validTo }]);
    expect(bad('not-a-network')).toThrow(AllocationError);
    expect(bad('not-a-network')).toThrow(/allocation 0: 'not-a-network' is not an IPv4 or IPv6 address/);
    expect(bad('10.0.0.0/33')).toThrow(/prefix longer than 32/);
    expect(bad('10.0.0.0/8', new Date('2024-01-01'))).toThrow(/validTo is not after validFrom/);
  });

  it('reads an allocations file as a list or an object with a list, dates as text', () => {
    const list = [{ cidr: '192.0.2.0/24', tenantId: 'a', deploymentId: 'a1', validFrom: '2024-01-01T00:00:00Z' }];
    expect(AllocationsFileSchema.parse(list)[0]).toMatchObject({ validFrom: new Date('2024-01-01T00:00:00Z'), validTo: null });
    expect(AllocationsFileSchema.parse({ allocations: list })).toHaveLength(1);
    expect(AllocationsFileSchema.safeParse([{ cidr: '192.0.2.0/24' }]).success).toBe(false);
  });
});
