// The console's tRPC route as a browser (or an attacker's page) reaches it over HTTP, against a real PostgreSQL:
// cookie attributes, CSRF refusals, mutations only by POST, and the sign-in attempt limits.
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { hashPassword } from '../../lib/passwords';
import { GET, POST } from '../../web/app/api/trpc/[trpc]/route';
import { createTestDatabase, type TestDatabase } from '../support/database';

const ORIGIN = 'http://console.test';
const PASSWORD = 'correct horse battery';
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetConfigForTests();
  const passwordHash = await hashPassword(PASSWORD);
  await db().user.createMany({
    data: ['ana', 'lim', 'acct'].map((n) => ({ email: `${n}@example.com`, name: n, role: 'analyst' as const, passwordHash })),
  });
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
});

function signIn(email: string, password: string, headers: Record<string, string> = {}) {
  return POST(
    new Request(`${ORIGIN}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { host: 'console.test', origin: ORIGIN, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.10', ...headers },
      body: JSON.stringify(superjson.serialize({ email, password })),
    }),
  );
}

async function errorOf(res: Response): Promise<{ message: string; code: number }> {
  const body = (await res.json()) as { error: { json: { message: string; code: number } } };
  return body.error.json;
}

const sessions = () => db().session.count();

describe('the tRPC route', () => {
  it('signs in over POST with an httpOnly, SameSite=Strict cookie that the next request is known by', async () => {
    const res = await signIn('ana@example.com', PASSWORD);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sg_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);

    const cookie = setCookie.split(';')[0]!;
    const me = await GET(new Request(`${ORIGIN}/api/trpc/auth.me`, { headers: { host: 'console.test', cookie } }));
    const body = (await me.json()) as { result: { data: { json: { email: string } } } };
    expect(body.result.data.json.email).toBe('ana@example.com');
  });

  it('marks the cookie Secure when the console is reached over https', async () => {
    const res = await signIn('ana@example.com', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses a mutation from another origin before it runs', async () => {
    const before = await sessions();
    const res = await signIn('ana@example.com', PASSWORD, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await sessions()).toBe(before);
  });

  it.each(['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'])(
    'refuses a %s body, which a cross-site form could send without a preflight',
    async (contentType) => {
      const before = await sessions();
      const res = await signIn('ana@example.com', PASSWORD, { 'content-type': contentType });
      expect(res.status).toBe(403);
      expect(await sessions()).toBe(before);
    },
  );

  it('refuses a mutation sent as GET', async () => {
    const before = await sessions();
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ email: 'ana@example.com', password: PASSWORD })));
    const res = await GET(new Request(`${ORIGIN}/api/trpc/auth.signIn?input=${input}`, { headers: { host: 'console.test' } }));
    expect(res.status).toBe(405);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await sessions()).toBe(before);
  });

  it('signs out: the session row is gone and the cookie is cleared', async () => {
    const cookie = (await signIn('ana@example.com', PASSWORD)).headers.get('set-cookie')!.split(';')[0]!;
    const before = await sessions();
    const res = await POST(
      new Request(`${ORIGIN}/api/trpc/auth.signOut`, {
        method: 'POST',
        headers: { host: 'console.test', origin: ORIGIN, 'content-type': 'application/json', cookie },
        body: JSON.stringify(superjson.serialize(undefined)),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^sg_session=; .*Max-Age=0/);
    expect(await sessions()).toBe(before - 1);
  });
});

describe('sign-in attempt limits', () => {
  it('stops a client after ten tries for one address, even with the right password, but not another client', async () => {
    for (let i = 0; i < 10; i++) expect((await signIn('lim@example.com', 'wrong', { 'x-forwarded-for': '203.0.113.5' })).status).toBe(401);
    const limited = await signIn('lim@example.com', PASSWORD, { 'x-forwarded-for': '203.0.113.5' });
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).message).toMatch(/^Too many attempts\. Try again in \d+ seconds\.$/);
    expect((await signIn('lim@example.com', PASSWORD, { 'x-forwarded-for': '203.0.113.6' })).status).toBe(200);
  });

  it('caps tries per account when the client invents a new address each time', async () => {
    for (let i = 0; i < 50; i++) {
      expect((await signIn('acct@example.com', 'wrong', { 'x-forwarded-for': `192.0.2.${i}` })).status).toBe(401);
    }
    expect((await signIn('acct@example.com', PASSWORD, { 'x-forwarded-for': '192.0.2.200' })).status).toBe(429);
  });
});
