// Rotating SECRETS_KEY against a real PostgreSQL: values sealed under key A open once B is current and A is in
// SECRETS_KEY_PREVIOUS; a sign-in seals such a value again under B; `safeguard secrets status` counts values by key;
// `safeguard secrets reseal` moves previous-key and plaintext values to B in compare-and-set batches, changes nothing
// in a dry run or a second run, and lists (and leaves) values it cannot open, exiting non-zero.
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generate, generateSecret } from 'otplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSealedBatch, resealSecrets, SEALED_COLUMNS, secretsStatus, writeIfUnchanged } from '../../cli/secrets';
import { resetConfigForTests } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { stepUpWithTotp, TOTP_PERIOD_SECONDS, totpStepAt } from '../../lib/mfa';
import { openSecret, sealedKeyId, sealSecret, SecretBoxError, secretKey, type SecretKey } from '../../lib/secret-box';
import { createTestDatabase, type TestDatabase } from '../support/database';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '../..');

const material = { a: crypto.randomBytes(32), b: crypto.randomBytes(32), c: crypto.randomBytes(32) };
const A = secretKey(material.a);
const B = secretKey(material.b);
const UNKNOWN = secretKey(material.c);
/** The environment of a process with B current and A previous. */
const rotatedEnv = { SECRETS_KEY: material.b.toString('base64'), SECRETS_KEY_PREVIOUS: material.a.toString('hex') };

let database: TestDatabase;
let db: Db;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-secrets-'));
const saved = { SECRETS_KEY: process.env.SECRETS_KEY, SECRETS_KEY_PREVIOUS: process.env.SECRETS_KEY_PREVIOUS, SAFEGUARD_DATA_DIR: process.env.SAFEGUARD_DATA_DIR };

function setEnv(vars: Record<string, string | undefined>) {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigForTests();
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
});

afterAll(async () => {
  setEnv(saved);
  await db?.$disconnect();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  setEnv({ ...rotatedEnv, SAFEGUARD_DATA_DIR: dataDir });
  await db.user.deleteMany();
});

const totp = (userId: string) => ({ purpose: 'totp-secret', subject: userId });

let userCount = 0;
async function newUser(columns: { totpSecret?: (id: string) => string; totpPendingSecret?: (id: string) => string } = {}) {
  const n = ++userCount;
  const user = await db.user.create({ data: { email: `staff${n}@secrets.test`, name: `Staff ${n}`, role: 'approver', passwordHash: 'unused' } });
  return db.user.update({
    where: { id: user.id },
    data: { totpSecret: columns.totpSecret?.(user.id), totpPendingSecret: columns.totpPendingSecret?.(user.id), totpEnabledAt: columns.totpSecret ? new Date() : null },
  });
}

