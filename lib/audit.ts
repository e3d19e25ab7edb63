// Appending to, sealing and verifying the hash-chained audit log (the pure rules are in domain/audit.ts).
//
// Appends take no lock: an entry is inserted in the transaction of the change it records, so it exists exactly when
// the change does. A sealer then chains committed entries in order (chainSeq, prevHash, hash), many per statement,
// under one advisory lock. Appends never wait for each other, and the chain still never forks. An entry is
// tamper-evident from the moment it is sealed: a fraction of a second after commit while a sealer runs (every
// worker runs one; `safeguard audit verify --seal` seals before it checks).
import { Prisma } from '../generated/prisma/client';
import { auditHash, GENESIS_HASH, verifyAuditChain, type AuditEntryContent, type ChainVerdict } from '../domain/audit';
import { runInBackground, type BackgroundLoop } from './background';
import type { Db } from './db';
import type { Logger } from 'pino';

// One lock id for the sealer: one sealer at a time extends the chain.
const AUDIT_SEAL_LOCK_ID = 0x5afe_a0d1;

export type AuditInput = Omit<AuditEntryContent, 'at'> & { at?: Date };

type Tx = Prisma.TransactionClient;

// Stored as the database will give it back (JSON round-trip drops undefined, turns dates into strings),
// so the sealer hashes exactly what a verifier will read.
const row = (input: AuditInput) => ({
  at: input.at ?? new Date(),
  actorType: input.actorType,
  actorId: input.actorId,
  action: input.action,
  subjectType: input.subjectType,
  subjectId: input.subjectId,
  data: JSON.parse(JSON.stringify(input.data ?? null)) as Prisma.InputJsonValue,
});

/** Appends one entry; pass a transaction client to make it part of a larger write. */
export async function appendAudit(db: Db | Tx, input: AuditInput) {
  return db.auditEvent.create({ data: row(input) });
}

/**
 * Several entries in one statement, in the given order (seq follows it); usable inside `db.$transaction([...])`.
 * Raw SQL over arrays: the case workflow writes its entries through here, several times per case.
 */
export function appendAuditMany(db: Db | Tx, inputs: AuditInput[]) {
  return db.$executeRaw(auditInsertSql(inputs));
}

/** The INSERT of appendAuditMany, to put in a larger statement (a CTE that writes the change it records). */
export function auditInsertSql(inputs: AuditInput[]): Prisma.Sql {
  const rows = inputs.map(row);
  const at = rows.map((r) => r.at.toISOString());
  const data = rows.map((r) => JSON.stringify(r.data));
  return Prisma.sql`
    INSERT INTO "AuditEvent" (at, "actorType", "actorId", action, "subjectType", "subjectId", data)
    SELECT e.at::timestamptz AT TIME ZONE 'UTC', e."actorType", e."actorId", e.action, e."subjectType", e."subjectId", e.data::jsonb
    FROM unnest(${at}::text[], ${rows.map((r) => r.actorType)}::text[], ${rows.map((r) => r.actorId)}::text[], ${rows.map((r) => r.action)}::text[],
                ${rows.map((r) => r.subjectType)}::text[], ${rows.map((r) => r.subjectId)}::text[], ${data}::text[])
         WITH ORDINALITY AS e(at, "actorType", "actorId", action, "subjectType", "subjectId", data, n)
    ORDER BY e.n`;
}

export interface SealResult {
  sealed: number;
  /** Another sealer held the lock; nothing was done. */
  busy: boolean;
}

