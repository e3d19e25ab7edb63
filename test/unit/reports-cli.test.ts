import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingPathError, parseFiles, registerReportsCommands, type FileResult } from '../../cli/reports';

const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
const parseOptions = { schemaDirs: { xarfV4: null, xarf02: null } };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'safeguard-reports-'));
  mkdirSync(path.join(dir, 'b-mail'));
  copyFileSync(path.join(fixtures, 'xarf-v4/login-attack.json'), path.join(dir, 'a-login.json'));
  copyFileSync(path.join(fixtures, 'arf/abuse-complete.eml'), path.join(dir, 'b-mail', 'arf.eml'));
  copyFileSync(path.join(fixtures, 'free-text/no-category.txt'), path.join(dir, 'b-mail', 'nothing.txt'));
  writeFileSync(path.join(dir, 'c-broken.json'), '{"xarf_version": ');
  symlinkSync(path.join(dir, 'does-not-exist'), path.join(dir, 'd-dangling'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safeguard reports parse', () => {
  it('prints one JSON line per file, folders recursively in name order, then the summary', async () => {
    const lines: string[] = [];
    const summary = await parseFiles([dir], (l) => lines.push(l), { json: true, parseOptions });
    expect(summary).toEqual({ files: 5, parsed: 2, failed: 3 });
    expect(lines.at(-1)).toBe('5 files, 2 parsed, 3 failed');
    const results = lines.slice(0, -1).map((l) => JSON.parse(l) as FileResult);
    expect(results.map((r) => path.relative(dir, r.file))).toEqual(['a-login.json', 'b-mail/arf.eml', 'b-mail/nothing.txt', 'c-broken.json', 'd-dangling']);
    expect(results[0]).toEqual({
      file: path.join(dir, 'a-login.json'),
      format: 'xarf-v4',
      category: 'hacking_login_attack',
      sourceIps: ['93.184.216.34'],
      eventTime: '2026-03-02T08:15:00.000Z',
      warnings: [],
      error: null,
    });
    expect(results[1]).toMatchObject({ format: 'arf', category: 'spam', sourceIps: ['93.184.216.34'], eventTime: '2026-03-04T05:12:09.000Z', error: null });
    expect(results[2]).toMatchObject({ format: 'free-text', category: null, sourceIps: [], eventTime: null });
    expect(results[3]!.error).toMatch(/^malformed JSON/);
    expect(results[4]).toEqual({ file: path.join(dir, 'd-dangling'), format: null, category: null, sourceIps: [], eventTime: null, warnings: [], error: 'cannot read: ENOENT' });
  });

  it('prints an aligned table without --json, with the same summary', async () => {
    const lines: string[] = [];
    await parseFiles([path.join(dir, 'b-mail')], (l) => lines.push(l), { json: false, parseOptions });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^FILE\s+FORMAT\s+CATEGORY\s+SOURCE IPS\s+EVENT TIME\s+RESULT$/);
    const resultColumn = lines[0]!.indexOf('RESULT');
    expect(lines[1]!.indexOf('ok, 1 warning')).toBe(resultColumn);
    expect(lines[2]!.indexOf('FAILED: free text')).toBe(resultColumn);
    expect(lines[1]).toContain('93.184.216.34');
    expect(lines[3]).toBe('2 files, 1 parsed, 1 failed');
  });

  it('fails only when a path does not exist', async () => {
    await expect(parseFiles([path.join(dir, 'missing')], () => {}, { json: true, parseOptions })).rejects.toBeInstanceOf(MissingPathError);
  });

  it('registers `reports parse` on a program', async () => {
    const program = new Command().exitOverride();
    registerReportsCommands(program);
    const out: string[] = [];
    const log = console.log;
    console.log = (line: string) => out.push(line);
    try {
      await program.parseAsync(['node', 'safeguard', 'reports', 'parse', '--json', path.join(dir, 'a-login.json')]);
    } finally {
      console.log = log;
    }
    expect(out.at(-1)).toBe('1 files, 1 parsed, 0 failed');
    expect(JSON.parse(out[0]!)).toMatchObject({ category: 'hacking_login_attack' });
  });
});
