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

export function mailTransport(): Transporter {
  return (globalForMail.safeguardMail ??= nodemailer.createTransport(required('SMTP_URL')));
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
