// The one mail module: nodemailer over SMTP_URL (the embedded catcher by default).
import nodemailer, { type Transporter } from 'nodemailer';
import { config, required } from './config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** A stable Message-ID lets receivers drop a duplicate if a retried send ever repeats. */
  messageId?: string;
  headers?: Record<string, string>;
}

const globalForMail = globalThis as unknown as { safeguardMail?: Transporter };

/**
 * SMTP_URL with connection pooling on unless the URL says otherwise (`?pool=false`): a few connections are kept open
 * and reused, so a notice costs MAIL FROM/RCPT TO/DATA and not a new connection, greeting and EHLO each time (about a
 * third of the worker's CPU per new case, `npm run bench:intake`). Idle connections close after a minute.
 */
export function pooledSmtpUrl(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  if (!url.searchParams.has('maxConnections')) url.searchParams.set('maxConnections', '4');
  if (!url.searchParams.has('socketTimeout')) url.searchParams.set('socketTimeout', '60000');
  return url.toString();
}

/** The process's transport; a long-lived process keeps it, a command closes it with closeMailTransport(). */
export function mailTransport(): Transporter {
  return (globalForMail.safeguardMail ??= nodemailer.createTransport(pooledSmtpUrl(required('SMTP_URL'))));
}

/** Closes the pooled connections (at shutdown); a later mailTransport() opens a new pool. */
export function closeMailTransport(): void {
  globalForMail.safeguardMail?.close();
  globalForMail.safeguardMail = undefined;
}

/** Sends one message; returns the Message-ID the SMTP server accepted. */
export async function sendMail(mail: OutgoingMail, transport: Transporter = mailTransport()): Promise<string> {
  const info = await transport.sendMail({
    from: config().MAIL_FROM,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    headers: mail.headers,
  });
  return info.messageId;
}
