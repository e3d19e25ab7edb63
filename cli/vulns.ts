// `safeguard vulns scan`: vulnerable packages on VMs, from their package inventories and OSV advisories, ranked with
// CISA's KEV catalogue. Findings (one JSON line each with --json) and the summary go to stdout; every input that
// could not be read goes to stderr with its reason. A bad file never stops the scan.
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { toDetectionInput } from '../domain/vulns/detection';
import { AdvisorySet } from '../domain/vulns/advisories';
import type { Inventory } from '../domain/vulns/inventory';
import { parseKevCatalog, type KevCatalog } from '../domain/vulns/kev';
import { groupFindings, scanInventories, summarise, type Finding, type ScanSummary } from '../domain/vulns/match';
import { parseInventory } from '../domain/vulns/parse-inventory';
import { parseOsSpec, type OsRelease } from '../domain/vulns/releases';

/** A path on the command line that does not exist, or an option that makes no sense: the command itself fails. */
export class VulnsUsageError extends Error {}

export interface ScanPaths {
  inventory: string;
  advisories: string;
  kev?: string;
  /** The release of text inventories that do not state one ("debian:12"). */
  os?: string;
  /** The date KEV due dates are measured against (default now). */
  now?: Date;
}

export interface ScanOutput {
  /** stdout: findings and the summary. */
  write: (line: string) => void;
  /** stderr: inputs that could not be read. */
  warn: (line: string) => void;
  json: boolean;
}

export interface ScanResult {
  summary: ScanSummary;
  findings: Finding[];
  /** Files or entries that could not be read. */
  problems: number;
  /** True when something the scan depends on was missing: no inventory, no advisory, or an unreadable KEV file. */
  incomplete: boolean;
}

// Larger files are refused rather than read into memory whole (an OSV export as one array can be very large).
const MAX_FILE_BYTES = 512 * 1024 * 1024;
// Reading thousands of advisory files one by one is slow; more than this many at once only adds open files.
const READ_CONCURRENCY = 32;
// Bad entries printed per inventory file, and advisory lines in all; the rest are counted.
const SHOWN_PER_FILE = 5;
const SHOWN_ADVISORY_LINES = 50;

/** The files under a path: the file itself, or every file below a folder (hidden ones skipped), in name order. */
export async function listFiles(target: string, accept: (name: string) => boolean = () => true): Promise<{ files: string[]; unreadable: string[] }> {
  const info = await stat(target).catch(() => null);
  if (!info) throw new VulnsUsageError(`no such file or folder: ${target}`);
  if (!info.isDirectory()) return { files: [target], unreadable: [] };
  const files: string[] = [];
  const unreadable: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = await readdir(dir).catch(() => null);
    if (!names) return void unreadable.push(dir);
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const full = path.join(dir, name);
      const entry = await lstat(full).catch(() => null);
      if (entry?.isDirectory()) await walk(full);
      else if (accept(name)) files.push(full);
    }
  };
  await walk(target);
  return { files, unreadable };
}

async function readText(file: string): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  try {
    const info = await stat(file);
    if (info.size > MAX_FILE_BYTES) return { ok: false, error: `the file is ${info.size} bytes, more than the ${MAX_FILE_BYTES} read` };
    const bytes = await readFile(file);
    if (bytes.includes(0)) return { ok: false, error: 'binary file (NUL bytes), not text' };
    return { ok: true, text: bytes.toString('utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: `cannot read: ${e?.code ?? (err instanceof Error ? err.message : String(err))}` };
  }
}

/** Reads files a batch at a time and hands each to `use` in name order. */
async function eachText(files: string[], use: (file: string, read: Awaited<ReturnType<typeof readText>>) => void): Promise<void> {
  for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
    const batch = files.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(batch.map(readText));
    batch.forEach((file, j) => use(file, texts[j]!));
  }
}

const hostFromFile = (file: string) => path.basename(file).replace(/\.[^.]+$/, '') || path.basename(file);

