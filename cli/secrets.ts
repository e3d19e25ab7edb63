// `safeguard secrets status|reseal`: the columns secret-box seals, by the key each value needs, and sealing every value
// with the current key after SECRETS_KEY was rotated (or that was stored in plaintext before sealing began), so the
// old key can be dropped from SECRETS_KEY_PREVIOUS. Every sealed column is in SEALED_COLUMNS; nothing here is per column.
import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { Prisma } from '../generated/prisma/client';
import { appendAudit } from '../lib/audit';
import type { Db } from '../lib/db';
import { totpSealContext } from '../lib/mfa/totp';
import { openingKeys, openStoredSecret, SecretBoxError, sealedKeyId, secretKeyring, type SealContext, type SecretKeyring } from '../lib/secret-box';

/** A column whose values are sealed by lib/secret-box.ts, and the record a row's value is sealed for. */
export interface SealedColumn {
  /** Table.column, as operators read it. */
  name: string;
  table: string;
  column: string;
  /** The row's key column (its text is what the seal context is built from) and its SQL type. */
  key: { column: string; type: 'uuid' | 'text' };
  context: (rowKey: string) => SealContext;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { name: 'User.totpSecret', table: 'User', column: 'totpSecret', key: { column: 'id', type: 'uuid' }, context: totpSealContext },
  { name: 'User.totpPendingSecret', table: 'User', column: 'totpPendingSecret', key: { column: 'id', type: 'uuid' }, context: totpSealContext },
];

export const DEFAULT_BATCH_SIZE = 500;

/** How a stored value stands: which key it needs, or that it cannot be opened with the keys configured. */
export type SecretState = 'current' | 'previous' | 'plaintext' | 'unknown-key' | 'unopenable';

export interface Counts {
  current: number;
  /** By key id. */
  previous: Record<string, number>;
  /** By key id: sealed with a key that is neither SECRETS_KEY nor in SECRETS_KEY_PREVIOUS. */
  unknownKey: Record<string, number>;
  plaintext: number;
  /** Named a configured key but did not authenticate (altered, copied from another row), or of a format not read here. */
  unopenable: number;
}

/** A value that does not open: named by its row, never by its content. */
export interface Unopened {
  column: string;
  rowKey: string;
  state: 'unknown-key' | 'unopenable';
  keyId: string | null;
  reason: string;
}

export interface SecretsStatus {
  currentKeyId: string;
  previousKeyIds: string[];
  columns: Record<string, Counts>;
  total: Counts;
  unopened: Unopened[];
}

export interface ResealSummary {
  dryRun: boolean;
  currentKeyId: string;
  examined: number;
  alreadyCurrent: number;
  /** Sealed with the current key by this run (or that would be, in a dry run). */
  sealedFromPlaintext: number;
  /** By the previous key they were sealed with. */
  resealedFromPrevious: Record<string, number>;
  /** Changed by someone else (a sign-in) between this run's read and its write: left as they now are. */
  changedMeanwhile: number;
  unopened: Unopened[];
}

export interface SecretsDeps {
  db: Db;
  ring?: SecretKeyring;
  batchSize?: number;
}

const emptyCounts = (): Counts => ({ current: 0, previous: {}, unknownKey: {}, plaintext: 0, unopenable: 0 });
const bump = (byKey: Record<string, number>, key: string) => void (byKey[key] = (byKey[key] ?? 0) + 1);

interface Inspected {
  state: SecretState;
  keyId: string | null;
  /** The value sealed with the current key, for plaintext and previous-key values (sealed on call). */
  reseal: () => string | null;
  reason?: string;
}

/** Opens a stored value with the keyring to learn its state (a value that opens is known to be intact). */
function inspect(value: string, context: SealContext, ring: SecretKeyring): Inspected {
  const keyId = sealedKeyId(value) ?? null;
  try {
    const opened = openStoredSecret(value, context, ring);
    return { state: opened.from, keyId, reseal: opened.reseal };
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    const configured = keyId === null || openingKeys(ring).some((k) => k.id === keyId);
    return { state: configured ? 'unopenable' : 'unknown-key', keyId, reseal: () => null, reason: err.message };
  }
}

function count(counts: Counts, { state, keyId }: Inspected): void {
  if (state === 'current') counts.current++;
  else if (state === 'plaintext') counts.plaintext++;
  else if (state === 'unopenable') counts.unopenable++;
  else bump(state === 'previous' ? counts.previous : counts.unknownKey, keyId ?? '?');
}

