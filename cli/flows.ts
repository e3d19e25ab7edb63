// `safeguard flows …`: network flow records from the command line.
import type { Command } from 'commander';
import { registerFlowsDecodeCommand } from './flows-decode';
import { registerFlowsDetectCommand } from './flows-detect';
import { registerFlowsImportCommand } from './flows-import';

export function registerFlowsCommands(program: Command): Command {
  const flows = program.command('flows').description('decode NetFlow/IPFIX captures and run the detectors over flow logs');
  registerFlowsDecodeCommand(flows);
  registerFlowsDetectCommand(flows);
  registerFlowsImportCommand(flows);
  return flows;
}
