// Security keys (WebAuthn, through SimpleWebAuthn): registering one, removing one, and the step-up assertion.
// Each ceremony's challenge is kept on the session row for five minutes and taken off it by the first answer, right or
// wrong, so an answer can never be replayed against the same challenge.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { StepUpProof } from '../../domain/access/contracts';
import { appendAudit } from '../audit';
import { config } from '../config';
import type { Db } from '../db';
import { issueRecoveryCodesIfNone } from './recovery-codes';
import { lockUserFactors, markSteppedUp, MfaError, refuseStepUp, type MfaActor } from './step-up';

export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60 * 1000;
export const CREDENTIAL_NAME_MAX = 64;

type Ceremony = 'register' | 'step-up';

export interface RelyingParty {
  id: string;
  name: string;
  /** The origin the browser reports in clientDataJSON. */
  origin: string;
}

/** The relying party from configuration: the ID defaults to PUBLIC_URL's host name, the origin is PUBLIC_URL's. */
export function relyingParty(): RelyingParty {
  const c = config();
  const url = new URL(c.PUBLIC_URL);
  return { id: c.WEBAUTHN_RP_ID ?? url.hostname, name: c.WEBAUTHN_RP_NAME, origin: url.origin };
}

/** The user handle given to authenticators: the user's UUID as 16 bytes (stable, and no personal data). */
const userHandle = (userId: string) => new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));

/** A signature counter must move forward; authenticators that do not count report 0 every time. */
export const counterAdvances = (stored: number, received: number) => (stored === 0 && received === 0) || received > stored;

async function storeChallenge(db: Db, sessionId: string, ceremony: Ceremony, challenge: string, now: Date): Promise<void> {
  await db.session.update({
    where: { id: sessionId },
    data: { challenge: `${ceremony}:${challenge}`, challengeExpiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_TTL_MS) },
  });
}

/**
 * Takes the session's challenge off the row (whatever ceremony it was for) and returns it if it is for `ceremony`
 * and unexpired. Cleared first, in its own statement, so a failed verification cannot leave it usable.
 */
async function takeChallenge(db: Db, sessionId: string, ceremony: Ceremony, now: Date): Promise<string | null> {
  const session = await db.session.findUnique({ where: { id: sessionId }, select: { challenge: true, challengeExpiresAt: true } });
  if (!session?.challenge) return null;
  const taken = await db.session.updateMany({ where: { id: sessionId, challenge: session.challenge }, data: { challenge: null, challengeExpiresAt: null } });
  // Another request with the same answer took it first.
  if (taken.count !== 1) return null;
  if (!session.challengeExpiresAt || session.challengeExpiresAt.getTime() <= now.getTime()) return null;
  const [kind, value] = session.challenge.split(':', 2);
  return kind === ceremony && value ? value : null;
}

const CHALLENGE_GONE = 'The security key request expired or was already answered: try again.';

/** Options for navigator.credentials.create(); the user's existing keys are excluded so one key is not added twice. */
export async function webauthnRegistrationOptions(
  db: Db,
  actor: MfaActor & { email: string; name: string },
  now = new Date(),
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty();
  const existing = await db.webAuthnCredential.findMany({ where: { userId: actor.userId }, select: { id: true, transports: true } });
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: actor.email,
    userDisplayName: actor.name,
    userID: userHandle(actor.userId),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
  });
  await storeChallenge(db, actor.sessionId, 'register', options.challenge, now);
  return options;
}

/** Verifies the browser's answer and stores the key; a user without unused recovery codes gets ten, returned once. */
export async function registerWebAuthnCredential(
  db: Db,
  actor: MfaActor,
  input: { name: string; response: RegistrationResponseJSON },
  now = new Date(),
): Promise<{ id: string; recoveryCodes: string[] | null }> {
  const name = input.name.trim();
  if (!name || name.length > CREDENTIAL_NAME_MAX) throw new MfaError('bad-request', `Name the key (1 to ${CREDENTIAL_NAME_MAX} characters), so you can tell your keys apart.`);
  const challenge = await takeChallenge(db, actor.sessionId, 'register', now);
  if (!challenge) throw new MfaError('bad-request', CHALLENGE_GONE);
  const rp = relyingParty();
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // 'preferred': a key without a PIN is still a possession factor on top of the password.
      requireUserVerification: false,
    });
  } catch (err) {
    throw new MfaError('bad-request', `The security key's answer could not be verified: ${(err as Error).message}`);
  }
  if (!verification.verified) throw new MfaError('bad-request', "The security key's answer could not be verified.");
  const { credential, credentialDeviceType, credentialBackedUp, aaguid } = verification.registrationInfo;
  try {
    const recoveryCodes = await db.$transaction(async (tx) => {
      await lockUserFactors(tx, actor.userId);
      await tx.webAuthnCredential.create({
        data: {
          id: credential.id,
          userId: actor.userId,
          publicKey: credential.publicKey,
          counter: BigInt(credential.counter),
          transports: credential.transports ?? [],
          deviceType: credentialDeviceType,
          backedUp: credentialBackedUp,
          name,
          createdAt: now,
        },
      });
      const codes = await issueRecoveryCodesIfNone(tx, actor.userId, now);
      await appendAudit(tx, {
        at: now,
        actorType: 'user',
        actorId: actor.userId,
        action: 'mfa.webauthn_registered',
        subjectType: 'user',
        subjectId: actor.userId,
        data: { credentialId: credential.id, name, deviceType: credentialDeviceType, backedUp: credentialBackedUp, aaguid, recoveryCodesIssued: codes?.length ?? 0 },
      });
      return codes;
    });
    return { id: credential.id, recoveryCodes };
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002') throw new MfaError('bad-request', 'This security key is already registered.');
    throw err;
  }
}

