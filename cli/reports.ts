// `safeguard reports parse`: run files through the intake parser without storing anything; one result per file.
// `safeguard reports import`: store files through the same door as the API (lib/intake.ts); one result per file.
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { parseReport } from '../domain/reports/detect';
import type { ParseOptions } from '../domain/reports/types';
import { config } from '../lib/config';
import { db as defaultDb, type Db } from '../lib/db';
import { storeReport } from '../lib/intake';
import { getTemporalClient } from '../lib/temporal';

export interface FileResult {
  file: string;
  format: string | null;
  category: string | null;
  sourceIps: string[];
  eventTime: string | null;
  warnings: string[];
  error: string | null;
}

export interface ParseSummary {
  files: number;
  parsed: number;
  failed: number;
}

/** A path on the command line that does not exist: the one case where the command itself fails. */
export class MissingPathError extends Error {}

/** The files under a path: the file itself, or every file below a folder, depth first in name order. */
export async function listFiles(target: string): Promise<{ files: string[]; unreadable: FileResult[] }> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new MissingPathError(`no such file or folder: ${target}`);
  }
  const files: string[] = [];
  const unreadable: FileResult[] = [];
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      unreadable.push(failed(dir, `cannot read folder: ${errorText(err)}`));
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      const entry = await lstat(full).catch(() => null);
      if (entry?.isDirectory()) await walk(full);
      else files.push(full); // symlinks and unreadable entries are tried as files and fail as such
    }
  };
  if (info.isDirectory()) await walk(target);
  else files.push(target);
  return { files, unreadable };
}

/** Parses every file below the paths, writing one line per file and the summary last. */
export async function parseFiles(
  paths: string[],
  write: (line: string) => void,
  opts: { json: boolean; parseOptions?: ParseOptions },
): Promise<ParseSummary> {
  const listed = [];
  for (const target of paths) listed.push(await listFiles(target)); // every path is checked before any output
  const results: FileResult[] = [];
  const report = (result: FileResult) => {
    results.push(result);
    if (opts.json) write(JSON.stringify(result));
  };
  for (const { files, unreadable } of listed) {
    unreadable.forEach(report);
    for (const file of files) report(await parseFile(file, opts.parseOptions));
  }
  if (!opts.json) for (const line of table(results)) write(line);
  const parsed = results.filter((r) => r.error === null).length;
  const summary = { files: results.length, parsed, failed: results.length - parsed };
  write(`${summary.files} files, ${summary.parsed} parsed, ${summary.failed} failed`);
  return summary;
}

async function parseFile(file: string, parseOptions?: ParseOptions): Promise<FileResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return failed(file, `cannot read: ${errorText(err)}`);
  }
  const outcome = await parseReport(bytes, { filename: path.basename(file) }, parseOptions);
  if (!outcome.ok) return { ...failed(file, outcome.error), format: outcome.format ?? null };
  const r = outcome.report;
  return {
    file,
    format: r.format,
    category: r.category,
    sourceIps: r.sourceIps.map((ip) => ip.address),
    eventTime: r.eventTime ? r.eventTime.toISOString() : null,
    warnings: r.warnings,
    error: null,
  };
}

function failed(file: string, error: string): FileResult {
  return { file, format: null, category: null, sourceIps: [], eventTime: null, warnings: [], error };
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (err instanceof Error ? err.message : String(err));
}

