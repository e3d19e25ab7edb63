// The audit log under concurrency and tampering, against a real PostgreSQL: appends without a lock, sealers
// racing each other, an entry that commits late, and entries changed or deleted behind the log's back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, appendAuditMany, sealAllAudit, sealAuditLog, startAuditSealer, verifyAuditLog } from '../../lib/audit';
import { createDb, type Db } from '../../lib/db';
import { createTestDatabase } from '../support/database';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let a: Db;
let b: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  a = createDb(database.url);
  b = createDb(database.url);
});

afterAll(async () => {
  await a?.$disconnect();
  await b?.$disconnect();
  await database?.drop();
});

const entry = (i: number, writer: string) => ({
  actorType: 'system',
  actorId: writer,
  action: 'test.append',
  subjectType: 'case',
  subjectId: `case-${i % 3}`,
  data: { i, when: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), skipped: undefined },
});

describe('audit log', () => {
  it('keeps one unbroken chain when two clients append and two sealers seal at once', async () => {
    const sealers = [startAuditSealer(a, { intervalMs: 5 }), startAuditSealer(b, { intervalMs: 5 })];
    await Promise.all(Array.from({ length: 200 }, (_, i) => appendAudit(i % 2 ? a : b, entry(i, `writer-${i % 2}`))));
    await Promise.all(sealers.map((s) => s.stop()));
    await sealAllAudit(a);
    const verdict = await verifyAuditLog(a, 7); // small pages exercise the cursor
    expect(verdict).toMatchObject({ ok: true, entries: 200, unsealed: 0 });
    const positions = (await a.auditEvent.findMany({ orderBy: { chainSeq: 'asc' }, select: { chainSeq: true } })).map((r) => Number(r.chainSeq));
    expect(positions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('reports entries not sealed yet, and seals an entry that committed after later ones without forking', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // This transaction takes its seq first but commits last.
    const slow = a.$transaction(async (tx) => {
      const row = await appendAudit(tx, entry(1000, 'slow'));
      await held;
      return row;
    });
    await new Promise((r) => setTimeout(r, 100));
    const fast = await appendAudit(b, entry(1001, 'fast'));
    await sealAllAudit(b);
    expect(await verifyAuditLog(a)).toMatchObject({ ok: true, entries: 201, unsealed: 0 });
    release();
    const late = await slow;
    expect(late.seq).toBeLessThan(fast.seq);
    expect(await verifyAuditLog(a)).toMatchObject({ ok: true, entries: 201, unsealed: 1 });
    expect(await sealAuditLog(a)).toEqual({ sealed: 1, busy: false });
    expect(await verifyAuditLog(a)).toMatchObject({ ok: true, entries: 202, unsealed: 0 });
  });

  it('loses nothing when the change it records rolls back: the entry goes with it', async () => {
    const before = await a.auditEvent.count();
    await expect(
      a.$transaction(async (tx) => {
        await appendAudit(tx, entry(2000, 'rolled-back'));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await a.auditEvent.count()).toBe(before);
  });

  it('appends many entries in one statement in their order, exactly as given, also inside a batch transaction', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 10, 29, 8, 0, s, 123));
    const many = Array.from({ length: 30 }, (_, i) => ({ ...entry(3000 + i, 'many'), at: at(30 - i), subjectId: `case-${i}` }));
    // Inside a batch transaction with a failing statement, none of them is kept.
    const before = await a.auditEvent.count();
    await expect(a.$transaction([appendAuditMany(a, many.slice(0, 5)), a.$executeRaw`SELECT 1/0`])).rejects.toThrow();
    expect(await a.auditEvent.count()).toBe(before);

    expect(await appendAuditMany(a, many)).toBe(30);
    const rows = await a.auditEvent.findMany({ where: { actorId: 'many' }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.subjectId)).toEqual(many.map((m) => m.subjectId));
    // Times to the millisecond (the column has no zone: UTC), data as JSON gives it back.
    expect(rows.map((r) => r.at.toISOString())).toEqual(many.map((m) => m.at.toISOString()));
    expect(rows[0]!.data).toEqual({ i: 3000, when: '2026-01-01T00:50:00.000Z' });
    await sealAllAudit(a);
    expect(await verifyAuditLog(a)).toMatchObject({ ok: true, unsealed: 0 });
  });

  it('finds an entry changed behind its back', async () => {
    const victim = await a.auditEvent.findFirstOrThrow({ orderBy: { chainSeq: 'asc' }, skip: 10 });
    await a.$executeRaw`UPDATE "AuditEvent" SET "actorId" = 'someone-else' WHERE seq = ${victim.seq}`;
    expect(await verifyAuditLog(a)).toMatchObject({ ok: false, brokenAtSeq: victim.seq, reason: 'hash-mismatch', entries: 10 });
    await a.$executeRaw`UPDATE "AuditEvent" SET "actorId" = ${victim.actorId} WHERE seq = ${victim.seq}`;
    expect(await verifyAuditLog(a)).toMatchObject({ ok: true });
  });

  it('finds an entry deleted behind its back', async () => {
    const victim = await a.auditEvent.findFirstOrThrow({ orderBy: { chainSeq: 'asc' }, skip: 50 });
    const next = await a.auditEvent.findFirstOrThrow({ where: { chainSeq: victim.chainSeq! + 1n } });
    await a.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${victim.seq}`;
    expect(await verifyAuditLog(a)).toMatchObject({ ok: false, brokenAtSeq: next.seq, reason: 'link-mismatch', entries: 50 });
  });
});
