// The OSV evaluation algorithm (https://ossf.github.io/osv-schema/#evaluation) over Debian version ordering.
import { compareParsed, type DebianVersion } from './debian-version';

/** A range event bound: a version, or the spec's "0" (before every version) and limit "*" (after every version). */
export type Bound = { kind: 'version'; version: DebianVersion } | { kind: 'zero' } | { kind: 'infinity' };

export interface RangeEvent {
  type: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  bound: Bound;
}

/** An ECOSYSTEM range with its events already sorted by version. */
export interface CompiledRange {
  events: RangeEvent[];
}

const boundRank = (x: Bound) => (x.kind === 'zero' ? -1 : x.kind === 'infinity' ? 1 : 0);

export function compareBounds(a: Bound, b: Bound): number {
  if (a.kind !== 'version' || b.kind !== 'version') return boundRank(a) - boundRank(b);
  return compareParsed(a.version, b.version);
}

/** A version against a bound, without building a bound for the version (this runs for every package and event). */
function compareToBound(v: DebianVersion, b: Bound): number {
  return b.kind === 'version' ? compareParsed(v, b.version) : b.kind === 'zero' ? 1 : -1;
}

/** Sorted as the spec requires; equal versions keep the order the advisory gave them. */
export function sortEvents(events: RangeEvent[]): RangeEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => compareBounds(x.e.bound, y.e.bound) || x.i - y.i)
    .map((x) => x.e);
}

function beforeLimits(v: DebianVersion, range: CompiledRange): boolean {
  let limited = false;
  for (const e of range.events) {
    if (e.type !== 'limit') continue;
    if (compareToBound(v, e.bound) < 0) return true;
    limited = true;
  }
  return !limited;
}

export interface RangeVerdict {
  affected: boolean;
  /** The first fixed version above v in the range that holds it, when the advisory names one. */
  fixed: DebianVersion | null;
}

// Shared answers for the common case: most packages are not affected by most candidate advisories.
const OUTSIDE: RangeVerdict = Object.freeze({ affected: false, fixed: null });

/** IncludedInRanges for one range: walks the sorted events, introduced opens, fixed and last_affected close. */
export function evaluateRange(v: DebianVersion, range: CompiledRange): RangeVerdict {
  if (!beforeLimits(v, range)) return OUTSIDE;
  let vulnerable = false;
  for (const e of range.events) {
    const cmp = compareToBound(v, e.bound);
    if (e.type === 'introduced' && (e.bound.kind === 'zero' || cmp >= 0)) vulnerable = true;
    else if (e.type === 'fixed' && cmp >= 0) vulnerable = false;
    else if (e.type === 'last_affected' && cmp > 0) vulnerable = false;
  }
  return vulnerable ? { affected: true, fixed: firstFixedAbove(v, [range]) } : OUTSIDE;
}

/** The smallest fixed event above v across ranges (null when none names a fix). */
export function firstFixedAbove(v: DebianVersion, ranges: CompiledRange[]): DebianVersion | null {
  let best: DebianVersion | null = null;
  for (const range of ranges) {
    for (const e of range.events) {
      if (e.type !== 'fixed' || e.bound.kind !== 'version') continue;
      if (compareParsed(e.bound.version, v) > 0 && (best === null || compareParsed(e.bound.version, best) < 0)) best = e.bound.version;
    }
  }
  return best;
}

export interface AffectedVerdict {
  affected: boolean;
  fixed: DebianVersion | null;
  /** Why: inside a range, or listed in `versions`. */
  via: 'range' | 'versions' | null;
}

const NOT_AFFECTED: AffectedVerdict = Object.freeze({ affected: false, fixed: null, via: null });

/** IsVulnerable for one affected[] entry: inside any range, or equal (by dpkg ordering) to a listed version. */
export function evaluateAffected(v: DebianVersion, ranges: CompiledRange[], versions: DebianVersion[]): AffectedVerdict {
  for (const range of ranges) {
    const verdict = evaluateRange(v, range);
    if (verdict.affected) return { affected: true, fixed: verdict.fixed, via: 'range' };
  }
  if (versions.some((listed) => compareParsed(listed, v) === 0)) return { affected: true, fixed: firstFixedAbove(v, ranges), via: 'versions' };
  return NOT_AFFECTED;
}
