// The attempt limits against a real PostgreSQL: counts shared by console processes, exact under concurrency,
// measured by one clock, pruned, and refusing attempts when the database is gone.
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetConfigForTests } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { AttemptLimiter, enforceLimits, limitKey, RateLimitUnavailableError } from '../../web/server/rate-limit';
import { createCaller } from '../../web/server/root';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MINUTE = 60_000;
let database: TestDatabase;
// Two clients with pools of their own: two console processes.
let one: Db;
let two: Db;
let now: Date;
const clock = () => now;
const advance = (ms: number) => (now = new Date(now.getTime() + ms));

beforeAll(async () => {
  database = await createTestDatabase();
  one = createDb(database.url);
  two = createDb(database.url);
});

afterAll(async () => {
  await Promise.all([one?.$disconnect(), two?.$disconnect()]);
  await database?.drop();
});

beforeEach(async () => {
  now = new Date('2030-01-01T00:00:00Z');
  await one.$executeRaw`DELETE FROM "RateLimitWindow"`;
});

const row = async (name: string, subject: string) =>
  (await one.rateLimitWindow.findUnique({ where: { key: limitKey(name, subject) } })) ?? undefined;

describe('a fixed window', () => {
  it('allows max attempts, then names the wait, and starts over when the window has passed', async () => {
    const limiter = new AttemptLimiter({ name: 'test:window', max: 3, windowMs: MINUTE, db: one, now: clock });
    for (let i = 0; i < 3; i++) expect(await limiter.hit('k')).toBe(0);
    advance(30_000);
    expect(await limiter.hit('k')).toBe(30);
    expect(await limiter.hit('other')).toBe(0);
    advance(29_500);
    expect(await limiter.hit('k')).toBe(1);
    expect(await row('test:window', 'k')).toMatchObject({ count: 5, windowStart: new Date('2030-01-01T00:00:00Z') });
    advance(500);
    expect(await limiter.hit('k')).toBe(0);
    expect(await row('test:window', 'k')).toMatchObject({ count: 1, windowStart: now });
  });

  it('forgets a subject on reset, and only that subject', async () => {
    const limiter = new AttemptLimiter({ name: 'test:reset', max: 1, windowMs: MINUTE, db: one, now: clock });
    await limiter.hit('a');
    await limiter.hit('b');
    expect(await limiter.hit('a')).toBe(60);
    await limiter.reset('a');
    expect(await row('test:reset', 'a')).toBeUndefined();
    expect(await limiter.hit('a')).toBe(0);
    expect(await limiter.hit('b')).toBe(60);
  });

  it('keeps a long subject under a bounded key', async () => {
    const limiter = new AttemptLimiter({ name: 'test:long', max: 1, windowMs: MINUTE, db: one, now: clock });
    const subject = `${'x'.repeat(5_000)}@example.com|203.0.113.9`;
    await limiter.hit(subject);
    expect(await limiter.hit(subject)).toBe(60);
    const keys = await one.rateLimitWindow.findMany({ select: { key: true } });
    expect(keys).toEqual([{ key: expect.stringMatching(/^test:long:sha256:[0-9a-f]{64}$/) as string }]);
    await limiter.reset(subject);
    expect(await one.rateLimitWindow.count()).toBe(0);
  });

  it('measures windows by the database clock when no clock is given, not by this process', async () => {
    const limiter = new AttemptLimiter({ name: 'test:dbclock', max: 1, windowMs: MINUTE, db: one });
    // This process believes it is 2040; the windows must not.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2040-06-01T00:00:00Z') });
    try {
      expect(await limiter.hit('k')).toBe(0);
      const wait = await limiter.hit('k');
      expect(wait).toBeGreaterThanOrEqual(59);
      expect(wait).toBeLessThanOrEqual(60);
      const [{ skew }] = await one.$queryRaw<[{ skew: number }]>`
        SELECT abs(extract(epoch FROM "windowStart" - statement_timestamp()))::float8 AS skew FROM "RateLimitWindow"`;
      expect(skew).toBeLessThan(5);
      // A window that began 61 seconds ago by the database's clock is over: the next attempt starts a new one.
      await one.$executeRaw`UPDATE "RateLimitWindow" SET "windowStart" = statement_timestamp() - interval '61 seconds'`;
      expect(await limiter.hit('k')).toBe(0);
      expect(await row('test:dbclock', 'k')).toMatchObject({ count: 1 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('several console processes', () => {
  it('share one count per key, and limiters with other names keep their own', async () => {
    const a = new AttemptLimiter({ name: 'test:shared', max: 4, windowMs: MINUTE, db: one, now: clock });
    const b = new AttemptLimiter({ name: 'test:shared', max: 4, windowMs: MINUTE, db: two, now: clock });
    const elsewhere = new AttemptLimiter({ name: 'test:other', max: 4, windowMs: MINUTE, db: two, now: clock });
    expect([await a.hit('k'), await b.hit('k'), await a.hit('k'), await b.hit('k')]).toEqual([0, 0, 0, 0]);
    expect(await a.hit('k')).toBe(60);
    expect(await b.hit('k')).toBe(60);
    expect(await elsewhere.hit('k')).toBe(0);
    // A restarted process (a new limiter) remembers.
    expect(await new AttemptLimiter({ name: 'test:shared', max: 4, windowMs: MINUTE, db: one, now: clock }).hit('k')).toBe(60);
  });

  it('count 50 simultaneous attempts exactly', async () => {
    const a = new AttemptLimiter({ name: 'test:burst', max: 10, windowMs: MINUTE, db: one, now: clock });
    const b = new AttemptLimiter({ name: 'test:burst', max: 10, windowMs: MINUTE, db: two, now: clock });
    const waits = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('k')));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
    expect(waits.filter((w) => w === 60)).toHaveLength(40);
    expect(await row('test:burst', 'k')).toMatchObject({ count: 50 });
  });

  it('count simultaneous first attempts at a new key exactly, with the database clock', async () => {
    const limiters = [one, two].map((db) => new AttemptLimiter({ name: 'test:burst-db', max: 100, windowMs: MINUTE, db }));
    const waits = await Promise.all(Array.from({ length: 50 }, (_, i) => limiters[i % 2]!.hit('fresh')));
    expect(waits.every((w) => w === 0)).toBe(true);
    expect(await row('test:burst-db', 'fresh')).toMatchObject({ count: 50 });
  });
});

describe('pruning', () => {
  const keys = async () => (await one.rateLimitWindow.findMany({ select: { key: true }, orderBy: { key: 'asc' } })).map((r) => r.key);

  it('deletes its own expired windows in bounded batches, and nothing live or of another limiter', async () => {
    const limiter = new AttemptLimiter({ name: 'test:prune', max: 5, windowMs: MINUTE, db: one, now: clock });
    const longer = new AttemptLimiter({ name: 'test:prune-long', max: 5, windowMs: 10 * MINUTE, db: one, now: clock });
    for (const k of ['a', 'b', 'c', 'd', 'e']) await limiter.hit(k);
    await longer.hit('a');
    advance(MINUTE - 1);
    await limiter.hit('live');
    expect(await limiter.prune()).toBe(0);
    advance(1);
    expect(await limiter.prune(2)).toBe(2);
    expect(await limiter.prune()).toBe(3);
    expect(await keys()).toEqual(['test:prune-long:a', 'test:prune:live']);
  });

  it('runs by itself from hits, once per interval', async () => {
    const limiter = new AttemptLimiter({ name: 'test:auto', max: 5, windowMs: MINUTE, db: one, now: clock, pruneEveryMs: 5 * MINUTE });
    for (const k of ['a', 'b', 'c']) await limiter.hit(k);
    advance(2 * MINUTE);
    await limiter.hit('d');
    // Expired, but the last prune (at the first hit) was two minutes ago.
    expect(await keys()).toEqual(['test:auto:a', 'test:auto:b', 'test:auto:c', 'test:auto:d']);
    advance(3 * MINUTE);
    await limiter.hit('e');
    expect(await keys()).toEqual(['test:auto:e']);
  });
});

describe('when the database is unreachable', () => {
  let closedUrl: string;

  beforeAll(async () => {
    // A port that was just free and is closed again: connections are refused.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    closedUrl = `postgresql://postgres@127.0.0.1:${port}/safeguard`;
  });

  it('refuses the attempt rather than allowing it', async () => {
    const down = createDb(closedUrl);
    try {
      const limiter = new AttemptLimiter({ name: 'test:down', max: 5, windowMs: MINUTE, db: down });
      await expect(limiter.hit('k')).rejects.toBeInstanceOf(RateLimitUnavailableError);
      await expect(limiter.reset('k')).rejects.toBeInstanceOf(RateLimitUnavailableError);
      await expect(enforceLimits([[limiter, 'k']], { tooMany: (s) => `wait ${s}`, unavailable: 'cannot check now' })).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: 'cannot check now',
      });
    } finally {
      await down.$disconnect();
    }
  });

  it('refuses sign-in, second-factor codes and web reports with a message that says why', async () => {
    process.env.DATABASE_URL = closedUrl;
    resetConfigForTests();
    const global = globalThis as { safeguardDb?: Db };
    const before = global.safeguardDb;
    global.safeguardDb = undefined;
    try {
      const user = { id: '00000000-0000-4000-8000-000000000001', email: 'ana@example.com', name: 'Ana', role: 'analyst' as const, sessionId: '00000000-0000-4000-8000-000000000002' };
      const ctx = { user: null, pendingUser: null, ip: '203.0.113.7', secure: false, resHeaders: new Headers() };
      const anonymous = createCaller(ctx);
      await expect(anonymous.auth.signIn({ email: 'ana@example.com', password: 'whatever' })).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/^Sign-in attempts cannot be checked right now/) as string,
      });
      await expect(createCaller({ ...ctx, pendingUser: user }).mfa.stepUp({ method: 'totp', code: '123456' })).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/^Codes cannot be checked right now/) as string,
      });
      await expect(
        anonymous.publicReport.submit({ email: 'r@example.com', category: 'spam', sourceIps: '192.0.2.1', eventTime: '2026-01-01T00:00:00Z', description: 'spam from this address' }),
      ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/^Reports cannot be accepted right now/) as string });
    } finally {
      // The routers made their own client (at the closed port) through db().
      await (global.safeguardDb as Db | undefined)?.$disconnect();
      global.safeguardDb = before;
    }
  });
});
