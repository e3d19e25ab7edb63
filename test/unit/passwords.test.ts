import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, verifyPassword } from '../../lib/passwords';

describe('passwords', () => {
  it('hashes with argon2id at the OWASP baseline, salted, and verifies', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapl')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('refuses empty or absurdly long passwords and stored values that are not argon2 hashes', async () => {
    await expect(hashPassword('')).rejects.toThrow(/must not be empty/);
    await expect(hashPassword('x'.repeat(1025))).rejects.toThrow(/at most 1024/);
    await expect(verifyPassword('plaintext-in-the-db', 'x')).rejects.toThrow(/not an argon2/);
  });

  it('generates unambiguous random passwords', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());
    expect(new Set(passwords).size).toBe(50);
    for (const p of passwords) expect(p).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
    expect(() => generatePassword(8)).toThrow(/at least 12/);
  });
});
