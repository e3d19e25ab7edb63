// The console's tRPC procedures against a real PostgreSQL: sign-in, sessions, protected and role-gated procedures.
import { TRPCError } from '@trpc/server';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { hashPassword } from '../../lib/passwords';
import { TOTP_PERIOD_SECONDS, totpStepAt } from '../../lib/mfa';
import { hashToken, SECOND_FACTOR_TTL_MS, SESSION_COOKIE, SESSION_TTL_MS } from '../../lib/session';
import { createContext } from '../../web/server/context';
import { createCaller } from '../../web/server/root';
import { roleProcedure, router, createCallerFactory } from '../../web/server/trpc';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  resetConfigForTests();
  await db().user.createMany({
    data: [
      { email: 'ana@example.com', name: 'Ana', role: 'analyst', passwordHash: await hashPassword('correct horse battery') },
      { email: 'dis@example.com', name: 'Dis', role: 'admin', passwordHash: await hashPassword('correct horse battery'), disabled: true },
    ],
  });
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
});

async function callerWith(cookie?: string) {
  const resHeaders = new Headers();
  const req = new Request('http://console.test/api/trpc', { headers: cookie ? { cookie } : {} });
  const ctx = await createContext({ req, resHeaders });
  return { caller: createCaller(ctx), resHeaders, ctx };
}

