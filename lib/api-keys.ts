// Reporter API keys for POST /api/reports: `sgk_<prefix>_<secret>`. The prefix finds the row; only the SHA-256 of the
// whole key is stored and compared in constant time. A key is shown once, when it is created.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './db';

export const API_KEY_SCHEME = 'sgk';
// 6 bytes of prefix (12 hex characters) to look the row up; 32 bytes of secret (43 base64url characters).
const PREFIX_BYTES = 6;
const SECRET_BYTES = 32;
const KEY_SHAPE = /^sgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export type ApiKeyRefusal = 'missing' | 'malformed' | 'unknown' | 'revoked';

export type ApiKeyVerdict =
  | { ok: true; keyId: string; reporterId: string; prefix: string }
  | { ok: false; reason: ApiKeyRefusal; message: string };

const MESSAGES: Record<ApiKeyRefusal, string> = {
  missing: 'an API key is required: send "Authorization: Bearer sgk_..."',
  malformed: 'the API key is not in the form sgk_<prefix>_<secret>',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
};

const refuse = (reason: ApiKeyRefusal): ApiKeyVerdict => ({ ok: false, reason, message: MESSAGES[reason] });

export interface CreatedApiKey {
  id: string;
  prefix: string;
  /** The whole key: give it to the reporter now, it cannot be recovered. */
  key: string;
}

/** Creates a key for a reporter; `createdBy` names the admin for the record. */
export async function createApiKey(db: Db, input: { reporterId: string; label: string; createdBy?: string }): Promise<CreatedApiKey> {
  const label = input.label.trim();
  if (!label) throw new Error('an API key needs a label');
  // A prefix collision (one in 2^48) shows up as a unique violation: try again with fresh randomness.
  for (let attempt = 0; ; attempt++) {
    const prefix = randomBytes(PREFIX_BYTES).toString('hex');
    const key = `${API_KEY_SCHEME}_${prefix}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
    try {
      const row = await db.reporterApiKey.create({
        data: { reporterId: input.reporterId, label, prefix, keyHash: hashApiKey(key), createdBy: input.createdBy },
      });
      return { id: row.id, prefix, key };
    } catch (err) {
      if (attempt < 2 && (err as { code?: string }).code === 'P2002') continue;
      throw err;
    }
  }
}

/** Reads `Authorization: Bearer <key>`; undefined when the header is absent or another scheme. */
export function bearerToken(header: string | null): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

type KeyRow = { id: string; reporterId: string; prefix: string; keyHash: string; revokedAt: Date | null; lastUsedAt: Date | null };

// A reporter sends reports in bursts: its key row is kept for a few seconds, so a burst costs no lookup per report.
// Revoking forgets it at once in this process; another console process stops accepting the key within KEY_CACHE_MS.
const KEY_CACHE_MS = 5_000;
// lastUsedAt tells an admin whether a key is still in use: written at most once a minute, so a burst does not queue
// every request on an update of the same row.
const LAST_USED_EVERY_MS = 60_000;
const keyCache = new WeakMap<Db, Map<string, { row: KeyRow; until: number }>>();

async function keyRow(db: Db, prefix: string): Promise<KeyRow | null> {
  let rows = keyCache.get(db);
  const hit = rows?.get(prefix);
  if (hit && hit.until > Date.now()) return hit.row;
  const row = await db.reporterApiKey.findUnique({
    where: { prefix },
    select: { id: true, reporterId: true, prefix: true, keyHash: true, revokedAt: true, lastUsedAt: true },
  });
  // Misses are not kept: made-up prefixes must not fill memory, and a key created a moment later must work.
  if (!row) {
    rows?.delete(prefix);
    return null;
  }
  if (!rows) keyCache.set(db, (rows = new Map()));
  rows.set(prefix, { row, until: Date.now() + KEY_CACHE_MS });
  return row;
}

/** Checks a presented key; on success records when it was last used (to the minute). */
export async function verifyApiKey(db: Db, presented: string | undefined): Promise<ApiKeyVerdict> {
  if (!presented) return refuse('missing');
  const m = KEY_SHAPE.exec(presented);
  if (!m) return refuse('malformed');
  const row = await keyRow(db, m[1]!);
  // Compare even when no row matched, so an unknown prefix takes as long as a wrong secret.
  const expected = Buffer.from(row?.keyHash ?? '0'.repeat(64), 'hex');
  const matches = timingSafeEqual(expected, Buffer.from(hashApiKey(presented), 'hex'));
  if (!row || !matches) return refuse('unknown');
  if (row.revokedAt) return refuse('revoked');
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
    // Marked first, so the requests of a burst do not all write it.
    row.lastUsedAt = now;
    await db.reporterApiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return { ok: true, keyId: row.id, reporterId: row.reporterId, prefix: row.prefix };
}

/** Revokes a key; revoking twice keeps the first time. Returns false for an unknown id. */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const rows = keyCache.get(db);
  for (const [prefix, { row }] of rows ?? []) if (row.id === id) rows!.delete(prefix);
  const updated = await db.reporterApiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (updated.count > 0) return true;
  return (await db.reporterApiKey.count({ where: { id } })) > 0;
}

/** A reporter's keys for the console, newest first (never the hash). */
export async function listApiKeys(db: Db, reporterId?: string) {
  return db.reporterApiKey.findMany({
    where: reporterId ? { reporterId } : {},
    orderBy: { createdAt: 'desc' },
    select: { id: true, reporterId: true, label: true, prefix: true, createdBy: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}
