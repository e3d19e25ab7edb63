// The audit log under concurrency and tampering, against a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, verifyAuditLog } from '../../lib/audit';
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

describe('audit log', () => {
  it('keeps one unbroken chain when two clients append at once', async () => {
    const writes = Array.from({ length: 40 }, (_, i) =>
      appendAudit(i % 2 ? a : b, {
        actorType: 'system',
        actorId: `writer-${i % 2}`,
        action: 'test.append',
        subjectType: 'case',
        subjectId: `case-${i % 3}`,
        data: { i, when: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), skipped: undefined },
      }),
    );
    await Promise.all(writes);
    const verdict = await verifyAuditLog(a, 7); // small pages exercise the cursor
    expect(verdict).toMatchObject({ ok: true, entries: 40 });
  });

  it('finds an entry changed behind its back', async () => {
    const victim = await a.auditEvent.findFirstOrThrow({ orderBy: { seq: 'asc' }, skip: 10 });
    await a.$executeRaw`UPDATE "AuditEvent" SET "actorId" = 'someone-else' WHERE seq = ${victim.seq}`;
    expect(await verifyAuditLog(a)).toMatchObject({ ok: false, brokenAtSeq: victim.seq, reason: 'hash-mismatch', entries: 10 });
  });
});
