// The pure parts of the attempt limits: bounded keys and the wait arithmetic. The counting itself is SQL; it is
// tested against PostgreSQL in test/integration/rate-limit.test.ts.
import { describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { AttemptLimiter, limitKey, MAX_SUBJECT_LENGTH, secondsToWait } from '../../web/server/rate-limit';

const t0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('secondsToWait', () => {
  it('allows up to max attempts, then names the rest of the window in whole seconds', () => {
    expect(secondsToWait(3, 3, t0, at(30_000), 60_000)).toBe(0);
    expect(secondsToWait(4, 3, t0, at(30_000), 60_000)).toBe(30);
    expect(secondsToWait(4, 3, t0, at(30_001), 60_000)).toBe(30);
    expect(secondsToWait(4, 3, t0, at(29_999), 60_000)).toBe(31);
  });

  it('asks for at least a second, and never more than one window when the window starts ahead of the clock', () => {
    expect(secondsToWait(9, 3, t0, at(59_999), 60_000)).toBe(1);
    expect(secondsToWait(9, 3, at(120_000), t0, 60_000)).toBe(60);
  });
});

describe('limitKey', () => {
  it('namespaces the subject by limiter', () => {
    expect(limitKey('signin:client', 'ana@example.com|203.0.113.5')).toBe('signin:client:ana@example.com|203.0.113.5');
    expect(limitKey('signin:account', 'x')).not.toBe(limitKey('signin:client', 'x'));
  });

  it('stores a long subject as its SHA-256, so a key stays bounded and distinct', () => {
    const long = `${'a'.repeat(MAX_SUBJECT_LENGTH)}@example.com`;
    const key = limitKey('signin:client', long);
    expect(key).toMatch(/^signin:client:sha256:[0-9a-f]{64}$/);
    expect(limitKey('signin:client', `${long}x`)).not.toBe(key);
    expect(limitKey('signin:client', 'a'.repeat(MAX_SUBJECT_LENGTH))).toBe(`signin:client:${'a'.repeat(MAX_SUBJECT_LENGTH)}`);
  });

  it('hashes a subject that imitates a hashed key, so it cannot share another subject\'s count', () => {
    const long = 'b'.repeat(MAX_SUBJECT_LENGTH + 1);
    const imitation = limitKey('x', long).slice('x:'.length);
    expect(limitKey('x', imitation)).not.toBe(limitKey('x', long));
  });
});

describe('AttemptLimiter options', () => {
  const db = {} as Db;
  it.each([
    [{ name: 'Sign In', max: 1, windowMs: 1 }, /Bad attempt limiter name/],
    [{ name: 'signin:', max: 1, windowMs: 1 }, /Bad attempt limiter name/],
    [{ name: 'signin', max: 0, windowMs: 1 }, /max must be a positive integer/],
    [{ name: 'signin', max: 1, windowMs: 0.5 }, /windowMs must be a positive integer/],
  ])('refuses %j', (opts, message) => expect(() => new AttemptLimiter({ ...opts, db })).toThrow(message));

  it('refuses a name that extends another, whose keys it would share; the same name twice shares on purpose', () => {
    new AttemptLimiter({ name: 'unit:a', max: 1, windowMs: 1, db });
    expect(() => new AttemptLimiter({ name: 'unit:a', max: 1, windowMs: 1, db })).not.toThrow();
    expect(() => new AttemptLimiter({ name: 'unit:a:b', max: 1, windowMs: 1, db })).toThrow(/would share keys with unit:a/);
    expect(() => new AttemptLimiter({ name: 'unit', max: 1, windowMs: 1, db })).toThrow(/would share keys with unit:a/);
    expect(() => new AttemptLimiter({ name: 'unit:ab', max: 1, windowMs: 1, db })).not.toThrow();
  });
});
