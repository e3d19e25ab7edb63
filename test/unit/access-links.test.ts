// Signed links against a real PostgreSQL: only the hash is stored; tampered, expired, revoked, wrong purpose or
// subject, and consumed single-use links are each refused with their own reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessLink, hashLinkToken, revokeAccessLinks, verifyAccessLink } from '../../lib/access-links';
import { createDb, type Db } from '../../lib/db';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const HOUR = 3600_000;

describe('access links', () => {
  it('stores only the SHA-256 of the token and verifies a good link', async () => {
    const { token, url, id } = await createAccessLink({ purpose: 'tenant_case', subjectId: 'case-1', tenantId: undefined, email: 'a@b.example', ttlMs: HOUR }, db);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url).toMatch(new RegExp(`/t/${token}$`));
    const row = await db.accessLink.findUniqueOrThrow({ where: { id } });
    expect(row.tokenHash).toBe(hashLinkToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const verdict = await verifyAccessLink(token, { purpose: 'tenant_case', subjectId: 'case-1' }, db);
    expect(verdict).toMatchObject({ ok: true, link: { id, subjectId: 'case-1', email: 'a@b.example' } });
  });

  it('refuses a tampered or made-up token as unknown', async () => {
    const { token } = await createAccessLink({ purpose: 'tenant_case', subjectId: 'case-2', ttlMs: HOUR }, db);
    const tampered = `${token.slice(0, 10)}${token[10] === 'a' ? 'b' : 'a'}${token.slice(11)}`;
    for (const bad of [tampered, token.slice(1), `${token}x`, '', 'not a token', '../../etc/passwd']) {
      await expect(verifyAccessLink(bad, { purpose: 'tenant_case' }, db)).resolves.toMatchObject({ ok: false, error: 'unknown' });
    }
  });

  it('refuses an expired link', async () => {
    const { token, id } = await createAccessLink({ purpose: 'tenant_case', subjectId: 'case-3', ttlMs: HOUR }, db);
    await db.accessLink.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(verifyAccessLink(token, { purpose: 'tenant_case' }, db)).resolves.toMatchObject({ ok: false, error: 'expired', message: 'This link has expired.' });
  });

  it('refuses a revoked link', async () => {
    const { token } = await createAccessLink({ purpose: 'tenant_case', subjectId: 'case-4', ttlMs: HOUR }, db);
    expect(await revokeAccessLinks('tenant_case', 'case-4', db)).toBe(1);
    await expect(verifyAccessLink(token, { purpose: 'tenant_case' }, db)).resolves.toMatchObject({ ok: false, error: 'revoked' });
  });

  it('refuses a link of another purpose as unknown and one for another subject as wrong-subject', async () => {
    const { token } = await createAccessLink({ purpose: 'report_confirm', subjectId: 'report-1', ttlMs: HOUR, path: '/report/confirm/' }, db);
    await expect(verifyAccessLink(token, { purpose: 'tenant_case' }, db)).resolves.toMatchObject({ ok: false, error: 'unknown' });
    await expect(verifyAccessLink(token, { purpose: 'report_confirm', subjectId: 'report-2' }, db)).resolves.toMatchObject({ ok: false, error: 'wrong-subject' });
    await expect(verifyAccessLink(token, { purpose: 'report_confirm', subjectId: 'report-1' }, db)).resolves.toMatchObject({ ok: true });
  });

  it('lets a single-use link be consumed once, also under concurrent use', async () => {
    const { token } = await createAccessLink({ purpose: 'report_confirm', subjectId: 'report-3', ttlMs: HOUR }, db);
    const results = await Promise.all([1, 2, 3].map(() => verifyAccessLink(token, { purpose: 'report_confirm', consume: true }, db)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(['used', 'used']);
    await expect(verifyAccessLink(token, { purpose: 'report_confirm' }, db)).resolves.toMatchObject({ ok: false, error: 'used' });
  });

  it('needs a positive lifetime', async () => {
    await expect(createAccessLink({ purpose: 'tenant_case', subjectId: 'x', ttlMs: 0 }, db)).rejects.toThrow(/positive lifetime/);
  });
});