function sessionFrom(resHeaders: Headers): string {
  const setCookie = resHeaders.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(setCookie);
  if (!match) throw new Error(`no session cookie in ${setCookie}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

describe('auth', () => {
  it('signs in, stores only the token hash, and knows the user on the next request', async () => {
    const { caller, resHeaders } = await callerWith();
    // Addresses are matched without regard to case.
    await expect(caller.auth.signIn({ email: 'ANA@example.com', password: 'correct horse battery' })).resolves.toEqual({ name: 'Ana', role: 'analyst', secondFactor: null });
    const cookie = sessionFrom(resHeaders);
    const token = cookie.split('=')[1]!;
    const stored = await db().session.findMany();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).not.toContain(token);

    const next = await callerWith(cookie);
    await expect(next.caller.auth.me()).resolves.toMatchObject({ email: 'ana@example.com', role: 'analyst' });

    await next.caller.auth.signOut();
    expect(await db().session.count()).toBe(0);
    const after = await callerWith(cookie);
    await expect(after.caller.auth.me()).resolves.toBeNull();
  });

  it('gives the same answer for a wrong password, an unknown email and a disabled user', async () => {
    const { caller } = await callerWith();
    const messages = await Promise.all(
      [
        { email: 'ana@example.com', password: 'wrong' },
        { email: 'nobody@example.com', password: 'correct horse battery' },
        { email: 'dis@example.com', password: 'correct horse battery' },
      ].map((input) => caller.auth.signIn(input).then(() => 'signed in', (e: TRPCError) => `${e.code}: ${e.message}`)),
    );
    expect(new Set(messages)).toEqual(new Set(['UNAUTHORIZED: Email or password is not correct.']));
  });

  it('rejects malformed input before touching the database', async () => {
    const { caller } = await callerWith();
    await expect(caller.auth.signIn({ email: 'not-an-email', password: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses protected procedures without a session', async () => {
    const { caller } = await callerWith();
    await expect(caller.status.checks()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller.mailbox.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('ignores an expired session, slides a live one forward, and clears expired rows at the next sign-in', async () => {
    const ana = await db().user.findUniqueOrThrow({ where: { email: 'ana@example.com' } });
    const hour = 60 * 60 * 1000;
    await db().session.createMany({
      data: [
        { userId: ana.id, tokenHash: hashToken('expired-token'), expiresAt: new Date(Date.now() - 1000) },
        { userId: ana.id, tokenHash: hashToken('idle-token'), expiresAt: new Date(Date.now() + hour), lastSeenAt: new Date(Date.now() - hour) },
      ],
    });
    await expect((await callerWith(`${SESSION_COOKIE}=expired-token`)).caller.auth.me()).resolves.toBeNull();

    await expect((await callerWith(`${SESSION_COOKIE}=idle-token`)).caller.auth.me()).resolves.toMatchObject({ email: 'ana@example.com' });
    const idle = await db().session.findUniqueOrThrow({ where: { tokenHash: hashToken('idle-token') } });
    expect(idle.expiresAt.getTime()).toBeGreaterThan(Date.now() + SESSION_TTL_MS - 60_000);
    expect(idle.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 60_000);

    await (await callerWith()).caller.auth.signIn({ email: 'ana@example.com', password: 'correct horse battery' });
    expect(await db().session.findUnique({ where: { tokenHash: hashToken('expired-token') } })).toBeNull();
    expect(await db().session.findUnique({ where: { tokenHash: hashToken('idle-token') } })).not.toBeNull();
  });

  it('refuses an analyst on an approver procedure and lets an approver through', async () => {
    const testRouter = router({ approveSomething: roleProcedure('approver').mutation(() => 'approved') });
    const make = createCallerFactory(testRouter);
    const signedIn = await callerWith();
    await signedIn.caller.auth.signIn({ email: 'ana@example.com', password: 'correct horse battery' });
    const { ctx } = await callerWith(sessionFrom(signedIn.resHeaders));
    await expect(make(ctx).approveSomething()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(make({ ...ctx, user: { ...ctx.user!, role: 'approver' } }).approveSomething()).resolves.toBe('approved');
  });

  it('asks a user with a second factor for it before the session is signed in', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await db().user.create({
      data: { email: 'kai@example.com', name: 'Kai', role: 'approver', passwordHash: await hashPassword('correct horse battery'), totpSecret: secret, totpEnabledAt: new Date() },
    });
    const first = await callerWith();
    const result = await first.caller.auth.signIn({ email: 'kai@example.com', password: 'correct horse battery' });
    expect(result.secondFactor).toEqual({ securityKeys: false, totp: true, recoveryCodesRemaining: 0 });
    const cookie = sessionFrom(first.resHeaders);
    expect(first.resHeaders.get('set-cookie')).toContain(`Max-Age=${SECOND_FACTOR_TTL_MS / 1000}`);
    const row = await db().session.findUniqueOrThrow({ where: { tokenHash: hashToken(cookie.split('=')[1]!) } });
    expect(row.secondFactorPending).toBe(true);
    expect(row.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + SECOND_FACTOR_TTL_MS);

    // The password alone signs nobody in: not the console's procedures, not the pages (userForToken), not the export.
    const pending = await callerWith(cookie);
    expect(pending.ctx.user).toBeNull();
    await expect(pending.caller.auth.me()).resolves.toBeNull();
    await expect(pending.caller.cases.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(pending.caller.mfa.status()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(pending.caller.auth.secondFactorDone()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    // A wrong code keeps it pending; the right one signs in, for the full session lifetime.
    const code = await generate({ secret, epoch: totpStepAt(new Date()) * TOTP_PERIOD_SECONDS });
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(pending.caller.mfa.stepUp({ method: 'totp', code: wrong })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await callerWith(cookie)).ctx.user).toBeNull();
    await expect(pending.caller.mfa.stepUp({ method: 'totp', code })).resolves.toMatchObject({ method: 'totp' });

    const signedIn = await callerWith(cookie);
    await expect(signedIn.caller.auth.me()).resolves.toMatchObject({ email: 'kai@example.com' });
    await signedIn.caller.auth.secondFactorDone();
    expect(signedIn.resHeaders.get('set-cookie')).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    const after = await db().session.findUniqueOrThrow({ where: { id: row.id } });
    expect(after).toMatchObject({ secondFactorPending: false, stepUpMethod: 'totp' });
    expect(after.expiresAt.getTime()).toBeGreaterThan(Date.now() + SESSION_TTL_MS - 60_000);
    const audit = await db().auditEvent.findMany({ where: { actorId: row.userId }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['mfa.step_up_failed', 'auth.signed_in_second_factor']);
  });
});