/** Readable columns for a terminal; the last column carries the error or the number of warnings. */
export function table(results: FileResult[]): string[] {
  const clip = (s: string, max: number) => (s.length > max ? `...${s.slice(s.length - max + 3)}` : s);
  const rows = results.map((r) => [
    clip(r.file, 70),
    r.format ?? '-',
    r.category ?? '-',
    r.sourceIps.length ? clip(r.sourceIps.slice(0, 3).join(',') + (r.sourceIps.length > 3 ? `,+${r.sourceIps.length - 3}` : ''), 40) : '-',
    r.eventTime ?? '-',
    r.error !== null ? `FAILED: ${r.error}` : r.warnings.length ? `ok, ${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''}` : 'ok',
  ]);
  const header = ['FILE', 'FORMAT', 'CATEGORY', 'SOURCE IPS', 'EVENT TIME', 'RESULT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export interface ImportResult {
  file: string;
  reportId: string | null;
  duplicate: boolean;
  submissionCount: number | null;
  error: string | null;
}

export interface ImportSummary {
  files: number;
  stored: number;
  duplicates: number;
  failed: number;
}

export interface ImportDeps {
  db: Db;
  temporal: Client | (() => Promise<Client>);
  /** Task queue of the intake workflow (default TEMPORAL_TASK_QUEUE). */
  taskQueue?: string;
  /** Larger files are not stored (default REPORT_MAX_BYTES, the API's limit). */
  maxBytes?: number;
}

/** Stores every file below a folder as a report (channel 'cli'): one JSON line per file, then the summary. */
export async function importFiles(target: string, write: (line: string) => void, deps: ImportDeps): Promise<ImportSummary> {
  const { files, unreadable } = await listFiles(target);
  const maxBytes = deps.maxBytes ?? config().REPORT_MAX_BYTES;
  const results: ImportResult[] = [];
  const report = (r: ImportResult) => {
    results.push(r);
    write(JSON.stringify(r));
  };
  const notStored = (file: string, error: string): ImportResult => ({ file, reportId: null, duplicate: false, submissionCount: null, error });
  for (const u of unreadable) report(notStored(u.file, u.error ?? 'cannot read'));
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      report(notStored(file, `cannot read: ${errorText(err)}`));
      continue;
    }
    if (bytes.byteLength === 0) {
      report(notStored(file, 'the file is empty'));
      continue;
    }
    if (bytes.byteLength > maxBytes) {
      report(notStored(file, `the file is ${bytes.byteLength} bytes, more than the ${maxBytes} accepted (REPORT_MAX_BYTES)`));
      continue;
    }
    try {
      const stored = await storeReport(
        deps.db,
        deps.temporal,
        { raw: bytes, channel: 'cli', contentType: 'application/octet-stream', filename: path.basename(file) },
        { taskQueue: deps.taskQueue, actor: { type: 'cli', id: os.userInfo().username } },
      );
      report({ file, reportId: stored.reportId, duplicate: stored.duplicate, submissionCount: stored.submissionCount, error: null });
    } catch (err) {
      // A stored report whose workflow did not start still has an id: importing again queues it.
      const reportId = (err as { reportId?: string }).reportId ?? null;
      report({ ...notStored(file, err instanceof Error ? err.message : String(err)), reportId });
    }
  }
  const failed = results.filter((r) => r.error !== null).length;
  const duplicates = results.filter((r) => r.error === null && r.duplicate).length;
  const summary = { files: results.length, stored: results.length - failed - duplicates, duplicates, failed };
  write(`${summary.files} files, ${summary.stored} stored, ${summary.duplicates} duplicates, ${summary.failed} failed`);
  return summary;
}

export function registerReportsCommands(program: Command): void {
  const reports = program.command('reports').description('abuse reports');
  reports
    .command('parse')
    .description('parse report files (X-ARF v4/v3/0.2, ARF, free text) without storing them; folders are read recursively')
    .argument('<paths...>', 'files or folders')
    .option('--json', 'one JSON object per file instead of a table')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      // Exit code 0 even when files fail: failing files are the command's normal output.
      await parseFiles(paths, (line) => console.log(line), { json: Boolean(opts.json) });
    });  reports
    .command('import')
    .description('store every report file below a folder and send each through intake (parse, attribute, route to its case)')
    .argument('<folder>', 'a folder (read recursively) or one file')
    .action(async (folder: string) => {
      const database = defaultDb();
      try {
        const summary = await importFiles(folder, (line) => console.log(line), { db: database, temporal: getTemporalClient });
        // Unlike parse, a file that could not be stored is lost to intake: say so in the exit code.
        if (summary.failed > 0) process.exitCode = 1;
      } finally {
        await database.$disconnect();
        await (await getTemporalClient().catch(() => undefined))?.connection.close();
      }
    });
}
