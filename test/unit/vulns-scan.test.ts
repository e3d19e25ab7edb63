import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { DetectionInputSchema } from '../../lib/detections';
import { AdvisorySet } from '../../domain/vulns/advisories';
import { toDetectionInput } from '../../domain/vulns/detection';
import type { Inventory } from '../../domain/vulns/inventory';
import { parseKevCatalog } from '../../domain/vulns/kev';
import { groupFindings, scanInventories, summarise, type Finding } from '../../domain/vulns/match';
import { parseInventory } from '../../domain/vulns/parse-inventory';

const fixtures = fileURLToPath(new URL('../fixtures/vulns/', import.meta.url));
const now = new Date('2026-03-01T00:00:00Z');

function loadFixtures() {
  const advisories = new AdvisorySet();
  for (const name of readdirSync(path.join(fixtures, 'advisories')).filter((n) => n.endsWith('.json'))) {
    advisories.addText(name, readFileSync(path.join(fixtures, 'advisories', name), 'utf8'));
  }
  const inventories: Inventory[] = [];
  for (const name of readdirSync(path.join(fixtures, 'inventories')).sort()) {
    const parsed = parseInventory(readFileSync(path.join(fixtures, 'inventories', name), 'utf8'), { host: name });
    if (parsed.ok) inventories.push(...parsed.inventories);
  }
  const kev = parseKevCatalog(readFileSync(path.join(fixtures, 'kev', 'kev-small.json'), 'utf8'));
  if (!kev.ok) throw new Error(kev.error);
  return { advisories, inventories, kev: kev.catalog };
}

function oneHost(text: string): Inventory {
  const parsed = parseInventory(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.inventories[0]!;
}

function advisorySet(...records: unknown[]): AdvisorySet {
  const set = new AdvisorySet();
  records.forEach((r, i) => set.addObject(`r${i}.json`, r));
  return set;
}
const record = (id: string, affected: { ecosystem: string; name: string; fixed?: string; introduced?: string }[]) => ({
  id,
  modified: '2026-01-01T00:00:00Z',
  affected: affected.map((a) => ({
    package: { ecosystem: a.ecosystem, name: a.name },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: a.introduced ?? '0' }, ...(a.fixed ? [{ fixed: a.fixed }] : [])] }],
  })),
});

describe('scanning the fixture fleet', () => {
  const { advisories, inventories, kev } = loadFixtures();
  const findings = scanInventories(inventories, advisories, kev, { now });
  const rows = findings.map((f) => [f.host, f.source, f.installedVersion, f.advisoryId, f.priority]);

  test('every finding, most urgent first', () => {
    expect(rows).toEqual([
      ['ci-1', 'apache-log4j2', '2.11.1-2', 'DSA-5020-1', 'critical'],
      ['trusty-1', 'bash', '4.3-7ubuntu1', 'USN-2362-1', 'critical'],
      ['ci-1', 'sudo', '1.8.27-1+deb10u2', 'DSA-4839-1', 'critical'],
      ['db-1', 'openssl', '1.0.1e-2+deb7u4', 'DSA-2896-1', 'critical'],
      ['web-1', 'openssl', '1.0.1e-2+deb7u4', 'DSA-2896-1', 'critical'],
      ['web-1', 'bash', '4.2+dfsg-0.1', 'DSA-3032-1', 'critical'],
      ['db-1', 'bash', '4.2+dfsg-0.1+deb7u1', 'DSA-3035-1', 'medium'],
      ['web-1', 'bash', '4.2+dfsg-0.1', 'DSA-3035-1', 'medium'],
    ]);
    expect(findings[0]).toMatchObject({ ransomware: true, fixedVersion: '2.15.0-1~deb10u1', ecosystem: 'Debian:10', binaries: [{ name: 'liblog4j2-java' }] });
  });

  test('the status file maps libssl1.0.0 to its source openssl; dpkg -l cannot, so only the openssl binary matches there', () => {
    const db1 = findings.find((f) => f.host === 'db-1' && f.source === 'openssl')!;
    expect(db1.binaries.map((b) => b.name)).toEqual(['libssl1.0.0']);
    expect(db1.sourceKnown).toBe(true);
    const web1 = findings.find((f) => f.host === 'web-1' && f.source === 'openssl')!;
    expect(web1.binaries.map((b) => b.name)).toEqual(['openssl']);
    expect(web1.sourceKnown).toBe(false);
  });

  test('fixed versions are not flagged (search-1 has the log4j fix; app-1 has later bash and openssl)', () => {
    expect(findings.filter((f) => f.host === 'search-1' || f.host === 'app-1')).toEqual([]);
  });

  test('grouped per host and package, and the summary counts', () => {
    const groups = groupFindings(findings);
    expect(groups.map((g) => [g.host, g.source, g.findings.length, g.priority, g.kev])).toEqual([
      ['ci-1', 'apache-log4j2', 1, 'critical', true],
      ['trusty-1', 'bash', 1, 'critical', true],
      ['ci-1', 'sudo', 1, 'critical', true],
      ['db-1', 'openssl', 1, 'critical', true],
      ['web-1', 'openssl', 1, 'critical', true],
      ['web-1', 'bash', 2, 'critical', true],
      ['db-1', 'bash', 1, 'medium', false],
    ]);
    expect(summarise(inventories, findings)).toEqual({ hosts: 6, packages: 7, findings: 8, kev: 6 });
  });
});

