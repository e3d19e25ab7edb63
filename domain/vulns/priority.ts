// How urgent a vulnerable package is. Exploitation in the wild (CISA KEV) outranks any score: a KEV finding is
// never below high, and only KEV findings reach critical (ransomware use, CISA's due date passed, or CVSS >= 9).
import { SEVERITIES, type Severity } from '../cases';
import { ransomwareKnown, type KevEntry } from './kev';
import type { SeverityInfo } from './osv';

export interface Priority {
  priority: Severity;
  kev: boolean;
  ransomware: boolean;
  /** The earliest CISA due date among the finding's KEV entries. */
  kevDueDate: string | null;
  overdue: boolean;
}

/** `now` decides whether a KEV due date has passed (a date is due until its end, in UTC). */
export function prioritise(kevEntries: KevEntry[], severity: SeverityInfo | null, now: Date): Priority {
  const kev = kevEntries.length > 0;
  const ransomware = kevEntries.some(ransomwareKnown);
  const kevDueDate = kevEntries.map((e) => e.dueDate).sort()[0] ?? null;
  const overdue = kevDueDate !== null && now.toISOString().slice(0, 10) > kevDueDate;
  const level = severity?.level ?? null;
  let priority: Severity;
  if (kev) priority = ransomware || overdue || level === 'critical' ? 'critical' : 'high';
  else if (level === 'critical' || level === 'high') priority = 'high';
  else if (level === 'low') priority = 'low';
  else priority = 'medium'; // medium, or unknown: an unscored advisory is not presumed harmless
  return { priority, kev, ransomware, kevDueDate, overdue };
}

// For ordering only, where an advisory gives a level in words and no score.
const LEVEL_SCORE = { critical: 9.5, high: 8, medium: 5.5, low: 2 } as const;

export interface Rankable extends Priority {
  severity: SeverityInfo | null;
}

const scoreOf = (r: Rankable) => r.severity?.score ?? (r.severity?.level ? LEVEL_SCORE[r.severity.level] : -1);

/** Most urgent first: priority, then ransomware, KEV, score, and the earliest due date. */
export function compareUrgency(a: Rankable, b: Rankable): number {
  return (
    SEVERITIES.indexOf(b.priority) - SEVERITIES.indexOf(a.priority) ||
    Number(b.ransomware) - Number(a.ransomware) ||
    Number(b.kev) - Number(a.kev) ||
    scoreOf(b) - scoreOf(a) ||
    (a.kevDueDate ?? '9999').localeCompare(b.kevDueDate ?? '9999')
  );
}
