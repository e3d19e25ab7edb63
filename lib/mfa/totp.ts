// The authenticator-app fallback (TOTP, RFC 6238, through otplib): enrolment with a QR code and a confirming code,
// step-up with a code, turning it off. A code's time step is accepted once: totpLastStep only moves forward, in a
// conditional update, so a code seen over someone's shoulder (or sent twice at once) does not pass a second time.
// Secrets are stored sealed (lib/secret-box.ts); one stored in plaintext before that, or sealed with a key that has
// since been rotated out (SECRETS_KEY_PREVIOUS), is sealed with the current key when it next passes.
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Prisma } from '../../generated/prisma/client';
import type { StepUpProof } from '../../domain/access/contracts';
import { appendAudit } from '../audit';
import { config } from '../config';
import type { Db } from '../db';
import { openStoredSecret, sealSecret, type OpenedSecret, type SealContext } from '../secret-box';
import { issueRecoveryCodesIfNone } from './recovery-codes';
import { INVALID_CODE_MESSAGE, lockUserFactors, markSteppedUp, MfaError, refuseStepUp, REPLAYED_CODE_MESSAGE, type MfaActor } from './step-up';

type Tx = Prisma.TransactionClient;

export const TOTP_PERIOD_SECONDS = 30;
/** Codes of the step before and after the current one pass too: phone clocks drift and people type slowly. */
export const TOTP_WINDOW_STEPS = 1;
const CODE_SHAPE = /^\d{6}$/;

/** The code as typed, without the space or dash some apps show in the middle. */
export const normaliseTotpCode = (code: string) => code.replace(/[\s-]/g, '');

export const totpStepAt = (now: Date) => Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'invalid' | 'replayed' };

