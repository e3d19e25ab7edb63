// Inventories x advisories -> findings: which installed source package versions an advisory covers on each host.
import type { Severity } from '../cases';
import type { AdvisorySet, Candidate } from './advisories';
import { compareParsed, parseDebianVersion, type DebianVersion } from './debian-version';
import type { InstalledPackage, Inventory } from './inventory';
import type { KevCatalog, KevEntry } from './kev';
import { evaluateAffected } from './osv-ranges';
import type { Advisory, DistroAffected, SeverityInfo } from './osv';
import { compareUrgency, prioritise } from './priority';
import type { OsRelease } from './releases';

export interface Finding {
  host: string;
  deploymentId: string | null;
  ip: string | null;
  os: OsRelease;
  /** When the inventory was taken (ISO 8601), if it says. */
  collectedAt: string | null;
  /** Source package, the name advisories use. */
  source: string;
  /** False when the inventory did not name the source and the binary's name was used. */
  sourceKnown: boolean;
  /** The installed binary packages built from that source at that version. */
  binaries: { name: string; version: string; arch: string | null }[];
  /** The source version compared with the advisory. */
  installedVersion: string;
  advisoryId: string;
  summary: string | null;
  cves: string[];
  /** The advisory ecosystem that matched, e.g. "Debian:7". */
  ecosystem: string;
  /** The first version that fixes it, when the advisory names one. */
  fixedVersion: string | null;
  kev: boolean;
  ransomware: boolean;
  kevDueDate: string | null;
  overdue: boolean;
  severity: SeverityInfo | null;
  priority: Severity;
  reason: string;
}

export interface ScanOptions {
  /** Decides whether KEV due dates have passed (default: the current time). */
  now?: Date;
}

interface SourceGroup {
  source: string;
  sourceKnown: boolean;
  version: DebianVersion;
  binaries: InstalledPackage[];
}

/** Binary packages grouped by (source, source version): a partial upgrade leaves two groups of one source. */
function groupBySource(packages: InstalledPackage[]): SourceGroup[] {
  const groups = new Map<string, SourceGroup>();
  for (const p of packages) {
    const key = `${p.source}\0${p.sourceVersion}`;
    let group = groups.get(key);
    if (!group) {
      const parsed = parseDebianVersion(p.sourceVersion);
      if (!parsed.ok) continue; // inventories validate versions, so this does not happen
      group = { source: p.source, sourceKnown: false, version: parsed.version, binaries: [] };
      groups.set(key, group);
    }
    group.sourceKnown ||= p.sourceKnown;
    group.binaries.push(p);
  }
  return [...groups.values()];
}

/** An advisory that covers a source version, with the entry that says so. */
export interface Hit {
  advisory: Advisory;
  entry: DistroAffected;
  fixed: DebianVersion | null;
  via: 'range' | 'versions';
}

/**
 * The advisories that cover a source package version on a release. An advisory's release-specific entries
 * ("Debian:7") override its release-less ones ("Debian").
 */
export function advisoriesCovering(advisories: AdvisorySet, os: OsRelease, source: string, version: DebianVersion): Hit[] {
  const { specific, general } = advisories.entriesFor(os, source);
  const hits: Hit[] = [];
  collectHits(specific, version, hits);
  if (general.length > 0) {
    const overridden = new Set(specific.map((c) => c.advisory));
    collectHits(general.filter((c) => !overridden.has(c.advisory)), version, hits);
  }
  return hits;
}

