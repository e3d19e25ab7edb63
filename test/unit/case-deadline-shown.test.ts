// A closed case says that it is closed and when, on the analyst's and the tenant's page; only an open case shows
// its deadline and countdown.
import { describe, expect, it } from 'vitest';
import { deadlineShown } from '../../web/app/cases/[id]/deadline-shown';

const DEADLINE = new Date('2026-12-01T12:00:00Z');
const CLOSED = new Date('2026-11-20T09:15:00Z');

describe('deadline or closure on a case page', () => {
  it('shows when a closed case was closed, not its old deadline', () => {
    expect(deadlineShown('closed', DEADLINE, CLOSED)).toEqual({ kind: 'ended', text: 'Closed 2026-11-20 09:15 UTC' });
    expect(deadlineShown('rejected', DEADLINE, CLOSED)).toEqual({ kind: 'ended', text: 'Closed without action 2026-11-20 09:15 UTC' });
    expect(deadlineShown('closed', DEADLINE, null)).toEqual({ kind: 'ended', text: 'Closed' });
  });

  it('shows the deadline of a case that is still open', () => {
    for (const state of ['notified', 'remediation_submitted', 'suspended'] as const) {
      expect(deadlineShown(state, DEADLINE, null)).toEqual({ kind: 'deadline', at: DEADLINE });
    }
    expect(deadlineShown('triage', null, null)).toEqual({ kind: 'none' });
  });
});
