// OSV advisories (https://ossf.github.io/osv-schema/): read with zod, keep what concerns Debian and Ubuntu packages,
// with every version parsed once so that a bad version is reported here rather than skipped at match time.
import { z } from 'zod';
import { cvssBaseScore, levelOfScore, type Level } from './cvss';
import { parseDebianVersion, type DebianVersion } from './debian-version';
import { sortEvents, type Bound, type CompiledRange, type RangeEvent } from './osv-ranges';
import { parseEcosystem, type DistroEcosystem } from './releases';

const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

const EventSchema = z
  .object({
    introduced: z.string().min(1).optional(),
    fixed: z.string().min(1).optional(),
    last_affected: z.string().min(1).optional(),
    limit: z.string().min(1).optional(),
  })
  .refine((e) => EVENT_KEYS.filter((k) => e[k] !== undefined).length === 1, 'each event must have exactly one of introduced, fixed, last_affected, limit');

const SeveritySchema = z.object({ type: z.string().min(1), score: z.string().min(1) });

const RangeSchema = z.object({
  type: z.string().min(1),
  repo: z.string().optional(),
  events: z.array(EventSchema).min(1),
  database_specific: z.unknown().optional(),
});

const AffectedSchema = z.object({
  package: z.object({ ecosystem: z.string().min(1), name: z.string().min(1), purl: z.string().optional() }).optional(),
  severity: z.array(SeveritySchema).optional(),
  ranges: z.array(RangeSchema).optional(),
  versions: z.array(z.string()).optional(),
  ecosystem_specific: z.unknown().optional(),
  database_specific: z.unknown().optional(),
});

const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an RFC 3339 timestamp');

/** Unknown fields are allowed: the spec lets newer minor versions add fields that older readers ignore. */
export const OsvAdvisorySchema = z.object({
  schema_version: z.string().optional(),
  id: z.string().trim().min(1).max(200),
  modified: timestamp,
  published: timestamp.optional(),
  withdrawn: timestamp.optional(),
  aliases: z.array(z.string()).optional(),
  upstream: z.array(z.string()).optional(),
  related: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(SeveritySchema).optional(),
  affected: z.array(AffectedSchema).optional(),
  references: z.array(z.object({ type: z.string(), url: z.string() })).optional(),
  database_specific: z.unknown().optional(),
});
export type OsvAdvisory = z.infer<typeof OsvAdvisorySchema>;

/** A severity we can rank by: a computed CVSS base score, or a level given in words. */
export interface SeverityInfo {
  score: number | null;
  level: Level | null;
  /** Where it came from, e.g. "CVSS:3.1/AV:N/..." or "Ubuntu priority high". */
  source: string;
}

/** An affected[] entry for a Debian or Ubuntu source package. */
export interface DistroAffected {
  ecosystem: string;
  eco: DistroEcosystem;
  /** Source package name. */
  name: string;
  ranges: CompiledRange[];
  versions: DebianVersion[];
  severity: SeverityInfo | null;
}

export interface Advisory {
  id: string;
  /** CVE ids the record is, aliases, or fixes (id, aliases, upstream, related), sorted. */
  cves: string[];
  aliases: string[];
  summary: string | null;
  modified: string;
  severity: SeverityInfo | null;
  affected: DistroAffected[];
}

/** Something in an advisory we could not use; the rest of the advisory still counts. */
export interface AdvisoryProblem {
  id: string;
  reason: string;
}

export type AdvisoryRead =
  | { kind: 'ok'; advisory: Advisory; problems: AdvisoryProblem[] }
  | { kind: 'withdrawn'; id: string }
  /** Valid OSV, but no affected package of Debian or Ubuntu (npm, PyPI, ...). */
  | { kind: 'other-ecosystem'; id: string }
  | { kind: 'invalid'; id: string | null; error: string };

const CVE_ID = /^CVE-\d{4}-\d{4,19}$/;
const UBUNTU_PRIORITY: Record<string, Level | null> = { negligible: 'low', low: 'low', medium: 'medium', high: 'high', critical: 'critical', untriaged: null };
// GHSA and others put a word in database_specific.severity ("MODERATE" is GHSA's medium).
const WORDS: Record<string, Level> = { low: 'low', moderate: 'medium', medium: 'medium', high: 'high', important: 'high', critical: 'critical' };

