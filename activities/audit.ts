// Workflows write their steps to the hash-chained audit log through this activity (the sealer chains them).
import { appendAudit, appendAuditMany, type AuditInput } from '../lib/audit';
import type { Db } from '../lib/db';

/** An audit entry as a workflow sends it: Temporal carries dates as strings. */
export type AuditEntry = Omit<AuditInput, 'at'> & { at?: string };

/** An entry as the workflow sent it, with its time a Date again. */
export const toAuditInput = <T extends { at?: Date | string }>(e: T): T & { at?: Date } => ({ ...e, at: e.at === undefined ? undefined : new Date(e.at) });

export function createAuditActivities({ db }: { db: Db }) {
  return {
    async recordAudit(input: AuditInput & { at?: Date | string }): Promise<{ seq: string }> {
      // Temporal serialises dates to strings on the way in.
      const row = await appendAudit(db, toAuditInput(input));
      return { seq: row.seq.toString() };
    },

    /** Entries in the order given, in one statement (a workflow batches what it did between two waits). */
    async recordAuditMany(entries: AuditEntry[]): Promise<{ count: number }> {
      const count = await appendAuditMany(db, entries.map(toAuditInput));
      return { count };
    },
  };
}
