// The SMTP intake listener: abuse reports mailed to the desk (ARF, X-ARF, free text) become AbuseReport rows
// through the same storeReport as the HTTP API. Oversized mail is refused with 552; a storage failure with 451, so
// the sending server tries again later and nothing is lost.
import type net from 'node:net';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { config } from '../lib/config';
import type { Db } from '../lib/db';
import { storeReport } from '../lib/intake';
import { childLogger } from '../lib/log';

export interface IntakeSmtpOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  db: Db;
  temporal: Client | (() => Promise<Client>);
  /** Task queue of the intake workflow (default TEMPORAL_TASK_QUEUE). */
  taskQueue?: string;
  /** Largest message accepted (default REPORT_MAX_BYTES). */
  maxBytes?: number;
  log?: Logger;
}

export interface IntakeSmtp {
  port: number;
  host: string;
  /** smtp://host:port */
  url: string;
  stop(): Promise<void>;
}

class SmtpReply extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
  }
}

type DataCallback = (err?: Error | null, message?: string) => void;

export async function startIntakeSmtp(opts: IntakeSmtpOptions): Promise<IntakeSmtp> {
  const log = opts.log ?? childLogger('smtp-intake');
  const host = opts.host ?? '127.0.0.1';
  const maxBytes = opts.maxBytes ?? config().REPORT_MAX_BYTES;

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, callback: DataCallback) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is only counted: the message is refused at the end of DATA.
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.on('error', (err) => callback(err));
    stream.on('end', () => {
      if (stream.sizeExceeded || size > maxBytes) {
        log.warn({ size, maxBytes }, 'refused an oversized report');
        callback(new SmtpReply(`Message exceeds fixed maximum message size of ${maxBytes} bytes`, 552));
        return;
      }
      const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      storeReport(
        opts.db,
        opts.temporal,
        { raw: Buffer.concat(chunks), channel: 'mail', contentType: 'message/rfc822', reporterEmail: mailFrom || undefined },
        { taskQueue: opts.taskQueue, actor: { type: 'smtp', id: mailFrom || '<>' } },
      ).then(
        (stored) => {
          log.info({ reportId: stored.reportId, duplicate: stored.duplicate, from: mailFrom, size }, 'report received by mail');
          callback(null, `Report ${stored.reportId} ${stored.duplicate ? 'already received; counted again' : 'accepted'}`);
        },
        (err: unknown) => {
          log.error({ err }, 'could not store a mailed report');
          callback(new SmtpReply('Local error in processing: the report could not be stored, try again later', 451));
        },
      );
    });
  };

  const server = new SMTPServer({
    name: 'safeguard-intake',
    banner: 'Safeguard abuse report intake',
    size: maxBytes,
    // Reports come from anyone; no mailbox logins here. TLS belongs to the MTA in front of this in production.
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 2_000,
    onData,
  });
  server.on('error', (err) => log.warn({ err }, 'SMTP intake connection error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${opts.port} on ${host} is in use, so the SMTP intake cannot listen there; set INTAKE_SMTP_PORT`) : err),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  log.info({ host, port }, 'SMTP intake listening');
  return {
    port,
    host,
    url: `smtp://${host}:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
