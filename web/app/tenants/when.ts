// Times on the tenant pages: UTC to the minute.
import { utcMinute } from '../components/utc';

export const utc = utcMinute;

/** An allocation's window; an open end means the address is still held. */
export const heldWindow = (from: Date | string, to: Date | string | null) => `${utc(from)} → ${to ? utc(to) : 'now'}`;
