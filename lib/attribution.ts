// Who held a source address when the abuse happened: the IpAllocation history, looked up with PostgreSQL's inet `>>=`.
// Never-routable ranges (private, loopback, link-local, multicast, CGN, ...) go to the inbox without a lookup;
// documentation ranges are looked up like public space, because the demo data and the tests use them.
import ipaddr from 'ipaddr.js';
import { parseIpOrCidr } from '../domain/reports/ips';
import type { Db } from './db';

/** `lookup`: public (or documentation) space, resolved through the allocation history. */
export type SourceClass =
  | { kind: 'lookup'; address: string; version: 4 | 6; range: string; network: boolean }
  | { kind: 'not-routable'; address: string; range: string; reason: string }
  | { kind: 'invalid'; address: string; reason: string };

// RFC 5737 and RFC 3849 / RFC 9637: ipaddr.js files them under `reserved`, but a provider may well hold them in a lab.
const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'].map((c) => ipaddr.parseCIDR(c));

// ipaddr.js range names that are globally routable; every other named range never reaches us from the Internet.
const ROUTABLE = new Set(['unicast', 'as112', 'amt', '6to4', 'teredo', 'as112v6']);

function rangeOf(addr: ipaddr.IPv4 | ipaddr.IPv6): string {
  for (const [net, bits] of DOCUMENTATION) {
    if (net.kind() === addr.kind() && addr.match(net, bits)) return 'documentation';
  }
  return addr.range();
}

function lastAddress(network: string, bits: number): ipaddr.IPv4 | ipaddr.IPv6 {
  return network.includes(':') ? ipaddr.IPv6.broadcastAddressFromCIDR(`${network}/${bits}`) : ipaddr.IPv4.broadcastAddressFromCIDR(`${network}/${bits}`);
}

/** Classifies one source address or CIDR network as a report gives it; pure, so the rules are unit-tested. */
export function classifySource(text: string): SourceClass {
  const parsed = parseIpOrCidr(text);
  if (!parsed.ok) return { kind: 'invalid', address: text, reason: parsed.reason };
  const { address, version, prefixLength } = parsed.ip;
  const network = prefixLength !== undefined;
  const first = ipaddr.parse(address.split('/')[0]!);
  // A network is attributable only if both ends are: special ranges are aligned blocks, so the ends decide.
  const ranges = [rangeOf(first)];
  if (network) ranges.push(rangeOf(lastAddress(first.toString(), prefixLength)));
  const blocked = ranges.find((r) => r !== 'documentation' && !ROUTABLE.has(r));
  if (blocked) {
    const what = network ? 'network' : 'address';
    return { kind: 'not-routable', address, range: blocked, reason: `${address} is a ${describeRange(blocked)} ${what}, never routed on the Internet` };
  }
  return { kind: 'lookup', address, version, range: ranges[0]!, network };
}

function describeRange(range: string): string {
  const names: Record<string, string> = {
    private: 'private',
    uniqueLocal: 'unique-local',
    loopback: 'loopback',
    linkLocal: 'link-local',
    multicast: 'multicast',
    unspecified: 'unspecified',
    broadcast: 'broadcast',
    carrierGradeNat: 'carrier-grade NAT',
    reserved: 'reserved',
    benchmarking: 'benchmarking',
    discard: 'discard-only',
    ipv4Mapped: 'IPv4-mapped',
    rfc6145: 'IPv4-translated',
    rfc6052: 'NAT64',
  };
  return names[range] ?? `special-purpose (${range})`;
}

export interface AllocationHit {
  allocationId: string;
  cidr: string;
  deploymentId: string;
  tenantId: string;
  validFrom: Date;
  validTo: Date | null;
}

export type SourceAttribution =
  | { source: string; status: 'attributed'; deploymentId: string; tenantId: string; allocation: string; note: string }
  | { source: string; status: 'unattributed'; note: string };

