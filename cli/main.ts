// `safeguard <command>`: operations from a terminal.
import { Command } from 'commander';
import { registerAuditCommands } from './audit';
import { registerDbCommands } from './db';
import { registerFlowsCommands } from './flows';
import { registerProbeCommand } from './probe';
import { registerReportsCommands } from './reports';
import { registerSecretsCommands } from './secrets';
import { registerStatusCommand } from './status';
import { registerVulnsCommands } from './vulns';

const program = new Command()
  .name('safeguard')
  .description('Safeguard: shared-responsibility security for cloud providers')
  .showHelpAfterError();

registerDbCommands(program);
registerAuditCommands(program);
registerProbeCommand(program);
registerReportsCommands(program);
registerStatusCommand(program);
registerFlowsCommands(program);
registerVulnsCommands(program);
registerSecretsCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`safeguard: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
