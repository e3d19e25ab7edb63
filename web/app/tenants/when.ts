// Times on the tenant pages: UTC to the minute, as the audit and case pages show them.

export const utc = (d: Date | string) => `${new Date(d).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

/** An allocation's window; an open end means the address is still held. */
export const heldWindow = (from: Date | string, to: Date | string | null) => `${utc(from)} → ${to ? utc(to) : 'now'}`;
