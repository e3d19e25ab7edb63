// Sending notices. Each send carries an idempotency key: a retried activity never sends a second copy.
import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import type { Db } from '../lib/db';
import { sendMail } from '../lib/mail';

export interface NotificationInput {
  idempotencyKey: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  caseId?: string;
}

export interface NotificationResult {
  notificationId: string;
  messageId: string;
  /** False when an earlier attempt had already sent it. */
  sentNow: boolean;
}

/** A Message-ID derived from the key, so even a send repeated after a crash is recognisably the same message. */
export function messageIdFor(idempotencyKey: string): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@safeguard>`;
}

export function createMailActivities({ db, mailer }: { db: Db; mailer: Transporter }) {
  return {
    async sendNotification(input: NotificationInput): Promise<NotificationResult> {
      const row = await db.notification.upsert({
        where: { idempotencyKey: input.idempotencyKey },
        create: {
          idempotencyKey: input.idempotencyKey,
          kind: input.kind,
          toAddress: input.to,
          subject: input.subject,
          caseId: input.caseId,
        },
        // A no-op update (not `{}`) lets Prisma make this one INSERT … ON CONFLICT instead of a transaction of three.
        update: { idempotencyKey: input.idempotencyKey },
      });
      if (row.status === 'sent' && row.messageId) {
        return { notificationId: row.id, messageId: row.messageId, sentNow: false };
      }
      try {
        const messageId = await sendMail(
          { to: input.to, subject: input.subject, text: input.text, html: input.html, messageId: messageIdFor(input.idempotencyKey) },
          mailer,
        );
        await db.notification.update({ where: { id: row.id }, data: { status: 'sent', messageId, sentAt: new Date(), error: null } });
        return { notificationId: row.id, messageId, sentNow: true };
      } catch (err) {
        await db.notification.update({ where: { id: row.id }, data: { status: 'failed', error: String(err) } });
        throw err;
      }
    },
  };
}
