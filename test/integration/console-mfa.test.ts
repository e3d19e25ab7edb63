// Second factors through the mfa router (createCaller with real session cookies) against a real PostgreSQL:
// authenticator-app enrolment, step-up and its freshness, replayed and concurrent codes, recovery codes, the rate
// limit on wrong codes, the WebAuthn challenge kept on the session, and authenticator secrets sealed at rest (with
// the key file the default configuration makes). (A real security key: test/e2e/webauthn.test.ts.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate, generateSecret } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { hashRecoveryCode, openTotpSecret, requireFreshStepUp, StepUpRequiredError, TOTP_PERIOD_SECONDS, totpStepAt } from '../../lib/mfa';
import { KEY_FILE_NAME, SecretBoxError } from '../../lib/secret-box';
import { createSession, SESSION_COOKIE } from '../../lib/session';
import { createContext } from '../../web/server/context';
import { createCaller } from '../../web/server/root';
import { stepUpProcedure } from '../../web/server/step-up';
import { createCallerFactory, router } from '../../web/server/trpc';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
// The key file the default configuration makes (SECRETS_KEY unset) goes here, not into the project's data dir.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-mfa-'));

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  process.env.PUBLIC_URL = 'http://console.test';
  process.env.SAFEGUARD_DATA_DIR = dataDir;
  delete process.env.SECRETS_KEY;
  delete process.env.WEBAUTHN_RP_ID;
  delete process.env.STEP_UP_MAX_AGE;
  resetConfigForTests();
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const FIVE_MINUTES = 5 * 60 * 1000;
const RECOVERY_SHAPE = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

let userCount = 0;
async function newUser() {
  const n = ++userCount;
  return db().user.create({ data: { email: `staff${n}@mfa.test`, name: `Staff ${n}`, role: 'approver', passwordHash: 'unused' } });
}

/** A signed-in session for the user, as a request with its cookie would have it. */
async function signIn(userId: string) {
  const { token } = await createSession(db(), userId, {});
  const req = new Request('http://console.test/api/trpc', { headers: { cookie: `${SESSION_COOKIE}=${token}` } });
  const ctx = await createContext({ req, resHeaders: new Headers() });
  if (!ctx.user) throw new Error('the session did not sign in');
  return { ctx, caller: createCaller(ctx), sessionId: ctx.user.sessionId };
}

/** The code an authenticator app shows `stepOffset` steps from now. */
const codeAt = (secret: string, stepOffset = 0) => generate({ secret, epoch: (totpStepAt(new Date()) + stepOffset) * TOTP_PERIOD_SECONDS });

/** Six digits that no step in the accepted window gives. */
async function wrongCode(secret: string): Promise<string> {
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((o) => codeAt(secret, o))));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

async function enrolTotp(caller: ReturnType<typeof createCaller>) {
  const { secret } = await caller.mfa.totpBegin();
  const { recoveryCodes } = await caller.mfa.totpConfirm({ code: await codeAt(secret) });
  return { secret, recoveryCodes: recoveryCodes! };
}

/** A secret column as stored: sealed, nothing of the secret readable in it, and it opens to the secret for its user. */
function expectSealed(userId: string, stored: string | null, secret: string) {
  expect(stored).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
  expect(stored).not.toContain(secret);
  expect(openTotpSecret(userId, stored!)).toBe(secret);
}

const auditOf = (userId: string, action: string) => db().auditEvent.findMany({ where: { actorId: userId, action }, orderBy: { seq: 'asc' } });

async function stepUpRefusal(sessionId: string, now?: Date): Promise<StepUpRequiredError> {
  const err = await requireFreshStepUp(db(), sessionId, now).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof StepUpRequiredError)) throw new Error(`expected StepUpRequiredError, got ${String(err)}`);
  return err;
}