/**
 * Removes one of the user's keys (the router asks for a fresh step-up). The last second factor cannot be removed:
 * an account without one would let anyone holding the password enrol their own factor without a step-up.
 */
export async function removeWebAuthnCredential(db: Db, actor: MfaActor, credentialId: string, now = new Date()): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockUserFactors(tx, actor.userId);
    const row = await tx.webAuthnCredential.findFirst({ where: { id: credentialId, userId: actor.userId }, select: { id: true, name: true } });
    if (!row) throw new MfaError('not-found', 'There is no such security key on your account.');
    const user = await tx.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { totpSecret: true, _count: { select: { webauthnCredentials: true } } } });
    if (user.totpSecret === null && user._count.webauthnCredentials <= 1) {
      throw new MfaError('bad-request', 'This is your only second factor: add another security key or the authenticator app before removing it.');
    }
    await tx.webAuthnCredential.delete({ where: { id: row.id } });
    await appendAudit(tx, { at: now, actorType: 'user', actorId: actor.userId, action: 'mfa.webauthn_removed', subjectType: 'user', subjectId: actor.userId, data: { credentialId: row.id, name: row.name } });
  });
}

/** Options for navigator.credentials.get() with the user's keys; null when the user has none. */
export async function webauthnStepUpOptions(db: Db, actor: MfaActor, now = new Date()): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const keys = await db.webAuthnCredential.findMany({ where: { userId: actor.userId }, select: { id: true, transports: true } });
  if (keys.length === 0) return null;
  const options = await generateAuthenticationOptions({
    rpID: relyingParty().id,
    allowCredentials: keys.map((k) => ({ id: k.id, transports: k.transports })),
    userVerification: 'preferred',
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
  });
  await storeChallenge(db, actor.sessionId, 'step-up', options.challenge, now);
  return options;
}

/** A step-up with a security key: the assertion must answer this session's challenge with one of the user's keys. */
export async function stepUpWithWebAuthn(db: Db, actor: MfaActor, response: AuthenticationResponseJSON, now = new Date()): Promise<StepUpProof> {
  const refuse = async (reason: string, message: string, detail?: string) =>
    refuseStepUp(db, actor, { method: 'webauthn', reason, ...(detail ? { detail } : {}) }, new MfaError('invalid-code', message), now);
  const challenge = await takeChallenge(db, actor.sessionId, 'step-up', now);
  if (!challenge) throw await refuse('no-challenge', CHALLENGE_GONE);
  const row = await db.webAuthnCredential.findFirst({ where: { id: response.id, userId: actor.userId } });
  if (!row) throw await refuse('unknown-credential', 'That security key is not registered to your account.');
  const rp = relyingParty();
  let newCounter: number;
  let backedUp: boolean;
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: row.id, publicKey: row.publicKey, counter: Number(row.counter), transports: row.transports },
      requireUserVerification: false,
    });
    if (!result.verified) throw new Error('the signature does not verify');
    ({ newCounter, credentialBackedUp: backedUp } = result.authenticationInfo);
  } catch (err) {
    throw await refuse('verification-failed', 'Your security key could not be verified. Try again.', (err as Error).message);
  }
  // SimpleWebAuthn refuses a counter that went backwards too; checked here as well because a clone is the risk.
  if (!counterAdvances(Number(row.counter), newCounter)) {
    throw await refuse('counter-regressed', 'Your security key could not be verified: its use counter went backwards, which a copied key would cause.');
  }
  const proof = await db.$transaction(async (tx) => {
    // Conditional on the counter read above: a concurrent use of the same key in another session wins once.
    const updated = await tx.webAuthnCredential.updateMany({
      where: { id: row.id, counter: row.counter },
      data: { counter: BigInt(newCounter), lastUsedAt: now, backedUp },
    });
    if (updated.count !== 1) return null;
    return markSteppedUp(tx, actor, 'webauthn', now, { credentialId: row.id });
  });
  if (proof) return proof;
  throw await refuse('counter-race', 'Your security key was used elsewhere at the same moment. Try again.');
}
