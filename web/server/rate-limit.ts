// Fixed-window attempt limits kept in PostgreSQL (table RateLimitWindow), so every console process behind a load
// balancer shares one count per key and a restart forgets nothing. A hit is one atomic statement; an attempt that
// cannot be counted is refused, never let through.
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import type { Db } from '../../lib/db';
import { childLogger } from '../../lib/log';

const log = childLogger('rate-limit');

/** Longer subjects (an email with a forwarded-for header, say) are stored as their SHA-256, so keys stay bounded. */
export const MAX_SUBJECT_LENGTH = 200;
const HASHED = 'sha256:';
// Expired rows are deleted at most this many per statement, so pruning never holds up a hit for long.
const PRUNE_BATCH = 1_000;

export interface AttemptLimiterOptions {
  /** Namespaces the keys ("signin:client"); two limiters with one name share their counts. */
  name: string;
  /** Attempts allowed per window; the next one waits for the window to end. */
  max: number;
  windowMs: number;
  /** The console's client, or the function that returns it (lib/db's `db`, resolved on each use). */
  db: Db | (() => Db);
  /** The clock windows are measured by. Unset: the database's, so processes on different hosts agree. */
  now?: () => Date;
  /** How often this process deletes its limiter's expired rows (default: once per window). */
  pruneEveryMs?: number;
}

/** The database could not count an attempt (or clear a count); callers refuse the attempt. */
export class RateLimitUnavailableError extends Error {
  constructor(limiter: string, cause: unknown) {
    super(`Attempt limit "${limiter}" cannot be checked: the database did not answer.`, { cause });
    this.name = 'RateLimitUnavailableError';
  }
}

/** The key a subject is counted under: the limiter's name, then the subject or, when long, its SHA-256. */
export function limitKey(name: string, subject: string): string {
  // Hashing what merely looks hashed too keeps the mapping one-to-one.
  const plain = subject.length <= MAX_SUBJECT_LENGTH && !subject.startsWith(HASHED);
  return `${name}:${plain ? subject : HASHED + createHash('sha256').update(subject).digest('hex')}`;
}

/** Seconds to wait after the count-th attempt in a window that began at `windowStart` (0: allowed). */
export function secondsToWait(count: number, max: number, windowStart: Date, now: Date, windowMs: number): number {
  if (count <= max) return 0;
  // A window stamped ahead of this clock (a clock set back) never makes anyone wait longer than one window.
  const remaining = Math.min(windowStart.getTime() + windowMs - now.getTime(), windowMs);
  return Math.max(1, Math.ceil(remaining / 1000));
}

// Names in use in this process: one that extends another ("signin" and "signin:client") would share its keys.
const names = new Set<string>();

