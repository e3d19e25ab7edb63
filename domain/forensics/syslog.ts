// One log line as syslog writes it to a file, in any of the three forms Linux machines use:
//   RFC 3164 (BSD):         Jun 12 05:14:07 web-1 sshd[2131]: message        (local time, no year, no zone)
//   RFC 5424:               <30>1 2026-06-12T03:20:12.510Z db-1 systemd 1 - [sd] message
//   RFC 3339 file format:   2026-06-12T03:20:12.481203+00:00 db-1 sshd[1822]: message   (rsyslog's high-precision form)
// A line that fits none of them is a reason, never an exception.

export interface SyslogLine {
  /** UTC, ms since the epoch. */
  atMs: number;
  format: 'rfc3164' | 'rfc5424' | 'rfc3339';
  host: string;
  program?: string;
  pid?: string;
  message: string;
}

export type SyslogParse = ({ ok: true } & SyslogLine) | { ok: false; reason: string };

export interface SyslogTimeOptions {
  /** IANA zone of the machine's clock, for timestamps without an offset; default UTC. */
  timeZone?: string;
  /** The year of RFC 3164 timestamps, which carry none. */
  year?: number;
  /** Instead of `year`: the collection time; lines more than two days after it belong to the year before. */
  referenceTime?: Date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC3164 = /^(?:<\d{1,3}>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( ?\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\S+) ?(.*)$/;
const RFC5424 = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;
const TAG = /^([^\s[\]:]{1,64})(?:\[([^\]\s]{1,32})\])?: ?(.*)$/;
const YEAR_ROLLBACK_MS = 2 * 86_400_000;

/** Milliseconds of wall-clock fields read as UTC; NaN when a field is out of range or the day does not exist. */
function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  return new Date(t).getUTCDate() === d ? t : NaN;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for a zone ICU does not know; callers turn that into a reason.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

// Offsets change only at transitions, which fall on quarter hours of UTC: one ICU call per zone and quarter hour
// instead of several per line (ICU formatting is the slowest step of reading a log otherwise).
const QUARTER_HOUR = 900_000;
const offsetCache = new Map<string, Map<number, number>>();
const MAX_CACHED_OFFSETS = 100_000;

/** The zone's offset from UTC at an instant, in ms (Berlin in summer: +7,200,000). */
export function zoneOffsetMs(timeZone: string, atMs: number): number {
  const bucket = Math.floor(atMs / QUARTER_HOUR);
  let zone = offsetCache.get(timeZone);
  const cached = zone?.get(bucket);
  if (cached !== undefined) return cached;
  const offset = icuOffsetMs(timeZone, bucket * QUARTER_HOUR);
  if (!zone || zone.size >= MAX_CACHED_OFFSETS) offsetCache.set(timeZone, (zone = new Map()));
  zone.set(bucket, offset);
  return offset;
}

function icuOffsetMs(timeZone: string, atMs: number): number {
  const whole = Math.floor(atMs / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(whole))) parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - whole;
}

/**
 * The instant a wall-clock time in a zone names. In the hour a clock is set back, the first of the two instants;
 * in the hour it skips, the time as if the clock had not changed yet.
 */
export function zonedToUtcMs(wall: number, timeZone: string): number {
  if (timeZone === 'UTC') return wall;
  // The offsets a day either side cover any one transition; a candidate is right when the zone has that offset then.
  const before = zoneOffsetMs(timeZone, wall - 86_400_000);
  const after = zoneOffsetMs(timeZone, wall + 86_400_000);
  const fits = [before, after].map((o) => wall - o).filter((t) => wall - zoneOffsetMs(timeZone, t) === t);
  return fits.length ? Math.min(...fits) : wall - before;
}

function fraction(digits: string | undefined): number {
  return digits ? Number(digits.slice(0, 3).padEnd(3, '0')) : 0;
}

/** An RFC 3339 / ISO 8601 timestamp; without an offset it is read in `timeZone`. */
export function parseIsoTimestamp(text: string, timeZone = 'UTC'): number | string {
  const m = RFC3339.exec(text);
  if (!m) return `'${text.slice(0, 40)}' is not an RFC 3339 timestamp`;
  const wall = wallMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fraction(m[7]));
  if (Number.isNaN(wall)) return `'${text.slice(0, 40)}' is not a valid date and time`;
  const zone = m[8];
  if (zone === undefined) return inZone(wall, timeZone);
  if (zone === 'Z') return wall;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return `'${zone}' is not a UTC offset`;
  return wall - sign * (hours * 60 + minutes) * 60_000;
}

