// `safeguard flows detect <file> --format jsonl|zeek|vpc|nsg`: run a flow log through the detectors and print what they
// find, one line per finding (JSON with --json), then `R records, B bad lines, F findings`. Nothing is stored.
// With --allocations, findings carry tenants and only tenants' addresses are judged; without it every address is.
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Command, Option } from 'commander';
import { AllocationError, AllocationIndex, AllocationsFileSchema } from '../domain/detection/allocations';
import { DetectionEngine } from '../domain/detection/engine';
import type { Finding } from '../domain/detection/findings';
import { ThresholdPolicySchema, type ThresholdPolicy } from '../domain/detection/thresholds';
import { createFlowLogReader, FLOW_LOG_FORMATS, type FlowLogFormat, type FlowLogStats } from '../domain/flows/logs';

export interface DetectOptions {
  format: FlowLogFormat;
  json?: boolean;
  /** A JSON file of allocations: [{cidr, tenantId, deploymentId, validFrom, validTo, hostGroup?}] or {allocations: [...]}. */
  allocations?: string;
  /** A JSON file of threshold overrides (ThresholdPolicySchema). */
  thresholds?: string;
}

export interface DetectSummary {
  records: number;
  badLines: number;
  findings: number;
  log: FlowLogStats;
}

/** A problem with the command's own inputs (not with lines of the log): the command fails with this message. */
export class DetectInputError extends Error {}

/** Bad lines shown on the error stream; all of them are counted in the summary. */
const SHOWN_BAD_LINES = 20;

/** The fields printed for a finding, in a stable order. */
export function findingLine(f: Finding): Record<string, unknown> {
  return {
    kind: f.kind,
    sourceIp: f.sourceIp,
    targets: f.targets,
    windowStart: f.windowStart.toISOString(),
    windowEnd: f.windowEnd.toISOString(),
    counts: f.counts,
    severity: f.severity,
    confidence: f.confidence,
    category: f.category,
    direction: f.direction,
    host: f.host,
    ...(f.ports ? { ports: f.ports } : {}),
    ...(f.tenantId ? { tenantId: f.tenantId, deploymentId: f.deploymentId } : {}),
    ...(f.hostGroup ? { hostGroup: f.hostGroup } : {}),
    ...(f.targetTenants ? { targetTenants: f.targetTenants } : {}),
  };
}

function readable(f: Finding): string {
  const targets = f.targets.length > 3 ? `${f.targets.slice(0, 3).join(', ')} +${f.targets.length - 3}` : f.targets.join(', ');
  const counts = Object.entries(f.counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const tenant = f.tenantId ? ` tenant ${f.tenantId}` : '';
  const against = f.targetTenants ? ` against tenant ${f.targetTenants.map((t) => t.tenantId).join(', ')}` : '';
  return `${f.windowStart.toISOString()} .. ${f.windowEnd.toISOString()}  ${f.severity.padEnd(8)} ${f.kind.padEnd(15)} ${f.sourceIp} -> ${targets}${against}  (${counts}; confidence ${f.confidence})${tenant}`;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DetectInputError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DetectInputError(`the ${what} file ${file} is not JSON: ${(err as Error).message}`);
  }
}

export async function loadAllocations(file: string, warn: (line: string) => void): Promise<AllocationIndex> {
  const parsed = AllocationsFileSchema.safeParse(await readJson(file, 'allocations'));
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new DetectInputError(`the allocations file ${file} is not a list of {cidr, tenantId, deploymentId, validFrom, validTo, hostGroup?}: ${issues.join('; ')}`);
  }
  try {
    const index = new AllocationIndex(parsed.data);
    for (const c of index.conflicts) warn(`allocations: ${c}`);
    return index;
  } catch (err) {
    if (err instanceof AllocationError) throw new DetectInputError(`the allocations file ${file}: ${err.message}`);
    throw err;
  }
}

export async function loadThresholds(file: string): Promise<ThresholdPolicy> {
  const parsed = ThresholdPolicySchema.safeParse(await readJson(file, 'thresholds'));
  if (!parsed.success) {
    throw new DetectInputError(`the thresholds file ${file}: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The file as text chunks; gzip (as AWS delivers VPC logs to S3) is recognised by its magic bytes. */
export async function openText(file: string): Promise<Readable> {
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DetectInputError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${code ?? (err as Error).message}`);
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const gzip = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (err) => stream.destroy(err));
  stream.setEncoding('utf8');
  return stream;
}

/** Runs one file through a parser and the detectors; findings go to `write` as their windows close. */
export async function detectFile(file: string, options: DetectOptions, write: (line: string) => void, warn: (line: string) => void): Promise<DetectSummary> {
  const resolver = options.allocations ? await loadAllocations(options.allocations, warn) : undefined;
  const thresholds = options.thresholds ? await loadThresholds(options.thresholds) : undefined;
  const stream = await openText(file);
  let findings = 0;
  const engine = new DetectionEngine({
    resolver,
    thresholds,
    onFinding: (finding, phase) => {
      if (phase !== 'close') return;
      findings++;
      write(options.json ? JSON.stringify(findingLine(finding)) : readable(finding));
    },
  });
  const reader = createFlowLogReader(options.format, engine.sink);
  try {
    for await (const chunk of stream) reader.write(chunk as string);
  } catch (err) {
    throw new DetectInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const log = reader.end();
  engine.end();
  for (const b of log.badLines.slice(0, SHOWN_BAD_LINES)) warn(`line ${b.line}: ${b.reason}`);
  if (log.bad > SHOWN_BAD_LINES) warn(`... and ${log.bad - SHOWN_BAD_LINES} more bad lines`);
  for (const w of log.warnings) warn(w);
  write(`${log.records} records, ${log.bad} bad lines, ${findings} findings`);
  return { records: log.records, badLines: log.bad, findings, log };
}

export function registerFlowsDetectCommand(flows: Command): void {
  flows
    .command('detect')
    .description('run a flow log through the detectors (scans, DoS, spam, brute force, unusual volume) and print the findings; nothing is stored')
    .argument('<file>', 'a flow log (gzip is recognised)')
    .addOption(new Option('--format <format>', 'the log format').choices([...FLOW_LOG_FORMATS]).makeOptionMandatory())
    .option('--json', 'one JSON object per finding instead of a readable line')
    .option('--allocations <file>', 'JSON allocations [{cidr, tenantId, deploymentId, validFrom, validTo, hostGroup?}]; without it every address is a monitored host')
    .option('--thresholds <file>', 'JSON threshold overrides {defaults, hostGroups, tenants} (docs/detection.md)')
    .action(async (file: string, opts: DetectOptions) => {
      // Exit code 0 with bad lines (they are the log's problem, counted and shown); 1 when the inputs cannot be used.
      await detectFile(file, opts, (line) => console.log(line), (line) => console.error(line));
    });
}
