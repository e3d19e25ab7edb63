// The audit page's filters as they travel in its address (/audit?actorId=…&from=…), so a filtered view can be
// bookmarked and shared, and as the export's query. Times are ISO (UTC) in the address and the browser's local time
// in the form's datetime-local fields. Anything in the address that is not a filter, or not a time, is ignored.

export const TEXT_FILTERS = ['actorId', 'action', 'subjectType', 'subjectId'] as const;

export type AuditForm = Record<(typeof TEXT_FILTERS)[number] | 'from' | 'to', string>;
export const EMPTY_FORM: AuditForm = { actorId: '', action: '', subjectType: '', subjectId: '', from: '', to: '' };

export interface AuditFilters {
  actorId?: string;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  from?: Date;
  to?: Date;
}

const MAX_TEXT = 200;
const pad = (n: number) => String(n).padStart(2, '0');

/** A time as a datetime-local field shows it: the browser's local time, to the minute. */
export function localInputValue(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The form as filters: empty fields mean "any"; datetime-local fields are the browser's local time. */
export function filtersOf(form: AuditForm): AuditFilters {
  const text = (v: string) => v.trim() || undefined;
  const date = (v: string) => (v ? new Date(v) : undefined);
  return {
    actorId: text(form.actorId),
    action: text(form.action),
    subjectType: text(form.subjectType),
    subjectId: text(form.subjectId),
    from: date(form.from),
    to: date(form.to),
  };
}

/** The filters as query parameters (times as ISO); nothing for a filter that is not set. */
export function filterParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined) params.set(k, v instanceof Date ? v.toISOString() : v);
  return params;
}

/** The form an address asks for; unknown parameters, over-long text and times that do not parse are left out. */
export function formFromQuery(query: URLSearchParams): AuditForm {
  const form = { ...EMPTY_FORM };
  for (const key of TEXT_FILTERS) {
    const value = query.get(key)?.trim();
    if (value && value.length <= MAX_TEXT) form[key] = value;
  }
  for (const key of ['from', 'to'] as const) {
    const value = query.get(key);
    const at = value ? new Date(value) : undefined;
    if (at && Number.isFinite(at.getTime())) form[key] = localInputValue(at);
  }
  return form;
}
