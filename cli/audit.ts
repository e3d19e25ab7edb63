import type { Command } from 'commander';
import { db } from '../lib/db';
import { verifyAuditLog } from '../lib/audit';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('recompute the audit hash chain and report the first entry that does not hold')
    .action(async () => {
      try {
        const verdict = await verifyAuditLog(db());
        if (verdict.ok) {
          console.log(`audit chain intact: ${verdict.entries} entries, last hash ${verdict.lastHash}`);
        } else {
          console.log(`audit chain BROKEN at entry ${verdict.brokenAtSeq} (${verdict.reason}); ${verdict.entries} entries before it verified`);
          process.exitCode = 2;
        }
      } finally {
        await db().$disconnect();
      }
    });
}
