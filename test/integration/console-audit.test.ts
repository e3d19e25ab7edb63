// The audit view: audit.list and audit.verify through createCaller, and GET /api/audit/export called as Next calls it
// with a real session cookie, against a real PostgreSQL. An entry changed with raw SQL after sealing is caught.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, verifyAuditChain } from '../../domain/audit';
import type { Role } from '../../domain/roles';
import { appendAudit, sealAllAudit } from '../../lib/audit';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { createSession, SESSION_COOKIE } from '../../lib/session';
import { GET } from '../../web/app/api/audit/export/route';
import { createCaller } from '../../web/server/root';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
const users = {} as Record<Role, { id: string; email: string; name: string; role: Role; cookie: string }>;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetConfigForTests();
  for (const role of ['analyst', 'approver', 'admin'] as const) {
    const u = await db().user.create({ data: { email: `${role}@audit.test`, name: `The ${role}`, role, passwordHash: 'unused' } });
    const { token } = await createSession(db(), u.id, {});
    users[role] = { id: u.id, email: u.email, name: u.name, role, cookie: `${SESSION_COOKIE}=${token}` };
  }
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
});

const as = (role: Role | null) =>
  createCaller({ user: role ? { ...users[role], sessionId: 'test' } : null, secure: false, resHeaders: new Headers() });

const exportReq = (query: string, cookie?: string) =>
  GET(new Request(`http://console.test/api/audit/export?${query}`, { headers: cookie ? { cookie } : {} }));

