// Who holds an address at a moment: the IpAllocation history (tenant, deployment, validity) as an in-memory index.
// Flow records arrive by the million, so lookups are a binary search over disjoint integer ranges (IPv4) or bigint
// ranges (IPv6, with a bounded cache of recent answers); nested allocations resolve to the most specific one valid
// at the flow's time, as lib/attribution.ts does in SQL.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { IpKey } from '../flows/types';
import { parseIpOrCidr } from '../reports/ips';

export interface TenantRef {
  tenantId: string;
  deploymentId: string;
  /** Thresholds can differ per host group (e.g. 'mail-relay', 'scanner-service'). */
  hostGroup?: string;
}

/** Decides which addresses are monitored hosts: outbound from a tenant, inbound to one, or tenant to tenant. */
export interface TenantResolver {
  lookup(ip: IpKey, atMs: number): TenantRef | undefined;
}
export type FlowDirectionResolver = TenantResolver;

export const AllocationEntrySchema = z
  .object({
    cidr: z.string().min(2),
    tenantId: z.string().min(1),
    deploymentId: z.string().min(1),
    validFrom: z.coerce.date(),
    validTo: z.coerce.date().nullable().default(null),
    hostGroup: z.string().min(1).optional(),
  })
  .strict();
export type AllocationEntry = z.input<typeof AllocationEntrySchema>;

/** A JSON allocations file: an array of entries, or {"allocations": [...]}. */
export const AllocationsFileSchema = z.union([z.array(AllocationEntrySchema), z.object({ allocations: z.array(AllocationEntrySchema) }).transform((o) => o.allocations)]);

export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllocationError';
  }
}

interface Parsed {
  v4: boolean;
  lo: bigint;
  hi: bigint;
  prefix: number;
  validFrom: number;
  validTo: number;
  ref: TenantRef;
}

/** Disjoint ranges, each with the allocations covering it, most specific (then most recent) first. */
class RangeTable<N extends number | bigint> {
  constructor(
    readonly starts: N[],
    readonly ends: N[],
    readonly candidateFrom: Int32Array,
    readonly candidates: Int32Array,
  ) {}

  /** The index of the range holding `ip`, or -1. */
  find(ip: N): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.ends[hi]! ? hi : -1;
  }
}

/** A sweep over the boundaries: between two consecutive boundaries the set of covering allocations does not change. */
function buildRanges(items: Parsed[], indices: number[]): { starts: bigint[]; ends: bigint[]; candidateFrom: Int32Array; candidates: Int32Array } {
  const bounds = new Set<bigint>();
  for (const i of indices) {
    bounds.add(items[i]!.lo);
    bounds.add(items[i]!.hi + 1n);
  }
  const sorted = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byLo = [...indices].sort((a, b) => (items[a]!.lo < items[b]!.lo ? -1 : items[a]!.lo > items[b]!.lo ? 1 : 0));
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const from: number[] = [0];
  const cands: number[] = [];
  let active: number[] = [];
  let next = 0;
  for (let b = 0; b < sorted.length - 1; b++) {
    const at = sorted[b]!;
    while (next < byLo.length && items[byLo[next]!]!.lo <= at) active.push(byLo[next++]!);
    active = active.filter((i) => items[i]!.hi >= at);
    if (active.length === 0) continue;
    const order = [...active].sort((x, y) => items[y]!.prefix - items[x]!.prefix || items[y]!.validFrom - items[x]!.validFrom);
    starts.push(at);
    ends.push(sorted[b + 1]! - 1n);
    cands.push(...order);
    from.push(cands.length);
  }
  return { starts, ends, candidateFrom: Int32Array.from(from), candidates: Int32Array.from(cands) };
}

const V6_CACHE_MAX = 65_536;

export class AllocationIndex implements TenantResolver {
  private readonly v4: RangeTable<number>;
  private readonly v6: RangeTable<bigint>;
  private readonly validFrom: Float64Array;
  private readonly validTo: Float64Array;
  private readonly refs: TenantRef[];
  private readonly v6Cache = new Map<string, number>();
  /** Equally specific allocations of different deployments valid at the same time: a data error, reported not fatal. */
  readonly conflicts: string[] = [];

