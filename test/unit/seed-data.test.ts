// The demo data is a fixture other features rely on (attribution by time, notices by time zone): check it is sound.
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { DEMO_STAFF, DEMO_TENANTS, MOVED_RANGE, formatCredentials, type SeedResult } from '../../prisma/seed';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map((r) => ipaddr.parseCIDR(r));

const allocations = DEMO_TENANTS.flatMap((t) =>
  t.deployments.flatMap((d) =>
    d.allocations.map((a) => ({
      holder: `${t.slug}/${d.name}`,
      cidr: a.cidr,
      net: ipaddr.parseCIDR(a.cidr) as Cidr,
      from: Date.parse(a.validFrom),
      to: a.validTo ? Date.parse(a.validTo) : Infinity,
    })),
  ),
);

function contains(outer: Cidr, inner: Cidr): boolean {
  return outer[0].kind() === inner[0].kind() && inner[1] >= outer[1] && inner[0].match(outer);
}

/** Who held `address` at `time`, by the half-open validity [from, to). */
function holderAt(address: string, time: string): string[] {
  const ip = ipaddr.parse(address);
  const t = Date.parse(time);
  return allocations.filter((a) => ip.kind() === a.net[0].kind() && ip.match(a.net) && a.from <= t && t < a.to).map((a) => a.holder);
}

describe('demo seed data', () => {
  it('uses only documentation address ranges, written as network addresses', () => {
    expect(allocations.length).toBeGreaterThanOrEqual(8);
    for (const a of allocations) {
      expect(DOCUMENTATION_RANGES.some((r) => contains(r as Cidr, a.net)), a.cidr).toBe(true);
      const network = a.net[0].kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(a.cidr) : ipaddr.IPv6.networkAddressFromCIDR(a.cidr);
      expect(network.toString(), a.cidr).toBe(a.net[0].toString());
      expect(a.from < a.to, a.cidr).toBe(true);
    }
    expect(new Set(allocations.map((a) => a.net[0].kind()))).toEqual(new Set(['ipv4', 'ipv6']));
  });

  it('never has two deployments holding the same address at the same time', () => {
    for (const [i, a] of allocations.entries()) {
      for (const b of allocations.slice(i + 1)) {
        const overlapInSpace = contains(a.net, b.net) || contains(b.net, a.net);
        const overlapInTime = a.from < b.to && b.from < a.to;
        expect(overlapInSpace && overlapInTime, `${a.holder} ${a.cidr} vs ${b.holder} ${b.cidr}`).toBe(false);
      }
    }
  });

  it('has one range that moved between tenants, so attribution depends on the time of the event', () => {
    const address = '203.0.113.200';
    expect(holderAt(address, '2026-05-31T23:59:59Z')).toEqual(['kestrel-games/matchmaking']);
    expect(holderAt(address, MOVED_RANGE.at)).toEqual(['sakura-retail/storefront']);
    expect(holderAt(address, '2025-01-01T00:00:00Z')).toEqual([]); // before anyone held it
    expect(holderAt('2001:db8:100::1', '2026-01-01T00:00:00Z')).toEqual(['northwind-analytics/analytics-api']);
  });

  it('gives tenants valid time zones, unique slugs and contacts at reserved example domains', () => {
    expect(new Set(DEMO_TENANTS.map((t) => t.slug)).size).toBe(DEMO_TENANTS.length);
    expect(new Set(DEMO_TENANTS.map((t) => t.timeZone)).size).toBeGreaterThan(2);
    for (const t of DEMO_TENANTS) {
      expect(() => new Intl.DateTimeFormat('en', { timeZone: t.timeZone }), t.timeZone).not.toThrow();
      for (const email of [t.ownerEmail, t.securityContactEmail].filter(Boolean) as string[]) {
        expect(email).toMatch(/^[^@\s]+@([a-z0-9-]+\.)*example\.(com|net|org)$/);
      }
      for (const d of t.deployments) expect(t.subscriptions).toContain(d.subscription);
    }
    expect(DEMO_TENANTS.some((t) => !t.securityContactEmail)).toBe(true); // the owner-only fallback is exercised
    expect(DEMO_TENANTS.flatMap((t) => t.deployments.map((d) => d.state))).toContain('suspended');
  });

  it('has exactly one staff user per role', () => {
    expect(DEMO_STAFF.map((s) => s.role).sort()).toEqual(['admin', 'analyst', 'approver']);
  });

  it('prints passwords only for users created now', () => {
    const created: SeedResult = {
      credentials: [{ email: 'admin@safeguard.example.com', name: 'Sofia Lind', role: 'admin', password: 'pw-123456789012' }],
      existingUsers: [],
      created: { tenants: 0, subscriptions: 0, deployments: 0, allocations: 0 },
    };
    expect(formatCredentials(created)).toMatch(/admin\s+admin@safeguard\.example\.com\s+pw-123456789012/);
    const again = formatCredentials({ ...created, credentials: [], existingUsers: ['admin@safeguard.example.com'] });
    expect(again).toMatch(/already exist/);
    expect(again).not.toContain('pw-');
  });
});
