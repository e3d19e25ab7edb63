// Sending notices. Each send carries an idempotency key: a retried activity never sends a second copy.
import { createHash, randomUUID } from 'node:crypto';
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
      // Claim the key (or find the earlier claim) in one statement; raw SQL, as it runs for every email sent.
      const [row] = await db.$queryRaw<{ id: string; status: string; messageId: string | null }[]>`
        INSERT INTO "Notification" (id, "idempotencyKey", kind, "toAddress", subject, "caseId", "createdAt")
        VALUES (${randomUUID()}::uuid, ${input.idempotencyKey}, ${input.kind}, ${input.to}, ${input.subject}, ${input.caseId ?? null}::uuid, ${new Date()})
        ON CONFLICT ("idempotencyKey") DO UPDATE SET "idempotencyKey" = EXCLUDED."idempotencyKey"
        RETURNING id::text AS id, status::text AS status, "messageId"`;
      if (!row) throw new Error(`could not record notification ${input.idempotencyKey}`);
      if (row.status === 'sent' && row.messageId) {
        return { notificationId: row.id, messageId: row.messageId, sentNow: false };
      }
      try {
        const messageId = await sendMail(
          { to: input.to, subject: input.subject, text: input.text, html: input.html, messageId: messageIdFor(input.idempotencyKey) },
          mailer,
        );
        await db.$executeRaw`UPDATE "Notification" SET status = 'sent', "messageId" = ${messageId}, "sentAt" = ${new Date()}, error = NULL WHERE id = ${row.id}::uuid`;
        return { notificationId: row.id, messageId, sentNow: true };
      } catch (err) {
        await db.$executeRaw`UPDATE "Notification" SET status = 'failed', error = ${String(err)} WHERE id = ${row.id}::uuid`;
        throw err;
      }
    },
  };
}