  /** Throws AllocationError naming the entry when a CIDR or a validity is unusable. */
  constructor(entries: readonly AllocationEntry[]) {
    const items: Parsed[] = entries.map((raw, i) => {
      const parsedEntry = AllocationEntrySchema.safeParse(raw);
      if (!parsedEntry.success) throw new AllocationError(`allocation ${i}: ${parsedEntry.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      const e = parsedEntry.data;
      const net = parseIpOrCidr(e.cidr);
      if (!net.ok) throw new AllocationError(`allocation ${i}: ${net.reason}`);
      const [address, prefixText] = net.ip.address.split('/');
      const bits = net.ip.version === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? bits : Number(prefixText);
      const lo = addressToBigInt(address!);
      const hi = lo + (1n << BigInt(bits - prefix)) - 1n;
      const validFrom = e.validFrom.getTime();
      const validTo = e.validTo ? e.validTo.getTime() : Infinity;
      if (!(validTo > validFrom)) throw new AllocationError(`allocation ${i} (${e.cidr}): validTo is not after validFrom`);
      const ref: TenantRef = e.hostGroup ? { tenantId: e.tenantId, deploymentId: e.deploymentId, hostGroup: e.hostGroup } : { tenantId: e.tenantId, deploymentId: e.deploymentId };
      return { v4: net.ip.version === 4, lo, hi, prefix, validFrom, validTo, ref };
    });
    const all = items.map((_, i) => i);
    const v4 = buildRanges(items, all.filter((i) => items[i]!.v4));
    const v6 = buildRanges(items, all.filter((i) => !items[i]!.v4));
    this.v4 = new RangeTable(v4.starts.map(Number), v4.ends.map(Number), v4.candidateFrom, v4.candidates);
    this.v6 = new RangeTable(v6.starts, v6.ends, v6.candidateFrom, v6.candidates);
    this.validFrom = Float64Array.from(items, (x) => x.validFrom);
    this.validTo = Float64Array.from(items, (x) => x.validTo);
    this.refs = items.map((x) => x.ref);
    this.findConflicts(items, this.v4, entries);
    this.findConflicts(items, this.v6, entries);
  }

  get size(): number {
    return this.refs.length;
  }

  lookup(ip: IpKey, atMs: number): TenantRef | undefined {
    if (typeof ip === 'number') return this.pick(this.v4, this.v4.find(ip), atMs);
    let range = this.v6Cache.get(ip);
    if (range === undefined) {
      if (!ipaddr.IPv6.isValid(ip)) return undefined;
      range = this.v6.find(addressToBigInt(ip));
      if (this.v6Cache.size >= V6_CACHE_MAX) this.v6Cache.clear();
      this.v6Cache.set(ip, range);
    }
    return this.pick(this.v6, range, atMs);
  }

  private pick(table: RangeTable<number> | RangeTable<bigint>, range: number, atMs: number): TenantRef | undefined {
    if (range < 0) return undefined;
    const to = table.candidateFrom[range + 1]!;
    for (let c = table.candidateFrom[range]!; c < to; c++) {
      const i = table.candidates[c]!;
      if (this.validFrom[i]! <= atMs && atMs < this.validTo[i]!) return this.refs[i];
    }
    return undefined;
  }

  private findConflicts(items: Parsed[], table: RangeTable<number> | RangeTable<bigint>, entries: readonly AllocationEntry[]): void {
    const seen = new Set<string>();
    for (let r = 0; r < table.starts.length; r++) {
      const from = table.candidateFrom[r]!;
      const to = table.candidateFrom[r + 1]!;
      for (let a = from; a < to; a++) {
        for (let b = a + 1; b < to; b++) {
          const x = items[table.candidates[a]!]!;
          const y = items[table.candidates[b]!]!;
          if (x.prefix !== y.prefix || x.ref.deploymentId === y.ref.deploymentId) continue;
          if (x.validFrom >= y.validTo || y.validFrom >= x.validTo) continue;
          const key = `${table.candidates[a]}-${table.candidates[b]}`;
          if (seen.has(key)) continue;
          seen.add(key);
          this.conflicts.push(`${entries[table.candidates[a]!]!.cidr} is held by deployments ${x.ref.deploymentId} and ${y.ref.deploymentId} at the same time; the later allocation wins`);
        }
      }
    }
  }
}

/** Canonical address text to its integer (IPv4 in the low 32 bits). */
function addressToBigInt(address: string): bigint {
  const bytes = ipaddr.parse(address).toByteArray();
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}
