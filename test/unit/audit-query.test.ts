// The audit page's address: filters in, filters out, nothing else taken from it.
import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, filterParams, filtersOf, formFromQuery, localInputValue } from '../../web/app/audit/audit-query';

describe('audit filters in the address', () => {
  it('round-trips every filter, times as ISO in the address and local in the form', () => {
    const from = new Date('2026-11-01T08:30:00.000Z');
    const to = new Date('2026-11-02T17:45:00.000Z');
    const form = { actorId: 'dana@tenant.example', action: 'access.', subjectType: 'access_request', subjectId: 'req-1', from: localInputValue(from), to: localInputValue(to) };
    const params = filterParams(filtersOf(form));
    expect(params.get('from')).toBe(from.toISOString());
    expect(params.get('actorId')).toBe('dana@tenant.example');
    expect(formFromQuery(new URLSearchParams(params.toString()))).toEqual(form);
  });

  it('leaves out what is not a filter, text that is too long, and times that do not parse', () => {
    const query = new URLSearchParams({ actorId: 'x'.repeat(201), action: '  cases.  ', from: 'yesterday', to: '2026-13-45T99:99', format: 'csv', evil: '<script>' });
    expect(formFromQuery(query)).toEqual({ ...EMPTY_FORM, action: 'cases.' });
    expect(formFromQuery(new URLSearchParams(''))).toEqual(EMPTY_FORM);
  });

  it('puts nothing in the address for empty fields', () => {
    expect(filterParams(filtersOf(EMPTY_FORM)).toString()).toBe('');
    expect(filterParams(filtersOf({ ...EMPTY_FORM, subjectId: '  ' })).toString()).toBe('');
  });
});
