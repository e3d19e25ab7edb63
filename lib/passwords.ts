// Staff passwords: argon2id (@node-rs/argon2) in PHC string form, so the parameters travel with each hash.
import { randomInt } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// The package's Algorithm is an ambient const enum (unusable under isolatedModules); 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm.Argon2id;

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 30 ms here, far too slow for offline guessing. */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Longer inputs only cost CPU; no person types a 1 KiB password. */
const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(plain: string): Promise<string> {
  if (typeof plain !== 'string' || plain.length === 0) throw new Error('A password must not be empty');
  if (plain.length > MAX_PASSWORD_LENGTH) throw new Error(`A password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  return hash(plain, OPTIONS);
}

/** True when `plain` matches `storedHash`. A stored value that is not an argon2 hash is a data error and throws. */
export async function verifyPassword(storedHash: string, plain: string): Promise<boolean> {
  if (!storedHash.startsWith('$argon2')) throw new Error('The stored password hash is not an argon2 PHC string');
  if (plain.length === 0 || plain.length > MAX_PASSWORD_LENGTH) return false;
  return verify(storedHash, plain);
}

// No 0/O, 1/l/I: seeded passwords are read off a terminal and typed by hand.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of `length` characters from a 56-symbol alphabet (20 characters ≈ 116 bits). */
export function generatePassword(length = 20): string {
  if (!Number.isInteger(length) || length < 12) throw new Error('Generated passwords are at least 12 characters');
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
