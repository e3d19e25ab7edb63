// One-time recovery codes, for a lost security key or phone: ten `xxxx-xxxx-xxxx` codes shown once, only their SHA-256
// stored. Each passes one step-up; after that the person can add a new factor and remove the lost one.
import { createHash, randomBytes } from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client';
import type { StepUpProof } from '../../domain/access/contracts';
import { appendAudit } from '../audit';
import type { Db } from '../db';
import { markSteppedUp, MfaError, refuseStepUp, type MfaActor } from './step-up';

type Tx = Prisma.TransactionClient;

export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32: no i, l, o or u, so a code read off paper is not mistyped. 12 characters carry 60 random bits.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_CHARS = 12;
const CODE_SHAPE = /^[0-9abcdefghjkmnpqrstvwxyz]{12}$/;

/** A fresh code, `xxxx-xxxx-xxxx`, from 8 random bytes (60 of the 64 bits used). */
export function newRecoveryCode(): string {
  let bits = randomBytes(8).readBigUInt64BE();
  let chars = '';
  for (let i = 0; i < CODE_CHARS; i++) {
    chars += ALPHABET[Number(bits & 31n)];
    bits >>= 5n;
  }
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** `count` distinct fresh codes. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newRecoveryCode());
  return [...codes];
}

/** The code as typed, reduced to its 12 characters (case, spaces, dashes and Crockford look-alikes forgiven); null when it cannot be one. */
export function normaliseRecoveryCode(input: string): string | null {
  const chars = input
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  return CODE_SHAPE.test(chars) ? chars : null;
}

/** SHA-256 (hex) of the normalised code; null for input that cannot be a code. */
export function hashRecoveryCode(input: string): string | null {
  const code = normaliseRecoveryCode(input);
  return code === null ? null : createHash('sha256').update(code, 'utf8').digest('hex');
}

/** Replaces all of a user's codes (used or not) with fresh ones and returns them, to be shown once. */
export async function replaceRecoveryCodes(tx: Tx, userId: string, now: Date): Promise<string[]> {
  const codes = newRecoveryCodes();
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({ data: codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code)!, createdAt: now })) });
  return codes;
}

/** Fresh codes when the user has none left unused (a first factor was just added), else null: existing codes stay valid. */
export async function issueRecoveryCodesIfNone(tx: Tx, userId: string, now: Date): Promise<string[] | null> {
  const unused = await tx.recoveryCode.count({ where: { userId, usedAt: null } });
  return unused > 0 ? null : replaceRecoveryCodes(tx, userId, now);
}

export const recoveryCodesRemaining = (db: Db, userId: string) => db.recoveryCode.count({ where: { userId, usedAt: null } });

/** Marks the code used, once: of two concurrent uses of one code, exactly one updates the row. */
export async function useRecoveryCode(tx: Tx | Db, userId: string, input: string, now: Date): Promise<boolean> {
  const codeHash = hashRecoveryCode(input);
  if (codeHash === null) return false;
  const used = await tx.recoveryCode.updateMany({ where: { userId, codeHash, usedAt: null }, data: { usedAt: now } });
  return used.count === 1;
}

/** New codes for the signed-in user (the router asks for a fresh step-up first); the old ones stop working. */
export async function regenerateRecoveryCodes(db: Db, actor: MfaActor, now = new Date()): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const codes = await replaceRecoveryCodes(tx, actor.userId, now);
    await appendAudit(tx, { at: now, actorType: 'user', actorId: actor.userId, action: 'mfa.recovery_codes_regenerated', subjectType: 'user', subjectId: actor.userId, data: { count: codes.length } });
    return codes;
  });
}

/** A step-up with a recovery code, which is then used up. */
export async function stepUpWithRecoveryCode(db: Db, actor: MfaActor, code: string, now = new Date()): Promise<StepUpProof> {
  const proof = await db.$transaction(async (tx) => {
    if (!(await useRecoveryCode(tx, actor.userId, code, now))) return null;
    const remaining = await tx.recoveryCode.count({ where: { userId: actor.userId, usedAt: null } });
    return markSteppedUp(tx, actor, 'recovery_code', now, { recoveryCodesRemaining: remaining });
  });
  if (proof) return proof;
  throw await refuseStepUp(db, actor, { method: 'recovery_code', reason: 'invalid' }, new MfaError('invalid-code', 'That code is not valid: it is not one of your recovery codes, or it has been used.'), now);
}
