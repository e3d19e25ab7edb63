// The public report form for reporters without an API key. A submission is stored verbatim at once (as an X-ARF v4
// document per source address) but held: intake starts only when the reporter follows the emailed link and confirms.
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createMailActivities } from '../../../activities/mail';
import { XARF_V4_CATEGORY_MAP } from '../../../domain/reports/categories';
import type { CaseCategory } from '../../../domain/cases';
import { categoryLabel } from '../../../domain/notices';
import { createAccessLink, verifyAccessLink, type AccessLinkErrorCode } from '../../../lib/access-links';
import { appendAudit } from '../../../lib/audit';
import { db } from '../../../lib/db';
import { childLogger } from '../../../lib/log';
import { mailTransport } from '../../../lib/mail';
import { getTemporalClient } from '../../../lib/temporal';
import { publicReportInput } from '../case-inputs';
import { storeReport } from '../../../lib/intake';
import { processReport } from '../../../lib/intake-pipeline';
import { config } from '../../../lib/config';
import { AttemptLimiter, enforceLimits } from '../rate-limit';
import { publicProcedure, router } from '../trpc';

const log = childLogger('public-report');

export const REPORT_CONFIRMATION = 'report_confirmation';
export const CONFIRMATION_TTL_MS = 7 * 24 * 3600_000;
const HOUR = 3600_000;
// A person files a few reports an hour; more from one address (or to one mailbox) is a script or a mail bomb.
const perClient = new AttemptLimiter({ name: 'report:client', max: 5, windowMs: HOUR, db });
const perEmail = new AttemptLimiter({ name: 'report:email', max: 5, windowMs: HOUR, db });

/** The X-ARF v4 category/type for each of ours: the first pair that maps to it. */
const XARF_FOR: Partial<Record<CaseCategory, { category: string; type: string }>> = {};
for (const [category, types] of Object.entries(XARF_V4_CATEGORY_MAP)) {
  for (const [type, ours] of Object.entries(types)) XARF_FOR[ours as CaseCategory] ??= { category, type };
}

