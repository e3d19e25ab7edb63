// The audit log for approvers and admins: filtered pages newest first (keyset on seq), the chain verifier, and the
// filters and row shapes the export route (/api/audit/export) shares, so the page and the file show the same entries.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { roleAllows, type Role } from '../../../domain/roles';
import type { Prisma } from '../../../generated/prisma/client';
import { withActors } from '../../../lib/actors';
import { verifyAuditLog } from '../../../lib/audit';
import { db } from '../../../lib/db';
import { protectedProcedure, router } from '../trpc';
import { isUuid } from '../../../domain/ids';

/** Who may read the audit log: it names every actor and subject, so analysts do not. */
export const AUDIT_ROLE: Role = 'approver';
export const auditRefusal = (role: Role) => `The audit log is open to approvers and admins; you are signed in as ${role}.`;

const auditProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!roleAllows(ctx.user.role, AUDIT_ROLE)) throw new TRPCError({ code: 'FORBIDDEN', message: auditRefusal(ctx.user.role) });
  return next();
});

export const MAX_PAGE = 200;

const text = (what: string) => z.string().trim().min(1).max(200, `${what} is longer than 200 characters.`).optional();
// Dates arrive as Date through tRPC and as ISO text in the export's query string.
const when = z.coerce.date({ error: 'Give a date and time (ISO 8601).' }).optional();

export const auditFiltersSchema = z
  .object({
    actorId: text('The actor'),
    /** A prefix: "access." finds every access entry. */
    action: text('The action'),
    subjectType: text('The subject type'),
    subjectId: text('The subject id'),
    from: when,
    to: when,
  })
  .refine((f) => !f.from || !f.to || f.from.getTime() <= f.to.getTime(), { message: 'The start of the period is after its end.', path: ['to'] });
export type AuditFilters = z.infer<typeof auditFiltersSchema>;

const seqText = z.string().regex(/^\d{1,19}$/, 'That is not an audit position.');

export const auditListSchema = z.object({
  filters: auditFiltersSchema.optional(),
  /** The seq of the last entry of the previous page; the next page starts below it. */
  cursor: seqText.optional(),
  limit: z.number().int().min(1).max(MAX_PAGE, `At most ${MAX_PAGE} entries a page.`).default(50),
});

/**
 * Every text one actor is stored under. Entries name a person by user id (access, second factor) or by email (triage,
 * forensics, the inbox), so a filter given either one finds both; anything that is not a user matches as written.
 */
export async function actorForms(actor: string): Promise<string[]> {
  const user = await db().user.findFirst({
    where: isUuid(actor) ? { id: actor.toLowerCase() } : { email: actor.toLowerCase() },
    select: { id: true, email: true },
  });
  return [...new Set([actor, ...(user ? [user.id, ...(user.email ? [user.email] : [])] : [])])];
}

/** The filters as a query; the actor as all the forms it is stored under (actorForms). */
export async function auditWhere(f: AuditFilters = {}): Promise<Prisma.AuditEventWhereInput> {
  return {
    ...(f.actorId ? { actorId: { in: await actorForms(f.actorId) } } : {}),
    ...(f.action ? { action: { startsWith: f.action } } : {}),
    ...(f.subjectType ? { subjectType: f.subjectType } : {}),
    ...(f.subjectId ? { subjectId: f.subjectId } : {}),
    ...(f.from || f.to ? { at: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } : {}),
  };
}

type AuditRow = Prisma.AuditEventGetPayload<object>;

