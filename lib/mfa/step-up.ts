// Step-up: a recent second-factor check in this session. Requesting and approving access, and changing one's own
// second factors, need one no older than STEP_UP_MAX_AGE; the session row remembers when it happened and how.
// The checks for each method live beside the method (totp.ts, webauthn.ts, recovery-codes.ts); they end here.
import type { Prisma } from '../../generated/prisma/client';
import type { StepUpMethod, StepUpProof } from '../../domain/access/contracts';
import { durationMs } from '../../domain/durations';
import { appendAudit } from '../audit';
import { SESSION_TTL_MS } from '../session';
import { config } from '../config';
import type { Db } from '../db';

type Tx = Prisma.TransactionClient;

export const STEP_UP_REQUIRED_MESSAGE = 'Confirm it is you with your security key or authenticator code first.';
export const NO_SECOND_FACTOR_MESSAGE =
  'This needs a second factor: add a security key or an authenticator app on your Security page (/account/security) first.';

export type StepUpRefusal = 'no-second-factor' | 'stale';

/** The session has no recent second-factor check (stale), or the account has no second factor to check. */
export class StepUpRequiredError extends Error {
  constructor(readonly reason: StepUpRefusal) {
    super(reason === 'stale' ? STEP_UP_REQUIRED_MESSAGE : NO_SECOND_FACTOR_MESSAGE);
    this.name = 'StepUpRequiredError';
  }
}

export type MfaErrorCode = 'invalid-code' | 'bad-request' | 'not-found';

/** A refusal the person can act on: a wrong code, a step out of order, an unknown key. */
export class MfaError extends Error {
  constructor(
    readonly code: MfaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MfaError';
  }
}

/** Who is acting: the signed-in user and the session a step-up is recorded on. */
export interface MfaActor {
  userId: string;
  sessionId: string;
}

export const stepUpMaxAgeMs = () => durationMs(config().STEP_UP_MAX_AGE);

export interface StepUpState {
  method: StepUpMethod;
  at: Date;
  freshUntil: Date;
  fresh: boolean;
}

/** The session's last step-up, fresh or not; null when there has been none in this session. */
export function stepUpStateOf(session: { stepUpAt: Date | null; stepUpMethod: string | null }, now: Date): StepUpState | null {
  if (!session.stepUpAt || !session.stepUpMethod) return null;
  const freshUntil = new Date(session.stepUpAt.getTime() + stepUpMaxAgeMs());
  return { method: session.stepUpMethod as StepUpMethod, at: session.stepUpAt, freshUntil, fresh: now.getTime() <= freshUntil.getTime() };
}

/** A confirmed authenticator app or at least one security key (recovery codes are a way back, not a factor). */
export async function hasSecondFactor(db: Db | Tx, userId: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { totpSecret: true, _count: { select: { webauthnCredentials: true } } } });
  return Boolean(user && (user.totpSecret !== null || user._count.webauthnCredentials > 0));
}

/**
 * The session's step-up as proof for a sensitive action; throws StepUpRequiredError when the account has no second
 * factor or the last check in this session is older than STEP_UP_MAX_AGE.
 */
export async function requireFreshStepUp(db: Db, sessionId: string, now = new Date()): Promise<StepUpProof> {
  const session = await db.session.findUnique({ where: { id: sessionId }, select: { userId: true, stepUpAt: true, stepUpMethod: true } });
  if (!session) throw new StepUpRequiredError('stale');
  if (!(await hasSecondFactor(db, session.userId))) throw new StepUpRequiredError('no-second-factor');
  const state = stepUpStateOf(session, now);
  if (!state?.fresh) throw new StepUpRequiredError('stale');
  return { method: state.method, at: state.at.toISOString() };
}

export interface MfaStatus {
  totpEnabled: boolean;
  totpEnabledAt: Date | null;
  credentials: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null; deviceType: string }[];
  recoveryCodesRemaining: number;
  stepUp: StepUpState | null;
  hasSecondFactor: boolean;
}

