import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Inventory, InventoryParse } from '../../domain/vulns/inventory';
import { detectInventoryFormat, parseInventory } from '../../domain/vulns/parse-inventory';
import { normaliseRelease, parseEcosystem, parseOsSpec } from '../../domain/vulns/releases';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/vulns/inventories/${name}`, import.meta.url)), 'utf8');

function ok(parsed: InventoryParse): { inventories: Inventory[]; bad: { at: string; reason: string }[]; notInstalled: number } {
  if (!parsed.ok) throw new Error(`expected an inventory, got: ${parsed.error}`);
  return parsed;
}
const only = (parsed: InventoryParse) => {
  const r = ok(parsed);
  expect(r.inventories).toHaveLength(1);
  return { ...r, inv: r.inventories[0]! };
};
const versions = (inv: Inventory) => Object.fromEntries(inv.packages.map((p) => [p.name, p.version]));

describe('format detection', () => {
  test.each([
    ['web-1.dpkg-l.txt', 'dpkg-l'],
    ['db-1.status', 'dpkg-status'],
    ['app-1.json', 'json'],
    ['fleet.json', 'json'],
    ['trusty-1.txt', 'dpkg-query'],
  ])('%s is %s', (file, format) => expect(detectInventoryFormat(fixture(file))).toBe(format));

  test('dpkg -l lines without the header are still recognised; a list of names and versions is dpkg-query', () => {
    expect(detectInventoryFormat('ii  bash  4.2-1  amd64  shell\nii  dash  0.5-1  amd64  shell\n')).toBe('dpkg-l');
    expect(detectInventoryFormat('bash 4.2-1\ndash 0.5-1\n')).toBe('dpkg-query');
  });
});

describe('dpkg -l', () => {
  test('reads installed and held packages, skips removed ones, and counts a bad line with its reason', () => {
    const { inv, bad, notInstalled } = only(parseInventory(fixture('web-1.dpkg-l.txt')));
    expect(inv).toMatchObject({
      host: 'web-1',
      deploymentId: 'dep-web',
      ip: '198.51.100.10',
      os: { distro: 'debian', release: '7' },
      collectedAt: new Date('2014-10-01T08:00:00Z'),
      format: 'dpkg-l',
    });
    expect(versions(inv)).toEqual({
      'base-files': '7.1wheezy6',
      bash: '4.2+dfsg-0.1',
      coreutils: '8.13-3.5',
      libc6: '2.13-38+deb7u4',
      'libssl1.0.0': '1.0.1e-2+deb7u4',
      openssl: '1.0.1e-2+deb7u4',
      zlib1g: '1:1.2.7.dfsg-13',
    });
    // The arch qualifier is split off the name; dpkg -l does not name sources, so the binary name stands in.
    expect(inv.packages.find((p) => p.name === 'libc6')).toEqual({
      name: 'libc6', version: '2.13-38+deb7u4', arch: 'amd64', source: 'libc6', sourceVersion: '2.13-38+deb7u4', sourceKnown: false,
    });
    expect(notInstalled).toBe(1);
    expect(bad).toEqual([{ at: 'line 19', reason: expect.stringContaining('does not start with a digit'), text: expect.stringContaining('broken-pkg') }]);
  });

  test('old dpkg without an Architecture column, and every status letter', () => {
    const text = [
      '# host: old',
      '# os: debian squeeze',
      'ii  bash           4.1-3        The GNU Bourne Again SHell',
      'iU  unpacked-pkg   1.0-1        files on disk, not configured',
      'iF  halfconf       1.0-1        half configured',
      'iH  halfinst       1.0-1        half installed',
      'iW  awaiting       1.0-1        triggers awaited',
      'it  pending        1.0-1        triggers pending',
      'iiR reinst         1.0-1        reinstall required',
      'un  never          <none>       (no description available)',
      'pn  purged         <none>       (no description available)',
      'rc  removed        1.0-1        config files only',
      'xx  nonsense       1.0-1        not a status',
    ].join('\n');
    const { inv, bad, notInstalled } = only(parseInventory(text));
    expect(inv.os).toEqual({ distro: 'debian', release: '6.0' });
    expect(inv.packages.map((p) => p.name)).toEqual(['bash', 'unpacked-pkg', 'halfconf', 'halfinst', 'awaiting', 'pending', 'reinst']);
    expect(inv.packages[0]!.arch).toBeNull();
    expect(notInstalled).toBe(3);
    expect(bad).toEqual([{ at: 'line 13', reason: expect.stringContaining('not a dpkg -l line'), text: expect.stringContaining('nonsense') }]);
  });
});

describe('dpkg-query -W', () => {
  test('tab-separated default output with arch-qualified names; a name without version is not installed', () => {
    const { inv, bad, notInstalled } = only(parseInventory(fixture('trusty-1.txt')));
    expect(inv).toMatchObject({ host: 'trusty-1', os: { distro: 'ubuntu', release: '14.04' }, ip: null, deploymentId: null, format: 'dpkg-query' });
    expect(versions(inv)).toEqual({ bash: '4.3-7ubuntu1', coreutils: '8.21-1ubuntu5', libc6: '2.19-0ubuntu6' });
    expect(notInstalled).toBe(1);
    expect(bad).toEqual([]);
  });

  test('the four-field form names the source package and version', () => {
    const text = 'libssl1.1:amd64 1.1.1n-0+deb11u3 openssl 1.1.1n-0+deb11u3\nlibxml2:amd64 2.9.10+dfsg-6.7+deb11u4+b1 libxml2 2.9.10+dfsg-6.7+deb11u4\n';
    const { inv } = only(parseInventory(text, { host: 'h', os: { distro: 'debian', release: '11' } }));
    expect(inv.packages).toEqual([
      { name: 'libssl1.1', version: '1.1.1n-0+deb11u3', arch: 'amd64', source: 'openssl', sourceVersion: '1.1.1n-0+deb11u3', sourceKnown: true },
      { name: 'libxml2', version: '2.9.10+dfsg-6.7+deb11u4+b1', arch: 'amd64', source: 'libxml2', sourceVersion: '2.9.10+dfsg-6.7+deb11u4', sourceKnown: true },
    ]);
  });

  test('wrong field counts, bad names and bad versions are counted with reasons', () => {
    const text = ['bash 5.1-2', 'a b c', 'Bad_Name 1.0', 'curl 7.74.0-1.3+deb11u7 curl', 'zsh 5:', 'UPPER'].join('\n');
    const { inv, bad } = only(parseInventory(text, { host: 'h', os: { distro: 'debian', release: '11' } }));
    expect(versions(inv)).toEqual({ bash: '5.1-2' });
    expect(bad.map((b) => [b.at, b.reason])).toEqual([
      ['line 2', expect.stringContaining('expected 2 fields')],
      ['line 3', expect.stringContaining('invalid package name')],
      ['line 4', expect.stringContaining('got 3')],
      ['line 5', expect.stringContaining('nothing after the colon')],
      ['line 6', 'not a package name'],
    ]);
  });
});

describe('/var/lib/dpkg/status', () => {
  test('reads stanzas, maps binaries to sources (with the version in parentheses), skips config-files', () => {
    const { inv, bad, notInstalled } = only(parseInventory(fixture('db-1.status')));
    expect(inv).toMatchObject({ host: 'db-1', deploymentId: 'dep-db', ip: '198.51.100.20', os: { distro: 'debian', release: '7' }, format: 'dpkg-status' });
    expect(inv.packages).toEqual([
      { name: 'bash', version: '4.2+dfsg-0.1+deb7u1', arch: 'amd64', source: 'bash', sourceVersion: '4.2+dfsg-0.1+deb7u1', sourceKnown: true },
      { name: 'libssl1.0.0', version: '1.0.1e-2+deb7u4', arch: 'amd64', source: 'openssl', sourceVersion: '1.0.1e-2+deb7u4', sourceKnown: true },
      { name: 'libxml2', version: '2.8.0+dfsg1-7+wheezy1+b1', arch: 'amd64', source: 'libxml2', sourceVersion: '2.8.0+dfsg1-7+wheezy1', sourceKnown: true },
    ]);
    expect(notInstalled).toBe(1);
    expect(bad).toEqual([{ at: expect.stringMatching(/^line \d+$/), reason: 'unreadable Status "install ok"', text: 'Package: libbroken' }]);
  });

  test('stanzas without Package or Version, broken lines and bad Source fields are bad entries', () => {
    const text = [
      'Package: good',
      'Status: install ok half-installed',
      'Version: 1.0-1',
      '',
      'Status: install ok installed',
      'Version: 1.0',
      '',
      'Package: noversion',
      'Status: install ok installed',
      '',
      'Package: garbage',
      'this is not a field',
      'Version: 1.0',
      '',
      'Package: badsource',
      'Status: install ok installed',
      'Source: foo (1.0) extra',
      'Version: 1.0',
      '',
      'Package: nostatus',
      'Version: 2.0-1',
    ].join('\n');
    const { inv, bad } = only(parseInventory(text, { host: 'h', os: { distro: 'debian', release: '12' } }));
    // dpkg -s of one package has no Status line only when edited by hand; without it the package counts as present.
    expect(inv.packages.map((p) => p.name)).toEqual(['good', 'nostatus']);
    expect(bad.map((b) => [b.at, b.reason])).toEqual([
      ['line 5', 'stanza without a Package field'],
      ['line 8', 'installed package without a Version field'],
      ['line 11', 'line 12: not a "Field: value" line'],
      ['line 15', expect.stringContaining('unreadable Source')],
    ]);
  });
});

describe('JSON inventories', () => {
  test('one host: the release is normalised, the source given is kept', () => {
    const { inv, bad } = only(parseInventory(fixture('app-1.json')));
    expect(bad).toEqual([]);
    expect(inv).toMatchObject({ host: 'app-1', deploymentId: 'dep-app', ip: '203.0.113.30', os: { distro: 'debian', release: '7' }, format: 'json' });
    expect(inv.collectedAt?.toISOString()).toBe('2014-10-02T09:30:00.000Z');
    expect(inv.packages.find((p) => p.name === 'libc6')).toMatchObject({ arch: 'amd64', source: 'eglibc', sourceVersion: '2.13-38+deb7u4', sourceKnown: true });
    expect(inv.packages.find((p) => p.name === 'bash')).toMatchObject({ arch: 'amd64', source: 'bash', sourceKnown: false });
  });

  test('an array of hosts; bad packages are counted by their path', () => {
    const { inventories, bad } = ok(parseInventory(fixture('fleet.json')));
    expect(inventories.map((i) => [i.host, i.os.release, i.ip, i.packages.length])).toEqual([
      ['ci-1', '10', null, 2],
      ['search-1', '11', '2001:db8::40', 2],
    ]);
    expect(bad).toEqual([
      { at: '[0].packages[2]', reason: 'invalid package name "bad entry"' },
      { at: '[0].packages[3]', reason: expect.stringContaining('version') },
    ]);
  });

  test.each([
    ['{"host": ', /^malformed JSON/],
    ['{"host":"h","packages":[]}', /os: /],
    ['{"host":"h","os":{"distro":"centos","release":"7"},"packages":[]}', /os\.distro/],
    ['{"host":"h","os":{"distro":"debian","release":"hamm-and-eggs"},"packages":[]}', /unknown Debian release/],
    ['{"host":"h","os":{"distro":"ubuntu","release":"22.04"},"packages":{}}', /packages/],
    ['{"host":"h","ip":"10.0.0.0/8","os":{"distro":"ubuntu","release":"22.04"},"packages":[]}', /ip: not an IPv4 or IPv6 address/],
    ['{"host":"h","os":{"distro":"ubuntu","release":"22.04"},"packages":[],"extra":1}', /Unrecognized key/],
    ['[]', /holds no inventory/],
    ['[1, 2]', /invalid inventory/],
  ])('%s fails with a reason', (text, error) => {
    const parsed = parseInventory(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  test('in an array, a bad host is a bad entry and the others are kept', () => {
    const text = JSON.stringify([
      { host: 'a', os: { distro: 'ubuntu', release: 'jammy' }, packages: [{ name: 'bash', version: '5.1-6ubuntu1' }] },
      { host: 'b', packages: [] },
    ]);
    const { inventories, bad } = ok(parseInventory(text));
    expect(inventories.map((i) => [i.host, i.os.release])).toEqual([['a', '22.04']]);
    expect(bad).toEqual([{ at: '[1]', reason: expect.stringContaining('[1].os') }]);
  });
});

describe('text inventories: host and release', () => {
  test('fall back to the hints (file name, --os); header lines win over hints', () => {
    const fromHints = only(parseInventory('bash 5.2.15-2+b2\n', { host: 'vm-7', os: { distro: 'debian', release: '12' } }));
    expect(fromHints.inv).toMatchObject({ host: 'vm-7', os: { distro: 'debian', release: '12' } });
    const fromHeader = only(parseInventory('# host: vm-8\n# os: ubuntu:22.04\nbash 5.1-6ubuntu1\n', { host: 'vm-7', os: { distro: 'debian', release: '12' } }));
    expect(fromHeader.inv).toMatchObject({ host: 'vm-8', os: { distro: 'ubuntu', release: '22.04' } });
  });

  test('without a release or a host the file fails; bad header values are reported', () => {
    const noOs = parseInventory('bash 5.2.15-2\n', { host: 'x' });
    expect(noOs.ok).toBe(false);
    if (!noOs.ok) expect(noOs.error).toMatch(/release is unknown/);
    const badHeader = parseInventory('# ip: 999.1.1.1\n# os: gentoo 1\n# collected: yesterday\nbash 5.2.15-2\n', { host: 'x' });
    expect(badHeader.ok).toBe(false);
    expect(badHeader.bad.map((b) => b.reason)).toEqual([
      expect.stringContaining('ip: "999.1.1.1"'),
      expect.stringContaining('unsupported distribution'),
      expect.stringContaining('collected: "yesterday"'),
    ]);
    expect(parseInventory('bash 5.2.15-2\n', { os: { distro: 'debian', release: '12' } }).ok).toBe(false);
  });

  test('an empty file, or one with nothing readable, fails', () => {
    for (const text of ['', '\n\n', '\uFEFF \n']) expect(parseInventory(text)).toEqual({ ok: false, error: 'the file is empty', format: null, bad: [] });
    for (const text of ['# host: x\n', 'rc  removed  1.0-1  amd64  gone\n', 'hello world\nthis is not an inventory\n']) {
      const parsed = parseInventory(text, { host: 'x', os: { distro: 'debian', release: '12' } });
      expect(parsed.ok, JSON.stringify(text)).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/no installed package could be read/);
    }
  });
});

describe('releases and ecosystems', () => {
  test.each([
    ['debian', '7', '7'],
    ['debian', '7.11', '7'],
    ['Debian', 'wheezy', '7'],
    ['debian', 'bookworm', '12'],
    ['debian', '12.5', '12'],
    ['debian', '6.0.10', '6.0'],
    ['debian', 'squeeze', '6.0'],
    ['debian', '5', '5.0'],
    ['debian', 'sid', 'sid'],
    ['debian', 'unstable', 'sid'],
    ['ubuntu', '22.04', '22.04'],
    ['ubuntu', '22.04.3 LTS', '22.04'],
    ['ubuntu', 'jammy', '22.04'],
    ['ubuntu', 'trusty', '14.04'],
    ['ubuntu', '9.10', '9.10'],
  ])('%s %s -> %s', (distro, release, expected) => {
    expect(normaliseRelease(distro, release)).toEqual({ ok: true, os: { distro: distro.toLowerCase(), release: expected } });
  });

  test.each([
    ['debian', 'testing'],
    ['ubuntu', '22'],
    ['ubuntu', 'jellyfish'],
    ['centos', '7'],
    ['debian', ''],
  ])('%s %j is refused', (distro, release) => expect(normaliseRelease(distro, release).ok).toBe(false));

  test('--os and "# os:" forms', () => {
    expect(parseOsSpec('debian:12')).toEqual({ ok: true, os: { distro: 'debian', release: '12' } });
    expect(parseOsSpec('ubuntu 22.04')).toEqual({ ok: true, os: { distro: 'ubuntu', release: '22.04' } });
    expect(parseOsSpec('ubuntu/noble')).toEqual({ ok: true, os: { distro: 'ubuntu', release: '24.04' } });
    expect(parseOsSpec('12').ok).toBe(false);
  });

  test.each([
    ['Debian', { distro: 'debian', release: null, pro: false }],
    ['Debian:7', { distro: 'debian', release: '7', pro: false }],
    ['Debian:6.0', { distro: 'debian', release: '6.0', pro: false }],
    ['Debian:sid', { distro: 'debian', release: 'sid', pro: false }],
    ['Ubuntu', { distro: 'ubuntu', release: null, pro: false }],
    ['Ubuntu:22.04:LTS', { distro: 'ubuntu', release: '22.04', pro: false }],
    ['Ubuntu:23.10', { distro: 'ubuntu', release: '23.10', pro: false }],
    ['Ubuntu:Pro:18.04:LTS', { distro: 'ubuntu', release: '18.04', pro: true }],
    ['Ubuntu:Pro:FIPS:18.04:LTS', { distro: 'ubuntu', release: '18.04', pro: true }],
    ['Debian:7:extra', null],
    ['Debian:wheezy-backports', null],
    ['npm', null],
    ['Alpine:v3.16', null],
  ])('ecosystem %s', (eco, expected) => expect(parseEcosystem(eco)).toEqual(expected));
});

describe('never throws', () => {
  // A deterministic generator, so that a failure can be replayed.
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const tokens = ['ii', 'rc', 'hi', '  ', '\t', '\n', '\r\n', ':', '-', '~', '+', '.', '1', '0', 'a', 'Z', '# os: debian 7', '# host: h', 'Package: x', 'Status: install ok installed', 'Version:', 'Source: y (1.0)', '{', '}', '[', ']', '"', ',', '\u0000', 'é', '||/ Name', ' (', ')'];

  test('on random text in every form', () => {
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => pick(tokens)).join('');
      const parsed = parseInventory(text, { host: 'h', os: { distro: 'debian', release: '12' } });
      expect(typeof parsed.ok, text).toBe('boolean');
    }
  });

  test('on mutated JSON inventories', () => {
    const base = JSON.parse(fixture('fleet.json')) as Record<string, unknown>[];
    const junk = [null, 0, -1, '', 'x', [], {}, true, '1:', { name: 1 }];
    for (let i = 0; i < 300; i++) {
      const copy = structuredClone(base) as Record<string, unknown>[];
      const host = pick(copy);
      const key = pick([...Object.keys(host), 'extra']);
      if (rnd() < 0.5) host[key] = pick(junk);
      else (host.packages as unknown[])?.push?.(pick(junk));
      expect(typeof parseInventory(JSON.stringify(copy)).ok).toBe('boolean');
    }
  });
});