describe('authenticator app enrolment', () => {
  it('refuses a wrong code, then turns the app on with a right one and shows ten recovery codes once', async () => {
    const user = await newUser();
    const { caller } = await signIn(user.id);
    await expect(caller.mfa.status()).resolves.toMatchObject({ totpEnabled: false, hasSecondFactor: false, credentials: [], recoveryCodesRemaining: 0, stepUp: null });

    const begun = await caller.mfa.totpBegin();
    expect(begun.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(new URL(begun.uri).searchParams.get('secret')).toBe(begun.secret);
    expect(begun.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    const pendingRow = await db().user.findUniqueOrThrow({ where: { id: user.id } });
    expect(pendingRow.totpSecret).toBeNull();
    expectSealed(user.id, pendingRow.totpPendingSecret, begun.secret);

    await expect(caller.mfa.totpConfirm({ code: await wrongCode(begun.secret) })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^That code is not valid/) });
    await expect(caller.mfa.totpConfirm({ code: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret).toBeNull();

    const before = totpStepAt(new Date());
    const { recoveryCodes } = await caller.mfa.totpConfirm({ code: await codeAt(begun.secret) });
    const row = await db().user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.totpPendingSecret).toBeNull();
    expectSealed(user.id, row.totpSecret, begun.secret);
    expect(JSON.stringify(row)).not.toContain(begun.secret);
    expect(row.totpEnabledAt).not.toBeNull();
    expect(row.totpLastStep).toBeGreaterThanOrEqual(before);

    expect(recoveryCodes).toHaveLength(10);
    for (const c of recoveryCodes!) expect(c).toMatch(RECOVERY_SHAPE);
    const stored = await db().recoveryCode.findMany({ where: { userId: user.id } });
    expect(new Set(stored.map((r) => r.codeHash))).toEqual(new Set(recoveryCodes!.map((c) => hashRecoveryCode(c))));
    expect(JSON.stringify(stored)).not.toContain(recoveryCodes![0]!.replace(/-/g, ''));

    await expect(caller.mfa.status()).resolves.toMatchObject({ totpEnabled: true, hasSecondFactor: true, recoveryCodesRemaining: 10, stepUp: null });
    expect(await auditOf(user.id, 'mfa.totp_enrolment_started')).toHaveLength(1);
    const [enabled] = await auditOf(user.id, 'mfa.totp_enabled');
    expect(enabled).toMatchObject({ actorType: 'user', subjectType: 'user', subjectId: user.id, data: { recoveryCodesIssued: 10 } });
    expect(JSON.stringify(enabled!.data)).not.toContain(begun.secret);

    // Now that there is a factor, replacing it (or adding another) needs a step-up first.
    await expect(caller.mfa.totpBegin()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(caller.mfa.webauthnRegistrationOptions()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
  });
});

describe('step-up', () => {
  const probe = createCallerFactory(router({ sensitive: stepUpProcedure.query(({ ctx }) => ctx.stepUp) }));

  it('is required before a check, holds for STEP_UP_MAX_AGE after one, and a replayed code is refused', async () => {
    const bare = await newUser();
    const bareSession = await signIn(bare.id);
    expect((await stepUpRefusal(bareSession.sessionId)).reason).toBe('no-second-factor');

    const user = await newUser();
    const { caller, ctx, sessionId } = await signIn(user.id);
    const { secret } = await enrolTotp(caller);
    const refusal = await stepUpRefusal(sessionId);
    expect(refusal.reason).toBe('stale');
    expect(refusal.message).toBe('Confirm it is you with your security key or authenticator code first.');
    await expect(probe(ctx).sensitive()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: refusal.message });
    await expect(caller.mfa.recoveryCodesRegenerate()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });

    // The enrolment code's step is used up; the app's next code passes.
    const code = await codeAt(secret, 1);
    const passed = await caller.mfa.stepUp({ method: 'totp', code });
    expect(passed.method).toBe('totp');
    const at = new Date(passed.at);
    expect(Date.parse(passed.freshUntil) - at.getTime()).toBe(FIVE_MINUTES);
    await expect(db().session.findUniqueOrThrow({ where: { id: sessionId } })).resolves.toMatchObject({ stepUpAt: at, stepUpMethod: 'totp' });
    await expect(requireFreshStepUp(db(), sessionId)).resolves.toEqual({ method: 'totp', at: passed.at });
    await expect(probe(ctx).sensitive()).resolves.toEqual({ method: 'totp', at: passed.at });
    await expect(caller.mfa.status()).resolves.toMatchObject({ stepUp: { method: 'totp', at, fresh: true } });

    await expect(requireFreshStepUp(db(), sessionId, new Date(at.getTime() + FIVE_MINUTES - 1000))).resolves.toMatchObject({ method: 'totp' });
    expect((await stepUpRefusal(sessionId, new Date(at.getTime() + FIVE_MINUTES + 1000))).reason).toBe('stale');
    // Another session of the same user has not stepped up.
    expect((await stepUpRefusal((await signIn(user.id)).sessionId)).reason).toBe('stale');

    await expect(caller.mfa.stepUp({ method: 'totp', code })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^That code is not valid: it has been used already/) });
    await expect(caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 0) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.mfa.stepUp({ method: 'totp', code: await wrongCode(secret) })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^That code is not valid/) });

    const ok = await auditOf(user.id, 'mfa.step_up');
    expect(ok).toHaveLength(1);
    expect(ok[0]).toMatchObject({ actorType: 'user', subjectType: 'user', subjectId: user.id, data: { method: 'totp', sessionId } });
    const failed = await auditOf(user.id, 'mfa.step_up_failed');
    expect(failed.map((f) => (f.data as { reason: string }).reason)).toEqual(['replayed', 'replayed', 'invalid']);
    for (const f of [...ok, ...failed]) {
      expect(JSON.stringify(f.data)).not.toContain(code);
      expect(JSON.stringify(f.data)).not.toContain(secret);
    }

    // The app is this account's only factor: turning it off is refused, even with a fresh step-up.
    await expect(caller.mfa.totpDisable()).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/only second factor/) });
    expectSealed(user.id, (await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret, secret);
  });

  it('lets exactly one of two concurrent uses of a code through', async () => {
    const user = await newUser();
    const first = await signIn(user.id);
    const second = await signIn(user.id);
    const { secret } = await enrolTotp(first.caller);
    const code = await codeAt(secret, 1);
    const results = await Promise.allSettled([first.caller.mfa.stepUp({ method: 'totp', code }), second.caller.mfa.stepUp({ method: 'totp', code })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/used already/) });
    const sessions = await db().session.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(sessions.filter((s) => s.stepUpAt !== null)).toHaveLength(1);
  });

  it('accepts each recovery code once, and regenerating replaces them all', async () => {
    const user = await newUser();
    const { caller, sessionId } = await signIn(user.id);
    const { recoveryCodes } = await enrolTotp(caller);
    const [firstCode, secondCode] = recoveryCodes;

    // Typed in capitals with spaces: still the code.
    const passed = await caller.mfa.stepUp({ method: 'recovery_code', code: firstCode!.toUpperCase().replace(/-/g, ' ') });
    expect(passed.method).toBe('recovery_code');
    await expect(requireFreshStepUp(db(), sessionId)).resolves.toMatchObject({ method: 'recovery_code' });
    await expect(caller.mfa.status()).resolves.toMatchObject({ recoveryCodesRemaining: 9 });
    expect((await db().recoveryCode.findFirstOrThrow({ where: { userId: user.id, codeHash: hashRecoveryCode(firstCode!)! } })).usedAt).not.toBeNull();

    await expect(caller.mfa.stepUp({ method: 'recovery_code', code: firstCode! })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^That code is not valid/) });
    await expect(caller.mfa.stepUp({ method: 'recovery_code', code: 'zzzz-zzzz-zzzz' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    // Fresh from the recovery code: regenerate.
    const { recoveryCodes: renewed } = await caller.mfa.recoveryCodesRegenerate();
    expect(renewed).toHaveLength(10);
    expect(renewed).not.toContain(secondCode);
    await expect(caller.mfa.status()).resolves.toMatchObject({ recoveryCodesRemaining: 10 });
    await expect(caller.mfa.stepUp({ method: 'recovery_code', code: secondCode! })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.mfa.stepUp({ method: 'recovery_code', code: renewed[0]! })).resolves.toMatchObject({ method: 'recovery_code' });

    const steps = await auditOf(user.id, 'mfa.step_up');
    expect(steps.map((s) => s.data)).toEqual([
      { method: 'recovery_code', sessionId, recoveryCodesRemaining: 9 },
      { method: 'recovery_code', sessionId, recoveryCodesRemaining: 9 },
    ]);
    expect(await auditOf(user.id, 'mfa.recovery_codes_regenerated')).toHaveLength(1);
    const failed = await auditOf(user.id, 'mfa.step_up_failed');
    expect(failed).toHaveLength(3);
    for (const f of failed) expect(JSON.stringify(f.data)).not.toMatch(new RegExp(`${firstCode}|${secondCode}|zzzz`, 'i'));
  });

  it('stops trying codes after five wrong ones in a session', async () => {
    const user = await newUser();
    const { caller } = await signIn(user.id);
    const { secret } = await enrolTotp(caller);
    const lastStep = (await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpLastStep;
    const wrong = await wrongCode(secret);
    for (let i = 0; i < 5; i++) await expect(caller.mfa.stepUp({ method: 'totp', code: wrong })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // Even the right code waits now.
    await expect(caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) })).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^Too many wrong codes/) });
    expect(await auditOf(user.id, 'mfa.step_up_failed')).toHaveLength(5);
    // The right code was not even looked at: its step is still unused.
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpLastStep).toBe(lastStep);
  });
});