/** Runs a scan; throws VulnsUsageError only for a path that does not exist or a bad --os. */
export async function scanPaths(paths: ScanPaths, out: ScanOutput): Promise<ScanResult> {
  let defaultOs: OsRelease | undefined;
  if (paths.os !== undefined) {
    const os = parseOsSpec(paths.os);
    if (!os.ok) throw new VulnsUsageError(`--os: ${os.error}`);
    defaultOs = os.os;
  }
  // Every path is checked before any output.
  const inventoryFiles = await listFiles(paths.inventory);
  const advisoryFiles = await listFiles(paths.advisories, (name) => name.toLowerCase().endsWith('.json'));
  if (paths.kev !== undefined && !(await stat(paths.kev).catch(() => null))) throw new VulnsUsageError(`no such file: ${paths.kev}`);

  let problems = 0;
  const problem = (line: string) => {
    problems++;
    out.warn(line);
  };
  for (const dir of [...inventoryFiles.unreadable, ...advisoryFiles.unreadable]) problem(`${dir}: cannot read folder`);

  const inventories: Inventory[] = [];
  await eachText(inventoryFiles.files, (file, read) => {
    if (!read.ok) return problem(`inventory ${file}: ${read.error}`);
    const parsed = parseInventory(read.text, { host: hostFromFile(file), os: defaultOs });
    parsed.bad.slice(0, SHOWN_PER_FILE).forEach((b) => problem(`inventory ${file}: ${b.at}: ${b.reason}${b.text ? ` [${b.text}]` : ''}`));
    if (parsed.bad.length > SHOWN_PER_FILE) {
      problems += parsed.bad.length - SHOWN_PER_FILE;
      out.warn(`inventory ${file}: ${parsed.bad.length - SHOWN_PER_FILE} more bad entries`);
    }
    if (!parsed.ok) return problem(`inventory ${file}: ${parsed.error}`);
    inventories.push(...parsed.inventories);
  });

  const advisories = new AdvisorySet();
  await eachText(advisoryFiles.files, (file, read) => {
    if (!read.ok) {
      advisories.stats.files++;
      advisories.stats.invalid++;
      return problem(`advisory ${file}: ${read.error}`);
    }
    advisories.addText(file, read.text);
  });
  // A whole OSV export can hold thousands of odd records: the first ones say what is wrong, the rest are counted.
  advisories.failures.slice(0, SHOWN_ADVISORY_LINES).forEach((f) => problem(`advisory ${f.file}${f.id ? ` (${f.id})` : ''}: ${f.error}`));
  if (advisories.failures.length > SHOWN_ADVISORY_LINES) {
    problems += advisories.failures.length - SHOWN_ADVISORY_LINES;
    out.warn(`${advisories.failures.length - SHOWN_ADVISORY_LINES} more invalid advisories`);
  }
  advisories.problems.slice(0, SHOWN_ADVISORY_LINES).forEach((p) => out.warn(`advisory ${p.file} (${p.id}): ${p.reason}`));
  if (advisories.problems.length > SHOWN_ADVISORY_LINES) out.warn(`${advisories.problems.length - SHOWN_ADVISORY_LINES} more advisory problems`);

  let kev: KevCatalog | null = null;
  let kevFailed = false;
  if (paths.kev !== undefined) {
    const read = await readText(paths.kev);
    const parsed = read.ok ? parseKevCatalog(read.text) : { ok: false as const, error: read.error };
    if (parsed.ok) {
      kev = parsed.catalog;
      parsed.bad.forEach((b) => problem(`kev ${paths.kev}: vulnerabilities[${b.index}]: ${b.error}`));
      parsed.warnings.forEach((w) => out.warn(`kev ${paths.kev}: ${w}`));
    } else {
      kevFailed = true;
      problem(`kev ${paths.kev}: ${parsed.error}; findings are ranked without KEV`);
    }
  }

  const s = advisories.stats;
  out.warn(
    `read ${inventories.length} inventories from ${inventoryFiles.files.length} files; ${s.loaded} Debian/Ubuntu advisories from ${s.files} files ` +
      `(${s.otherEcosystem} other ecosystems, ${s.withdrawn} withdrawn, ${s.invalid} invalid, ${s.duplicates} duplicates)` +
      (kev ? `; KEV catalogue ${kev.catalogVersion} with ${kev.entries.size} entries` : paths.kev === undefined ? '; no KEV catalogue given' : ''),
  );

  const findings = scanInventories(inventories, advisories, kev, { now: paths.now });
  if (out.json) for (const f of findings) out.write(JSON.stringify(f));
  else for (const line of display(findings)) out.write(line);
  const summary = summarise(inventories, findings);
  out.write(`${summary.hosts} hosts, ${summary.packages} packages, ${summary.findings} findings (${summary.kev} in KEV)`);
  return { summary, findings, problems, incomplete: inventories.length === 0 || advisories.size === 0 || kevFailed };
}

