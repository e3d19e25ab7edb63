// Debian version ordering: cases written from Debian Policy §5.6.12 and the behaviour of dpkg --compare-versions.
import { describe, expect, test } from 'vitest';
import { compareDebianVersions, DebianVersionError, parseDebianVersion } from '../../domain/vulns/debian-version';

const sign = (n: number) => Math.sign(n);

describe('parseDebianVersion', () => {
  test.each([
    ['1.0', { epoch: 0, upstream: '1.0', revision: '' }],
    ['1:2.30-7', { epoch: 1, upstream: '2.30', revision: '7' }],
    ['4.2+dfsg-0.1+deb7u1', { epoch: 0, upstream: '4.2+dfsg', revision: '0.1+deb7u1' }],
    // The last hyphen starts the revision; hyphens before it belong to the upstream version.
    ['1.2-3-5', { epoch: 0, upstream: '1.2-3', revision: '5' }],
    // The first colon ends the epoch; later colons belong to the upstream version (dpkg allows them).
    ['1:2ab:5', { epoch: 1, upstream: '2ab:5', revision: '' }],
    ['7:1-a:b-5', { epoch: 7, upstream: '1-a:b', revision: '5' }],
    ['57:1.2.3abYZ+~-4-5', { epoch: 57, upstream: '1.2.3abYZ+~-4', revision: '5' }],
    ['01:1.0', { epoch: 1, upstream: '1.0', revision: '' }],
    ['  1.0-1  ', { epoch: 0, upstream: '1.0', revision: '1' }],
    ['2147483647:1', { epoch: 2147483647, upstream: '1', revision: '' }],
  ])('%j', (text, expected) => {
    const parsed = parseDebianVersion(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.version).toMatchObject({ ...expected, text: text.trim() });
  });

  test.each([
    ['', 'the version is empty'],
    ['   ', 'the version is empty'],
    ['1.0 1', 'embedded spaces'],
    ['1.0\t1', 'embedded spaces'],
    [':1.0', 'the epoch is empty'],
    ['a:1.0', 'the epoch is not a number'],
    ['-1:1.0', 'the epoch is negative'],
    ['2147483648:1.0', 'the epoch is too big'],
    ['1:', 'nothing after the colon'],
    ['1.0-', 'the revision is empty'],
    ['-1', 'the upstream version is empty'],
    ['1:-1', 'the upstream version is empty'],
    ['abc', 'does not start with a digit'],
    ['~1', 'does not start with a digit'],
    ['1.0_1', 'invalid character in the upstream version'],
    ['1.0@', 'invalid character in the upstream version'],
    ['1.0-1_2', 'invalid character in the revision'],
    ['1:1.0-1:2', 'invalid character in the revision'],
    ['1.0-1-é', 'invalid character in the revision'],
  ])('%j is invalid: %s', (text, reason) => {
    const parsed = parseDebianVersion(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(reason);
  });

  test('comparing an invalid version throws a DebianVersionError, never orders it silently', () => {
    expect(() => compareDebianVersions('1.0', 'x1')).toThrow(DebianVersionError);
    expect(() => compareDebianVersions('1.0-', '1.0')).toThrow(/revision is empty/);
  });
});

describe('compareDebianVersions', () => {
  test.each([
    ['0', '0'],
    ['0', '00'],
    ['1.0', '0:1.0'],
    // A missing revision equals revision "0" (both compare as an empty digit run).
    ['1.0', '1.0-0'],
    ['1.2.3', '1.2.3-0'],
    ['0:0-0', '0:0-0'],
    ['1.002', '1.2'],
    ['009', '9'],
    ['009ab5', '9ab5'],
    ['2.0-01', '2.0-1'],
    ['01:1.0', '1:1.0'],
    ['1.000000000000000000001', '1.1'],
    ['57:1.2.3abYZ+~-4-5', '57:1.2.3abYZ+~-4-5'],
  ])('%s = %s', (a, b) => {
    expect(compareDebianVersions(a, b)).toBe(0);
    expect(compareDebianVersions(b, a)).toBe(0);
  });

  test.each([
    // Policy §5.6.12: "~~" < "~~a" < "~" < "" < "a".
    ['1.0~~', '1.0~~a'],
    ['1.0~~a', '1.0~'],
    ['1.0~', '1.0'],
    ['1.0', '1.0a'],
    ['1.0~rc1', '1.0'],
    ['1.0~rc1', '1.0~rc2'],
    ['1.0~rc1', '1.0~rc1+b1'],
    ['0.5.0~git', '0.5.0~git2'],
    ['1~', '1'],
    // The epoch decides first.
    ['2.0', '1:0.1'],
    ['0:9.9', '1:0.0'],
    ['1:2.0', '2:1.0'],
    ['304-2', '5:2'],
    ['5:2', '304:2'],
    ['3:2', '25:2'],
    // Revisions: Ubuntu and security suffixes sort after the Debian revision they build on.
    ['1.0-1', '1.0-1ubuntu1'],
    ['1.0-1ubuntu1', '1.0-1ubuntu1.1'],
    ['1.0-1ubuntu1', '1.0-1ubuntu2'],
    ['1.0-1ubuntu2', '1.0-2'],
    ['1.0-1~bpo70+1', '1.0-1'],
    ['1.0-1', '1.0-1+deb7u1'],
    ['1.0-1+deb7u2', '1.0-1+deb7u10'],
    ['1.0-2', '1.0-10'],
    ['1.0-1~', '1.0-1'],
    ['1.0', '1.0-1'],
    ['1.0-0', '1.0-1'],
    ['2.4.7-1', '2.4.7-z'],
    // Digit runs compare as numbers, not as text.
    ['2.3-9', '2.30-7'],
    ['1.9', '1.10'],
    ['9', '10'],
    ['1.2.3', '1.2.24'],
    ['0.8.7', '0.10.0'],
    ['2.3', '3.2'],
    ['5.005', '5.10.0'],
    ['1.00', '1.002-1+b2'],
    ['2a', '21'],
    // Equal-length runs: the first differing digit decides, not the last.
    ['12', '21'],
    ['1.19', '1.91'],
    ['4.2.109-1', '4.2.901-1'],
    ['1:2:123', '1:12:3'],
    // Of any length: beyond 64 bits too.
    ['1.99999999999999999999', '1.100000000000000000000'],
    ['1.18446744073709551615', '1.18446744073709551616'],
    ['99999999999999999999999999999999999999', '100000000000000000000000000000000000000'],
    // Letters before non-letters; upper case before lower case; the end of a part before anything but '~'.
    ['1.0a', '1.0+'],
    ['1.0+', '1.0.'],
    ['1.0+a', '1.0.a'],
    ['1.0a1', '1.0.1'],
    ['1.0A', '1.0a'],
    ['1.0Z', '1.0a'],
    ['1.0a', '1.0b'],
    ['1.0b', '1.0ba'],
    ['1.0', '1.0.1'],
    ['1.3.2', '1.3.2a'],
    ['3a9.8', '3.10.2'],
    ['3~10', '3a9.8'],
    ['1.2a+~bCd3', '1.2a++'],
    ['1.2a+~', '1.2a+~bCd3'],
    ['1.2-5', '1.2-3-5'],
    ['1.4+OOo3.0.0~', '1.4+OOo3.0.0-4'],
    // Real Debian and Ubuntu upgrades.
    ['4.2+dfsg-0.1', '4.2+dfsg-0.1+deb7u1'],
    ['4.2+dfsg-0.1+deb7u1', '4.2+dfsg-0.1+deb7u3'],
    ['4.2+dfsg-0.1+deb7u3', '4.2+dfsg-0.1+deb7u10'],
    ['2.15.0-1~deb10u1', '2.15.0-1~deb11u1'],
    ['2.15.0-1~deb11u1', '2.15.0-1'],
    ['1.0.1e-2+deb7u4', '1.0.1e-2+deb7u5'],
    ['1.0.1-1', '1.0.1e-2'],
    ['1:7.9p1-10+deb10u2', '1:8.4p1-5'],
    ['1.8.27-1+deb10u2', '1.8.27-1+deb10u3'],
    ['1.9.5p1-1', '1.9.5p2-3'],
    ['2.13-38+deb7u4', '2.13-38+deb7u10'],
    ['4.3-7ubuntu1', '4.3-7ubuntu1.1'],
    ['1:1.2.7.dfsg-13', '1:1.2.8.dfsg-1'],
    ['2.8.0+dfsg1-7+wheezy1', '2.8.0+dfsg1-7+wheezy1+b1'],
  ])('%s < %s', (a, b) => {
    expect(sign(compareDebianVersions(a, b))).toBe(-1);
    expect(sign(compareDebianVersions(b, a))).toBe(1);
  });

  test('a list in dpkg order sorts to itself from any shuffle, and every pair agrees with the list', () => {
    const ordered = [
      '0~~', '0~', '0', '0.1', '1~~', '1~~a', '1~', '1~rc1', '1', '1-0.1', '1-1~bpo1', '1-1', '1-1ubuntu1',
      '1-1ubuntu1.1', '1-1+deb7u1', '1-2', '1-10', '1A', '1a', '1a.', '1+', '1.0', '1.0a', '1.0+', '1.0.1', '1.2',
      '1.10', '1.99999999999999999999', '1.100000000000000000000', '2', '10', '1:0', '1:0.1~rc1', '1:0.1', '2:0~',
    ];
    const rank = (v: string) => ordered.indexOf(v);
    for (const a of ordered) for (const b of ordered) expect(sign(compareDebianVersions(a, b)), `${a} vs ${b}`).toBe(sign(rank(a) - rank(b)));
    // A fixed permutation (a deterministic shuffle) sorts back to the list.
    const shuffled = ordered.map((v, i) => ({ v, k: (i * 17) % ordered.length })).sort((x, y) => x.k - y.k).map((x) => x.v);
    expect(shuffled).not.toEqual(ordered);
    expect([...shuffled].sort(compareDebianVersions)).toEqual(ordered);
  });
});
