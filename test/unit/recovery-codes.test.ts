// Recovery codes: the shape people copy, the hash that is stored, and the forgiving reading of a typed code.
// (That a code passes only once is a conditional update in PostgreSQL: test/integration/console-mfa.test.ts.)
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCode, newRecoveryCodes, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from '../../lib/mfa/recovery-codes';

const SHAPE = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

describe('recovery codes', () => {
  it('makes ten distinct codes like xxxx-xxxx-xxxx from the unambiguous alphabet', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(SHAPE);
  });

  it('draws every character of the alphabet and repeats no code over many draws', () => {
    const many = Array.from({ length: 2000 }, () => newRecoveryCode());
    expect(new Set(many).size).toBe(many.length);
    const chars = new Set(many.join('').replace(/-/g, ''));
    expect([...chars].sort().join('')).toBe('0123456789abcdefghjkmnpqrstvwxyz');
    // Every position varies (no fixed bits leaking into a position).
    for (let i = 0; i < 14; i++) {
      if (i === 4 || i === 9) continue;
      expect(new Set(many.map((c) => c[i])).size).toBeGreaterThan(16);
    }
  });

  it('stores the SHA-256 of the normalised code, never the code', () => {
    const code = newRecoveryCode();
    const hash = hashRecoveryCode(code);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash('sha256').update(code.replace(/-/g, '')).digest('hex'));
    expect(hash).not.toContain(code.replace(/-/g, ''));
    const other = newRecoveryCodes(2).find((c) => c !== code)!;
    expect(hashRecoveryCode(other)).not.toBe(hash);
  });

  it('reads a code typed in capitals, with spaces, without dashes, or with look-alike letters', () => {
    expect(normaliseRecoveryCode('ab12-cd34-ef56')).toBe('ab12cd34ef56');
    const hash = hashRecoveryCode('ab10-cd34-ef56');
    for (const typed of ['AB10-CD34-EF56', ' ab10 cd34 ef56 ', 'ab10cd34ef56', 'abIO-cd34-ef56', 'ablo-cd34-ef56']) {
      expect(hashRecoveryCode(typed)).toBe(hash);
    }
  });

  it('refuses what cannot be a code', () => {
    for (const typed of ['', 'ab12-cd34-ef5', 'ab12-cd34-ef567', 'ab12-cd34-ef5u', 'ab12-cd34-ef5!', '123456']) {
      expect(normaliseRecoveryCode(typed)).toBeNull();
      expect(hashRecoveryCode(typed)).toBeNull();
    }
  });
});
