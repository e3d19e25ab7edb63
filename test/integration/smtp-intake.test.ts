// The SMTP intake listener: an ARF mail sent with nodemailer becomes a stored, parsed and attributed report;
// a mail over the size limit is refused with 552 and leaves nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailCatcher } from '../../dev/mailcatcher';
import type { Db } from '../../lib/db';
import { log } from '../../lib/log';
import { startIntakeSmtp, type IntakeSmtp } from '../../intake/smtp';
import { intakeStateOf } from '../../lib/intake';
import { seed } from '../../prisma/seed';
import type { TestDatabase } from '../support/database';
import type { TestWorker } from '../support/worker';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

const MAX = 8 * 1024;

let system: WorkerSystem;
let database: TestDatabase;
let db: Db;
let catcher: MailCatcher;
let mailer: Transporter;
let tw: TestWorker;
let intake: IntakeSmtp;
let sender: Transporter;

beforeAll(async () => {
  system = await startWorkerSystem('smtp-intake', { seed: true });
  ({ database, db, catcher, mailer, tw } = system);
  intake = await startIntakeSmtp({ port: 0, db, temporal: tw.client, taskQueue: tw.taskQueue, maxBytes: MAX, log: log.child({}, { level: 'warn' }) });
  sender = nodemailer.createTransport({ host: intake.host, port: intake.port, secure: false, ignoreTLS: true });
});

afterAll(async () => {
  sender?.close();
  await intake?.stop();
  await system?.close();
});

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/reports', name), 'utf8');

/** Sends a raw mail to the intake and returns the report id from the server's answer. */
async function send(raw: string, from = 'fbl@mailbox-provider.example'): Promise<{ reportId: string; response: string }> {
  const info = await sender.sendMail({ envelope: { from, to: ['abuse@safeguard.example'] }, raw });
  const response = String(info.response);
  const reportId = /Report ([0-9a-f-]{36})/.exec(response)?.[1];
  if (!reportId) throw new Error(`no report id in the SMTP answer: ${response}`);
  return { reportId, response };
}

/** The row and its intake outcome: intake has run by the time the report is acknowledged. */
async function processed(reportId: string) {
  const row = await db.abuseReport.findUniqueOrThrow({ where: { id: reportId } });
  return { outcome: intakeStateOf(row), row };
}


describe('SMTP intake', () => {
  it('stores an ARF mail with the envelope sender, parses and attributes it', async () => {
    const raw = fixture('arf/abuse-complete.eml').replaceAll('93.184.216.34', '192.0.2.15');
    const { reportId, response } = await send(raw);
    expect(response).toMatch(/^250 .*accepted/);
    const { outcome, row } = await processed(reportId);
    expect(row).toMatchObject({
      channel: 'mail',
      contentType: 'message/rfc822',
      reporterEmail: 'fbl@mailbox-provider.example',
      parseStatus: 'parsed',
      format: 'arf',
      category: 'spam',
      sourceIps: ['192.0.2.15'],
      attribution: 'attributed',
    });
    expect(row.eventTime?.toISOString()).toBe('2026-03-04T05:12:09.000Z');
    expect(outcome.outcome).toBe('routed');
    // The bytes are the message as received (SMTP dot-stuffing undone, line endings as sent on the wire).
    expect(Buffer.from(row.raw).toString()).toContain('Feedback-Type: abuse');
  });

  it('counts the same mail sent twice', async () => {
    const raw = fixture('arf/abuse-complete.eml').replaceAll('93.184.216.34', '192.0.2.16');
    const first = await send(raw);
    await processed(first.reportId);
    const again = await send(raw);
    expect(again.reportId).toBe(first.reportId);
    expect(again.response).toMatch(/counted again/);
    expect((await db.abuseReport.findUniqueOrThrow({ where: { id: first.reportId } })).submissionCount).toBe(2);
  });

  it('keeps a mail that is not a report and leaves it for the inbox', async () => {
    const { reportId } = await send('From: someone@example.org\r\nSubject: hello\r\n\r\nJust saying hello, nothing to report.\r\n');
    const { row } = await processed(reportId);
    expect(row.parseStatus === 'failed' || row.attribution === 'unattributed').toBe(true);
    expect(row.caseId).toBeNull();
  });

  it('refuses a mail over the size limit with 552 and stores nothing', async () => {
    const before = await db.abuseReport.count();
    const big = `From: big@example.org\r\nSubject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(Math.ceil((MAX * 2) / 78))}`;
    const err = await sender.sendMail({ envelope: { from: 'big@example.org', to: ['abuse@safeguard.example'] }, raw: big }).then(
      () => undefined,
      (e: Error & { responseCode?: number }) => e,
    );
    expect(err?.responseCode).toBe(552);
    expect(err?.message).toMatch(/maximum message size/);
    expect(await db.abuseReport.count()).toBe(before);
  });
});
