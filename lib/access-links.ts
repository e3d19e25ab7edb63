// Signed links for people without an account (a tenant's contact, a web-form reporter).
// The token is 32 random bytes shown once in the link; only its SHA-256 is stored, bound to a purpose and a subject.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AccessLink } from '../generated/prisma/client';
import { TENANT_CASE_LINK } from '../domain/cases';
import { config } from './config';
import { db as defaultDb, type Db } from './db';

export type AccessLinkErrorCode = 'unknown' | 'expired' | 'revoked' | 'used' | 'wrong-subject';

export type AccessLinkVerdict = { ok: true; link: AccessLink } | { ok: false; error: AccessLinkErrorCode; message: string };

/** Pages that open a link of a purpose; the token is the last path segment. */
const LINK_PATHS: Record<string, string> = { [TENANT_CASE_LINK]: '/t/' };

const MESSAGES: Record<AccessLinkErrorCode, string> = {
  unknown: 'This link is not valid. Check that it was copied completely.',
  expired: 'This link has expired.',
  revoked: 'This link has been withdrawn.',
  used: 'This link has already been used.',
  'wrong-subject': 'This link does not belong to this case.',
};

// base64url of 32 bytes is exactly 43 characters; anything else cannot be one of ours.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const hashLinkToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface CreateAccessLinkInput {
  purpose: string;
  subjectId: string;
  tenantId?: string;
  email?: string;
  ttlMs: number;
  /** The page path before the token (default: the purpose's page, e.g. /t/ for tenant_case). */
  path?: string;
}

/** Creates a link; the returned token is never stored and cannot be recovered later. */
export async function createAccessLink(input: CreateAccessLinkInput, db: Db = defaultDb()): Promise<{ token: string; url?: string; id: string }> {
  if (!(input.ttlMs > 0)) throw new Error('an access link needs a positive lifetime');
  const token = randomBytes(32).toString('base64url');
  // Raw SQL: every tenant notice, reminder and consent request makes one.
  const row = { id: randomUUID() };
  const now = new Date();
  await db.$executeRaw`
    INSERT INTO "AccessLink" (id, "tokenHash", purpose, "subjectId", "tenantId", email, "createdAt", "expiresAt")
    VALUES (${row.id}::uuid, ${hashLinkToken(token)}, ${input.purpose}, ${input.subjectId}, ${input.tenantId ?? null}::uuid, ${input.email ?? null},
            ${now}, ${new Date(now.getTime() + input.ttlMs)})`;
  const path = input.path ?? LINK_PATHS[input.purpose];
  const url = path ? `${config().PUBLIC_URL.replace(/\/$/, '')}${path}${token}` : undefined;
  return { token, url, id: row.id };
}

export interface VerifyOptions {
  purpose: string;
  subjectId?: string;
  /** Single use: mark the link used; a second verify with consume (or any verify afterwards) says 'used'. */
  consume?: boolean;
}

const refuse = (error: AccessLinkErrorCode): AccessLinkVerdict => ({ ok: false, error, message: MESSAGES[error] });

/** Checks a token against its stored hash, purpose, subject, expiry, revocation and single use. */
export async function verifyAccessLink(token: string, opts: VerifyOptions, db: Db = defaultDb()): Promise<AccessLinkVerdict> {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return refuse('unknown');
  const link = await db.accessLink.findUnique({ where: { tokenHash: hashLinkToken(token) } });
  // A link of another purpose is not a link for this page: say no more than for a made-up token.
  if (!link || link.purpose !== opts.purpose) return refuse('unknown');
  if (link.revokedAt) return refuse('revoked');
  if (link.usedAt) return refuse('used');
  if (link.expiresAt.getTime() <= Date.now()) return refuse('expired');
  if (opts.subjectId !== undefined && link.subjectId !== opts.subjectId) return refuse('wrong-subject');
  const now = new Date();
  if (opts.consume) {
    // Conditional update: of two concurrent uses only one finds usedAt still null.
    const { count } = await db.accessLink.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: now, lastUsedAt: now } });
    if (count === 0) return refuse('used');
    return { ok: true, link: { ...link, usedAt: now, lastUsedAt: now } };
  }
  await db.accessLink.update({ where: { id: link.id }, data: { lastUsedAt: now } });
  return { ok: true, link: { ...link, lastUsedAt: now } };
}

/** Withdraws every live link of a purpose for a subject (e.g. when a case closes for good). */
export async function revokeAccessLinks(purpose: string, subjectId: string, db: Db = defaultDb()): Promise<number> {
  const { count } = await db.accessLink.updateMany({ where: { purpose, subjectId, revokedAt: null }, data: { revokedAt: new Date() } });
  return count;
}
