import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { AdvisorySet } from '../../domain/vulns/advisories';
import { debianVersion } from '../../domain/vulns/debian-version';
import { readAdvisory, type Advisory, type AdvisoryRead } from '../../domain/vulns/osv';
import { evaluateAffected } from '../../domain/vulns/osv-ranges';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/vulns/advisories/${name}`, import.meta.url)), 'utf8');

type Event = Partial<Record<'introduced' | 'fixed' | 'last_affected' | 'limit', string>>;
const advisory = (affected: unknown[], extra: Record<string, unknown> = {}) => ({ id: 'TEST-1', modified: '2026-01-01T00:00:00Z', affected, ...extra });
const debian = (events: Event[], versions?: string[], ecosystem = 'Debian:12') => ({
  package: { ecosystem, name: 'pkg' },
  ranges: [{ type: 'ECOSYSTEM', events }],
  ...(versions ? { versions } : {}),
});

function accepted(read: AdvisoryRead): Extract<AdvisoryRead, { kind: 'ok' }> {
  if (read.kind !== 'ok') throw new Error(`expected an advisory, got ${read.kind}`);
  return read;
}

/** Evaluates a version against the first affected entry of an advisory built from events. */
function check(events: Event[], version: string, versions?: string[]) {
  const { advisory: a } = accepted(readAdvisory(advisory([debian(events, versions)])));
  const entry = a.affected[0]!;
  const verdict = evaluateAffected(debianVersion(version), entry.ranges, entry.versions);
  return { affected: verdict.affected, fixed: verdict.fixed?.text ?? null, via: verdict.via };
}

describe('reading OSV advisories', () => {
  test('a Debian Security Advisory', () => {
    const { advisory: a, problems } = accepted(readAdvisory(JSON.parse(fixture('DSA-3032-1.json'))));
    expect(problems).toEqual([]);
    expect(a).toMatchObject({ id: 'DSA-3032-1', cves: ['CVE-2014-6271'], summary: 'bash - security update', severity: null });
    expect(a.affected).toHaveLength(1);
    expect(a.affected[0]).toMatchObject({ ecosystem: 'Debian:7', eco: { distro: 'debian', release: '7' }, name: 'bash' });
  });

  test('CVE ids come from the id, aliases, upstream and related; other ids are not CVEs', () => {
    const { advisory: a } = accepted(
      readAdvisory(advisory([debian([{ introduced: '0' }])], { id: 'CVE-2024-0002', aliases: ['GHSA-xxxx-yyyy-zzzz', 'CVE-2024-0001'], upstream: ['CVE-2024-0003'], related: ['CVE-2024-0004', 'USN-1-1'] })),
    );
    expect(a.cves).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004']);
  });

  test('withdrawn, other ecosystems and invalid records are told apart', () => {
    expect(readAdvisory(JSON.parse(fixture('DSA-0000-1-withdrawn.json')))).toEqual({ kind: 'withdrawn', id: 'DSA-0000-1' });
    expect(readAdvisory(JSON.parse(fixture('GHSA-jfh8-c2jp-5v3q.json')))).toEqual({ kind: 'other-ecosystem', id: 'GHSA-jfh8-c2jp-5v3q' });
    const broken = readAdvisory(JSON.parse(fixture('broken-no-modified.json')));
    expect(broken).toMatchObject({ kind: 'invalid', id: 'DSA-9999-1' });
    if (broken.kind === 'invalid') {
      expect(broken.error).toContain('modified');
      expect(broken.error).toContain('exactly one of introduced, fixed, last_affected, limit');
    }
    for (const value of [null, 42, 'text', [], { id: '' }, { id: 'X', modified: 'yesterday' }]) expect(readAdvisory(value).kind).toBe('invalid');
  });

  test('what cannot be evaluated is reported, and the rest of the advisory is kept', () => {
    const { advisory: a, problems } = accepted(
      readAdvisory(
        advisory([
          { package: { ecosystem: 'Debian:12', name: 'git-only' }, ranges: [{ type: 'GIT', repo: 'https://example.org/r.git', events: [{ introduced: '0' }] }] },
          debian([{ introduced: '0' }, { fixed: 'not-a-version' }], undefined, 'Debian:11'),
          debian([{ introduced: '0' }, { fixed: '2.0-1' }], ['1.0-1', 'bad version']),
          debian([{ fixed: '2.0-1' }], undefined, 'Debian:13'),
          { package: { ecosystem: 'Debian:wheezy-backports', name: 'pkg' }, ranges: [] },
          { package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
        ]),
      ),
    );
    expect(a.affected.map((e) => e.ecosystem)).toEqual(['Debian:12', 'Debian:13']);
    expect(a.affected[0]!.versions.map((v) => v.text)).toEqual(['1.0-1']);
    expect(problems.map((p) => p.reason)).toEqual([
      'affected[0].ranges[0]: GIT range ignored (only ECOSYSTEM ranges are evaluated)',
      'affected[0]: no ECOSYSTEM range and no versions for git-only, nothing to match',
      expect.stringMatching(/^affected\[1\]\.ranges\[0\]\.events\[1\]: invalid Debian version "not-a-version".*the entry for debian pkg is ignored$/),
      expect.stringMatching(/^affected\[2\]\.versions: invalid Debian version "bad version"/),
      'affected[3].ranges[0]: no introduced event, so nothing is inside the range',
      'affected[4]: unknown ecosystem "Debian:wheezy-backports"',
    ]);
  });
});

describe('the OSV evaluation algorithm with Debian ordering', () => {
  test('introduced "0" covers every version, even those sorting before "0"', () => {
    for (const v of ['0~1', '0', '1:99-1']) expect(check([{ introduced: '0' }], v)).toEqual({ affected: true, fixed: null, via: 'range' });
  });

  test('introduced and fixed: affected below the fix, not at or above it', () => {
    const events = [{ introduced: '0' }, { fixed: '4.2+dfsg-0.1+deb7u1' }];
    expect(check(events, '4.2+dfsg-0.1')).toEqual({ affected: true, fixed: '4.2+dfsg-0.1+deb7u1', via: 'range' });
    expect(check(events, '4.2+dfsg-0.1+deb7u1').affected).toBe(false);
    expect(check(events, '4.2+dfsg-0.1+deb7u3').affected).toBe(false);
    expect(check(events, '4.2+dfsg-0.1+deb7u1~pre1').affected).toBe(true);
  });

  test('an introduced version other than 0 is inclusive', () => {
    const events = [{ introduced: '1.0.1-1' }, { fixed: '1.0.1e-2+deb7u5' }];
    expect(check(events, '1.0.0-9').affected).toBe(false);
    expect(check(events, '1.0.1-1').affected).toBe(true);
    expect(check(events, '1.0.1e-2+deb7u4')).toMatchObject({ affected: true, fixed: '1.0.1e-2+deb7u5' });
  });

  test('several introduced/fixed pairs, given out of order, are sorted first', () => {
    const events = [{ fixed: '3.2.5-1' }, { introduced: '3.0-1' }, { fixed: '1.0.2-1' }, { introduced: '1.0-1' }];
    const cases: [string, boolean, string | null][] = [
      ['0.9-1', false, null],
      ['1.0-1', true, '1.0.2-1'],
      ['1.0.1-3', true, '1.0.2-1'],
      ['1.0.2-1', false, null],
      ['2.0-1', false, null],
      ['3.0-1', true, '3.2.5-1'],
      ['3.2.4-9', true, '3.2.5-1'],
      ['3.2.5-1', false, null],
      ['4.0-1', false, null],
    ];
    for (const [v, affected, fixed] of cases) expect(check(events, v), v).toMatchObject({ affected, fixed });
  });

  test('last_affected is inclusive and names no fix', () => {
    const events = [{ introduced: '0' }, { last_affected: '2.1.214-1' }];
    expect(check(events, '2.1.214-1')).toEqual({ affected: true, fixed: null, via: 'range' });
    expect(check(events, '2.1.214-1+deb12u1').affected).toBe(false);
  });

  test('limit events bound the range; "*" is no bound', () => {
    expect(check([{ introduced: '0' }, { limit: '2.0' }], '1.9').affected).toBe(true);
    expect(check([{ introduced: '0' }, { limit: '2.0' }], '2.0').affected).toBe(false);
    expect(check([{ introduced: '0' }, { limit: '*' }], '99:1').affected).toBe(true);
    expect(check([{ introduced: '0' }, { limit: '1.0' }, { limit: '3.0' }], '2.0').affected).toBe(true);
  });

  test('the versions list matches by dpkg equality, and still reports a fix from the ranges', () => {
    const events = [{ introduced: '5.0-1' }, { fixed: '5.2-1' }];
    expect(check(events, '1.2-2', ['1.002-2', '1.0-1'])).toEqual({ affected: true, fixed: '5.2-1', via: 'versions' });
    expect(check(events, '1.0-1', ['1.002-2', '1.0-1'])).toMatchObject({ affected: true, via: 'versions' });
    expect(check(events, '1.0-2', ['1.002-2', '1.0-1']).affected).toBe(false);
    expect(check(events, '5.1-1', []).via).toBe('range');
  });

  test('tilde versions of backports sort before the release they precede', () => {
    const events = [{ introduced: '0' }, { fixed: '2.15.0-1~deb11u1' }];
    expect(check(events, '2.13.3-1').affected).toBe(true);
    expect(check(events, '2.15.0-1~deb10u1').affected).toBe(true);
    expect(check(events, '2.15.0-1~deb11u1').affected).toBe(false);
    expect(check(events, '2.15.0-1').affected).toBe(false);
  });
});

describe('severity', () => {
  const severityOf = (extra: Record<string, unknown>, entry: Record<string, unknown> = {}) =>
    accepted(readAdvisory(advisory([{ ...debian([{ introduced: '0' }]), ...entry }], extra)));

  test('CVSS v3 is preferred to v2, the highest v3 score wins', () => {
    const read = severityOf({
      severity: [
        { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' },
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
        { type: 'CVSS_V3', score: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      ],
    });
    expect(read.advisory.severity).toEqual({ score: 9.8, level: 'critical', source: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
  });

  test('a bad vector is a problem and the next kind is used; v4 alone is not scored', () => {
    const read = severityOf({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:X' }, { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' }] });
    expect(read.advisory.severity).toEqual({ score: 7.5, level: 'high', source: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' });
    expect(read.problems.map((p) => p.reason)).toEqual([expect.stringContaining('severity CVSS_V3: CVSS v3 vector: invalid value X for AV')]);
    expect(severityOf({ severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }] }).advisory.severity).toBeNull();
  });

  test('Ubuntu priorities and database words are levels without a score', () => {
    expect(severityOf({ severity: [{ type: 'Ubuntu', score: 'high' }] }).advisory.severity).toEqual({ score: null, level: 'high', source: 'Ubuntu priority high' });
    expect(severityOf({ severity: [{ type: 'Ubuntu', score: 'negligible' }] }).advisory.severity?.level).toBe('low');
    expect(severityOf({ database_specific: { severity: 'MODERATE' } }).advisory.severity?.level).toBe('medium');
    expect(severityOf({ severity: [{ type: 'Ubuntu', score: 'untriaged' }] }).advisory.severity).toBeNull();
  });

  test('a package-level severity belongs to its entry', () => {
    const read = severityOf({}, { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }] });
    expect(read.advisory.severity).toBeNull();
    expect(read.advisory.affected[0]!.severity).toMatchObject({ score: 7.8, level: 'high' });
  });
});

describe('AdvisorySet', () => {
  test('reads single advisories and arrays, counts what it skips, and indexes by distribution and source', () => {
    const set = new AdvisorySet();
    for (const name of ['DSA-3032-1.json', 'DSA-3035-1.json', 'USN-2362-1.json', 'batch.json', 'GHSA-jfh8-c2jp-5v3q.json', 'DSA-0000-1-withdrawn.json', 'broken-no-modified.json']) {
      set.addText(name, fixture(name));
    }
    set.addText('truncated.json', '[{"id": "DSA-1');
    expect(set.stats).toEqual({ files: 8, loaded: 5, withdrawn: 1, otherEcosystem: 1, invalid: 2, duplicates: 0 });
    expect(set.failures.map((f) => [f.file, f.id])).toEqual([
      ['broken-no-modified.json', 'DSA-9999-1'],
      ['truncated.json', null],
    ]);
    const ids = (distro: 'debian' | 'ubuntu', release: string, source: string) => {
      const { specific, general } = set.entriesFor({ distro, release }, source);
      expect(general).toEqual([]);
      return specific.map((x: { advisory: Advisory }) => `${x.advisory.id} ${x.advisory.affected.length}`);
    };
    expect(ids('debian', '7', 'bash')).toEqual(['DSA-3032-1 1', 'DSA-3035-1 1']);
    expect(ids('debian', '8', 'bash')).toEqual([]);
    expect(ids('ubuntu', '14.04', 'bash')).toEqual(['USN-2362-1 3']);
    expect(ids('ubuntu', '12.04', 'bash')).toEqual(['USN-2362-1 3']);
    expect(ids('debian', '10', 'apache-log4j2')).toEqual(['DSA-5020-1 2']);
    expect(ids('debian', '7', 'libssl1.0.0')).toEqual([]);
  });

  test('the same id twice keeps the most recently modified copy', () => {
    const set = new AdvisorySet();
    const v = (modified: string, fixed: string) => JSON.stringify(advisory([debian([{ introduced: '0' }, { fixed }])], { modified }));
    set.addText('a.json', v('2026-01-02T00:00:00Z', '2.0'));
    set.addText('b.json', v('2026-01-01T00:00:00Z', '1.0'));
    set.addText('c.json', v('2026-01-03T00:00:00Z', '3.0'));
    expect(set.stats).toMatchObject({ loaded: 1, duplicates: 2 });
    const { specific } = set.entriesFor({ distro: 'debian', release: '12' }, 'pkg');
    expect(specific.map((c) => c.advisory.modified)).toEqual(['2026-01-03T00:00:00Z']);
  });
});

describe('never throws', () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const junk = [null, 0, '', '0', '*', 'x y', '1:', [], {}, [{}], { introduced: '0', fixed: '1' }, 'Debian:7', 'Ubuntu:Pro', true];

  test('on mutated advisories, anywhere in the tree', () => {
    const base = JSON.parse(fixture('USN-2362-1.json')) as unknown;
    for (let i = 0; i < 500; i++) {
      const copy = structuredClone(base) as Record<string, unknown>;
      // Walk down a random path and replace what is there.
      let node: Record<string, unknown> = copy;
      for (let depth = 0; depth < 6; depth++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = pick(keys);
        const next = node[key];
        if (rnd() < 0.3 || next === null || typeof next !== 'object') {
          node[key] = pick(junk);
          break;
        }
        node = next as Record<string, unknown>;
      }
      const set = new AdvisorySet();
      set.addObject('m.json', copy);
      expect(set.stats.loaded + set.stats.invalid + set.stats.otherEcosystem + set.stats.withdrawn).toBe(1);
    }
  });
});