/** Chains up to `max` committed, unsealed entries in insertion order, in one transaction. */
export async function sealAuditLog(db: Db, max = 2_000): Promise<SealResult> {
  return db.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${AUDIT_SEAL_LOCK_ID}) AS locked`;
    if (!lock?.locked) return { sealed: 0, busy: true };
    const pending = await tx.auditEvent.findMany({ where: { chainSeq: null }, orderBy: { seq: 'asc' }, take: max });
    if (pending.length === 0) return { sealed: 0, busy: false };
    const last = await tx.auditEvent.findFirst({ where: { chainSeq: { not: null } }, orderBy: { chainSeq: 'desc' }, select: { chainSeq: true, hash: true } });
    let position = last?.chainSeq ?? 0n;
    let prev = last?.hash ?? GENESIS_HASH;
    const seqs: bigint[] = [];
    const positions: bigint[] = [];
    const prevs: string[] = [];
    const hashes: string[] = [];
    for (const entry of pending) {
      position += 1n;
      const hash = auditHash(prev, entry);
      seqs.push(entry.seq);
      positions.push(position);
      prevs.push(prev);
      hashes.push(hash);
      prev = hash;
    }
    await tx.$executeRaw`
      UPDATE "AuditEvent" AS a SET "chainSeq" = v.position, "prevHash" = v.prev, "hash" = v.hash
      FROM (SELECT unnest(${seqs}::bigint[]) AS seq, unnest(${positions}::bigint[]) AS position,
                   unnest(${prevs}::text[]) AS prev, unnest(${hashes}::text[]) AS hash) AS v
      WHERE a.seq = v.seq`;
    return { sealed: pending.length, busy: false };
  });
}

/** Seals everything committed so far (loops over batches); returns how many entries it sealed. */
export async function sealAllAudit(db: Db): Promise<number> {
  let total = 0;
  for (;;) {
    const { sealed, busy } = await sealAuditLog(db);
    total += sealed;
    if (busy) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (sealed === 0) return total;
  }
}

export type AuditSealer = BackgroundLoop;

/** Seals in the background: at once while there is a backlog, otherwise every `intervalMs`. */
export function startAuditSealer(db: Db, opts: { intervalMs?: number; log?: Logger } = {}): AuditSealer {
  let failures = 0;
  return runInBackground(async () => {
    try {
      const { sealed } = await sealAuditLog(db);
      failures = 0;
      return sealed >= 2_000;
    } catch (err) {
      // The database may be restarting; the entries wait, nothing is lost.
      if (failures++ % 50 === 0) opts.log?.warn({ err }, 'sealing the audit log failed; retrying');
      return false;
    }
  }, opts.intervalMs ?? 100);
}

export type AuditVerdict = ChainVerdict & {
  /** Entries written but not yet chained by a sealer. */
  unsealed: number;
  oldestUnsealedAt?: Date;
};

/** Re-computes the sealed chain from the database, in pages, and reports the first break and what is unsealed. */
export async function verifyAuditLog(db: Db, pageSize = 1000): Promise<AuditVerdict> {
  const unsealed = await db.auditEvent.count({ where: { chainSeq: null } });
  const oldest = unsealed ? await db.auditEvent.findFirst({ where: { chainSeq: null }, orderBy: { seq: 'asc' }, select: { at: true } }) : null;
  const pending = { unsealed, ...(oldest ? { oldestUnsealedAt: oldest.at } : {}) };
  let cursor = 0n;
  let prev = GENESIS_HASH;
  let total = 0;
  for (;;) {
    const page = await db.auditEvent.findMany({ where: { chainSeq: { gt: cursor } }, orderBy: { chainSeq: 'asc' }, take: pageSize });
    if (page.length === 0) return { ok: true, entries: total, lastHash: prev, ...pending };
    // A gap in positions means a sealed entry was deleted; the next entry's link would also fail, this names it first.
    const gap = page.findIndex((e, i) => e.chainSeq !== cursor + BigInt(i) + 1n);
    const entries = (gap === -1 ? page : page.slice(0, gap)).map((e) => ({ ...e, prevHash: e.prevHash ?? '', hash: e.hash ?? '' }));
    const verdict = verifyAuditChain(entries, prev);
    if (!verdict.ok) return { ...verdict, entries: total + verdict.entries, ...pending };
    if (gap !== -1) return { ok: false, entries: total + verdict.entries, brokenAtSeq: page[gap]!.seq, reason: 'link-mismatch', ...pending };
    total += verdict.entries;
    prev = verdict.lastHash;
    cursor = page[page.length - 1]!.chainSeq!;
  }
}
