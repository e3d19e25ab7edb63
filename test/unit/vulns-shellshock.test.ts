// ShellShock on Debian 7 "wheezy": DSA-3032-1 fixed CVE-2014-6271 in bash 4.2+dfsg-0.1+deb7u1, but that fix was
// incomplete (CVE-2014-7169), fixed by DSA-3035-1 in 4.2+dfsg-0.1+deb7u3. A host that took only the first update is
// still vulnerable. The fixture catalogue lists CVE-2014-6271 and not CVE-2014-7169, so the two rank differently here;
// in CISA's real catalogue both are listed (see vulns-corpus.test.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { AdvisorySet } from '../../domain/vulns/advisories';
import type { Inventory } from '../../domain/vulns/inventory';
import { parseKevCatalog } from '../../domain/vulns/kev';
import { scanInventories, type Finding } from '../../domain/vulns/match';
import { parseInventory } from '../../domain/vulns/parse-inventory';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../fixtures/vulns/${p}`, import.meta.url)), 'utf8');

const advisories = new AdvisorySet();
for (const name of ['DSA-3032-1.json', 'DSA-3035-1.json', 'USN-2362-1.json']) advisories.addText(name, read(`advisories/${name}`));
const kevParse = parseKevCatalog(read('kev/kev-small.json'));
if (!kevParse.ok) throw new Error(kevParse.error);
const kev = kevParse.catalog;
const now = new Date('2026-03-01T00:00:00Z');

function inventory(text: string): Inventory {
  const parsed = parseInventory(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.inventories[0]!;
}
const wheezyWithBash = (version: string, release = '7') =>
  inventory(JSON.stringify({ host: `bash-${version}`, os: { distro: 'debian', release }, packages: [{ name: 'bash', version }] }));
const scan = (inv: Inventory, at = now) => scanInventories([inv], advisories, kev, { now: at });
const summary = (findings: Finding[]) => findings.map((f) => [f.advisoryId, f.cves.join(','), f.fixedVersion, f.kev, f.priority]);

describe('ShellShock (CVE-2014-6271, CVE-2014-7169) on Debian 7', () => {
  test('bash older than both fixes is flagged for both, the KEV one first', () => {
    const findings = scan(inventory(read('inventories/web-1.dpkg-l.txt'))).filter((f) => f.source === 'bash');
    expect(summary(findings)).toEqual([
      ['DSA-3032-1', 'CVE-2014-6271', '4.2+dfsg-0.1+deb7u1', true, 'critical'],
      ['DSA-3035-1', 'CVE-2014-7169', '4.2+dfsg-0.1+deb7u3', false, 'medium'],
    ]);
    expect(findings[0]).toMatchObject({
      host: 'web-1',
      deploymentId: 'dep-web',
      ip: '198.51.100.10',
      source: 'bash',
      binaries: [{ name: 'bash', version: '4.2+dfsg-0.1', arch: 'amd64' }],
      installedVersion: '4.2+dfsg-0.1',
      ecosystem: 'Debian:7',
      ransomware: false,
      kevDueDate: '2022-07-28',
      overdue: true,
    });
    expect(findings[0]!.reason).toBe(
      'bash 4.2+dfsg-0.1 (source bash, assumed from the binary name) is older than the fix 4.2+dfsg-0.1+deb7u1 for DSA-3032-1 (CVE-2014-6271) in Debian:7; in CISA KEV since 2022-01-28, due 2022-07-28 (overdue)',
    );
  });

  test('bash fixed for CVE-2014-6271 but not CVE-2014-7169 is still flagged, for CVE-2014-7169 only', () => {
    const findings = scan(inventory(read('inventories/db-1.status'))).filter((f) => f.source === 'bash');
    expect(summary(findings)).toEqual([['DSA-3035-1', 'CVE-2014-7169', '4.2+dfsg-0.1+deb7u3', false, 'medium']]);
    expect(findings[0]!.sourceKnown).toBe(true);
    expect(summary(scan(wheezyWithBash('4.2+dfsg-0.1+deb7u2')))).toEqual([['DSA-3035-1', 'CVE-2014-7169', '4.2+dfsg-0.1+deb7u3', false, 'medium']]);
  });

  test('bash with both fixes, or later, is not flagged', () => {
    expect(scan(inventory(read('inventories/app-1.json'))).filter((f) => f.source === 'bash')).toEqual([]);
    expect(scan(wheezyWithBash('4.2+dfsg-0.1+deb7u10'))).toEqual([]);
    expect(scan(wheezyWithBash('4.2+dfsg-1'))).toEqual([]);
  });

  test('before CISA\'s due date the KEV finding is high, still above the other', () => {
    const findings = scan(wheezyWithBash('4.2+dfsg-0.1'), new Date('2022-02-01T00:00:00Z'));
    expect(summary(findings)).toEqual([
      ['DSA-3032-1', 'CVE-2014-6271', '4.2+dfsg-0.1+deb7u1', true, 'high'],
      ['DSA-3035-1', 'CVE-2014-7169', '4.2+dfsg-0.1+deb7u3', false, 'medium'],
    ]);
  });

  test('advisories for Debian 7 do not apply to Debian 8, nor to Ubuntu; Ubuntu advisories apply to their release', () => {
    expect(scan(wheezyWithBash('4.2+dfsg-0.1', '8'))).toEqual([]);
    const trusty = inventory(read('inventories/trusty-1.txt'));
    const onTrusty = scan(trusty);
    expect(summary(onTrusty)).toEqual([['USN-2362-1', 'CVE-2014-6271', '4.3-7ubuntu1.1', true, 'critical']]);
    expect(onTrusty[0]!.severity).toEqual({ score: 9.8, level: 'critical', source: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    const precise = inventory('# host: p\n# os: ubuntu precise\nbash 4.2-2ubuntu2.1\n');
    expect(summary(scan(precise))).toEqual([['USN-2362-1', 'CVE-2014-6271', '4.2-2ubuntu2.2', true, 'critical']]);
    const xenial = inventory('# host: x\n# os: ubuntu 16.04\nbash 4.3-14ubuntu1\n');
    expect(scan(xenial)).toEqual([]);
  });

  test('without a KEV catalogue nothing is marked KEV', () => {
    const findings = scanInventories([wheezyWithBash('4.2+dfsg-0.1')], advisories, null, { now });
    expect(findings.map((f) => [f.advisoryId, f.kev, f.priority])).toEqual([
      ['DSA-3032-1', false, 'medium'],
      ['DSA-3035-1', false, 'medium'],
    ]);
  });
});