// Identifiers come from SEALED_COLUMNS only; checked anyway, since they are put into SQL text.
function ident(name: string): Prisma.Sql {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an SQL identifier: ${name}`);
  return Prisma.raw(`"${name}"`);
}

export interface StoredValue {
  rowKey: string;
  value: string;
}

/** Up to `limit` non-null values of the column with a row key after `after`, in key order. */
export async function readSealedBatch(db: Db, col: SealedColumn, after: string | null, limit: number): Promise<StoredValue[]> {
  const [table, column, key, keyType] = [ident(col.table), ident(col.column), ident(col.key.column), Prisma.raw(col.key.type)];
  const from = after === null ? Prisma.empty : Prisma.sql`AND ${key} > ${after}::${keyType}`;
  return db.$queryRaw<StoredValue[]>`
    SELECT ${key}::text AS "rowKey", ${column} AS value FROM ${table}
    WHERE ${column} IS NOT NULL ${from} ORDER BY ${key} LIMIT ${limit}`;
}

/**
 * Stores each row's new value only where the row still holds the value it was read with (compare-and-set, one
 * statement): a sign-in that sealed or used the secret meanwhile is never overwritten. Returns the row keys written.
 */
export async function writeIfUnchanged(db: Db, col: SealedColumn, writes: { rowKey: string; was: string; value: string }[]): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  const [table, column, key, keyType] = [ident(col.table), ident(col.column), ident(col.key.column), Prisma.raw(col.key.type)];
  const rows = await db.$queryRaw<{ rowKey: string }[]>`
    UPDATE ${table} AS t SET ${column} = v.value
    FROM unnest(${writes.map((w) => w.rowKey)}::text[], ${writes.map((w) => w.was)}::text[], ${writes.map((w) => w.value)}::text[]) AS v(key, was, value)
    WHERE t.${key} = v.key::${keyType} AND t.${column} = v.was
    RETURNING t.${key}::text AS "rowKey"`;
  return new Set(rows.map((r) => r.rowKey));
}

/** Every value of every sealed column, batch by batch, with its state under the keyring. */
async function* inspectAll(deps: SecretsDeps, ring: SecretKeyring) {
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  for (const col of SEALED_COLUMNS) {
    let after: string | null = null;
    for (;;) {
      const batch = await readSealedBatch(deps.db, col, after, batchSize);
      if (batch.length === 0) break;
      yield { col, rows: batch.map((row) => ({ ...row, ...inspect(row.value, col.context(row.rowKey), ring) })) };
      after = batch[batch.length - 1]!.rowKey;
    }
  }
}

const unopenedOf = (col: SealedColumn, row: StoredValue & Inspected): Unopened => ({
  column: col.name,
  rowKey: row.rowKey,
  state: row.state as Unopened['state'],
  keyId: row.keyId,
  reason: row.reason ?? '',
});

/** Counts of the values of every sealed column by the key they need; changes nothing. */
export async function secretsStatus(deps: SecretsDeps): Promise<SecretsStatus> {
  const ring = deps.ring ?? secretKeyring();
  const status: SecretsStatus = { currentKeyId: ring.current.id, previousKeyIds: ring.previous.map((k) => k.id), columns: {}, total: emptyCounts(), unopened: [] };
  for (const col of SEALED_COLUMNS) status.columns[col.name] = emptyCounts();
  for await (const { col, rows } of inspectAll(deps, ring)) {
    for (const row of rows) {
      count(status.columns[col.name]!, row);
      count(status.total, row);
      if (row.state === 'unknown-key' || row.state === 'unopenable') status.unopened.push(unopenedOf(col, row));
    }
  }
  return status;
}

/**
 * Seals every plaintext or previous-key value with the current key, batch by batch, each row compare-and-set; values
 * that do not open are listed and left as they are. A second run finds nothing to do. Without `dryRun`, one audit
 * entry records the run's counts (never a secret).
 */
export async function resealSecrets(deps: SecretsDeps & { dryRun?: boolean; actor: { type: string; id: string } }, now = new Date()): Promise<ResealSummary> {
  const ring = deps.ring ?? secretKeyring();
  const dryRun = deps.dryRun ?? false;
  const summary: ResealSummary = { dryRun, currentKeyId: ring.current.id, examined: 0, alreadyCurrent: 0, sealedFromPlaintext: 0, resealedFromPrevious: {}, changedMeanwhile: 0, unopened: [] };
  for await (const { col, rows } of inspectAll(deps, ring)) {
    summary.examined += rows.length;
    const writes = [];
    for (const row of rows) {
      if (row.state === 'current') summary.alreadyCurrent++;
      else if (row.state === 'unknown-key' || row.state === 'unopenable') summary.unopened.push(unopenedOf(col, row));
      else writes.push({ rowKey: row.rowKey, was: row.value, value: row.reseal()!, from: row.state, keyId: row.keyId });
    }
    const written = dryRun ? new Set(writes.map((w) => w.rowKey)) : await writeIfUnchanged(deps.db, col, writes);
    for (const w of writes) {
      if (!written.has(w.rowKey)) summary.changedMeanwhile++;
      else if (w.from === 'plaintext') summary.sealedFromPlaintext++;
      else bump(summary.resealedFromPrevious, w.keyId ?? '?');
    }
  }
  if (!dryRun) {
    await appendAudit(deps.db, {
      at: now,
      actorType: deps.actor.type,
      actorId: deps.actor.id,
      action: 'secrets.resealed',
      subjectType: 'secret_key',
      subjectId: ring.current.id,
      data: {
        columns: SEALED_COLUMNS.map((c) => c.name),
        examined: summary.examined,
        alreadyCurrent: summary.alreadyCurrent,
        sealedFromPlaintext: summary.sealedFromPlaintext,
        resealedFromPrevious: summary.resealedFromPrevious,
        changedMeanwhile: summary.changedMeanwhile,
        unopened: summary.unopened.map(({ column, rowKey, state, keyId }) => ({ column, rowKey, state, keyId })),
      },
    });
  }
  return summary;
}

const byKey = (counts: Record<string, number>) => {
  const entries = Object.entries(counts);
  return entries.length ? ` (${entries.map(([id, n]) => `${id}: ${n}`).join(', ')})` : '';
};
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function countsLine(name: string, c: Counts): string {
  return `${name}: ${c.current} with the current key, ${sum(c.previous)} with a previous key${byKey(c.previous)}, ${sum(c.unknownKey)} with an unknown key${byKey(c.unknownKey)}, ${c.plaintext} plaintext, ${c.unopenable} that do not open`;
}

const unopenedLine = (u: Unopened) => `cannot open ${u.column} of ${u.rowKey}: ${u.reason}`;

export function formatStatus(s: SecretsStatus): string[] {
  const lines = [`current key ${s.currentKeyId}; previous keys: ${s.previousKeyIds.join(', ') || 'none'}`];
  for (const [name, counts] of Object.entries(s.columns)) lines.push(countsLine(name, counts));
  lines.push(countsLine('total', s.total), ...s.unopened.map(unopenedLine));
  const t = s.total;
  if (sum(t.previous) + t.plaintext > 0) lines.push('some values still need a previous key or are plaintext: run `safeguard secrets reseal`');
  else if (s.unopened.length === 0) lines.push(`every value is sealed with the current key${s.previousKeyIds.length ? ': SECRETS_KEY_PREVIOUS can be removed' : ''}`);
  return lines;
}

export function formatReseal(s: ResealSummary): string[] {
  const verb = s.dryRun ? 'would seal' : 'sealed';
  return [
    ...s.unopened.map(unopenedLine),
    `${s.dryRun ? 'dry run: ' : ''}${s.examined} values examined, ${s.alreadyCurrent} already with the current key ${s.currentKeyId}; ${verb} ${s.sealedFromPlaintext} plaintext and ${sum(s.resealedFromPrevious)} from a previous key${byKey(s.resealedFromPrevious)}; ${s.changedMeanwhile} changed meanwhile (left as they are); ${s.unopened.length} cannot be opened (left as they are)`,
  ];
}

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('secrets sealed in the database (authenticator-app secrets) and key rotation');
  secrets
    .command('status')
    .description('count the sealed values of every sealed column by the key they need (current, previous, unknown) or plaintext')
    .option('--json', 'one JSON object instead of lines')
    .action(async (opts: { json?: boolean }) => {
      const { db } = await import('../lib/db');
      try {
        const status = await secretsStatus({ db: db() });
        if (opts.json) console.log(JSON.stringify(status));
        else for (const line of formatStatus(status)) console.log(line);
      } finally {
        await db().$disconnect();
      }
    });
  secrets
    .command('reseal')
    .description('seal every plaintext or previous-key value with the current key (SECRETS_KEY), in batches, never over a newer write')
    .option('--dry-run', 'count what would be sealed, change nothing')
    .option('--batch-size <n>', `rows read and written per statement (default ${DEFAULT_BATCH_SIZE})`, (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number.');
      return n;
    })
    .option('--json', 'one JSON object instead of lines')
    .action(async (opts: { dryRun?: boolean; batchSize?: number; json?: boolean }) => {
      const { db } = await import('../lib/db');
      try {
        const summary = await resealSecrets({ db: db(), dryRun: opts.dryRun, batchSize: opts.batchSize, actor: { type: 'cli', id: os.userInfo().username } });
        if (opts.json) console.log(JSON.stringify(summary));
        else for (const line of formatReseal(summary)) console.log(line);
        // Values that do not open need the operator (a key to add to SECRETS_KEY_PREVIOUS, or a user to re-enrol).
        if (summary.unopened.length > 0) process.exitCode = 2;
      } finally {
        await db().$disconnect();
      }
    });
}
