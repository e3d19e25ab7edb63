// What a syslog line says happened, for the timeline: logins over SSH, sudo, cron jobs and crontab edits, downloads
// with wget or curl, new users and group changes, and outbound connections the firewall logged.
// Patterns follow OpenSSH, sudo, cronie/vixie-cron, shadow-utils and UFW/iptables as they write their messages.
import { plainText } from './plain-text';
import type { SyslogLine } from './syslog';

export const EVENT_KINDS = [
  'ssh_login_failed',
  'ssh_invalid_user',
  'ssh_login_accepted',
  'sudo_command',
  'cron_job',
  'crontab_changed',
  'download',
  'user_added',
  'user_added_to_group',
  'outbound_connection',
  'network_connection',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** An event as a line tells it; where it came from is added by the analysis. */
export interface RecognisedEvent {
  kind: EventKind;
  summary: string;
  details: Record<string, string>;
}

type Rule = { programs: RegExp; pattern: RegExp; make: (m: RegExpExecArray, line: SyslogLine) => RecognisedEvent | null };

const SSHD = /^sshd(?:-session)?$/;
// `user : [reason ; ]TTY=... ; PWD=... ; USER=... ; [GROUP=... ; ][ENV=... ; ]COMMAND=...`
const SUDO = /^\s*(\S+) : (?:(.*?) ; )?TTY=(\S+) ; PWD=(.*?) ; USER=(\S+) ; (?:.*? ; )?COMMAND=(.*)$/;
const UFW = /\[(UFW [A-Z]+)\] IN=(\S*) OUT=(\S*) .*?SRC=(\S+) DST=(\S+) .*?PROTO=(\S+)(?: SPT=(\d+) DPT=(\d+))?/;
// curl options that send a file or form rather than fetch one.
const UPLOAD = /\s(?:-T|--upload-file|-F|--form|-d|--data(?:-binary|-raw)?)[\s=]/;
const TRANSFER = /(?:^|[\s/;|&(`'"])(wget|curl)(?=\s)[^\n]*?((?:https?|ftp):\/\/[^\s'"`|;&<>()]+)/;

const t = (v: string | undefined, max = 200): string => plainText(v ?? '', max);

const RULES: Rule[] = [
  {
    programs: SSHD,
    pattern: /^Failed (\S+) for (invalid user )?(\S*) from (\S+) port (\d+)/,
    make: (m) => ({
      kind: 'ssh_login_failed',
      summary: `SSH login failed for ${m[2] ? 'unknown user ' : ''}${t(m[3])} from ${t(m[4])} (${t(m[1])})`,
      details: { method: t(m[1]), user: t(m[3]), invalidUser: m[2] ? 'yes' : 'no', sourceIp: t(m[4]), sourcePort: t(m[5]) },
    }),
  },
  {
    programs: SSHD,
    pattern: /^Invalid user (\S*) from (\S+)(?: port (\d+))?/,
    make: (m) => ({
      kind: 'ssh_invalid_user',
      summary: `SSH attempt for unknown user ${t(m[1])} from ${t(m[2])}`,
      details: { user: t(m[1]), sourceIp: t(m[2]), ...(m[3] ? { sourcePort: m[3] } : {}) },
    }),
  },
  {
    programs: SSHD,
    pattern: /^Accepted (\S+) for (\S+) from (\S+) port (\d+)/,
    make: (m) => ({
      kind: 'ssh_login_accepted',
      summary: `SSH login accepted for ${t(m[2])} from ${t(m[3])} (${t(m[1])})`,
      details: { method: t(m[1]), user: t(m[2]), sourceIp: t(m[3]), sourcePort: t(m[4]) },
    }),
  },
  {
    programs: /^sudo$/,
    pattern: SUDO,
    make: (m) => ({
      kind: 'sudo_command',
      summary: `sudo${m[2] ? ` refused (${t(m[2], 80)})` : ''}: ${t(m[1])} as ${t(m[5])}: ${t(m[6], 300)}`,
      details: {
        user: t(m[1]), runAs: t(m[5]), command: t(m[6], 1000), tty: t(m[3]), cwd: t(m[4]),
        outcome: m[2] ? 'refused' : 'allowed', ...(m[2] ? { reason: t(m[2]) } : {}),
      },
    }),
  },
  {
    programs: /^(?:CRON|cron|crond)$/,
    pattern: /^\((\S+)\) CMD \((.*)\)\s*$/,
    make: (m) => ({
      kind: 'cron_job',
      summary: `cron ran as ${t(m[1])}: ${t(m[2]!.trim(), 300)}`,
      details: { user: t(m[1]), command: t(m[2]!.trim(), 1000) },
    }),
  },
  {
    programs: /^crontab$/,
    pattern: /^\((\S+)\) (REPLACE|DELETE) \((\S+)\)/,
    make: (m) => ({
      kind: 'crontab_changed',
      summary: `crontab of ${t(m[3])} ${m[2] === 'REPLACE' ? 'replaced' : 'deleted'} by ${t(m[1])}`,
      details: { by: t(m[1]), action: m[2]!, owner: t(m[3]) },
    }),
  },
  {
    programs: /^useradd$/,
    pattern: /^new user: name=([^,]+), UID=(\d+), GID=(\d+), home=([^,]*), shell=([^,]*)/,
    make: (m) => ({
      kind: 'user_added',
      summary: `user ${t(m[1])} added (UID ${m[2]}, shell ${t(m[5])})`,
      details: { user: t(m[1]), uid: m[2]!, gid: m[3]!, home: t(m[4]), shell: t(m[5]) },
    }),
  },
  {
    programs: /^(?:usermod|gpasswd)$/,
    // The same change is logged again for /etc/gshadow ("shadow group"): one event is enough.
    pattern: /^add '([^']+)' to group '([^']+)'/,
    make: (m) => ({
      kind: 'user_added_to_group',
      summary: `user ${t(m[1])} added to group ${t(m[2])}`,
      details: { user: t(m[1]), group: t(m[2]) },
    }),
  },
  {
    programs: /^kernel$/,
    pattern: UFW,
    // Only what left the machine: IN empty, OUT set.
    make: (m) =>
      m[2] === '' && m[3] !== ''
        ? {
            kind: 'outbound_connection',
            summary: `${t(m[1])}: ${t(m[6])} ${t(m[4])}${m[7] ? `:${m[7]}` : ''} -> ${t(m[5])}${m[8] ? `:${m[8]}` : ''}`,
            details: {
              action: t(m[1]), protocol: t(m[6]), sourceIp: t(m[4]), destinationIp: t(m[5]),
              ...(m[7] ? { sourcePort: m[7] } : {}), ...(m[8] ? { destinationPort: m[8] } : {}),
            },
          }
        : null,
  },
];

/** Every event a parsed syslog line stands for (a cron job that runs curl is a cron job and a download). */
export function recogniseEvents(line: SyslogLine): RecognisedEvent[] {
  const events: RecognisedEvent[] = [];
  const program = line.program ?? '';
  for (const rule of RULES) {
    if (!rule.programs.test(program)) continue;
    const m = rule.pattern.exec(line.message);
    if (!m) continue;
    const e = rule.make(m, line);
    if (e) events.push(e);
    break;
  }
  const transfer = TRANSFER.exec(line.message);
  if (transfer) {
    const url = transfer[2]!;
    const upload = transfer[1] === 'curl' && UPLOAD.test(transfer[0]);
    events.push({
      kind: 'download',
      summary: `${transfer[1]} ${upload ? 'upload to' : 'download from'} ${t(url, 300)}`,
      details: {
        tool: transfer[1]!, url: t(url, 1000), direction: upload ? 'upload' : 'download',
        ...(urlHost(url) ? { host: urlHost(url)! } : {}),
      },
    });
  }
  return events;
}

function urlHost(url: string): string | null {
  try {
    return plainText(new URL(url).hostname, 253);
  } catch {
    return null;
  }
}
