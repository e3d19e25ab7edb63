// Policy durations ('48 hours', '4h', or milliseconds) as milliseconds; safe inside workflows.
import { msToNumber } from '@temporalio/common/lib/time';
import type { PolicyDuration } from './cases';

export function durationMs(d: PolicyDuration): number {
  return msToNumber(d);
}