function inZone(wall: number, timeZone: string): number | string {
  try {
    return zonedToUtcMs(wall, timeZone);
  } catch {
    return `'${timeZone}' is not an IANA time zone`;
  }
}

function rfc3164Time(m: RegExpExecArray, options: SyslogTimeOptions): number | string {
  const month = MONTHS.indexOf(m[1]!) + 1;
  const day = Number(m[2]!.trim());
  const timeZone = options.timeZone ?? 'UTC';
  const at = (year: number): number | string => {
    const wall = wallMs(year, month, day, +m[3]!, +m[4]!, +m[5]!, fraction(m[6]));
    return Number.isNaN(wall) ? `${m[1]} ${day} ${year} is not a date` : inZone(wall, timeZone);
  };
  if (options.year !== undefined) return at(options.year);
  if (!options.referenceTime) return 'an RFC 3164 timestamp has no year, and neither a year nor a collection time was given';
  const ref = options.referenceTime.getTime();
  const year = new Date(ref + safeOffset(timeZone, ref)).getUTCFullYear();
  const guess = at(year);
  // Logs written in late December and read in early January belong to the year before.
  if (typeof guess === 'number' && guess > ref + YEAR_ROLLBACK_MS) return at(year - 1);
  return guess;
}

function safeOffset(timeZone: string, atMs: number): number {
  try {
    return zoneOffsetMs(timeZone, atMs);
  } catch {
    return 0;
  }
}

/** `prog[pid]: message`, or the message alone when the line has no tag. */
function splitTag(rest: string): { program?: string; pid?: string; message: string } {
  const m = TAG.exec(rest);
  return m ? { program: m[1]!, ...(m[2] !== undefined ? { pid: m[2] } : {}), message: m[3]! } : { message: rest };
}

/** Skips RFC 5424 structured data (`-` or `[id k="v"]...`, with `\]` and `\"` escaped in values); returns the message. */
function afterStructuredData(rest: string): string | null {
  if (rest === '-' || rest.startsWith('- ')) return rest.slice(2);
  let i = 0;
  while (rest[i] === '[') {
    let quoted = false;
    i++;
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (quoted && c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (c === ']' && !quoted) break;
    }
    if (i >= rest.length) return null;
    i++;
  }
  if (i === 0) return null;
  if (i === rest.length) return '';
  return rest[i] === ' ' ? rest.slice(i + 1) : null;
}

export function parseSyslogLine(line: string, options: SyslogTimeOptions = {}): SyslogParse {
  const m5424 = RFC5424.exec(line);
  if (m5424) {
    const at = m5424[3] === '-' ? 'the RFC 5424 line has no timestamp' : parseIsoTimestamp(m5424[3]!, options.timeZone);
    if (typeof at === 'string') return { ok: false, reason: at };
    const message = afterStructuredData(m5424[8]!);
    if (message === null) return { ok: false, reason: 'malformed RFC 5424 structured data' };
    const nil = (v: string): string | undefined => (v === '-' ? undefined : v);
    const program = nil(m5424[5]!);
    const pid = nil(m5424[6]!);
    return {
      ok: true, atMs: at, format: 'rfc5424', host: m5424[4]!,
      ...(program !== undefined ? { program } : {}), ...(pid !== undefined ? { pid } : {}),
      message: message.replace(/^\ufeff/, ''),
    };
  }
  const space = line.indexOf(' ');
  if (/^\d{4}-\d{2}-\d{2}T/.test(line) && space > 0) {
    const at = parseIsoTimestamp(line.slice(0, space), options.timeZone);
    if (typeof at === 'string') return { ok: false, reason: at };
    const rest = line.slice(space + 1);
    const hostEnd = rest.indexOf(' ');
    if (hostEnd <= 0) return { ok: false, reason: 'no host name after the timestamp' };
    return { ok: true, atMs: at, format: 'rfc3339', host: rest.slice(0, hostEnd), ...splitTag(rest.slice(hostEnd + 1)) };
  }
  const m3164 = RFC3164.exec(line);
  if (m3164) {
    const at = rfc3164Time(m3164, options);
    if (typeof at === 'string') return { ok: false, reason: at };
    return { ok: true, atMs: at, format: 'rfc3164', host: m3164[7]!, ...splitTag(m3164[8]!) };
  }
  return { ok: false, reason: 'not a syslog line (RFC 3164, RFC 5424 or RFC 3339 timestamp)' };
}
