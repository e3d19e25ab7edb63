import { describe, expect, it } from 'vitest';
import { auditHash, GENESIS_HASH, verifyAuditChain, type ChainedAuditEntry } from '../../domain/audit';

function chain(n: number): ChainedAuditEntry[] {
  const out: ChainedAuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 0; i < n; i++) {
    const content = {
      at: new Date(Date.UTC(2026, 10, 28, 12, 0, i)),
      actorType: 'user',
      actorId: `u${i}`,
      action: 'case.triaged',
      subjectType: 'case',
      subjectId: 'c1',
      data: { severity: 'high', note: `step ${i}`, nested: { b: 2, a: 1 } },
    };
    const hash = auditHash(prev, content);
    out.push({ ...content, seq: BigInt(i + 1), prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('verifies an untouched chain', () => {
    const entries = chain(5);
    expect(verifyAuditChain(entries)).toEqual({ ok: true, entries: 5, lastHash: entries[4]!.hash });
  });

  it('does not depend on key order in data (canonical JSON)', () => {
    const a = chain(1)[0]!;
    const reordered = { ...a, data: { nested: { a: 1, b: 2 }, note: 'step 0', severity: 'high' } };
    expect(auditHash(a.prevHash, reordered)).toBe(a.hash);
  });

  it('names the first entry whose content was changed', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, data: { severity: 'low' } };
    expect(verifyAuditChain(entries)).toMatchObject({ ok: false, brokenAtSeq: 3n, reason: 'hash-mismatch', entries: 2 });
  });

  it('detects a deleted entry as a broken link', () => {
    const entries = chain(5);
    entries.splice(1, 1);
    expect(verifyAuditChain(entries)).toMatchObject({ ok: false, brokenAtSeq: 3n, reason: 'link-mismatch' });
  });

  it('detects an entry rewritten with a recomputed hash, at the next link', () => {
    const entries = chain(4);
    const forged = { ...entries[1]!, actorId: 'intruder' };
    forged.hash = auditHash(forged.prevHash, forged);
    entries[1] = forged;
    expect(verifyAuditChain(entries)).toMatchObject({ ok: false, brokenAtSeq: 3n, reason: 'link-mismatch' });
  });
});