describe('authenticator secrets at rest', () => {
  /** A user whose secret was stored in plaintext, as rows written before secrets were sealed have it. */
  async function legacyUser(columns: { totpSecret?: string; totpPendingSecret?: string }) {
    const user = await newUser();
    return db().user.update({ where: { id: user.id }, data: { ...columns, totpEnabledAt: columns.totpSecret ? new Date() : null } });
  }

  /** What a procedure threw when a stored secret did not open: a server fault carrying the SecretBoxError. */
  async function unopened(call: Promise<unknown>): Promise<SecretBoxError> {
    const err = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    const cause = (err as { cause?: unknown }).cause;
    if (!(cause instanceof SecretBoxError)) throw new Error(`expected a SecretBoxError, got ${String(cause)}`);
    return cause;
  }

  it('keeps the key in a 0600 file in the data dir, and a secret opens only in its own row and with its key', async () => {
    const ana = await newUser();
    const anaSignIn = await signIn(ana.id);
    const { secret } = await enrolTotp(anaSignIn.caller);
    expect(fs.statSync(path.join(dataDir, KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
    const sealed = (await db().user.findUniqueOrThrow({ where: { id: ana.id } })).totpSecret!;

    // Ana's sealed secret copied into Ben's row: Ben's step-up with Ana's code is a clear failure, not a wrong code.
    const ben = await newUser();
    await db().user.update({ where: { id: ben.id }, data: { totpSecret: sealed, totpEnabledAt: new Date() } });
    const benSignIn = await signIn(ben.id);
    const copied = await unopened(benSignIn.caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) }));
    expect(copied.message).toMatch(new RegExp(`^Cannot open the sealed totp-secret of ${ben.id}: it does not authenticate`));
    await expect(db().user.findUniqueOrThrow({ where: { id: ben.id } })).resolves.toMatchObject({ totpSecret: sealed, totpLastStep: null });
    await expect(db().session.findUniqueOrThrow({ where: { id: benSignIn.sessionId } })).resolves.toMatchObject({ stepUpAt: null });

    // Another key in use (SECRETS_KEY set to a new one): the stored secret is refused, naming the key it needs.
    const keyId = sealed.split(':')[1]!;
    process.env.SECRETS_KEY = crypto.randomBytes(32).toString('base64');
    resetConfigForTests();
    try {
      const rotated = await unopened(anaSignIn.caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) }));
      expect(rotated.message).toMatch(new RegExp(`sealed with key ${keyId}, but the key in use is (?!${keyId})`));
    } finally {
      delete process.env.SECRETS_KEY;
      resetConfigForTests();
    }
    // Back on the key file's key, the same code passes.
    await expect(anaSignIn.caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) })).resolves.toMatchObject({ method: 'totp' });
  });

  it('verifies a secret stored in plaintext before sealing, and seals it when it passes', async () => {
    const secret = generateSecret();
    const user = await legacyUser({ totpSecret: secret });
    const { caller, sessionId } = await signIn(user.id);
    await expect(caller.mfa.status()).resolves.toMatchObject({ totpEnabled: true });

    // A wrong code changes nothing.
    await expect(caller.mfa.stepUp({ method: 'totp', code: await wrongCode(secret) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret).toBe(secret);

    const before = totpStepAt(new Date());
    await expect(caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret) })).resolves.toMatchObject({ method: 'totp' });
    const row = await db().user.findUniqueOrThrow({ where: { id: user.id } });
    expectSealed(user.id, row.totpSecret, secret);
    expect(row.totpLastStep).toBeGreaterThanOrEqual(before);

    // The sealed secret goes on working, and its used step stays used.
    await expect(caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret) })).rejects.toMatchObject({ message: expect.stringMatching(/used already/) });
    await expect(caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) })).resolves.toMatchObject({ method: 'totp' });
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret).toBe(row.totpSecret);

    expect((await auditOf(user.id, 'mfa.step_up')).map((s) => s.data)).toEqual([
      { method: 'totp', sessionId, secretSealed: true },
      { method: 'totp', sessionId },
    ]);
  });

  it('lets exactly one of two concurrent uses of a plaintext secret through, and seals it once', async () => {
    const secret = generateSecret();
    const user = await legacyUser({ totpSecret: secret });
    const [first, second] = [await signIn(user.id), await signIn(user.id)];
    const code = await codeAt(secret);
    const results = await Promise.allSettled([first.caller.mfa.stepUp({ method: 'totp', code }), second.caller.mfa.stepUp({ method: 'totp', code })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/used already/) });
    expectSealed(user.id, (await db().user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret, secret);
    expect(await auditOf(user.id, 'mfa.step_up')).toHaveLength(1);
  });

  it('confirms an enrolment begun before sealing, and stores the secret sealed', async () => {
    const secret = generateSecret();
    const user = await legacyUser({ totpPendingSecret: secret });
    const { caller } = await signIn(user.id);
    await expect(caller.mfa.totpConfirm({ code: await codeAt(secret) })).resolves.toMatchObject({ recoveryCodes: expect.any(Array) });
    const row = await db().user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.totpPendingSecret).toBeNull();
    expectSealed(user.id, row.totpSecret, secret);
    await expect(caller.mfa.stepUp({ method: 'totp', code: await codeAt(secret, 1) })).resolves.toMatchObject({ method: 'totp' });
  });
});

