// Words and times shared by the access pages.
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/root';
import { utcSecond } from '../components/utc';

export type AccessOutputs = inferRouterOutputs<AppRouter>['access'];
export type AccessSummary = AccessOutputs['mine']['items'][number];
export type AccessState = AccessSummary['state'];

export const STATE_LABELS: Record<AccessState, string> = {
  pending: 'waiting for approval',
  approved: 'approved, granting',
  active: 'active',
  denied: 'denied',
  expired: 'expired unapproved',
  cancelled: 'cancelled',
  ended: 'ended',
};

export const utc = (d: Date | string | null | undefined) => (d ? utcSecond(d) : '—');

/** "90 min" → "1 h 30 min". */
export function minutesText(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m || !h ? `${m} min` : ''].filter(Boolean).join(' ');
}
