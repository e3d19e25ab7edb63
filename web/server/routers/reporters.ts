// Reporters and their API keys (admin only). A key is shown once, in the answer to createKey; only its hash is kept.
import { TRPCError } from '@trpc/server';
import { createApiKey, listApiKeys, revokeApiKey } from '../../../lib/api-keys';
import { appendAudit } from '../../../lib/audit';
import { db } from '../../../lib/db';
import { createKeyInput, createReporterInput, revokeKeyInput } from '../case-inputs';
import { roleProcedure, router } from '../trpc';

const adminProcedure = roleProcedure('admin');

export const reportersRouter = router({
  list: adminProcedure.query(async () => {
    const [reporters, keys] = await Promise.all([
      db().reporter.findMany({
        orderBy: { name: 'asc' },
        select: { id: true, name: true, email: true, notifyOutcome: true, createdAt: true, _count: { select: { reports: true } } },
      }),
      listApiKeys(db()),
    ]);
    return reporters.map(({ _count, ...r }) => ({ ...r, reportCount: _count.reports, keys: keys.filter((k) => k.reporterId === r.id) }));
  }),

  create: adminProcedure.input(createReporterInput).mutation(async ({ ctx, input }) => {
    const reporter = await db().reporter.create({ data: { name: input.name, email: input.email || null, notifyOutcome: input.notifyOutcome } });
    await appendAudit(db(), {
      actorType: 'user',
      actorId: ctx.user.email,
      action: 'reporter.created',
      subjectType: 'reporter',
      subjectId: reporter.id,
      data: { name: reporter.name, email: reporter.email },
    });
    return { id: reporter.id };
  }),

  /** The whole key is in this answer and nowhere else. */
  createKey: adminProcedure.input(createKeyInput).mutation(async ({ ctx, input }) => {
    const reporter = await db().reporter.findUnique({ where: { id: input.reporterId }, select: { id: true } });
    if (!reporter) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such reporter.' });
    const created = await createApiKey(db(), { reporterId: reporter.id, label: input.label, createdBy: ctx.user.email });
    await appendAudit(db(), {
      actorType: 'user',
      actorId: ctx.user.email,
      action: 'api_key.created',
      subjectType: 'reporter',
      subjectId: reporter.id,
      data: { keyId: created.id, prefix: created.prefix, label: input.label },
    });
    return created;
  }),

  revokeKey: adminProcedure.input(revokeKeyInput).mutation(async ({ ctx, input }) => {
    const key = await db().reporterApiKey.findUnique({ where: { id: input.keyId }, select: { reporterId: true, prefix: true, revokedAt: true } });
    if (!key || !(await revokeApiKey(db(), input.keyId))) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such key.' });
    if (!key.revokedAt) {
      await appendAudit(db(), {
        actorType: 'user',
        actorId: ctx.user.email,
        action: 'api_key.revoked',
        subjectType: 'reporter',
        subjectId: key.reporterId,
        data: { keyId: input.keyId, prefix: key.prefix },
      });
    }
    return { ok: true as const };
  }),
});