/** What the security page and the step-up dialog show: factors, codes left, and this session's step-up. */
export async function mfaStatus(db: Db, actor: MfaActor, now = new Date()): Promise<MfaStatus> {
  const [user, session, recoveryCodesRemaining] = await Promise.all([
    db.user.findUniqueOrThrow({
      where: { id: actor.userId },
      select: {
        totpSecret: true,
        totpEnabledAt: true,
        webauthnCredentials: { orderBy: { createdAt: 'asc' }, select: { id: true, name: true, createdAt: true, lastUsedAt: true, deviceType: true } },
      },
    }),
    db.session.findUnique({ where: { id: actor.sessionId }, select: { stepUpAt: true, stepUpMethod: true } }),
    db.recoveryCode.count({ where: { userId: actor.userId, usedAt: null } }),
  ]);
  const totpEnabled = user.totpSecret !== null;
  return {
    totpEnabled,
    totpEnabledAt: user.totpEnabledAt,
    credentials: user.webauthnCredentials,
    recoveryCodesRemaining,
    stepUp: session ? stepUpStateOf(session, now) : null,
    hasSecondFactor: totpEnabled || user.webauthnCredentials.length > 0,
  };
}

/** Which second factors a user can finish signing in with (the sign-in page offers these). */
export async function secondFactorsOf(database: Db, userId: string): Promise<{ securityKeys: boolean; totp: boolean; recoveryCodesRemaining: number }> {
  const [user, keys, recoveryCodesRemaining] = await Promise.all([
    database.user.findUniqueOrThrow({ where: { id: userId }, select: { totpSecret: true } }),
    database.webAuthnCredential.count({ where: { userId } }),
    database.recoveryCode.count({ where: { userId, usedAt: null } }),
  ]);
  return { securityKeys: keys > 0, totp: user.totpSecret !== null, recoveryCodesRemaining };
}

/** Records a passed check on the session, with its audit entry; call inside the transaction that used the factor. */
export async function markSteppedUp(tx: Tx, actor: MfaActor, method: StepUpMethod, now: Date, data: Record<string, unknown> = {}): Promise<StepUpProof> {
  // A session that waited for its second factor at sign-in is now signed in, for the full session lifetime.
  const { count: signedIn } = await tx.session.updateMany({
    where: { id: actor.sessionId, secondFactorPending: true },
    data: { secondFactorPending: false, expiresAt: new Date(now.getTime() + SESSION_TTL_MS), lastSeenAt: now },
  });
  if (signedIn > 0) await tx.user.update({ where: { id: actor.userId }, data: { lastLoginAt: now } });
  await tx.session.update({ where: { id: actor.sessionId }, data: { stepUpAt: now, stepUpMethod: method } });
  await appendAudit(tx, {
    at: now,
    actorType: 'user',
    actorId: actor.userId,
    action: signedIn > 0 ? 'auth.signed_in_second_factor' : 'mfa.step_up',
    subjectType: 'user',
    subjectId: actor.userId,
    data: { method, sessionId: actor.sessionId, ...data },
  });
  return { method, at: now.toISOString() };
}

/** Audits a failed check (never the code itself) and returns the error to throw. */
export async function refuseStepUp(
  db: Db,
  actor: MfaActor,
  failure: { method: StepUpMethod; reason: string; detail?: string },
  error: MfaError,
  now: Date,
): Promise<MfaError> {
  await appendAudit(db, { at: now, actorType: 'user', actorId: actor.userId, action: 'mfa.step_up_failed', subjectType: 'user', subjectId: actor.userId, data: { ...failure, sessionId: actor.sessionId } });
  return error;
}

/**
 * Serialises changes to one user's factors (row lock on the user until the transaction ends), so two removals that
 * each leave "one other factor" cannot together leave none.
 */
export async function lockUserFactors(tx: Tx, userId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
}

export const INVALID_CODE_MESSAGE = 'That code is not valid. Check it and try again.';
export const REPLAYED_CODE_MESSAGE = 'That code is not valid: it has been used already. Wait for the next code from your app.';