/** Findings per host and package, the most urgent first. */
export function display(findings: Finding[]): string[] {
  const lines: string[] = [];
  for (const g of groupFindings(findings)) {
    const where = g.deploymentId ? `${g.host} (deployment ${g.deploymentId})` : g.host;
    lines.push(`${where}  ${g.source} ${g.installedVersion}  [${g.binaries.join(', ')}]  ${g.priority.toUpperCase()}${g.kev ? ' KEV' : ''}`);
    for (const f of g.findings) {
      const cves = f.cves.filter((c) => c !== f.advisoryId).join(',');
      const fix = f.fixedVersion ? `fixed in ${f.fixedVersion}` : 'no fix named';
      const kev = f.kev ? `  KEV due ${f.kevDueDate}${f.overdue ? ' (overdue)' : ''}${f.ransomware ? ' ransomware' : ''}` : '';
      lines.push(`  ${f.priority.padEnd(8)}  ${f.advisoryId}${cves ? ` ${cves}` : ''}  ${fix}${kev}`);
    }
  }
  return lines;
}

export function registerVulnsCommands(program: Command): void {
  const vulns = program.command('vulns').description('vulnerable software on VMs, from package inventories and OSV advisories');
  vulns
    .command('scan')
    .description('match VM package inventories (dpkg -l, dpkg-query, dpkg status, JSON) against OSV advisories; rank with CISA KEV')
    .requiredOption('--inventory <path>', 'an inventory file, or a folder of them (read recursively)')
    .requiredOption('--advisories <path>', 'an OSV JSON file (one advisory or an array), or a folder of .json files')
    .option('--kev <file>', "CISA's known_exploited_vulnerabilities.json")
    .option('--os <distro:release>', 'release of text inventories without a "# os:" line, e.g. debian:12 or ubuntu:22.04')
    .option('--now <date>', 'measure KEV due dates against this date instead of today (YYYY-MM-DD)')
    .option('--json', 'one JSON object per finding instead of a table')
    .option('--submit', "hand each finding on a host with a known address to intake, so it opens or feeds that deployment's case")
    .action(async (opts: { inventory: string; advisories: string; kev?: string; os?: string; now?: string; json?: boolean; submit?: boolean }) => {
      const now = opts.now === undefined ? undefined : new Date(opts.now);
      try {
        if (now && Number.isNaN(now.getTime())) throw new VulnsUsageError(`--now: ${JSON.stringify(opts.now)} is not a date`);
        const result = await scanPaths(
          { inventory: opts.inventory, advisories: opts.advisories, kev: opts.kev, os: opts.os, now },
          { write: (l) => console.log(l), warn: (l) => console.error(l), json: Boolean(opts.json) },
        );
        // Findings are the command's normal output; only a scan missing one of its inputs is a failure.
        if (result.incomplete) process.exitCode = 1;
        if (opts.submit) await submitFromCli(result.findings, now ?? new Date());
      } catch (err) {
        if (!(err instanceof VulnsUsageError)) throw err;
        console.error(`safeguard vulns scan: ${err.message}`);
        process.exitCode = 2;
      }
    });
}

export interface SubmitDeps {
  db: import('../lib/db').Db;
  temporal: import('@temporalio/client').Client;
  taskQueue: string;
}

/** Stores each finding as a detection (deduplicated by content) and routes it to its deployment's case. */
export async function submitFindings(findings: ScanResult['findings'], scannedAt: Date, deps: SubmitDeps) {
  const { submitDetection } = await import('../lib/detections');
  const counts = { submitted: 0, duplicates: 0, withoutAddress: 0 };
  for (const finding of findings) {
    const input = toDetectionInput(finding, scannedAt);
    if (!input) {
      counts.withoutAddress++;
      continue;
    }
    const stored = await submitDetection(deps.db, deps.temporal, input, { taskQueue: deps.taskQueue, actor: { type: 'cli', id: 'vulns scan' } });
    if (stored.duplicate) counts.duplicates++;
    else counts.submitted++;
  }
  return counts;
}

/** `--submit` with the process-wide database and Temporal client. */
async function submitFromCli(findings: ScanResult['findings'], scannedAt: Date): Promise<void> {
  const [{ db }, { getTemporalClient }, { config }] = await Promise.all([import('../lib/db'), import('../lib/temporal'), import('../lib/config')]);
  try {
    const c = await submitFindings(findings, scannedAt, { db: db(), temporal: await getTemporalClient(), taskQueue: config().TEMPORAL_TASK_QUEUE });
    console.error(`submitted ${c.submitted} findings to intake (${c.duplicates} already known, ${c.withoutAddress} without a host address)`);
  } finally {
    await db().$disconnect();
  }
}