describe('matching rules', () => {
  test('one finding per source version: binaries built from it are listed together; a partial upgrade splits them', () => {
    const inv = oneHost(
      JSON.stringify({
        host: 'h',
        os: { distro: 'debian', release: '12' },
        packages: [
          { name: 'libc6', version: '2.36-9+deb12u3', source: 'glibc', arch: 'amd64' },
          { name: 'libc-bin', version: '2.36-9+deb12u3', source: 'glibc' },
          { name: 'locales', version: '2.36-9+deb12u1', source: 'glibc' },
        ],
      }),
    );
    const set = advisorySet(record('DSA-TEST-1', [{ ecosystem: 'Debian:12', name: 'glibc', fixed: '2.36-9+deb12u4' }]));
    const findings = scanInventories([inv], set, null, { now });
    expect(findings.map((f) => [f.installedVersion, f.binaries.map((b) => b.name)])).toEqual([
      ['2.36-9+deb12u1', ['locales']],
      ['2.36-9+deb12u3', ['libc6', 'libc-bin']],
    ]);
  });

  test('a binNMU is compared by its source version', () => {
    const inv = oneHost(
      JSON.stringify({ host: 'h', os: { distro: 'debian', release: '12' }, packages: [{ name: 'libxml2', version: '2.9.14+dfsg-1.3~deb12u1+b1', source: 'libxml2', sourceVersion: '2.9.14+dfsg-1.3~deb12u1' }] }),
    );
    // The fix equals the source version: not vulnerable, although the binary's version string is different.
    const fixed = advisorySet(record('T-1', [{ ecosystem: 'Debian:12', name: 'libxml2', fixed: '2.9.14+dfsg-1.3~deb12u1' }]));
    expect(scanInventories([inv], fixed, null, { now })).toEqual([]);
    const later = advisorySet(record('T-2', [{ ecosystem: 'Debian:12', name: 'libxml2', fixed: '2.9.14+dfsg-1.3~deb12u2' }]));
    expect(scanInventories([inv], later, null, { now }).map((f) => [f.installedVersion, f.binaries[0]!.version])).toEqual([
      ['2.9.14+dfsg-1.3~deb12u1', '2.9.14+dfsg-1.3~deb12u1+b1'],
    ]);
  });

  test('a release-specific entry overrides the release-less one of the same advisory; alone, the release-less one applies', () => {
    const inv = oneHost('# host: h\n# os: debian 12\nopenssh-server 1:9.2p1-2+deb12u2\n');
    const both = advisorySet(
      record('T-3', [
        { ecosystem: 'Debian', name: 'openssh-server', fixed: '1:9.7p1-1' },
        { ecosystem: 'Debian:12', name: 'openssh-server', fixed: '1:9.2p1-2+deb12u1' },
      ]),
    );
    expect(scanInventories([inv], both, null, { now })).toEqual([]);
    const plain = advisorySet(record('T-4', [{ ecosystem: 'Debian', name: 'openssh-server', fixed: '1:9.7p1-1' }]));
    expect(scanInventories([inv], plain, null, { now }).map((f) => [f.ecosystem, f.fixedVersion])).toEqual([['Debian', '1:9.7p1-1']]);
  });

  test('Ubuntu Pro entries of the host\'s release apply; of several matching entries the nearest fix is reported', () => {
    const inv = oneHost('# host: h\n# os: ubuntu bionic\nbash 4.4.18-2ubuntu1.2\n');
    const set = advisorySet(
      record('USN-TEST-1', [
        { ecosystem: 'Ubuntu:Pro:18.04:LTS', name: 'bash', fixed: '4.4.18-2ubuntu1.3+esm1' },
        { ecosystem: 'Ubuntu:18.04:LTS', name: 'bash', fixed: '4.4.18-2ubuntu1.3' },
        { ecosystem: 'Ubuntu:Pro:16.04:LTS', name: 'bash', fixed: '9.9' },
      ]),
    );
    expect(scanInventories([inv], set, null, { now }).map((f) => [f.ecosystem, f.fixedVersion])).toEqual([['Ubuntu:18.04:LTS', '4.4.18-2ubuntu1.3']]);
  });

  test('an unfixed vulnerability is reported without a fix', () => {
    const inv = oneHost('# host: h\n# os: debian 12\nimagemagick 8:6.9.11.60+dfsg-1.6\n');
    const set = advisorySet(record('DEBIAN-CVE-2099-0001', [{ ecosystem: 'Debian:12', name: 'imagemagick' }]));
    const [finding] = scanInventories([inv], set, null, { now });
    expect(finding).toMatchObject({ fixedVersion: null, priority: 'medium', cves: [] });
    expect(finding!.reason).toContain('is affected, no fix named for DEBIAN-CVE-2099-0001 in Debian:12');
  });
});

