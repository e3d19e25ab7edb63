import type { Command } from 'commander';
import { db } from '../lib/db';
import { sealAllAudit, verifyAuditLog } from '../lib/audit';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('recompute the audit hash chain and report the first entry that does not hold')
    .option('--seal', 'chain the entries not sealed yet before checking (a worker normally does this)')
    .action(async (opts: { seal?: boolean }) => {
      try {
        if (opts.seal) console.log(`sealed ${await sealAllAudit(db())} entries`);
        const verdict = await verifyAuditLog(db());
        const pending = verdict.unsealed
          ? `; ${verdict.unsealed} entries not sealed yet (oldest ${verdict.oldestUnsealedAt?.toISOString()}): is a worker running?`
          : '';
        if (verdict.ok) {
          console.log(`audit chain intact: ${verdict.entries} entries, last hash ${verdict.lastHash}${pending}`);
        } else {
          console.log(`audit chain BROKEN at entry ${verdict.brokenAtSeq} (${verdict.reason}); ${verdict.entries} entries before it verified${pending}`);
          process.exitCode = 2;
        }
      } finally {
        await db().$disconnect();
      }
    });
}
