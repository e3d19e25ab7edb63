// Outgoing mail reuses SMTP connections: the worker sends a notice per new case, and a connection with its greeting
// and EHLO per message was a third of the worker's CPU per case (`npm run bench:intake`).
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledSmtpUrl, sendMail } from '../../lib/mail';

let server: SMTPServer;
let url: string;
let connections = 0;
const received: string[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('outgoing mail', () => {
  it('pools connections unless SMTP_URL says otherwise, keeping its other settings', () => {
    const pooled = new URL(pooledSmtpUrl('smtp://user:secret@relay.example:2525/?secure=false'));
    expect(Object.fromEntries(pooled.searchParams)).toEqual({ secure: 'false', pool: 'true', maxConnections: '4', socketTimeout: '60000' });
    expect(pooled.username).toBe('user');
    expect(pooled.password).toBe('secret');
    expect(new URL(pooledSmtpUrl('smtp://relay.example/?pool=false&maxConnections=1')).searchParams.get('pool')).toBe('false');
  });

  it('sends many messages over a few connections, each message whole', async () => {
    const transport = nodemailer.createTransport(pooledSmtpUrl(url));
    try {
      connections = 0;
      received.length = 0;
      const to = Array.from({ length: 30 }, (_, i) => `tenant-${i}@tenant.example`);
      // Sequential sends reuse one connection; concurrent ones open at most maxConnections.
      for (const address of to.slice(0, 10)) await sendMail({ to: address, subject: 'Abuse notice', text: 'body' }, transport);
      expect(connections).toBe(1);
      await Promise.all(to.slice(10).map((address) => sendMail({ to: address, subject: 'Abuse notice', text: 'body' }, transport)));
      expect(connections).toBeLessThanOrEqual(4);
      expect(received.sort()).toEqual([...to].sort());
    } finally {
      transport.close();
    }
  });
});
