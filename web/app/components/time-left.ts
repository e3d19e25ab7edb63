// Time to a deadline as a person reads it on a queue: "1 d 4 h 05 min 09 s", "overdue by 12 min 03 s".

const pad = (n: number) => String(n).padStart(2, '0');

export function formatTimeLeft(ms: number): string {
  const overdue = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = d > 0 ? [`${d} d`, `${h} h`, `${pad(m)} min`, `${pad(s)} s`] : h > 0 ? [`${h} h`, `${pad(m)} min`, `${pad(s)} s`] : [`${m} min`, `${pad(s)} s`];
  return overdue ? `overdue by ${parts.join(' ')}` : parts.join(' ');
}

/** How urgent the time left is, for colour: passed, under 4 hours, under 24 hours, or more. */
export function urgency(ms: number): 'overdue' | 'urgent' | 'soon' | 'later' {
  if (ms < 0) return 'overdue';
  if (ms < 4 * 3600_000) return 'urgent';
  if (ms < 24 * 3600_000) return 'soon';
  return 'later';
}