/** An entry as the console and the export give it: positions as text (BigInt has no JSON form), the chain fields kept. */
export function auditEntryOut(e: AuditRow) {
  return {
    seq: e.seq.toString(),
    at: e.at,
    actorType: e.actorType,
    actorId: e.actorId,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    data: e.data,
    chainSeq: e.chainSeq?.toString() ?? null,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}
export type AuditEntryOut = ReturnType<typeof auditEntryOut>;

/** One page newest first; `nextCursor` is set when older entries match too. */
export async function auditPage(filters: AuditFilters | undefined, limit: number, cursor?: string) {
  const where = await auditWhere(filters);
  const rows = await db().auditEvent.findMany({
    where: cursor ? { AND: [where, { seq: { lt: BigInt(cursor) } }] } : where,
    orderBy: { seq: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return { entries: page.map(auditEntryOut), nextCursor: rows.length > limit ? page.at(-1)!.seq.toString() : null };
}

export const auditRouter = router({
  /** A page with every actor named (the export keeps the stored ids only). */
  list: auditProcedure.input(auditListSchema).query(async ({ input }) => {
    const page = await auditPage(input.filters, input.limit, input.cursor);
    return { ...page, entries: await withActors(db(), page.entries) };
  }),

  /** Re-computes the sealed chain; says what is wrong in words as well as in fields. */
  verify: auditProcedure.query(async () => {
    const verdict = await verifyAuditLog(db());
    const problems: string[] = [];
    if (!verdict.ok) {
      problems.push(
        verdict.reason === 'hash-mismatch'
          ? `Entry ${verdict.brokenAtSeq} was changed after it was sealed: its content no longer matches its hash.`
          : `The chain breaks at entry ${verdict.brokenAtSeq}: the entry before it was changed, removed or reordered.`,
      );
    }
    if (verdict.unsealed > 0) {
      problems.push(
        `${verdict.unsealed} entr${verdict.unsealed === 1 ? 'y is' : 'ies are'} not sealed yet` +
          (verdict.oldestUnsealedAt ? ` (the oldest from ${verdict.oldestUnsealedAt.toISOString()})` : '') +
          '; a running worker seals them within seconds.',
      );
    }
    return {
      ok: verdict.ok,
      checkedAt: new Date(),
      entries: verdict.entries,
      lastHash: verdict.ok ? verdict.lastHash : null,
      brokenAtSeq: verdict.ok ? null : verdict.brokenAtSeq.toString(),
      reason: verdict.ok ? null : verdict.reason,
      unsealed: verdict.unsealed,
      oldestUnsealedAt: verdict.oldestUnsealedAt ?? null,
      problems,
    };
  }),
});

// ───── Export (GET /api/audit/export) ─────

export const EXPORT_MAX_ROWS = 100_000;
export const EXPORT_COLUMNS = ['seq', 'at', 'actorType', 'actorId', 'action', 'subjectType', 'subjectId', 'data', 'chainSeq', 'prevHash', 'hash'] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes doubled. A cell a spreadsheet
 * would run as a formula (= + - @ tab CR first) gets a leading apostrophe: audit data quotes attackers.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function csvRow(e: AuditEntryOut): string {
  return csvLine([e.seq, e.at.toISOString(), e.actorType, e.actorId, e.action, e.subjectType, e.subjectId, JSON.stringify(e.data), e.chainSeq ?? '', e.prevHash ?? '', e.hash ?? '']);
}

/**
 * The newest position the export covers, and how many entries match up to it: entries written while the file is
 * being streamed are left out, so the count in the headers is the count in the file.
 */
export async function auditExportScope(filters: AuditFilters | undefined) {
  const where = await auditWhere(filters);
  const top = await db().auditEvent.findFirst({ where, orderBy: { seq: 'desc' }, select: { seq: true } });
  const total = top ? await db().auditEvent.count({ where: { AND: [where, { seq: { lte: top.seq } }] } }) : 0;
  // The cursor is exclusive: one past the newest entry.
  return { total, cursor: top ? (top.seq + 1n).toString() : null };
}

/** Matching entries below `cursor`, newest first, in pages, at most EXPORT_MAX_ROWS. */
export async function* auditExportRows(filters: AuditFilters | undefined, start: string | null, pageSize = 1000): AsyncGenerator<AuditEntryOut> {
  if (start === null) return;
  let cursor: string | undefined = start;
  let sent = 0;
  while (sent < EXPORT_MAX_ROWS) {
    const page = await auditPage(filters, Math.min(pageSize, EXPORT_MAX_ROWS - sent), cursor);
    for (const e of page.entries) yield e;
    sent += page.entries.length;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
