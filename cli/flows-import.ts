// `safeguard flows import <file> --format …`: a flow log (VPC, NSG, Zeek, our JSON lines) through the detectors with
// the allocation history from the database, each finding stored through intake so it opens or feeds its case.
import type { Client } from '@temporalio/client';
import { Option, type Command } from 'commander';
import { AllocationIndex } from '../domain/detection/allocations';
import { DetectionEngine } from '../domain/detection/engine';
import type { ThresholdPolicy } from '../domain/detection/thresholds';
import { toDetectionInput, type Finding } from '../domain/detection/findings';
import { createFlowLogReader, FLOW_LOG_FORMATS, type FlowLogFormat } from '../domain/flows/logs';
import { loadAllocations } from '../detection/runtime';
import type { Db } from '../lib/db';
import { submitDetection } from '../lib/detections';
import { DetectInputError, loadThresholds, openText } from './flows-detect';

export interface ImportSummary {
  records: number;
  badLines: number;
  findings: number;
  submitted: number;
  duplicates: number;
  /** Inbound DoS findings: warnings for the victim, not abuse by them; not routed to a case. */
  notRouted: number;
}

export async function importFlowLog(file: string, format: FlowLogFormat, deps: { db: Db; temporal: Client; taskQueue: string; thresholds?: ThresholdPolicy }): Promise<ImportSummary> {
  const index = new AllocationIndex(await loadAllocations(deps.db));
  const closed: Finding[] = [];
  // Submitted when their window closes, with every flow of the window counted: one finding per host, kind and window.
  const engine = new DetectionEngine({ resolver: index, thresholds: deps.thresholds, onFinding: (f, phase) => void (phase === 'close' && closed.push(f)) });
  const reader = createFlowLogReader(format, engine.sink);
  try {
    for await (const chunk of await openText(file)) reader.write(chunk as string);
  } catch (err) {
    if (err instanceof DetectInputError) throw err;
    throw new DetectInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const log = reader.end();
  engine.end();
  const summary: ImportSummary = { records: log.records, badLines: log.bad, findings: closed.length, submitted: 0, duplicates: 0, notRouted: 0 };
  for (const finding of closed) {
    const input = toDetectionInput(finding);
    if (!input) {
      summary.notRouted++;
      continue;
    }
    const stored = await submitDetection(deps.db, deps.temporal, input, { taskQueue: deps.taskQueue, actor: { type: 'cli', id: 'flows import' } });
    if (stored.duplicate) summary.duplicates++;
    else summary.submitted++;
  }
  return summary;
}

export function registerFlowsImportCommand(flows: Command): void {
  flows
    .command('import')
    .description('run a flow log through the detectors with the allocation history and hand each finding to intake (cases)')
    .argument('<file>', 'a flow log (gzip is recognised)')
    .addOption(new Option('--format <format>', 'the log format').choices([...FLOW_LOG_FORMATS]).makeOptionMandatory())
    .action(async (file: string, opts: { format: FlowLogFormat }) => {
      const [{ db }, { getTemporalClient }, { config }] = await Promise.all([import('../lib/db'), import('../lib/temporal'), import('../lib/config')]);
      try {
        const c = config();
        const thresholds = c.DETECTION_THRESHOLDS ? await loadThresholds(c.DETECTION_THRESHOLDS) : undefined;
        const s = await importFlowLog(file, opts.format, { db: db(), temporal: await getTemporalClient(), taskQueue: c.TEMPORAL_TASK_QUEUE, thresholds });
        console.log(`${s.records} records, ${s.badLines} bad lines, ${s.findings} findings, ${s.submitted} submitted, ${s.duplicates} already known, ${s.notRouted} not routed (inbound)`);
      } catch (err) {
        if (!(err instanceof DetectInputError)) throw err;
        console.error(`safeguard flows import: ${err.message}`);
        process.exitCode = 1;
      } finally {
        await db().$disconnect();
      }
    });
}
