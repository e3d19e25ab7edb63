// The embedded mail catcher: real SMTP in through nodemailer, read back through lib/mailbox.ts (the Mailpit API shape).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '../../dev/mailcatcher';
import { createMailbox, type Mailbox } from '../../lib/mailbox';
import { sendMail } from '../../lib/mail';

const MAX_BYTES = 256 * 1024;

let dataDir: string;
let catcher: MailCatcher;
let mailbox: Mailbox;
let transport: Transporter;

async function start(): Promise<void> {
  catcher = await startMailCatcher({ dataDir, smtpPort: 0, httpPort: 0, maxMessageBytes: MAX_BYTES });
  mailbox = createMailbox(catcher.apiUrl);
  transport = nodemailer.createTransport(catcher.smtpUrl);
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-mail-'));
  await start();
});

afterAll(async () => {
  transport?.close();
  await catcher?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('mail catcher', () => {
  it('keeps a message sent over SMTP and serves it in the Mailpit shape', async () => {
    const messageId = await sendMail(
      {
        to: 'Security Team <security@tenant-a.example.com>',
        subject: 'Abuse report for 192.0.2.10',
        text: 'We received a report about 192.0.2.10.\n\nPlease reply within 48 hours.',
        html: '<p>We received a report about <b>192.0.2.10</b>.</p>',
      },
      transport,
    );
    await transport.sendMail({
      from: 'Safeguard <abuse@safeguard.localhost>',
      to: 'owner@tenant-b.example.com',
      cc: 'Deputy <deputy@tenant-b.example.com>',
      bcc: 'audit@safeguard.localhost',
      subject: 'Second notice',
      text: 'x'.repeat(400),
      attachments: [{ filename: 'evidence.txt', content: 'line 1\nline 2\n', contentType: 'text/plain' }],
    });

    const page = await mailbox.listMessages();
    expect(page.total).toBe(2);
    expect(page.unread).toBe(2);
    expect(page.messages.map((m) => m.Subject)).toEqual(['Second notice', 'Abuse report for 192.0.2.10']); // newest first

    const [second, first] = page.messages as [(typeof page.messages)[0], (typeof page.messages)[0]];
    expect(first.MessageID).toBe(messageId.replace(/^<|>$/g, ''));
    expect(first.From).toEqual({ Name: 'Safeguard Abuse Desk', Address: 'abuse@safeguard.localhost' });
    expect(first.To).toEqual([{ Name: 'Security Team', Address: 'security@tenant-a.example.com' }]);
    expect(first.Snippet).toBe('We received a report about 192.0.2.10. Please reply within 48 hours.');
    expect(first.ID).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(Number.isNaN(Date.parse(first.Created))).toBe(false);
    expect(second.Attachments).toBe(1);
    expect(second.Cc).toEqual([{ Name: 'Deputy', Address: 'deputy@tenant-b.example.com' }]);
    expect(second.Bcc).toEqual([{ Name: '', Address: 'audit@safeguard.localhost' }]); // only in the SMTP envelope
    expect(second.Snippet).toBe(`${'x'.repeat(250)}...`);

    const full = await mailbox.getMessage(second.ID);
    expect(full.Text.trim()).toBe('x'.repeat(400));
    expect(full.ReturnPath).toBe('abuse@safeguard.localhost');
    expect(full.Attachments).toEqual([expect.objectContaining({ FileName: 'evidence.txt', ContentType: 'text/plain', Size: 14 })]);
    expect(full.Size).toBe(second.Size);
    const html = await mailbox.getMessage(first.ID);
    expect(html.HTML).toContain('<b>192.0.2.10</b>');

    const raw = await mailbox.getRawMessage(first.ID);
    expect(raw).toMatch(/^Subject: Abuse report for 192\.0\.2\.10\r?$/m);
    expect(Buffer.byteLength(raw)).toBe(first.Size);

    const part = await fetch(`${catcher.apiUrl}/api/v1/message/${second.ID}/part/${full.Attachments[0]!.PartID}`);
    expect(await part.text()).toBe('line 1\nline 2\n');

    expect((await mailbox.listMessages()).unread).toBe(0); // reading marks read, as in Mailpit
  });

  it('still has every message after a restart', async () => {
    const before = await mailbox.listMessages();
    transport.close();
    await catcher.stop();
    await start();
    const after = await mailbox.listMessages();
    expect(after.messages.map((m) => [m.ID, m.Subject, m.Read])).toEqual(before.messages.map((m) => [m.ID, m.Subject, m.Read]));
    expect(await mailbox.getRawMessage(after.messages[0]!.ID)).toContain('Second notice');
  });

  it('finds a message by polling, and says what it saw when none matches', async () => {
    const waiting = mailbox.waitForMessage((m) => m.Subject === 'Late arrival', { timeoutMs: 5_000, intervalMs: 50 });
    setTimeout(() => void transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'Late arrival', text: 'hi' }), 300);
    expect((await waiting).Subject).toBe('Late arrival');

    await expect(mailbox.waitForMessage((m) => m.Subject === 'never sent', { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(
      /No matching message after 300 ms; newest of 3: "Late arrival" to b@example.com/,
    );
  });

  it('refuses a message over the size limit with SMTP 552 and stores nothing', async () => {
    const before = (await mailbox.listMessages()).total;
    const error = await transport
      .sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'too big', text: 'y'.repeat(MAX_BYTES + 1024) })
      .then(
        () => undefined,
        (err: unknown) => err as { responseCode?: number; response?: string },
      );
    expect(error?.responseCode).toBe(552);
    expect(error?.response).toMatch(/maximum message size/);
    expect((await mailbox.listMessages()).total).toBe(before);
  });

  it('answers bad requests clearly', async () => {
    await expect(mailbox.getMessage('AAAAAAAAAAAAAAAAAAAAAA')).rejects.toThrow(/404: Message not found/);
    const bad = await fetch(`${catcher.apiUrl}/api/v1/messages?limit=-1`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/limit must be an integer/);
    expect((await fetch(`${catcher.apiUrl}/livez`)).status).toBe(200);
  });

  it('deletes everything, on disk too', async () => {
    await mailbox.deleteAll();
    expect((await mailbox.listMessages()).total).toBe(0);
    expect(fs.readdirSync(path.join(dataDir, 'mail'))).toEqual([]);
  });
});