const sealedWith = (key: SecretKey, secret: string) => (userId: string) => sealSecret(secret, totp(userId), key);
const plain = (secret: string) => () => secret;
/** Sealed under `key`, then one byte of its ciphertext flipped: it names a configured key but does not authenticate. */
const tamperedWith = (key: SecretKey, secret: string) => (userId: string) => {
  const parts = sealSecret(secret, totp(userId), key).split(':');
  const bytes = Buffer.from(parts[3]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[3] = bytes.toString('base64url');
  return parts.join(':');
};

const rows = () => db.user.findMany({ select: { id: true, totpSecret: true, totpPendingSecret: true }, orderBy: { id: 'asc' } });
const resealAudit = () => db.auditEvent.findMany({ where: { action: 'secrets.resealed' }, orderBy: { seq: 'asc' } });
const cliActor = { type: 'cli', id: 'test-operator' };

/** One of each state, in both sealed columns, with the secrets each row's values hold. */
async function mixedRows() {
  const s = Array.from({ length: 8 }, () => generateSecret());
  const users = {
    underA: await newUser({ totpSecret: sealedWith(A, s[0]!) }),
    plaintext: await newUser({ totpSecret: plain(s[1]!) }),
    underB: await newUser({ totpSecret: sealedWith(B, s[2]!) }),
    unknownKey: await newUser({ totpSecret: sealedWith(UNKNOWN, s[3]!) }),
    tampered: await newUser({ totpSecret: tamperedWith(A, s[4]!) }),
    pendingUnderA: await newUser({ totpPendingSecret: sealedWith(A, s[5]!) }),
    pendingPlaintext: await newUser({ totpPendingSecret: plain(s[6]!) }),
    bothUnderA: await newUser({ totpSecret: sealedWith(A, s[7]!), totpPendingSecret: sealedWith(A, s[0]!) }),
    none: await newUser(),
  };
  return { s, users };
}

describe('secrets status and reseal', () => {
  it('counts by key, moves previous-key and plaintext values to the current key, and leaves what does not open', async () => {
    const { s, users } = await mixedRows();
    const before = await rows();

    const status = await secretsStatus({ db });
    expect(status.currentKeyId).toBe(B.id);
    expect(status.previousKeyIds).toEqual([A.id]);
    expect(status.columns).toEqual({
      'User.totpSecret': { current: 1, previous: { [A.id]: 2 }, unknownKey: { [UNKNOWN.id]: 1 }, plaintext: 1, unopenable: 1 },
      'User.totpPendingSecret': { current: 0, previous: { [A.id]: 2 }, unknownKey: {}, plaintext: 1, unopenable: 0 },
    });
    expect(status.total).toEqual({ current: 1, previous: { [A.id]: 4 }, unknownKey: { [UNKNOWN.id]: 1 }, plaintext: 2, unopenable: 1 });
    expect(status.unopened.map((u) => [u.rowKey, u.state, u.keyId])).toEqual(
      [
        [users.unknownKey.id, 'unknown-key', UNKNOWN.id],
        [users.tampered.id, 'unopenable', A.id],
      ].sort(([x], [y]) => (x! < y! ? -1 : 1)),
    );

    // A dry run counts what it would do and changes nothing, not even the audit log.
    const dry = await resealSecrets({ db, dryRun: true, batchSize: 2, actor: cliActor });
    expect(dry).toMatchObject({ dryRun: true, examined: 9, alreadyCurrent: 1, sealedFromPlaintext: 2, resealedFromPrevious: { [A.id]: 4 }, changedMeanwhile: 0 });
    expect(await rows()).toEqual(before);
    expect(await resealAudit()).toHaveLength(0);

    // Batches of two: every batch boundary of both columns is crossed.
    const first = await resealSecrets({ db, batchSize: 2, actor: cliActor });
    expect(first).toMatchObject({ dryRun: false, currentKeyId: B.id, examined: 9, alreadyCurrent: 1, sealedFromPlaintext: 2, resealedFromPrevious: { [A.id]: 4 }, changedMeanwhile: 0 });
    expect(first.unopened.map((u) => u.rowKey).sort()).toEqual([users.unknownKey.id, users.tampered.id].sort());
    expect(first.unopened.find((u) => u.rowKey === users.unknownKey.id)?.reason).toMatch(new RegExp(`sealed with key ${UNKNOWN.id}, but the keys in use are ${B.id}, ${A.id}`));

    const after = new Map((await rows()).map((r) => [r.id, r]));
    const opensUnderB = (value: string | null | undefined, userId: string, secret: string) => {
      expect(sealedKeyId(value!)).toBe(B.id);
      expect(openSecret(value!, totp(userId), [B])).toBe(secret);
    };
    opensUnderB(after.get(users.underA.id)?.totpSecret, users.underA.id, s[0]!);
    opensUnderB(after.get(users.plaintext.id)?.totpSecret, users.plaintext.id, s[1]!);
    opensUnderB(after.get(users.pendingUnderA.id)?.totpPendingSecret, users.pendingUnderA.id, s[5]!);
    opensUnderB(after.get(users.pendingPlaintext.id)?.totpPendingSecret, users.pendingPlaintext.id, s[6]!);
    opensUnderB(after.get(users.bothUnderA.id)?.totpSecret, users.bothUnderA.id, s[7]!);
    opensUnderB(after.get(users.bothUnderA.id)?.totpPendingSecret, users.bothUnderA.id, s[0]!);
    // Already current, unknown key, tampered, and empty: exactly as they were.
    for (const u of [users.underB, users.unknownKey, users.tampered, users.none]) expect(after.get(u.id)).toEqual(before.find((r) => r.id === u.id));

    // One audit entry with the counts, the rows that did not open by id, and nothing of any secret.
    const [entry, ...more] = await resealAudit();
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({ actorType: 'cli', actorId: 'test-operator', subjectType: 'secret_key', subjectId: B.id });
    expect(entry?.data).toMatchObject({ examined: 9, alreadyCurrent: 1, sealedFromPlaintext: 2, resealedFromPrevious: { [A.id]: 4 }, changedMeanwhile: 0, columns: SEALED_COLUMNS.map((c) => c.name) });
    const recorded = JSON.stringify(entry?.data);
    for (const secret of s) expect(recorded).not.toContain(secret);
    for (const r of [...before, ...after.values()]) for (const v of [r.totpSecret, r.totpPendingSecret]) if (v) expect(recorded).not.toContain(v);
    expect(recorded).toContain(users.unknownKey.id);

    // A second run finds nothing to do and changes nothing.
    const resealed = await rows();
    const second = await resealSecrets({ db, batchSize: 2, actor: cliActor });
    expect(second).toMatchObject({ examined: 9, alreadyCurrent: 7, sealedFromPlaintext: 0, resealedFromPrevious: {}, changedMeanwhile: 0 });
    expect(second.unopened).toHaveLength(2);
    expect(await rows()).toEqual(resealed);

    const done = await secretsStatus({ db });
    expect(done.total).toEqual({ current: 7, previous: {}, unknownKey: { [UNKNOWN.id]: 1 }, plaintext: 0, unopenable: 1 });
  });

  it('never overwrites a value that changed between its read and the write (compare-and-set)', async () => {
    const secret = generateSecret();
    const ana = await newUser({ totpSecret: sealedWith(A, secret) });
    const ben = await newUser({ totpSecret: plain(secret) });
    const [column] = SEALED_COLUMNS;
    const batch = await readSealedBatch(db, column!, null, 10);
    expect(batch.map((r) => r.rowKey).sort()).toEqual([ana.id, ben.id].sort());

    // Between the read and the write, a sign-in seals Ana's secret under B itself.
    const signIn = sealSecret(secret, totp(ana.id), B);
    await db.user.update({ where: { id: ana.id }, data: { totpSecret: signIn } });

    const writes = batch.map((r) => ({ rowKey: r.rowKey, was: r.value, value: sealSecret(secret, totp(r.rowKey), B) }));
    const written = await writeIfUnchanged(db, column!, writes);
    expect([...written]).toEqual([ben.id]);
    expect((await db.user.findUniqueOrThrow({ where: { id: ana.id } })).totpSecret).toBe(signIn);
    expect((await db.user.findUniqueOrThrow({ where: { id: ben.id } })).totpSecret).toBe(writes.find((w) => w.rowKey === ben.id)?.value);
  });

  it('opens a previous-key secret at sign-in and seals it under the current key there', async () => {
    const secret = generateSecret();
    const user = await newUser({ totpSecret: sealedWith(A, secret) });
    await db.session.create({ data: { tokenHash: crypto.randomBytes(32).toString('hex'), userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) } });
    const session = await db.session.findFirstOrThrow({ where: { userId: user.id } });
    const actor = { userId: user.id, sessionId: session.id };
    const code = (offset: number) => generate({ secret, epoch: (totpStepAt(new Date()) + offset) * TOTP_PERIOD_SECONDS });

    // B alone: the value names the key it needs, and nothing is written.
    setEnv({ SECRETS_KEY_PREVIOUS: undefined });
    await expect(stepUpWithTotp(db, actor, await code(0))).rejects.toBeInstanceOf(SecretBoxError);
    expect(sealedKeyId((await db.user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret!)).toBe(A.id);

    setEnv(rotatedEnv);
    await expect(stepUpWithTotp(db, actor, await code(0))).resolves.toMatchObject({ method: 'totp' });
    const stored = (await db.user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret!;
    expect(sealedKeyId(stored)).toBe(B.id);
    expect(openSecret(stored, totp(user.id), [B])).toBe(secret);
    const steps = await db.auditEvent.findMany({ where: { actorId: user.id, action: 'mfa.step_up' }, orderBy: { seq: 'asc' } });
    expect(steps.map((e) => e.data)).toEqual([{ method: 'totp', sessionId: session.id, secretResealed: true }]);

    // Sealed under B now: the next code passes with A dropped, and is stored as it is.
    setEnv({ SECRETS_KEY_PREVIOUS: undefined });
    await expect(stepUpWithTotp(db, actor, await code(1))).resolves.toMatchObject({ method: 'totp' });
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).totpSecret).toBe(stored);
  });
});

