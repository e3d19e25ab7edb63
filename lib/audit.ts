// Appending to and reading the hash-chained audit log (the pure rules are in domain/audit.ts).
import type { Prisma } from '../generated/prisma/client';
import { auditHash, GENESIS_HASH, verifyAuditChain, type AuditEntryContent, type ChainVerdict } from '../domain/audit';
import type { Db } from './db';

// One lock id for the whole log: appends are serialised so the chain never forks.
const AUDIT_LOCK_ID = 0x5afe_a0d1;

export type AuditInput = Omit<AuditEntryContent, 'at'> & { at?: Date };

type Tx = Prisma.TransactionClient;

async function appendInTx(tx: Tx, input: AuditInput) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_ID})`;
  const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
  const prevHash = last?.hash ?? GENESIS_HASH;
  // Hash what the database will give back: JSON round-trip drops undefined and turns dates into strings.
  const data = JSON.parse(JSON.stringify(input.data ?? null)) as Prisma.InputJsonValue;
  const entry: AuditEntryContent = { ...input, at: input.at ?? new Date(), data };
  return tx.auditEvent.create({
    data: {
      at: entry.at,
      actorType: entry.actorType,
      actorId: entry.actorId,
      action: entry.action,
      subjectType: entry.subjectType,
      subjectId: entry.subjectId,
      data,
      prevHash,
      hash: auditHash(prevHash, entry),
    },
  });
}

/** Appends one entry; pass a transaction client to make it part of a larger write. */
export async function appendAudit(db: Db | Tx, input: AuditInput) {
  if ('$transaction' in db) return db.$transaction((tx) => appendInTx(tx, input));
  return appendInTx(db, input);
}

/** Re-computes the whole chain from the database, in pages, and reports the first break. */
export async function verifyAuditLog(db: Db, pageSize = 1000): Promise<ChainVerdict> {
  let cursor: bigint | undefined;
  let prev = GENESIS_HASH;
  let total = 0;
  for (;;) {
    const page = await db.auditEvent.findMany({
      where: cursor === undefined ? {} : { seq: { gt: cursor } },
      orderBy: { seq: 'asc' },
      take: pageSize,
    });
    if (page.length === 0) return { ok: true, entries: total, lastHash: prev };
    const verdict = verifyAuditChain(page, prev);
    if (!verdict.ok) return { ...verdict, entries: total + verdict.entries };
    total += verdict.entries;
    prev = verdict.lastHash;
    cursor = page[page.length - 1]!.seq;
  }
}
