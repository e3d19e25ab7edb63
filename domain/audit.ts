// The audit log is append-only and tamper-evident: each entry's hash covers its content and the hash before it.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The hash that stands before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type ActorType = 'user' | 'tenant' | 'system' | 'workflow' | 'reporter';

export interface AuditEntryContent {
  at: Date;
  actorType: ActorType | string;
  actorId: string;
  action: string;
  subjectType: string;
  subjectId: string;
  data: unknown;
}

export interface ChainedAuditEntry extends AuditEntryContent {
  seq: bigint;
  prevHash: string;
  hash: string;
}

/** SHA-256 over the previous hash and the RFC 8785 canonical JSON of the entry. */
export function auditHash(prevHash: string, entry: AuditEntryContent): string {
  const body = canonicalize({
    at: entry.at.toISOString(),
    actorType: entry.actorType,
    actorId: entry.actorId,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    data: entry.data ?? null,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body ?? '').digest('hex');
}

export type ChainVerdict =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; brokenAtSeq: bigint; reason: 'hash-mismatch' | 'link-mismatch' };

/** Walks entries in sequence order and names the first one whose hash or link does not hold. */
export function verifyAuditChain(entries: Iterable<ChainedAuditEntry>, startHash = GENESIS_HASH): ChainVerdict {
  let prev = startHash;
  let count = 0;
  for (const entry of entries) {
    if (entry.prevHash !== prev) return { ok: false, entries: count, brokenAtSeq: entry.seq, reason: 'link-mismatch' };
    if (auditHash(entry.prevHash, entry) !== entry.hash) {
      return { ok: false, entries: count, brokenAtSeq: entry.seq, reason: 'hash-mismatch' };
    }
    prev = entry.hash;
    count++;
  }
  return { ok: true, entries: count, lastHash: prev };
}