describe('safeguard secrets (the command)', () => {
  const cli = (args: string[], env: Record<string, string> = rotatedEnv) =>
    run(process.execPath, [path.join(root, 'bin/safeguard.js'), 'secrets', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: database.url, SAFEGUARD_DATA_DIR: dataDir, ...env },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, stdout: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );

  it('reports, reseals, exits non-zero while values do not open, and zero once they are dealt with', async () => {
    const { users } = await mixedRows();

    const status = await cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`current key ${B.id}; previous keys: ${A.id}`);
    expect(status.stdout).toContain(`total: 1 with the current key, 4 with a previous key (${A.id}: 4), 1 with an unknown key (${UNKNOWN.id}: 1), 2 plaintext, 1 that do not open`);
    expect(status.stdout).toContain('run `safeguard secrets reseal`');

    const before = await rows();
    const entries = (await resealAudit()).length;
    const dry = await cli(['reseal', '--dry-run']);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain('dry run: 9 values examined');
    expect(await rows()).toEqual(before);

    const reseal = await cli(['reseal', '--batch-size', '3']);
    expect(reseal.code).toBe(2);
    expect(reseal.stdout).toContain(`cannot open User.totpSecret of ${users.unknownKey.id}: `);
    expect(reseal.stdout).toContain(`cannot open User.totpSecret of ${users.tampered.id}: `);
    expect(reseal.stdout).toContain(`sealed 2 plaintext and 4 from a previous key (${A.id}: 4); 0 changed meanwhile (left as they are); 2 cannot be opened`);
    const [entry, ...more] = (await resealAudit()).slice(entries);
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({ actorType: 'cli', actorId: os.userInfo().username, data: expect.objectContaining({ sealedFromPlaintext: 2 }) });

    expect((await cli(['reseal', '--batch-size', '0'])).stdout).toMatch(/--batch-size.*must be a positive whole number/);

    // The operator deals with the two (the users enrol again); then everything is current and A can go.
    await db.user.updateMany({ where: { id: { in: [users.unknownKey.id, users.tampered.id] } }, data: { totpSecret: null, totpEnabledAt: null } });
    const clean = await cli(['reseal']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('7 values examined, 7 already with the current key');
    const dropped = await cli(['status'], { SECRETS_KEY: rotatedEnv.SECRETS_KEY, SECRETS_KEY_PREVIOUS: '' });
    expect(dropped.stdout).toContain('total: 7 with the current key, 0 with a previous key, 0 with an unknown key, 0 plaintext, 0 that do not open');

    const ready = await cli(['status']);
    expect(ready.stdout).toContain('every value is sealed with the current key: SECRETS_KEY_PREVIOUS can be removed');

    const broken = await cli(['status'], { ...rotatedEnv, SECRETS_KEY_PREVIOUS: `${rotatedEnv.SECRETS_KEY_PREVIOUS},oops` });
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toMatch(/SECRETS_KEY_PREVIOUS: key 2 of 2 must be 32 bytes/);
    expect(broken.stdout).not.toContain(rotatedEnv.SECRETS_KEY_PREVIOUS);
  });
});