describe('findings as detections', () => {
  const { advisories, inventories, kev } = loadFixtures();
  const findings = scanInventories(inventories, advisories, kev, { now });
  const find = (host: string, id: string): Finding => findings.find((f) => f.host === host && f.advisoryId === id)!;

  test('a finding on a host with a known address becomes a valid vulnerable_service detection', () => {
    const input = toDetectionInput(find('web-1', 'DSA-3032-1'), now)!;
    expect(input).toMatchObject({
      detector: 'vulns',
      kind: 'vulnerable-package',
      category: 'vulnerable_service',
      sourceIp: '198.51.100.10',
      targets: ['web-1'],
      severity: 'critical',
      confidence: 'medium',
      counts: { cves: 1, binaries: 1, kev: 1 },
    });
    // The inventory's collection time, so that the same inventory scanned again gives the same detection.
    expect(input.windowStart).toEqual(new Date('2014-10-01T08:00:00Z'));
    expect(input.windowEnd).toEqual(input.windowStart);
    expect(input.evidence).toContain('DSA-3032-1');
    expect(input.evidence).toContain('Upgrade bash to 4.2+dfsg-0.1+deb7u1 or later.');
    const parsed = DetectionInputSchema.safeParse(input);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  test('a known source and a named fix give high confidence; without collection time the scan time is used', () => {
    const input = toDetectionInput(find('db-1', 'DSA-2896-1'), now)!;
    expect(input).toMatchObject({ confidence: 'high', sourceIp: '198.51.100.20', windowStart: now, counts: { cvss: 7.5 } });
    expect(DetectionInputSchema.safeParse(input).success).toBe(true);
  });

  test('no detection without the host\'s address', () => {
    expect(toDetectionInput(find('ci-1', 'DSA-5020-1'), now)).toBeUndefined();
    expect(toDetectionInput(find('trusty-1', 'USN-2362-1'), now)).toBeUndefined();
  });
});