/** One hit per advisory; an advisory's entries are consecutive in the list. */
function collectHits(list: readonly Candidate[], version: DebianVersion, hits: Hit[]): void {
  let advisory: Advisory | null = null;
  let best: Hit | null = null;
  for (const c of list) {
    if (c.advisory !== advisory) {
      if (best) hits.push(best);
      advisory = c.advisory;
      best = null;
    }
    const verdict = evaluateAffected(version, c.entry.ranges, c.entry.versions);
    if (!verdict.affected) continue;
    // Of several matching entries (Ubuntu and Ubuntu Pro), report the nearest fix.
    if (!best || (verdict.fixed && (!best.fixed || compareParsed(verdict.fixed, best.fixed) < 0))) {
      best = { advisory: c.advisory, entry: c.entry, fixed: verdict.fixed, via: verdict.via! };
    }
  }
  if (best) hits.push(best);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every finding on every host, most urgent first. */
export function scanInventories(inventories: Inventory[], advisories: AdvisorySet, kev: KevCatalog | null, opts: ScanOptions = {}): Finding[] {
  const now = opts.now ?? new Date();
  const findings: Finding[] = [];
  // Hosts built from one image share their packages: each (release, source, version) is evaluated once.
  const memo = new Map<string, Hit[]>();
  for (const inv of inventories) {
    for (const group of groupBySource(inv.packages)) {
      const key = `${inv.os.distro}\0${inv.os.release}\0${group.source}\0${group.version.text}`;
      let hits = memo.get(key);
      if (!hits) {
        hits = advisoriesCovering(advisories, inv.os, group.source, group.version);
        memo.set(key, hits);
      }
      for (const hit of hits) findings.push(toFinding(inv, group, hit, kev, now));
    }
  }
  return findings.sort(
    (a, b) =>
      compareUrgency(a, b) ||
      byText(a.host, b.host) ||
      byText(a.source, b.source) ||
      byText(a.installedVersion, b.installedVersion) ||
      byText(a.advisoryId, b.advisoryId),
  );
}

function toFinding(inv: Inventory, group: SourceGroup, hit: Hit, kev: KevCatalog | null, now: Date): Finding {
  const { advisory } = hit;
  const kevEntries = kev ? advisory.cves.map((c) => kev.entries.get(c)).filter((e): e is KevEntry => e !== undefined) : [];
  const severity = hit.entry.severity ?? advisory.severity;
  const finding: Omit<Finding, 'reason'> = {
    host: inv.host,
    deploymentId: inv.deploymentId,
    ip: inv.ip,
    os: inv.os,
    collectedAt: inv.collectedAt?.toISOString() ?? null,
    source: group.source,
    sourceKnown: group.sourceKnown,
    binaries: group.binaries.map((b) => ({ name: b.name, version: b.version, arch: b.arch })),
    installedVersion: group.version.text,
    advisoryId: advisory.id,
    summary: advisory.summary,
    cves: advisory.cves,
    ecosystem: hit.entry.ecosystem,
    fixedVersion: hit.fixed?.text ?? null,
    ...prioritise(kevEntries, severity, now),
    severity,
  };
  return { ...finding, reason: reasonText(finding, hit.via, kevEntries) };
}

function reasonText(f: Omit<Finding, 'reason'>, via: 'range' | 'versions', kevEntries: KevEntry[]): string {
  const names = f.binaries.map((b) => b.name).join(', ');
  const pkg = `${names} ${f.installedVersion} (source ${f.source}${f.sourceKnown ? '' : ', assumed from the binary name'})`;
  const what = f.cves.length ? `${f.advisoryId} (${f.cves.filter((c) => c !== f.advisoryId).join(', ') || f.advisoryId})` : f.advisoryId;
  const status = f.fixedVersion ? `older than the fix ${f.fixedVersion}` : via === 'versions' ? 'listed as affected, no fix named' : 'affected, no fix named';
  const parts = [`${pkg} is ${status} for ${what} in ${f.ecosystem}`];
  if (kevEntries.length) {
    const added = kevEntries.map((e) => e.dateAdded).sort()[0];
    parts.push(`in CISA KEV since ${added}, due ${f.kevDueDate}${f.overdue ? ' (overdue)' : ''}`);
  }
  if (f.ransomware) parts.push('known to be used in ransomware campaigns');
  if (f.severity) parts.push(f.severity.score !== null ? `CVSS ${f.severity.score.toFixed(1)}` : f.severity.source);
  return parts.join('; ');
}

export interface FindingGroup {
  host: string;
  deploymentId: string | null;
  source: string;
  installedVersion: string;
  binaries: string[];
  priority: Severity;
  kev: boolean;
  findings: Finding[];
}

/** Findings per host and source package, for display; a group ranks as its most urgent finding. */
export function groupFindings(findings: Finding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const key = `${f.host}\0${f.deploymentId ?? ''}\0${f.source}\0${f.installedVersion}`;
    const group = groups.get(key);
    // Findings come most urgent first, so the first one of a group sets its priority.
    if (group) {
      group.findings.push(f);
      group.kev ||= f.kev;
      continue;
    }
    const binaries = f.binaries.map((b) => b.name);
    groups.set(key, { host: f.host, deploymentId: f.deploymentId, source: f.source, installedVersion: f.installedVersion, binaries, priority: f.priority, kev: f.kev, findings: [f] });
  }
  return [...groups.values()];
}

export interface ScanSummary {
  hosts: number;
  /** Distinct (host, source package) pairs with at least one finding. */
  packages: number;
  findings: number;
  kev: number;
}

export function summarise(inventories: Inventory[], findings: Finding[]): ScanSummary {
  return {
    hosts: new Set(inventories.map((i) => `${i.host}\0${i.deploymentId ?? ''}`)).size,
    packages: new Set(findings.map((f) => `${f.host}\0${f.deploymentId ?? ''}\0${f.source}`)).size,
    findings: findings.length,
    kev: findings.filter((f) => f.kev).length,
  };
}