/** Reads one advisory object; never throws. */
export function readAdvisory(value: unknown): AdvisoryRead {
  const parsed = OsvAdvisorySchema.safeParse(value);
  if (!parsed.success) {
    // Name the record in the error when it has an id at all.
    const id = (value as { id?: unknown } | null)?.id;
    const rawId = typeof id === 'string' ? id : null;
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { kind: 'invalid', id: rawId, error: `not an OSV advisory: ${issues.join('; ')}` };
  }
  const osv = parsed.data;
  if (osv.withdrawn) return { kind: 'withdrawn', id: osv.id };
  const problems: AdvisoryProblem[] = [];
  const affected: DistroAffected[] = [];
  let distroEntries = 0;
  (osv.affected ?? []).forEach((a, i) => {
    if (!a.package) return;
    const eco = parseEcosystem(a.package.ecosystem);
    if (!eco) {
      if (/^(Debian|Ubuntu)(:|$)/.test(a.package.ecosystem)) problems.push({ id: osv.id, reason: `affected[${i}]: unknown ecosystem ${JSON.stringify(a.package.ecosystem)}` });
      return;
    }
    distroEntries++;
    const compiled = compileAffected(a, eco, `affected[${i}]`, osv.id, problems);
    if (compiled) affected.push(compiled);
  });
  if (distroEntries === 0) return { kind: 'other-ecosystem', id: osv.id };
  const cves = new Set([osv.id, ...(osv.aliases ?? []), ...(osv.upstream ?? []), ...(osv.related ?? [])].filter((x) => CVE_ID.test(x)));
  return {
    kind: 'ok',
    advisory: {
      id: osv.id,
      cves: [...cves].sort(),
      aliases: osv.aliases ?? [],
      summary: osv.summary?.trim() || null,
      modified: osv.modified,
      severity: severityOf(osv.severity ?? [], osv.database_specific, osv.id, problems),
      affected,
    },
    problems,
  };
}

function compileAffected(
  a: z.infer<typeof AffectedSchema>,
  eco: DistroEcosystem,
  at: string,
  id: string,
  problems: AdvisoryProblem[],
): DistroAffected | null {
  const ranges: CompiledRange[] = [];
  for (const [r, range] of (a.ranges ?? []).entries()) {
    if (range.type !== 'ECOSYSTEM') {
      // SEMVER does not order Debian versions and GIT needs the repository: neither can be evaluated here.
      problems.push({ id, reason: `${at}.ranges[${r}]: ${range.type} range ignored (only ECOSYSTEM ranges are evaluated)` });
      continue;
    }
    const events: RangeEvent[] = [];
    for (const [e, event] of range.events.entries()) {
      const type = EVENT_KEYS.find((k) => event[k] !== undefined)!;
      const bound = boundOf(type, event[type]!);
      if (typeof bound === 'string') {
        // One unreadable bound makes the entry unreadable: evaluating the rest could call a vulnerable version safe.
        problems.push({ id, reason: `${at}.ranges[${r}].events[${e}]: ${bound}; the entry for ${eco.distro} ${a.package!.name} is ignored` });
        return null;
      }
      events.push({ type, bound });
    }
    if (!events.some((e) => e.type === 'introduced')) problems.push({ id, reason: `${at}.ranges[${r}]: no introduced event, so nothing is inside the range` });
    ranges.push({ events: sortEvents(events) });
  }
  const versions: DebianVersion[] = [];
  for (const text of a.versions ?? []) {
    const v = parseDebianVersion(text);
    if (v.ok) versions.push(v.version);
    else problems.push({ id, reason: `${at}.versions: ${v.error} ignored` });
  }
  if (ranges.length === 0 && versions.length === 0) {
    problems.push({ id, reason: `${at}: no ECOSYSTEM range and no versions for ${a.package!.name}, nothing to match` });
    return null;
  }
  return {
    ecosystem: a.package!.ecosystem,
    eco,
    name: a.package!.name,
    ranges,
    versions,
    severity: a.severity ? severityOf(a.severity, a.database_specific, id, problems) : null,
  };
}

function boundOf(type: RangeEvent['type'], text: string): Bound | string {
  if (type === 'introduced' && text === '0') return { kind: 'zero' };
  if (type === 'limit' && text.includes('*')) return { kind: 'infinity' };
  const v = parseDebianVersion(text);
  return v.ok ? { kind: 'version', version: v.version } : v.error;
}

/** The most telling severity: CVSS v3 then v2 base scores (highest of each kind), then the words of Ubuntu or GHSA. */
export function severityOf(entries: { type: string; score: string }[], databaseSpecific: unknown, id: string, problems: AdvisoryProblem[]): SeverityInfo | null {
  for (const type of ['CVSS_V3', 'CVSS_V2'] as const) {
    let best: SeverityInfo | null = null;
    for (const s of entries.filter((x) => x.type === type)) {
      const scored = cvssBaseScore(type, s.score);
      if (!scored.ok) {
        problems.push({ id, reason: `severity ${type}: ${scored.error}` });
        continue;
      }
      if (!best || scored.score > best.score!) best = { score: scored.score, level: levelOfScore(scored.score), source: s.score.trim() };
    }
    if (best) return best;
  }
  const ubuntu = entries.find((x) => x.type === 'Ubuntu');
  if (ubuntu && UBUNTU_PRIORITY[ubuntu.score.toLowerCase()]) {
    return { score: null, level: UBUNTU_PRIORITY[ubuntu.score.toLowerCase()]!, source: `Ubuntu priority ${ubuntu.score.toLowerCase()}` };
  }
  const word = (databaseSpecific as { severity?: unknown } | undefined)?.severity;
  if (typeof word === 'string' && WORDS[word.toLowerCase()]) return { score: null, level: WORDS[word.toLowerCase()]!, source: `database severity ${word}` };
  return null;
}
