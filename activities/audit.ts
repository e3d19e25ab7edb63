// Workflows write their steps to the hash-chained audit log through this activity.
import { appendAudit, type AuditInput } from '../lib/audit';
import type { Db } from '../lib/db';

export function createAuditActivities({ db }: { db: Db }) {
  return {
    async recordAudit(input: AuditInput & { at?: Date | string }): Promise<{ seq: string; hash: string }> {
      // Temporal serialises dates to strings on the way in.
      const at = input.at === undefined ? undefined : new Date(input.at);
      const row = await appendAudit(db, { ...input, at });
      return { seq: row.seq.toString(), hash: row.hash };
    },
  };
}