describe('security keys', () => {
  const fakeB64 = (n: number) => Buffer.alloc(n, 7).toString('base64url');

  it('keeps each ceremony challenge on the session for five minutes and takes it off with the first answer', async () => {
    const user = await newUser();
    const { caller, sessionId } = await signIn(user.id);
    await expect(caller.mfa.stepUpOptions()).resolves.toBeNull();

    const t0 = Date.now();
    const options = await caller.mfa.webauthnRegistrationOptions();
    expect(options.rp).toEqual({ id: 'console.test', name: 'Safeguard' });
    expect(options.user).toMatchObject({ name: user.email, displayName: user.name, id: Buffer.from(user.id.replace(/-/g, ''), 'hex').toString('base64url') });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(options.excludeCredentials).toEqual([]);
    const session = await db().session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session.challenge).toBe(`register:${options.challenge}`);
    expect(session.challengeExpiresAt!.getTime()).toBeGreaterThanOrEqual(t0 + FIVE_MINUTES - 1000);
    expect(session.challengeExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + FIVE_MINUTES);

    const forged = {
      id: fakeB64(16),
      rawId: fakeB64(16),
      response: { clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: 'http://console.test' })).toString('base64url'), attestationObject: fakeB64(64) },
      clientExtensionResults: {},
      type: 'public-key' as const,
    };
    await expect(caller.mfa.webauthnRegister({ name: 'Forged', response: forged })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/could not be verified/) });
    expect((await db().session.findUniqueOrThrow({ where: { id: sessionId } })).challenge).toBeNull();
    await expect(caller.mfa.webauthnRegister({ name: 'Forged', response: forged })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/expired or was already answered/) });
    expect(await db().webAuthnCredential.count({ where: { userId: user.id } })).toBe(0);

    // An expired challenge is refused (and cleared) too.
    await caller.mfa.webauthnRegistrationOptions();
    await db().session.update({ where: { id: sessionId }, data: { challengeExpiresAt: new Date(Date.now() - 1000) } });
    await expect(caller.mfa.webauthnRegister({ name: 'Late', response: forged })).rejects.toMatchObject({ message: expect.stringMatching(/expired or was already answered/) });
    expect((await db().session.findUniqueOrThrow({ where: { id: sessionId } })).challenge).toBeNull();
  });

  it('asks a user with a key for an assertion by that key, refuses one that does not verify, and guards removal', async () => {
    const user = await newUser();
    const { caller, sessionId } = await signIn(user.id);
    // A stored key (its public key is not a real one: no assertion can verify against it).
    const credentialId = fakeB64(32);
    await db().webAuthnCredential.create({ data: { id: credentialId, userId: user.id, publicKey: new Uint8Array(77), counter: 5n, transports: ['usb'], deviceType: 'singleDevice', name: 'Desk key' } });
    await expect(caller.mfa.status()).resolves.toMatchObject({ hasSecondFactor: true, credentials: [{ id: credentialId, name: 'Desk key', deviceType: 'singleDevice', lastUsedAt: null }] });

    const options = await caller.mfa.stepUpOptions();
    expect(options).toMatchObject({ rpId: 'console.test', userVerification: 'preferred', allowCredentials: [{ id: credentialId, type: 'public-key', transports: ['usb'] }] });
    expect((await db().session.findUniqueOrThrow({ where: { id: sessionId } })).challenge).toBe(`step-up:${options!.challenge}`);

    const assertion = {
      id: credentialId,
      rawId: credentialId,
      response: {
        clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options!.challenge, origin: 'http://console.test' })).toString('base64url'),
        authenticatorData: fakeB64(37),
        signature: fakeB64(70),
      },
      clientExtensionResults: {},
      type: 'public-key' as const,
    };
    await expect(caller.mfa.stepUp({ method: 'webauthn', response: assertion })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'Your security key could not be verified. Try again.' });
    const session = await db().session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session).toMatchObject({ challenge: null, stepUpAt: null });
    await expect(caller.mfa.stepUp({ method: 'webauthn', response: assertion })).rejects.toMatchObject({ message: expect.stringMatching(/expired or was already answered/) });
    // A key of someone else's (or none at all) is not looked at.
    await caller.mfa.stepUpOptions();
    await expect(caller.mfa.stepUp({ method: 'webauthn', response: { ...assertion, id: fakeB64(20), rawId: fakeB64(20) } })).rejects.toMatchObject({ message: 'That security key is not registered to your account.' });
    expect((await auditOf(user.id, 'mfa.step_up_failed')).map((f) => (f.data as { reason: string }).reason)).toEqual(['verification-failed', 'no-challenge', 'unknown-credential']);
    expect((await db().webAuthnCredential.findUniqueOrThrow({ where: { id: credentialId } })).counter).toBe(5n);

    // Adding another key or removing this one needs a step-up first.
    await expect(caller.mfa.webauthnRegistrationOptions()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(caller.mfa.webauthnRemove({ id: credentialId })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
  });
});
