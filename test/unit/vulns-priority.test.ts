import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { cvssBaseScore, levelOfScore } from '../../domain/vulns/cvss';
import { parseKevCatalog, type KevCatalog, type KevEntry } from '../../domain/vulns/kev';
import type { SeverityInfo } from '../../domain/vulns/osv';
import { compareUrgency, prioritise, type Rankable } from '../../domain/vulns/priority';

const kevText = readFileSync(fileURLToPath(new URL('../fixtures/vulns/kev/kev-small.json', import.meta.url)), 'utf8');

describe('CVSS base scores', () => {
  test.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
    ['CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    // Temporal and environmental metrics do not change the base score; metric order is free.
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L', 9.8],
    ['CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/A:H/I:H/C:H', 9.8],
  ])('v3 %s = %d', (vector, score) => expect(cvssBaseScore('CVSS_V3', vector)).toMatchObject({ ok: true, score }));

  test.each([
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10.0],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2],
    ['AV:N/AC:L/Au:N/C:P/I:N/A:N', 5.0],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
    ['(AV:N/AC:L/Au:N/C:N/I:N/A:N)', 0],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C', 10.0],
  ])('v2 %s = %d', (vector, score) => expect(cvssBaseScore('CVSS_V2', vector)).toEqual({ ok: true, version: '2.0', score }));

  test.each([
    ['CVSS_V3', 'CVSS:3.1/AV:N', 'missing base metrics AC, PR, UI, S, C, I, A'],
    ['CVSS_V3', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'not a CVSS v3 vector'],
    ['CVSS_V3', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'not a CVSS v3 vector'],
    ['CVSS_V3', 'CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'metric AV given twice'],
    ['CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y', 'unknown metric XX'],
    ['CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/', 'malformed metric ""'],
    ['CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H', 'invalid value X for S'],
    ['CVSS_V2', 'AV:N/AC:L/Au:N/C:C/I:C', 'missing base metric A'],
    ['CVSS_V2', 'AV:N/AC:L/Au:X/C:C/I:C/A:C', 'invalid value X for Au'],
  ] as const)('%s %s is refused: %s', (type, vector, error) => {
    const r = cvssBaseScore(type, vector);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  test('qualitative levels', () => {
    expect([9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0].map(levelOfScore)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'low', null]);
  });
});