// Deterministic, so the same submission twice hashes the same and is counted rather than stored again.
const uuidFrom = (text: string) => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** One X-ARF v4 document per source: the format names a single source_identifier. */
export function webFormDocuments(form: z.output<typeof publicReportInput>): string[] {
  const xarf = XARF_FOR[form.category]!;
  const domain = form.email.split('@')[1]!.toLowerCase();
  return form.sourceIps.map((source) => {
    const base = { source, category: form.category, eventTime: form.eventTime, email: form.email, description: form.description };
    const contact = { org: `Web form reporter (${domain})`, contact: form.email, domain };
    const doc = {
      xarf_version: '4.0.0',
      report_id: uuidFrom(JSON.stringify(base)),
      timestamp: new Date(form.eventTime).toISOString(),
      reporter: contact,
      sender: contact,
      source_identifier: source,
      category: xarf.category,
      type: xarf.type,
      evidence_source: 'user_report',
      description: form.description,
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  });
}

/** Stores the bytes without starting intake (an identical submission is counted); audited like every report. */
// Stored like every report (verbatim, hashed, audited) but held: intake starts when the reporter confirms.
async function holdReport(raw: Uint8Array, reporterEmail: string, ip: string | undefined): Promise<{ id: string; confirmed: boolean }> {
  const stored = await storeReport(
    db(),
    getTemporalClient,
    { raw, channel: 'web_form', contentType: 'application/json', reporterEmail },
    { hold: true, actor: { type: 'web_form', id: ip ?? 'unknown' } },
  );
  const row = await db().abuseReport.findUniqueOrThrow({ where: { id: stored.reportId }, select: { confirmedAt: true } });
  return { id: stored.reportId, confirmed: row.confirmedAt !== null };
}

function confirmationEmail(url: string, category: string, count: number) {
  return {
    subject: 'Confirm your abuse report',
    text: [
      `We received your report about ${categoryLabel(category)}${count > 1 ? ` (${count} addresses)` : ''}.`,
      '',
      'Before we act on it, please confirm that you sent it by opening this link:',
      url,
      '',
      `The link works once and expires in ${CONFIRMATION_TTL_MS / (24 * HOUR)} days. If you did not send a report, ignore this email.`,
    ].join('\n'),
  };
}

/** A confirmation link's state without spending it, so the page offers the button only for a link that still works. */
export async function confirmationStatus(token: string): Promise<{ ok: true; reports: number } | { ok: false; reason: AccessLinkErrorCode; message: string }> {
  const verdict = await verifyAccessLink(token, { purpose: REPORT_CONFIRMATION }, db());
  if (!verdict.ok) return { ok: false, reason: verdict.error, message: verdict.message };
  return { ok: true, reports: verdict.link.subjectId.split(',').length };
}

const tokenInput = z.object({ token: z.string().min(1, 'The link is not complete.').max(200, 'This link is not valid.') });

export const publicReportRouter = router({
  submit: publicProcedure.input(publicReportInput).mutation(async ({ ctx, input }) => {
    await enforceLimits([[perClient, ctx.ip ?? '-'], [perEmail, input.email.toLowerCase()]], {
      tooMany: (wait) => `Too many reports from here. Try again in ${Math.ceil(wait / 60)} minutes.`,
      unavailable: 'Reports cannot be accepted right now. Try again in a few minutes.',
    });
    const held = [];
    for (const doc of webFormDocuments(input)) held.push(await holdReport(new TextEncoder().encode(doc), input.email, ctx.ip));
    const waiting = held.filter((h) => !h.confirmed);
    if (waiting.length > 0) {
      const link = await createAccessLink(
        { purpose: REPORT_CONFIRMATION, subjectId: waiting.map((h) => h.id).join(','), email: input.email, ttlMs: CONFIRMATION_TTL_MS, path: '/report/confirm?token=' },
        db(),
      );
      const { sendNotification } = createMailActivities({ db: db(), mailer: mailTransport() });
      await sendNotification({ idempotencyKey: `report_confirmation:${link.id}`, kind: REPORT_CONFIRMATION, to: input.email, ...confirmationEmail(link.url!, input.category, waiting.length) });
    }
    // The same answer whether or not the report was new: the page says to check the mailbox either way.
    return { ok: true as const, reports: held.length };
  }),

  /** Whether a confirmation link can still be used (unknown, used, expired or withdrawn otherwise); does not spend it. */
  status: publicProcedure.input(tokenInput).query(async ({ ctx, input }) => {
    ctx.resHeaders.set('Referrer-Policy', 'no-referrer');
    return confirmationStatus(input.token);
  }),

  /** Confirms the reporter's address and hands the held reports to intake. */
  confirm: publicProcedure.input(tokenInput).mutation(async ({ ctx, input }) => {
    ctx.resHeaders.set('Referrer-Policy', 'no-referrer');
    const verdict = await verifyAccessLink(input.token, { purpose: REPORT_CONFIRMATION }, db());
    if (!verdict.ok) {
      throw new TRPCError({ code: verdict.error === 'unknown' ? 'NOT_FOUND' : 'BAD_REQUEST', message: verdict.message, cause: new Error(verdict.error) });
    }
    const ids = verdict.link.subjectId.split(',');
    await db().abuseReport.updateMany({ where: { id: { in: ids }, confirmedAt: null }, data: { confirmedAt: new Date() } });
    // Confirmed reports are the sweeper's to finish should this fail, so the link may be spent either way.
    try {
      const temporal = await getTemporalClient();
      for (const id of ids) await processReport(db(), temporal, id, { taskQueue: config().TEMPORAL_TASK_QUEUE, actor: { type: 'reporter', id: verdict.link.email ?? 'unknown' } });
    } catch (err) {
      log.warn({ err, reports: ids }, 'confirmed web-form reports queued for the intake sweeper');
    }
    const consumed = await verifyAccessLink(input.token, { purpose: REPORT_CONFIRMATION, consume: true }, db());
    if (consumed.ok) {
      await appendAudit(db(), {
        actorType: 'reporter',
        actorId: verdict.link.email ?? 'unknown',
        action: 'report.confirmed',
        subjectType: 'report',
        subjectId: ids[0]!,
        data: { reportIds: ids },
      });
    }
    return { ok: true as const, reports: ids.length };
  }),
});