/** Checks a code against a secret at `now` (± one step); a step at or before `lastStep` was used already. */
export async function checkTotp(secret: string, input: string, opts: { now: Date; lastStep: number | null }): Promise<TotpCheck> {
  const token = normaliseTotpCode(input);
  if (!CODE_SHAPE.test(token)) return { ok: false, reason: 'invalid' };
  const result = await verify({
    secret,
    token,
    epoch: Math.floor(opts.now.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS,
  });
  // otplib's result type covers HOTP too; a TOTP match always carries its time step.
  if (!result.valid || !('timeStep' in result)) return { ok: false, reason: 'invalid' };
  if (opts.lastStep !== null && result.timeStep <= opts.lastStep) return { ok: false, reason: 'replayed' };
  return { ok: true, step: result.timeStep };
}

// Both columns hold the user's own secret (confirming moves the pending one over as it is); no other row opens it.
/** The record a user's authenticator secret (totpSecret or totpPendingSecret) is sealed for. */
export const totpSealContext = (userId: string): SealContext => ({ purpose: 'totp-secret', subject: userId });

const sealTotpSecret = (userId: string, secret: string) => sealSecret(secret, totpSealContext(userId));

/**
 * A stored secret opened for use: sealed with the current or a previous key, or plaintext stored before secrets were
 * sealed. A sealed value that does not open (unknown key, altered, another user's) throws a SecretBoxError rather
 * than failing every code.
 */
const openTotpForUse = (userId: string, stored: string) => openStoredSecret(stored, totpSealContext(userId));

/** The base32 secret from a stored value (see openTotpForUse). */
export const openTotpSecret = (userId: string, stored: string) => openTotpForUse(userId, stored).plaintext;

/** What to store for a secret that passed a check: sealed with the current key (as it is, or sealed again). */
const sealedForStorage = (stored: string, opened: OpenedSecret) => opened.reseal() ?? stored;

/** What the audit entry of a passing use says about the secret's storage. */
const resealNote = ({ from }: OpenedSecret) => (from === 'plaintext' ? { secretSealed: true } : from === 'previous' ? { secretResealed: true } : {});

/**
 * Moves totpLastStep to `step` only if it is still behind and the stored secret is unchanged (and stores `sealed` in
 * its place: a plaintext secret, or one sealed with a previous key, is sealed with the current key by the use that
 * passes); false when another request used this (or a later)
 * step first. PostgreSQL re-checks the condition on the locked row, so two uses cannot both win.
 */
export async function consumeTotpStep(tx: Tx | Db, userId: string, stored: string, step: number, sealed: string): Promise<boolean> {
  const updated = await tx.user.updateMany({
    where: { id: userId, totpSecret: stored, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
    data: { totpLastStep: step, totpSecret: sealed },
  });
  return updated.count === 1;
}

export interface TotpEnrolment {
  /** Base32, for typing into an app by hand. */
  secret: string;
  /** otpauth://totp/… as the QR code carries it. */
  uri: string;
  /** The QR code as an SVG data: URL, for an <img> (no markup is put into the page). */
  qrCode: string;
}

/** A new secret with its otpauth URI and QR code; `issuer` is what the app shows above the code. */
export async function newTotpEnrolment(label: string, issuer: string): Promise<TotpEnrolment> {
  const secret = generateSecret();
  const uri = generateURI({ issuer, label, secret, period: TOTP_PERIOD_SECONDS });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}` };
}

/** Starts (or restarts) enrolment: a new secret, kept as pending until a code from it is confirmed. */
export async function beginTotpEnrolment(db: Db, actor: MfaActor & { email: string }, now = new Date()): Promise<TotpEnrolment> {
  const enrolment = await newTotpEnrolment(actor.email, config().WEBAUTHN_RP_NAME);
  const sealed = sealTotpSecret(actor.userId, enrolment.secret);
  await db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: actor.userId }, data: { totpPendingSecret: sealed } });
    await appendAudit(tx, { at: now, actorType: 'user', actorId: actor.userId, action: 'mfa.totp_enrolment_started', subjectType: 'user', subjectId: actor.userId, data: {} });
  });
  return enrolment;
}

/**
 * Confirms enrolment with a code from the pending secret: it becomes the secret (replacing an earlier one), and a
 * user without unused recovery codes gets ten, returned here once.
 */
export async function confirmTotpEnrolment(db: Db, actor: MfaActor, code: string, now = new Date()): Promise<{ recoveryCodes: string[] | null }> {
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { totpPendingSecret: true, totpSecret: true } });
  const pending = user.totpPendingSecret;
  if (!pending) throw new MfaError('bad-request', 'Start setting up the authenticator app first: there is no code to confirm.');
  const opened = openTotpForUse(actor.userId, pending);
  const check = await checkTotp(opened.plaintext, code, { now, lastStep: null });
  if (!check.ok) throw new MfaError('invalid-code', INVALID_CODE_MESSAGE);
  const recoveryCodes = await db.$transaction(async (tx) => {
    // Conditional on the pending secret: a restarted enrolment in another tab makes this code's secret obsolete.
    const updated = await tx.user.updateMany({
      where: { id: actor.userId, totpPendingSecret: pending },
      data: { totpSecret: sealedForStorage(pending, opened), totpPendingSecret: null, totpEnabledAt: now, totpLastStep: check.step },
    });
    if (updated.count !== 1) return undefined;
    const codes = await issueRecoveryCodesIfNone(tx, actor.userId, now);
    await appendAudit(tx, {
      at: now,
      actorType: 'user',
      actorId: actor.userId,
      action: 'mfa.totp_enabled',
      subjectType: 'user',
      subjectId: actor.userId,
      data: { replacedEarlierSecret: user.totpSecret !== null, recoveryCodesIssued: codes?.length ?? 0 },
    });
    return codes;
  });
  if (recoveryCodes === undefined) throw new MfaError('bad-request', 'The set-up was restarted meanwhile: scan the newest QR code and try again.');
  return { recoveryCodes };
}

/** Turns the authenticator app off (the router asks for a fresh step-up); refused when it is the only factor left. */
export async function disableTotp(db: Db, actor: MfaActor, now = new Date()): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockUserFactors(tx, actor.userId);
    const user = await tx.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { totpSecret: true, _count: { select: { webauthnCredentials: true } } } });
    if (user.totpSecret === null) throw new MfaError('bad-request', 'The authenticator app is not turned on.');
    // With no factor left, anyone holding the password could enrol their own without a step-up.
    if (user._count.webauthnCredentials === 0) {
      throw new MfaError('bad-request', 'The authenticator app is your only second factor: add a security key before turning it off.');
    }
    await tx.user.update({ where: { id: actor.userId }, data: { totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null } });
    await appendAudit(tx, { at: now, actorType: 'user', actorId: actor.userId, action: 'mfa.totp_disabled', subjectType: 'user', subjectId: actor.userId, data: {} });
  });
}

/** A step-up with a code from the authenticator app. */
export async function stepUpWithTotp(db: Db, actor: MfaActor, code: string, now = new Date()): Promise<StepUpProof> {
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { totpSecret: true, totpLastStep: true } });
  const stored = user.totpSecret;
  if (!stored) {
    throw await refuseStepUp(db, actor, { method: 'totp', reason: 'not-enrolled' }, new MfaError('bad-request', 'You have no authenticator app set up: use your security key or a recovery code.'), now);
  }
  const opened = openTotpForUse(actor.userId, stored);
  const check = await checkTotp(opened.plaintext, code, { now, lastStep: user.totpLastStep });
  if (!check.ok) {
    const message = check.reason === 'replayed' ? REPLAYED_CODE_MESSAGE : INVALID_CODE_MESSAGE;
    throw await refuseStepUp(db, actor, { method: 'totp', reason: check.reason }, new MfaError('invalid-code', message), now);
  }
  const proof = await db.$transaction(async (tx) => {
    if (!(await consumeTotpStep(tx, actor.userId, stored, check.step, sealedForStorage(stored, opened)))) return null;
    return markSteppedUp(tx, actor, 'totp', now, resealNote(opened));
  });
  if (proof) return proof;
  throw await refuseStepUp(db, actor, { method: 'totp', reason: 'replayed' }, new MfaError('invalid-code', REPLAYED_CODE_MESSAGE), now);
}