describe('the KEV catalogue', () => {
  test('reads the catalogue format', () => {
    const parsed = parseKevCatalog(kevText);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.bad).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.catalog.catalogVersion).toBe('2026.03.01');
    expect([...parsed.catalog.entries.keys()]).toEqual(['CVE-2014-6271', 'CVE-2021-44228', 'CVE-2021-3156', 'CVE-2014-0160']);
    expect(parsed.catalog.entries.get('CVE-2021-44228')).toMatchObject({ knownRansomwareCampaignUse: 'Known', dueDate: '2021-12-24' });
  });

  test('bad entries are counted by index; duplicates and a wrong count are warnings', () => {
    const catalog = JSON.parse(kevText) as { count: number; vulnerabilities: Record<string, unknown>[] };
    const [first] = catalog.vulnerabilities;
    catalog.vulnerabilities.push({ ...first }, { ...first, cveID: 'CVE-14-1' }, { ...first, cveID: 'CVE-2020-0001', dueDate: '2020/01/01' }, { cveID: 'CVE-2020-0002' });
    const parsed = parseKevCatalog(JSON.stringify(catalog));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.catalog.entries.size).toBe(4);
    expect(parsed.bad.map((b) => [b.index, b.error])).toEqual([
      [5, expect.stringContaining('cveID: not a CVE id')],
      [6, expect.stringContaining('dueDate')],
      [7, expect.stringContaining('vendorProject')],
    ]);
    expect(parsed.warnings).toEqual(['CVE-2014-6271 is listed twice; the first entry is used', 'the catalogue says count 4 but lists 8 entries']);
  });

  test.each([
    ['{', /^malformed JSON/],
    ['[]', /not a KEV catalogue/],
    ['{"catalogVersion":"1","dateReleased":"x","count":0}', /vulnerabilities/],
  ])('%s is not a catalogue', (text, error) => {
    const parsed = parseKevCatalog(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});

describe('priority', () => {
  const catalog = (() => {
    const parsed = parseKevCatalog(kevText);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.catalog as KevCatalog;
  })();
  const kev = (...ids: string[]): KevEntry[] => ids.map((id) => catalog.entries.get(id)!);
  const cvss = (score: number): SeverityInfo => ({ score, level: levelOfScore(score), source: 'test' });
  const at = (date: string) => new Date(`${date}T12:00:00Z`);

  test('KEV with known ransomware use is critical', () => {
    expect(prioritise(kev('CVE-2021-44228'), null, at('2021-12-11'))).toEqual({ priority: 'critical', kev: true, ransomware: true, kevDueDate: '2021-12-24', overdue: false });
  });

  test('KEV past its due date is critical; on the due date it is not yet overdue', () => {
    expect(prioritise(kev('CVE-2021-3156'), cvss(7.8), at('2022-04-28'))).toMatchObject({ priority: 'critical', overdue: true });
    expect(prioritise(kev('CVE-2021-3156'), cvss(7.8), new Date('2022-04-27T23:59:59Z'))).toMatchObject({ priority: 'high', overdue: false });
  });

  test('KEV before its due date: critical at CVSS 9 and above, otherwise high, never lower', () => {
    expect(prioritise(kev('CVE-2021-3156'), cvss(9.8), at('2022-04-10')).priority).toBe('critical');
    expect(prioritise(kev('CVE-2021-3156'), cvss(7.8), at('2022-04-10')).priority).toBe('high');
    expect(prioritise(kev('CVE-2021-3156'), cvss(2.0), at('2022-04-10')).priority).toBe('high');
    expect(prioritise(kev('CVE-2021-3156'), null, at('2022-04-10')).priority).toBe('high');
  });

  test('outside KEV: at most high; an unscored advisory is medium', () => {
    const now = at('2026-01-01');
    expect([cvss(9.8), cvss(7.0), cvss(6.9), cvss(4.0), cvss(3.9), null].map((s) => prioritise([], s, now).priority)).toEqual(['high', 'high', 'medium', 'medium', 'low', 'medium']);
    expect(prioritise([], { score: null, level: 'critical', source: 'Ubuntu priority critical' }, now)).toEqual({ priority: 'high', kev: false, ransomware: false, kevDueDate: null, overdue: false });
  });

  test('several KEV entries: the earliest due date counts', () => {
    expect(prioritise(kev('CVE-2014-6271', 'CVE-2021-44228'), null, at('2021-12-11')).kevDueDate).toBe('2021-12-24');
  });

  test('ranking: priority, then ransomware, KEV, score, due date', () => {
    const r = (name: string, p: Partial<Rankable>): Rankable & { name: string } => ({
      name, priority: 'high', kev: false, ransomware: false, kevDueDate: null, overdue: false, severity: null, ...p,
    });
    const items = [
      r('plain-high-7.5', { severity: cvss(7.5) }),
      r('kev-high-late', { kev: true, kevDueDate: '2030-01-02' }),
      r('plain-high-9.8', { severity: cvss(9.8) }),
      r('critical-kev', { priority: 'critical', kev: true, kevDueDate: '2022-01-01' }),
      r('kev-high-early', { kev: true, kevDueDate: '2030-01-01' }),
      r('critical-ransomware', { priority: 'critical', kev: true, ransomware: true }),
      r('medium-unscored', { priority: 'medium' }),
      r('plain-high-words', { severity: { score: null, level: 'critical', source: 'w' } }),
      r('low', { priority: 'low', severity: cvss(2) }),
    ];
    expect([...items].sort(compareUrgency).map((x) => x.name)).toEqual([
      'critical-ransomware', 'critical-kev', 'kev-high-early', 'kev-high-late', 'plain-high-9.8', 'plain-high-words', 'plain-high-7.5', 'medium-unscored', 'low',
    ]);
  });
});
