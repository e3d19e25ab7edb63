import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerVulnsCommands, scanPaths, VulnsUsageError } from '../../cli/vulns';
import type { Finding } from '../../domain/vulns/match';

const fixtures = fileURLToPath(new URL('../fixtures/vulns/', import.meta.url));
const inventories = path.join(fixtures, 'inventories');
const advisories = path.join(fixtures, 'advisories');
const kev = path.join(fixtures, 'kev', 'kev-small.json');
const now = new Date('2026-03-01T00:00:00Z');
let dir: string;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, write: (l: string) => out.push(l), warn: (l: string) => err.push(l) };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'safeguard-vulns-'));
  mkdirSync(path.join(dir, 'inv'));
  mkdirSync(path.join(dir, 'adv'));
  copyFileSync(path.join(inventories, 'web-1.dpkg-l.txt'), path.join(dir, 'inv', 'a-web-1.txt'));
  writeFileSync(path.join(dir, 'inv', 'b-binary.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]));
  writeFileSync(path.join(dir, 'inv', 'c-empty.txt'), '');
  symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'inv', 'd-dangling'));
  writeFileSync(path.join(dir, 'inv', 'e-no-header.list'), 'bash 4.2+dfsg-0.1+deb7u1\n');
  writeFileSync(path.join(dir, 'inv', '.hidden'), 'ignored');
  copyFileSync(path.join(advisories, 'DSA-3032-1.json'), path.join(dir, 'adv', 'DSA-3032-1.json'));
  copyFileSync(path.join(advisories, 'DSA-3035-1.json'), path.join(dir, 'adv', 'DSA-3035-1.json'));
  writeFileSync(path.join(dir, 'adv', 'truncated.json'), '{"id": "DSA-1');
  writeFileSync(path.join(dir, 'adv', 'notes.md'), '# not read');
  writeFileSync(path.join(dir, 'kev-broken.json'), '{"catalogVersion": 1}');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safeguard vulns scan', () => {
  test('--json: one line per finding, then the summary; problems go to stderr', async () => {
    const io = capture();
    const result = await scanPaths({ inventory: inventories, advisories, kev, now }, { ...io, json: true });
    expect(io.out.at(-1)).toBe('6 hosts, 7 packages, 8 findings (6 in KEV)');
    const findings = io.out.slice(0, -1).map((l) => JSON.parse(l) as Finding);
    expect(findings).toHaveLength(8);
    expect(findings[0]).toMatchObject({ host: 'ci-1', advisoryId: 'DSA-5020-1', kev: true, ransomware: true, priority: 'critical' });
    expect(result).toMatchObject({ summary: { hosts: 6, packages: 7, findings: 8, kev: 6 }, incomplete: false });
    expect(io.err.filter((l) => l.startsWith('inventory '))).toHaveLength(4);
    expect(io.err).toContainEqual(expect.stringMatching(/^advisory .*broken-no-modified\.json \(DSA-9999-1\): not an OSV advisory/));
    expect(io.err.at(-1)).toBe(
      'read 6 inventories from 5 files; 6 Debian/Ubuntu advisories from 8 files (1 other ecosystems, 1 withdrawn, 1 invalid, 0 duplicates); KEV catalogue 2026.03.01 with 4 entries',
    );
  });

  test('the table groups findings per host and package', async () => {
    const io = capture();
    await scanPaths({ inventory: path.join(inventories, 'web-1.dpkg-l.txt'), advisories, kev, now }, { ...io, json: false });
    expect(io.out).toEqual([
      'web-1 (deployment dep-web)  openssl 1.0.1e-2+deb7u4  [openssl]  CRITICAL KEV',
      '  critical  DSA-2896-1 CVE-2014-0160  fixed in 1.0.1e-2+deb7u5  KEV due 2022-05-25 (overdue)',
      'web-1 (deployment dep-web)  bash 4.2+dfsg-0.1  [bash]  CRITICAL KEV',
      '  critical  DSA-3032-1 CVE-2014-6271  fixed in 4.2+dfsg-0.1+deb7u1  KEV due 2022-07-28 (overdue)',
      '  medium    DSA-3035-1 CVE-2014-7169  fixed in 4.2+dfsg-0.1+deb7u3',
      '1 hosts, 2 packages, 3 findings (2 in KEV)',
    ]);
  });

  test('bad files are reported and skipped: binary, empty, dangling link, malformed advisory, no release', async () => {
    const io = capture();
    const result = await scanPaths({ inventory: path.join(dir, 'inv'), advisories: path.join(dir, 'adv'), now }, { ...io, json: true });
    expect(io.out.at(-1)).toBe('1 hosts, 1 packages, 2 findings (0 in KEV)');
    const problems = io.err.map((l) => l.replace(dir, '<dir>'));
    expect(problems).toEqual([
      expect.stringMatching(/^inventory <dir>\/inv\/a-web-1\.txt: line 19: invalid Debian version "not_a_version"/),
      'inventory <dir>/inv/b-binary.bin: binary file (NUL bytes), not text',
      'inventory <dir>/inv/c-empty.txt: the file is empty',
      'inventory <dir>/inv/d-dangling: cannot read: ENOENT',
      'inventory <dir>/inv/e-no-header.list: the release is unknown: add a "# os: debian 12" line or pass --os',
      expect.stringMatching(/^advisory <dir>\/adv\/truncated\.json: malformed JSON/),
      'read 1 inventories from 5 files; 2 Debian/Ubuntu advisories from 3 files (0 other ecosystems, 0 withdrawn, 1 invalid, 0 duplicates); no KEV catalogue given',
    ]);
    expect(result).toMatchObject({ problems: 6, incomplete: false });
  });

  test('--os gives text inventories without a header their release; the host is the file name', async () => {
    const io = capture();
    await scanPaths({ inventory: path.join(dir, 'inv', 'e-no-header.list'), advisories: path.join(dir, 'adv'), os: 'debian:wheezy', now }, { ...io, json: true });
    expect(io.out.map((l) => (l.startsWith('{') ? (JSON.parse(l) as Finding) : l))).toEqual([
      expect.objectContaining({ host: 'e-no-header', advisoryId: 'DSA-3035-1', installedVersion: '4.2+dfsg-0.1+deb7u1' }),
      '1 hosts, 1 packages, 1 findings (0 in KEV)',
    ]);
  });

  test('an unreadable KEV catalogue is reported, findings are still printed, the scan is incomplete', async () => {
    const io = capture();
    const result = await scanPaths({ inventory: inventories, advisories, kev: path.join(dir, 'kev-broken.json'), now }, { ...io, json: true });
    expect(result.incomplete).toBe(true);
    expect(result.summary).toEqual({ hosts: 6, packages: 7, findings: 8, kev: 0 });
    expect(io.err).toContainEqual(expect.stringMatching(/^kev .*kev-broken\.json: not a KEV catalogue: .*; findings are ranked without KEV$/));
  });

  test('missing paths and a bad --os are usage errors, raised before any output', async () => {
    const io = capture();
    await expect(scanPaths({ inventory: path.join(dir, 'missing'), advisories }, { ...io, json: true })).rejects.toBeInstanceOf(VulnsUsageError);
    await expect(scanPaths({ inventory: inventories, advisories: path.join(dir, 'missing') }, { ...io, json: true })).rejects.toThrow(/no such file or folder/);
    await expect(scanPaths({ inventory: inventories, advisories, kev: path.join(dir, 'missing.json') }, { ...io, json: true })).rejects.toThrow(/no such file/);
    await expect(scanPaths({ inventory: inventories, advisories, os: 'solaris:11' }, { ...io, json: true })).rejects.toThrow(/--os: unsupported distribution/);
    expect(io.out).toEqual([]);
  });

  test('registered on a program: exit code 0 with findings, 2 for a usage error, 1 when no advisory could be read', async () => {
    const program = new Command().exitOverride();
    registerVulnsCommands(program);
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const [log, error] = [console.log, console.error];
      console.log = (l: string) => out.push(l);
      console.error = (l: string) => err.push(l);
      process.exitCode = undefined;
      try {
        await program.parseAsync(['node', 'safeguard', 'vulns', 'scan', ...args]);
        return { out, err, code: process.exitCode };
      } finally {
        [console.log, console.error] = [log, error];
        process.exitCode = undefined;
      }
    };
    const ok = await run('--inventory', inventories, '--advisories', advisories, '--kev', kev, '--now', '2026-03-01', '--json');
    expect(ok.out.at(-1)).toBe('6 hosts, 7 packages, 8 findings (6 in KEV)');
    expect(ok.code).toBeUndefined();
    const missing = await run('--inventory', path.join(dir, 'missing'), '--advisories', advisories);
    expect(missing).toMatchObject({ out: [], code: 2 });
    expect(missing.err).toEqual([`safeguard vulns scan: no such file or folder: ${path.join(dir, 'missing')}`]);
    const badDate = await run('--inventory', inventories, '--advisories', advisories, '--now', 'soon');
    expect(badDate).toMatchObject({ out: [], code: 2, err: ['safeguard vulns scan: --now: "soon" is not a date'] });
    const noAdvisories = await run('--inventory', inventories, '--advisories', path.join(dir, 'adv', 'truncated.json'));
    expect(noAdvisories.code).toBe(1);
    expect(noAdvisories.out.at(-1)).toBe('6 hosts, 0 packages, 0 findings (0 in KEV)');
  });
});