export class AttemptLimiter {
  readonly name: string;
  private readonly max: number;
  private readonly windowMs: number;
  private readonly pruneEveryMs: number;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: AttemptLimiterOptions) {
    if (!/^[a-z][a-z0-9-]*(:[a-z0-9-]+)*$/.test(opts.name)) throw new Error(`Bad attempt limiter name ${JSON.stringify(opts.name)}.`);
    if (!Number.isInteger(opts.max) || opts.max < 1) throw new Error(`Attempt limiter ${opts.name}: max must be a positive integer.`);
    if (!Number.isInteger(opts.windowMs) || opts.windowMs < 1) throw new Error(`Attempt limiter ${opts.name}: windowMs must be a positive integer.`);
    const clash = [...names].find((n) => n.startsWith(`${opts.name}:`) || opts.name.startsWith(`${n}:`));
    if (clash) throw new Error(`Attempt limiter ${opts.name} would share keys with ${clash}: give it a name of its own.`);
    names.add(opts.name);
    this.name = opts.name;
    this.max = opts.max;
    this.windowMs = opts.windowMs;
    this.pruneEveryMs = opts.pruneEveryMs ?? opts.windowMs;
  }

  /**
   * Counts an attempt; returns the seconds to wait when the limit is exceeded, else 0. A window starts with the
   * first attempt and lasts windowMs; the first attempt after it starts the next one.
   */
  async hit(subject: string): Promise<number> {
    const at = this.at();
    const rows = await this.run(() =>
      this.db().$queryRaw<Array<{ windowStart: Date; count: number; now: Date }>>`
        WITH clock AS (SELECT date_trunc('milliseconds', COALESCE(${at}::timestamptz, statement_timestamp())) AS now)
        INSERT INTO "RateLimitWindow" AS w ("key", "windowStart", "count")
        SELECT ${limitKey(this.name, subject)}, clock.now, 1 FROM clock
        ON CONFLICT ("key") DO UPDATE SET
          "windowStart" = CASE WHEN w."windowStart" + ${this.windowMs}::int * interval '1 millisecond' <= EXCLUDED."windowStart"
                               THEN EXCLUDED."windowStart" ELSE w."windowStart" END,
          "count" = CASE WHEN w."windowStart" + ${this.windowMs}::int * interval '1 millisecond' <= EXCLUDED."windowStart"
                         THEN 1 ELSE w."count" + 1 END
        RETURNING w."windowStart", w."count", (SELECT now FROM clock) AS now`,
    );
    const row = rows[0]!;
    await this.pruneIfDue();
    return secondsToWait(row.count, this.max, row.windowStart, row.now, this.windowMs);
  }

  /** Forgets the subject's attempts (after a success). */
  async reset(subject: string): Promise<void> {
    await this.run(() => this.db().$executeRaw`DELETE FROM "RateLimitWindow" WHERE "key" = ${limitKey(this.name, subject)}`);
  }

  /**
   * Deletes up to `batch` of this limiter's rows whose window has passed; returns how many. Runs by itself every
   * pruneEveryMs from hit(), and again on the next hit while a full batch comes back.
   */
  async prune(batch = PRUNE_BATCH): Promise<number> {
    const at = this.at();
    return this.run(() =>
      // The outer condition is checked again on a row a concurrent hit just restarted, so a live window survives.
      this.db().$executeRaw`
        WITH clock AS (SELECT date_trunc('milliseconds', COALESCE(${at}::timestamptz, statement_timestamp())) AS now)
        DELETE FROM "RateLimitWindow"
        WHERE "windowStart" <= (SELECT now FROM clock) - ${this.windowMs}::int * interval '1 millisecond'
          AND "key" IN (
            SELECT "key" FROM "RateLimitWindow"
            WHERE "windowStart" <= (SELECT now FROM clock) - ${this.windowMs}::int * interval '1 millisecond'
              AND starts_with("key", ${`${this.name}:`})
            LIMIT ${batch}::int)`,
    );
  }

  private async pruneIfDue(): Promise<void> {
    const t = (this.opts.now?.() ?? new Date()).getTime();
    if (t - this.lastPrune < this.pruneEveryMs) return;
    this.lastPrune = t;
    try {
      // A full batch means more are waiting: the next hit prunes again.
      if ((await this.prune()) >= PRUNE_BATCH) this.lastPrune = Number.NEGATIVE_INFINITY;
    } catch (err) {
      // The attempt itself was counted; expired rows wait for the next prune.
      log.warn({ err, limiter: this.name }, 'pruning expired attempt windows failed');
    }
  }

  /** The injected clock's time, or null for the database's. */
  private at(): Date | null {
    return this.opts.now?.() ?? null;
  }

  private db(): Db {
    return typeof this.opts.db === 'function' ? this.opts.db() : this.opts.db;
  }

  private async run<T>(statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (err) {
      throw new RateLimitUnavailableError(this.name, err);
    }
  }
}

export type LimitedAttempt = readonly [limiter: AttemptLimiter, subject: string];

/**
 * Counts one attempt with every limiter given (all of them, so each count stays true). Over any limit:
 * TOO_MANY_REQUESTS saying `tooMany(seconds)` for the longest wait. Counts that cannot be kept: SERVICE_UNAVAILABLE
 * saying `unavailable`, so a database outage refuses attempts instead of allowing unlimited ones.
 */
export async function enforceLimits(
  attempts: readonly LimitedAttempt[],
  messages: { tooMany: (seconds: number) => string; unavailable: string },
): Promise<void> {
  let waits: number[];
  try {
    waits = await Promise.all(attempts.map(([limiter, subject]) => limiter.hit(subject)));
  } catch (err) {
    if (!(err instanceof RateLimitUnavailableError)) throw err;
    // Not an INTERNAL_SERVER_ERROR, which the route logs; so it is logged here.
    log.error({ err }, 'attempt refused: its limit cannot be checked');
    throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: messages.unavailable, cause: err });
  }
  const wait = Math.max(0, ...waits);
  if (wait > 0) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: messages.tooMany(wait) });
}

/** Clears counts after a success. Failing leaves them to expire with their window: logged, not thrown. */
export async function clearAttempts(attempts: readonly LimitedAttempt[]): Promise<void> {
  const results = await Promise.allSettled(attempts.map(([limiter, subject]) => limiter.reset(subject)));
  for (const r of results) if (r.status === 'rejected') log.warn({ err: r.reason as unknown }, 'clearing attempt counts failed');
}
