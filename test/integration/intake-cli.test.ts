// `safeguard reports import <folder>`: every file is stored through the same door as the API, one JSON line each,
// then `N files, S stored, D duplicates, F failed`; a second import of the same folder only counts.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles, type ImportResult } from '../../cli/reports';
import { startMailCatcher, type MailCatcher } from '../../dev/mailcatcher';
import { createDb, type Db } from '../../lib/db';
import { log } from '../../lib/log';
import { seed } from '../../prisma/seed';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestWorker, type TestWorker } from '../support/worker';

const fixtures = path.join(import.meta.dirname, '../fixtures/reports');

let dir: string;
let database: TestDatabase;
let db: Db;
let catcher: MailCatcher;
let mailer: Transporter;
let tw: TestWorker;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'safeguard-import-'));
  mkdirSync(path.join(dir, 'reports', 'mail'), { recursive: true });
  const reports = path.join(dir, 'reports');
  copyFileSync(path.join(fixtures, 'xarf-v4/login-attack.json'), path.join(reports, 'a-login.json'));
  copyFileSync(path.join(fixtures, 'arf/abuse-complete.eml'), path.join(reports, 'mail', 'arf.eml'));
  // The same bytes under another name: stored once, counted twice.
  copyFileSync(path.join(fixtures, 'arf/abuse-complete.eml'), path.join(reports, 'mail', 'arf2.eml'));
  writeFileSync(path.join(reports, 'b-broken.json'), '{"xarf_version": ');
  writeFileSync(path.join(reports, 'c-empty.txt'), '');
  writeFileSync(path.join(reports, 'd-huge.txt'), 'x'.repeat(5000));
  database = await createTestDatabase();
  db = createDb(database.url);
  await seed(db, { log: log.child({}, { level: 'warn' }) });
  catcher = await startMailCatcher({ dataDir: dir, smtpPort: 0, httpPort: 0, log: log.child({ component: 'mail' }, { level: 'warn' }) });
  mailer = nodemailer.createTransport(catcher.smtpUrl);
  tw = await startTestWorker({ db, mailer });
});

afterAll(async () => {
  await tw?.close();
  mailer?.close();
  await catcher?.stop();
  await db?.$disconnect();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function runImport() {
  const lines: string[] = [];
  const summary = await importFiles(path.join(dir, 'reports'), (l) => lines.push(l), { db, temporal: tw.client, taskQueue: tw.taskQueue, maxBytes: 4096 });
  const results = lines.slice(0, -1).map((l) => JSON.parse(l) as ImportResult);
  const byName = Object.fromEntries(results.map((r) => [path.relative(path.join(dir, 'reports'), r.file), r]));
  return { summary, lines, byName };
}

describe('safeguard reports import', () => {
  it('stores each file, one line per file, and a summary last', async () => {
    const { summary, lines, byName } = await runImport();
    expect(summary).toEqual({ files: 6, stored: 3, duplicates: 1, failed: 2 });
    expect(lines.at(-1)).toBe('6 files, 3 stored, 1 duplicates, 2 failed');
    expect(byName['c-empty.txt']).toMatchObject({ reportId: null, error: 'the file is empty' });
    expect(byName['d-huge.txt']?.error).toMatch(/5000 bytes, more than the 4096/);
    expect(byName['mail/arf2.eml']).toMatchObject({ duplicate: true, submissionCount: 2, reportId: byName['mail/arf.eml']?.reportId });

    // The extension tells the parser what the file is; a broken file is kept and fails to parse.
    const outcomes = await Promise.all(
      ['a-login.json', 'mail/arf.eml', 'b-broken.json'].map((name) => db.abuseReport.findUniqueOrThrow({ where: { id: byName[name]!.reportId! } })),
    );
    expect(outcomes.map((r) => [r.channel, r.contentType, r.parseStatus, r.format])).toEqual([
      ['cli', 'application/json', 'parsed', 'xarf-v4'],
      ['cli', 'message/rfc822', 'parsed', 'arf'],
      ['cli', 'application/json', 'failed', null],
    ]);
  });

  it('a second import of the same folder stores nothing new', async () => {
    const before = await db.abuseReport.count();
    const { summary } = await runImport();
    expect(summary).toEqual({ files: 6, stored: 0, duplicates: 4, failed: 2 });
    expect(await db.abuseReport.count()).toBe(before);
  });

  it('a folder that does not exist is an error before anything is stored', async () => {
    await expect(importFiles(path.join(dir, 'nope'), () => undefined, { db, temporal: tw.client })).rejects.toThrow(/no such file or folder/);
  });
});
