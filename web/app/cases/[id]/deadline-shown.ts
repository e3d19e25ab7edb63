// What a case page says about time: an open case its deadline; a closed or rejected case that it ended (and when),
// never a deadline that no longer binds anyone. Shared by the analyst's case page and the tenant's.
import type { CaseState } from '../../../../domain/cases';
import { utcMinute } from '../../components/utc';

export type DeadlineShown =
  | { kind: 'ended'; text: string }
  | { kind: 'deadline'; at: Date | string }
  | { kind: 'none' };

const ENDED: Partial<Record<CaseState, string>> = { closed: 'Closed', rejected: 'Closed without action' };

export function deadlineShown(state: CaseState, deadlineAt: Date | string | null | undefined, closedAt: Date | string | null | undefined): DeadlineShown {
  const ended = ENDED[state];
  if (ended) return { kind: 'ended', text: closedAt ? `${ended} ${utcMinute(closedAt)}` : ended };
  return deadlineAt ? { kind: 'deadline', at: deadlineAt } : { kind: 'none' };
}
