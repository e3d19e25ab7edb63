// `safeguard <command>`: operations from a terminal. Later issues add `reports`, `flows`, ...
import { Command } from 'commander';
import { registerAuditCommands } from './audit';
import { registerDbCommands } from './db';
import { registerProbeCommand } from './probe';
import { registerReportsCommands } from './reports';
import { registerStatusCommand } from './status';

const program = new Command()
  .name('safeguard')
  .description('Safeguard: shared-responsibility security for cloud providers')
  .showHelpAfterError();

registerDbCommands(program);
registerAuditCommands(program);
registerProbeCommand(program);
registerReportsCommands(program);
registerStatusCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`safeguard: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