/** A minimal RFC 4180 reader, to check the export round-trips (quotes doubled, line breaks inside quotes). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      (row = []), (cell = ''), i++;
    } else cell += c;
  }
  if (cell || row.length) throw new Error('the CSV does not end with CRLF');
  return rows;
}

describe('who may read the audit log', () => {
  it('refuses analysts with a clear message, and callers without a session', async () => {
    await expect(as('analyst').audit.list({})).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/approvers and admins; you are signed in as analyst/) });
    await expect(as('analyst').audit.verify()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(as(null).audit.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(as('approver').audit.list({})).resolves.toMatchObject({ entries: expect.any(Array) });
    await expect(as('admin').audit.verify()).resolves.toMatchObject({ ok: true });

    const anonymous = await exportReq('format=csv');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthenticated', message: expect.stringMatching(/Sign in/) });
    const analyst = await exportReq('format=csv', users.analyst.cookie);
    expect(analyst.status).toBe(403);
    expect(await analyst.json()).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/approvers and admins/) });
    const forged = await exportReq('format=csv', `${SESSION_COOKIE}=not-a-session`);
    expect(forged.status).toBe(401);
  });
});

describe('filters and pages', () => {
  const tag = randomUUID().slice(0, 8);
  const subject = `req-${tag}`;
  const base = Date.UTC(2031, 0, 1);

  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      await appendAudit(db(), {
        at: new Date(base + i * 3_600_000),
        actorType: 'user',
        actorId: i % 2 ? `alice-${tag}` : `bob-${tag}`,
        action: i < 4 ? `access.requested.${tag}` : `access.approved.${tag}`,
        subjectType: 'access_request',
        subjectId: subject,
        data: { i },
      });
    }
    await appendAudit(db(), { actorType: 'system', actorId: 'other', action: `cases.opened.${tag}`, subjectType: 'case', subjectId: 'c1', data: null });
  });

  it('filters by actor, action prefix, subject and time, newest first', async () => {
    const list = (filters: Parameters<ReturnType<typeof as>['audit']['list']>[0]['filters']) => as('approver').audit.list({ filters, limit: 200 });
    const bySubject = await list({ subjectType: 'access_request', subjectId: subject });
    expect(bySubject.entries.map((e) => (e.data as { i: number }).i)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(bySubject.entries[0]).toMatchObject({ seq: expect.stringMatching(/^\d+$/), actorType: 'user', subjectId: subject, chainSeq: null });
    expect(bySubject.nextCursor).toBeNull();

    expect((await list({ actorId: `alice-${tag}` })).entries.map((e) => (e.data as { i: number }).i)).toEqual([5, 3, 1]);
    // A prefix: "access." matches both kinds, not the case entry.
    expect((await list({ action: 'access.', subjectId: subject })).entries).toHaveLength(7);
    expect((await list({ action: `access.approved.${tag}` })).entries).toHaveLength(3);
    expect((await list({ action: `cases.opened.${tag}` })).entries).toHaveLength(1);
    expect((await list({ action: 'nothing.like.this' })).entries).toHaveLength(0);
    const window = await list({ subjectId: subject, from: new Date(base + 2 * 3_600_000), to: new Date(base + 4 * 3_600_000) });
    expect(window.entries.map((e) => (e.data as { i: number }).i)).toEqual([4, 3, 2]);
  });

  it("finds a person's entries by their id or their email, whichever form each entry stored", async () => {
    // Access and second-factor entries name the user by id; triage and forensics entries by email.
    const person = await db().user.create({ data: { email: `dana-${tag}@audit.test`, name: 'Dana', role: 'analyst', passwordHash: 'unused' } });
    const action = `forms.${tag}`;
    await appendAudit(db(), { actorType: 'user', actorId: person.id, action, subjectType: 'user', subjectId: person.id, data: { by: 'id' } });
    await appendAudit(db(), { actorType: 'user', actorId: person.email!, action, subjectType: 'case', subjectId: 'c2', data: { by: 'email' } });
    await appendAudit(db(), { actorType: 'user', actorId: users.admin.email, action, subjectType: 'case', subjectId: 'c3', data: { by: 'someone else' } });
    const byWhat = async (actorId: string) =>
      (await as('approver').audit.list({ filters: { actorId, action }, limit: 200 })).entries.map((e) => (e.data as { by: string }).by).sort();
    expect(await byWhat(person.id)).toEqual(['email', 'id']);
    expect(await byWhat(person.email!)).toEqual(['email', 'id']);
    expect(await byWhat(person.email!.toUpperCase())).toEqual(['email', 'id']);
    expect(await byWhat(person.id.toUpperCase())).toEqual(['email', 'id']);
    // Not a user on record: matched as written.
    expect(await byWhat(`nobody-${tag}@audit.test`)).toEqual([]);
    const file = await exportReq(`format=csv&actorId=${encodeURIComponent(person.email!)}&action=${action}`, users.admin.cookie);
    expect(file.status).toBe(200);
    expect(readCsv(await file.text()).slice(1).map((row) => row[3]).sort()).toEqual([person.email, person.id].sort());
  });

  it('pages with a cursor without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await as('admin').audit.list({ filters: { subjectId: subject }, limit: 3, cursor });
      seen.push(...page.entries.map((e) => (e.data as { i: number }).i));
      pages++;
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it('refuses bad input with its reason', async () => {
    await expect(as('approver').audit.list({ limit: 201 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/At most 200 entries a page/) });
    await expect(as('approver').audit.list({ cursor: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(as('approver').audit.list({ filters: { from: new Date(base + 1000), to: new Date(base) } })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/start of the period is after its end/) });
    const bad = await exportReq('format=xml', users.admin.cookie);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_format' });
    const badDate = await exportReq('format=csv&from=yesterday', users.admin.cookie);
    expect(badDate.status).toBe(400);
    expect(await badDate.json()).toMatchObject({ error: 'bad_filter', message: expect.stringMatching(/from/) });
  });
});

describe('export', () => {
  it('writes CSV with RFC 4180 quoting and defuses formulas', async () => {
    const subjectId = `csv-${randomUUID()}`;
    const hostile = [
      { actorId: '=HYPERLINK("http://evil.example","click")', action: 'test.formula', data: { note: 'a "quoted", comma\r\nand a new line' } },
      { actorId: '+1+2', action: '-2+3', data: -1 },
      { actorId: '@SUM(A1)', action: '\tcmd', data: '\rstart' },
      { actorId: 'plain', action: 'test.plain', data: { ok: true } },
    ];
    for (const h of hostile) await appendAudit(db(), { actorType: 'reporter', subjectType: 'csv', subjectId, ...h });

    const res = await exportReq(`format=csv&subjectId=${subjectId}`, users.approver.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="safeguard-audit-.*\.csv"$/);
    expect(res.headers.get('x-audit-total')).toBe('4');
    expect(res.headers.get('x-audit-truncated')).toBe('false');
    const text = await res.text();
    const rows = readCsv(text);
    expect(rows[0]).toEqual(['seq', 'at', 'actorType', 'actorId', 'action', 'subjectType', 'subjectId', 'data', 'chainSeq', 'prevHash', 'hash']);
    expect(rows).toHaveLength(5);
    const [plain, at, plus, formula] = rows.slice(1);
    expect(plain!.slice(3, 5)).toEqual(['plain', 'test.plain']);
    expect(at!.slice(3, 5)).toEqual(["'@SUM(A1)", "'\tcmd"]);
    expect(at![7]).toBe('"\\rstart"');
    expect(plus!.slice(3, 5)).toEqual(["'+1+2", "'-2+3"]);
    expect(plus![7]).toBe("'-1");
    expect(formula![3]).toBe('\'=HYPERLINK("http://evil.example","click")');
    expect(JSON.parse(formula![7]!)).toEqual({ note: 'a "quoted", comma\r\nand a new line' });
    // The raw text: the formula cell is quoted (it holds quotes and a comma) with its quotes doubled.
    expect(text).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
    // No cell a spreadsheet would evaluate.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('writes JSON with the chain fields, verifiable offline, and records who exported', async () => {
    await sealAllAudit(db());
    const res = await exportReq('format=json', users.admin.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".*\.json"$/);
    const entries = (await res.json()) as { seq: string; at: string; actorType: string; actorId: string; action: string; subjectType: string; subjectId: string; data: unknown; chainSeq: string | null; prevHash: string | null; hash: string | null }[];
    expect(Array.isArray(entries)).toBe(true);
    expect(entries.length).toBe(Number(res.headers.get('x-audit-total')));
    // Newest first, like the page.
    const seqs = entries.map((e) => BigInt(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(['action', 'actorId', 'actorType', 'at', 'chainSeq', 'data', 'hash', 'prevHash', 'seq', 'subjectId', 'subjectType']);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    // The whole sealed log, re-verified from the file alone.
    const chain = entries
      .map((e) => ({ ...e, seq: BigInt(e.seq), at: new Date(e.at), prevHash: e.prevHash!, hash: e.hash!, chainSeq: BigInt(e.chainSeq!) }))
      .sort((a, b) => (a.chainSeq < b.chainSeq ? -1 : 1));
    expect(chain.map((e) => Number(e.chainSeq))).toEqual(chain.map((_, i) => i + 1));
    expect(verifyAuditChain(chain, GENESIS_HASH)).toMatchObject({ ok: true, entries: entries.length });
    // Changing any field in the file is caught offline as well.
    const forged = chain.map((e, i) => (i === 2 ? { ...e, actorId: 'someone-else' } : e));
    expect(verifyAuditChain(forged, GENESIS_HASH)).toMatchObject({ ok: false, brokenAtSeq: chain[2]!.seq, reason: 'hash-mismatch' });

    const recorded = await db().auditEvent.findFirstOrThrow({ where: { action: 'audit.exported', actorId: users.admin.id }, orderBy: { seq: 'desc' } });
    expect(recorded.data).toMatchObject({ format: 'json', rows: entries.length });

    const empty = await exportReq('format=json&subjectId=nothing-here', users.admin.cookie);
    expect(await empty.json()).toEqual([]);
  });
});

describe('chain verification', () => {
  it('reports unsealed entries, then a sealed entry changed with raw SQL, naming it', async () => {
    const fresh = await appendAudit(db(), { actorType: 'user', actorId: users.admin.id, action: 'test.unsealed', subjectType: 'test', subjectId: 'x', data: null });
    const before = await as('approver').audit.verify();
    expect(before.unsealed).toBeGreaterThanOrEqual(1);
    expect(before.problems.join(' ')).toMatch(/not sealed yet/);
    expect(before.oldestUnsealedAt).toBeInstanceOf(Date);

    await sealAllAudit(db());
    const sealed = await as('approver').audit.verify();
    expect(sealed).toMatchObject({ ok: true, unsealed: 0, brokenAtSeq: null, problems: [] });
    expect(sealed.entries).toBeGreaterThan(10);

    const victim = await db().auditEvent.findFirstOrThrow({ where: { action: { startsWith: 'access.approved.' } }, orderBy: { seq: 'asc' } });
    expect(victim.chainSeq).not.toBeNull();
    expect(victim.seq).toBeLessThan(fresh.seq);
    await db().$executeRaw`UPDATE "AuditEvent" SET data = ${JSON.stringify({ i: 999 })}::jsonb WHERE seq = ${victim.seq}`;

    const broken = await as('admin').audit.verify();
    expect(broken).toMatchObject({ ok: false, brokenAtSeq: victim.seq.toString(), reason: 'hash-mismatch', lastHash: null });
    expect(broken.problems).toEqual([expect.stringMatching(new RegExp(`Entry ${victim.seq} was changed after it was sealed`))]);
    expect(broken.entries).toBe(Number(victim.chainSeq) - 1);

    // Putting the original back makes it hold again: the verifier judged that entry's content, nothing else.
    await db().$executeRaw`UPDATE "AuditEvent" SET data = ${JSON.stringify(victim.data)}::jsonb WHERE seq = ${victim.seq}`;
    await expect(as('admin').audit.verify()).resolves.toMatchObject({ ok: true });
  });
});
