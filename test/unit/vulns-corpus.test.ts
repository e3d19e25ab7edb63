// Conformance against CISA's published KEV catalogue in ../shared/corpus/vuln-indicators (read in place, never copied).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { AdvisorySet } from '../../domain/vulns/advisories';
import { parseKevCatalog, ransomwareKnown, type KevCatalog } from '../../domain/vulns/kev';
import { scanInventories } from '../../domain/vulns/match';
import { parseInventory } from '../../domain/vulns/parse-inventory';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const kevDir = path.join(path.resolve(repoRoot, '..', 'shared'), 'corpus', 'vuln-indicators', 'cisa-kev-data');
const kevFile = path.join(kevDir, 'known_exploited_vulnerabilities.json');
const present = existsSync(kevFile);
if (!present) console.warn(`vulns-corpus: skipped, ${kevFile} is absent`);
const fixtures = fileURLToPath(new URL('../fixtures/vulns/', import.meta.url));

function load(): { catalog: KevCatalog; raw: { count: number; catalogVersion: string; vulnerabilities: { cveID: string; knownRansomwareCampaignUse: string }[] } } {
  const text = readFileSync(kevFile, 'utf8');
  const parsed = parseKevCatalog(text);
  if (!parsed.ok) throw new Error(parsed.error);
  expect(parsed.bad).toEqual([]);
  expect(parsed.warnings).toEqual([]);
  return { catalog: parsed.catalog, raw: JSON.parse(text) };
}

describe.skipIf(!present)('the CISA KEV catalogue (corpus)', () => {
  test('every entry is read: the count matches the catalogue, ransomware use agrees with the raw field', () => {
    const started = performance.now();
    const { catalog, raw } = load();
    console.log(`vulns-corpus: parsed ${catalog.entries.size} KEV entries in ${(performance.now() - started).toFixed(1)} ms`);
    expect(catalog.entries.size).toBe(raw.count);
    expect(catalog.catalogVersion).toBe(raw.catalogVersion);
    const known = raw.vulnerabilities.filter((v) => v.knownRansomwareCampaignUse === 'Known').map((v) => v.cveID).sort();
    expect(known.length).toBeGreaterThan(0);
    expect([...catalog.entries.values()].filter(ransomwareKnown).map((e) => e.cveID).sort()).toEqual(known);
  });

  test('ShellShock: both bash CVEs are in the catalogue, so both findings carry KEV priority', () => {
    const { catalog } = load();
    expect(catalog.entries.get('CVE-2014-6271')).toMatchObject({ vendorProject: 'GNU', dueDate: '2022-07-28' });
    expect(catalog.entries.has('CVE-2014-7169')).toBe(true);
    const advisories = new AdvisorySet();
    for (const name of ['DSA-3032-1.json', 'DSA-3035-1.json']) advisories.addText(name, readFileSync(path.join(fixtures, 'advisories', name), 'utf8'));
    const parsed = parseInventory(readFileSync(path.join(fixtures, 'inventories', 'web-1.dpkg-l.txt'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    const findings = scanInventories(parsed.inventories, advisories, catalog, { now: new Date('2026-03-01T00:00:00Z') });
    expect(findings.map((f) => [f.advisoryId, f.cves[0], f.kev, f.priority, f.kevDueDate])).toEqual([
      ['DSA-3032-1', 'CVE-2014-6271', true, 'critical', '2022-07-28'],
      ['DSA-3035-1', 'CVE-2014-7169', true, 'critical', '2022-07-28'],
    ]);
  });
});