/** Allocations that contained the address or network at `at`, most specific first. */
export async function allocationsAt(db: Db, source: string, at: Date): Promise<AllocationHit[]> {
  return db.$queryRaw<AllocationHit[]>`
    SELECT a.id AS "allocationId", a.cidr::text AS cidr, a."deploymentId", d."tenantId", a."validFrom", a."validTo"
    FROM "IpAllocation" a JOIN "Deployment" d ON d.id = a."deploymentId"
    WHERE a.cidr >>= ${source}::inet
      AND a."validFrom" <= ${at} AND (a."validTo" IS NULL OR a."validTo" > ${at})
    ORDER BY masklen(a.cidr) DESC, a."validFrom" DESC`;
}

/** Resolves one source to the deployment and tenant that held it at `at`, or says why it cannot. */
export async function attributeSource(db: Db, source: string, at: Date): Promise<SourceAttribution> {
  const c = classifySource(source);
  if (c.kind === 'invalid') return { source, status: 'unattributed', note: `${source}: ${c.reason}` };
  if (c.kind === 'not-routable') return { source: c.address, status: 'unattributed', note: c.reason };
  const hits = await allocationsAt(db, c.address, at);
  const when = at.toISOString();
  if (hits.length === 0) {
    // A network that no single allocation contains may still overlap several: say so, it is a different problem.
    const overlapping = c.network ? await overlappingAt(db, c.address, at) : 0;
    const note = overlapping
      ? `${c.address} spans ${overlapping} allocations at ${when}; a network must fall within one`
      : `no allocation held ${c.address} at ${when}`;
    return { source: c.address, status: 'unattributed', note };
  }
  const best = hits[0]!;
  // Nested allocations are normal (the most specific wins); two equally specific holders are a data error.
  const rivals = hits.filter((h) => h.cidr.split('/')[1] === best.cidr.split('/')[1] && h.deploymentId !== best.deploymentId);
  if (rivals.length > 0) {
    return { source: c.address, status: 'unattributed', note: `${c.address} was held by ${rivals.length + 1} deployments at ${when} (${best.cidr}); fix the allocations` };
  }
  return {
    source: c.address,
    status: 'attributed',
    deploymentId: best.deploymentId,
    tenantId: best.tenantId,
    allocation: best.allocationId,
    note: `${c.address} in ${best.cidr} held by deployment ${best.deploymentId} at ${when}`,
  };
}

async function overlappingAt(db: Db, network: string, at: Date): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "IpAllocation" a
    WHERE a.cidr && ${network}::inet AND a."validFrom" <= ${at} AND (a."validTo" IS NULL OR a."validTo" > ${at})`;
  return Number(rows[0]?.n ?? 0);
}

export interface ReportAttribution {
  status: 'attributed' | 'unattributed';
  /** One per distinct deployment, in the order its first source appeared. */
  targets: { deploymentId: string; tenantId: string; sources: string[] }[];
  sources: SourceAttribution[];
  note: string;
}

/** Attributes every source of a report; the report is attributed if at least one source is. */
export async function attributeSources(db: Db, sources: string[], at: Date, atNote?: string): Promise<ReportAttribution> {
  if (sources.length === 0) return { status: 'unattributed', targets: [], sources: [], note: 'the report names no source address' };
  const results: SourceAttribution[] = [];
  for (const s of sources) results.push(await attributeSource(db, s, at));
  const targets = new Map<string, { deploymentId: string; tenantId: string; sources: string[] }>();
  for (const r of results) {
    if (r.status !== 'attributed') continue;
    const t = targets.get(r.deploymentId) ?? { deploymentId: r.deploymentId, tenantId: r.tenantId, sources: [] };
    t.sources.push(r.source);
    targets.set(r.deploymentId, t);
  }
  const lines = results.map((r) => r.note);
  if (atNote) lines.unshift(atNote);
  return { status: targets.size > 0 ? 'attributed' : 'unattributed', targets: [...targets.values()], sources: results, note: lines.join('\n') };
}
