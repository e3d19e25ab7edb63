// Console sessions: a random token in an httpOnly cookie; only its SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../domain/roles';
import type { Db } from './db';
import { verifyPassword } from './passwords';

export const SESSION_COOKIE = 'sg_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Between the password and the second factor: long enough to find the key, short enough not to linger. */
export const SECOND_FACTOR_TTL_MS = 10 * 60 * 1000;
// Sliding expiry is written at most this often, so every request does not write a row.
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  sessionId: string;
}

/** A session, which may still wait for its second factor (then nothing but that check is allowed). */
export interface SessionState extends SessionUser {
  secondFactorPending: boolean;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

// One hash to verify against when the email is unknown, so both failures take the same time.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$4xeqkFlYqASEFhX3RaNWmQ$2rALp2GK2GkzFAPkU4aItf66dk/+4Quw3gN1Q4UkrcI';

/**
 * Checks email and password; the same `null` for an unknown email, a wrong password or a disabled user.
 * A stored hash that is not argon2 throws: that is broken data for an operator to see, not a wrong password.
 */
export async function authenticate(db: Db, email: string, password: string) {
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
  if (!user || !ok || user.disabled) return null;
  return user;
}

/**
 * Starts a session after the password was checked. With `secondFactorPending` (the user has a second factor) it is
 * good for nothing but that check, and lasts minutes until the check passes (lib/mfa markSteppedUp).
 */
export async function createSession(db: Db, userId: string, meta: { ip?: string; userAgent?: string }, opts: { secondFactorPending?: boolean } = {}) {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  const secondFactorPending = opts.secondFactorPending ?? false;
  const expiresAt = new Date(now.getTime() + (secondFactorPending ? SECOND_FACTOR_TTL_MS : SESSION_TTL_MS));
  // Expired sessions have no use; each sign-in clears its own user's.
  await db.session.deleteMany({ where: { userId, expiresAt: { lte: now } } });
  await db.session.create({
    data: { tokenHash: hashToken(token), userId, expiresAt, secondFactorPending, ip: meta.ip, userAgent: meta.userAgent?.slice(0, 512) },
  });
  if (!secondFactorPending) await db.user.update({ where: { id: userId }, data: { lastLoginAt: now } });
  return { token, expiresAt };
}

/** The signed-in user for a cookie token, or null (also while the session waits for its second factor). */
export async function userForToken(db: Db, token: string | undefined): Promise<SessionUser | null> {
  const session = await sessionForToken(db, token);
  if (!session || session.secondFactorPending) return null;
  const { secondFactorPending: _, ...user } = session;
  return user;
}

/** The session of a cookie token, signed in or waiting for its second factor; extends it while it is used. */
export async function sessionForToken(db: Db, token: string | undefined): Promise<SessionState | null> {
  if (!token) return null;
  const session = await db.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!session || session.expiresAt.getTime() <= Date.now() || session.user.disabled) return null;
  if (!session.secondFactorPending && Date.now() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db.session.update({
      where: { id: session.id },
      data: { lastSeenAt: new Date(), expiresAt: new Date(Date.now() + SESSION_TTL_MS) },
    });
  }
  const { user } = session;
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionId: session.id, secondFactorPending: session.secondFactorPending };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashToken(token) } });
}

/** The Set-Cookie value; Secure whenever the console is served over https. */
export function sessionCookie(token: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${opts.maxAgeSeconds}`];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}
