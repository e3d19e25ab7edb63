// Chain of custody: the SHA-256 and size of every artifact with who collected it, when and from where; any change to
// the bytes or to the record afterwards is detected.
import { describe, expect, test } from 'vitest';
import { CustodyError, custodyRecord, custodyReport, verifyCustody, type CustodyRecord } from '../../domain/forensics/custody';

const encoder = new TextEncoder();
const abc = encoder.encode('abc');
// FIPS 180-2, appendix B.1: SHA-256("abc").
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

const base = {
  collectedBy: 'worker:host-1/local-demo-store',
  collectedAt: new Date('2026-06-12T09:30:00.000Z'),
  source: 'file:///srv/store/default/vm-web-1/logs/',
  requestId: '3a9c7e51-0f2d-4b6a-9e8c-1d2f3a4b5c6d',
  kind: 'logs' as const,
  vmId: 'vm-web-1',
};

describe('custody record', () => {
  test('holds the SHA-256, the size and where, when and by whom', () => {
    const r = custodyRecord({ ...base, bytes: abc, deploymentId: 'dep-1', filename: 'vm-web-1-logs.txt' });
    expect(r).toMatchObject({
      sha256: ABC_SHA256, size: 3, collectedAt: '2026-06-12T09:30:00.000Z', collectedBy: base.collectedBy, source: base.source,
      requestId: base.requestId, kind: 'logs', vmId: 'vm-web-1', deploymentId: 'dep-1', filename: 'vm-web-1-logs.txt',
    });
    expect(r.recordHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('verifies the bytes it was made from, also after a trip through JSON', () => {
    const r = custodyRecord({ ...base, bytes: abc });
    expect(verifyCustody(r, abc)).toEqual({ ok: true });
    const stored = JSON.parse(JSON.stringify(r)) as CustodyRecord;
    expect(verifyCustody(stored, encoder.encode('abc'))).toEqual({ ok: true });
  });

  test('detects one changed byte, a truncation and an appended byte', () => {
    const bytes = encoder.encode('Jun 12 05:14:07 web-1 sshd[2131]: Accepted password for deploy from 198.51.100.201\n');
    const r = custodyRecord({ ...base, bytes });
    const flipped = bytes.slice();
    flipped[40] = flipped[40]! ^ 0x01;
    const v1 = verifyCustody(r, flipped);
    expect(v1.ok).toBe(false);
    if (!v1.ok) expect(v1.problems).toEqual([expect.stringMatching(/^SHA-256 is [0-9a-f]{64}, the record says /)]);
    const v2 = verifyCustody(r, bytes.subarray(0, bytes.length - 1));
    expect(v2.ok === false && v2.problems.length).toBe(2);
    const v3 = verifyCustody(r, new Uint8Array([...bytes, 0x0a]));
    expect(v3.ok === false && v3.problems[0]).toBe(`size is ${bytes.length + 1} bytes, the record says ${bytes.length}`);
  });

  test('detects an edited record even when the bytes are untouched', () => {
    const r = custodyRecord({ ...base, bytes: abc });
    for (const edit of [{ collectedBy: 'someone-else' }, { collectedAt: '2026-06-12T08:00:00.000Z' }, { source: 'file:///elsewhere' }, { vmId: 'vm-db-1' }]) {
      const v = verifyCustody({ ...r, ...edit }, abc);
      expect(v).toEqual({ ok: false, problems: ['the custody record was changed after it was sealed'] });
    }
    // A forger who also swaps in other bytes and their hash still breaks the seal.
    const other = encoder.encode('abd');
    const forged = { ...custodyRecord({ ...base, bytes: other }), recordHash: r.recordHash };
    expect(verifyCustody(forged, other).ok).toBe(false);
  });

  test('accepts a digest and size for artifacts hashed while they streamed to disk', () => {
    const r = custodyRecord({ ...base, sha256: ABC_SHA256.toUpperCase(), size: 3 });
    expect(r.sha256).toBe(ABC_SHA256);
    expect(verifyCustody(r, abc)).toEqual({ ok: true });
    expect(() => custodyRecord({ ...base, sha256: 'not-a-hash', size: 3 })).toThrow(CustodyError);
    expect(() => custodyRecord({ ...base, sha256: ABC_SHA256, size: -1 })).toThrow(/not a size/);
  });

  test('refuses bytes that disagree with the digest the collector computed while reading', () => {
    expect(() => custodyRecord({ ...base, bytes: abc, sha256: '0'.repeat(64) })).toThrow(/the collector read SHA-256 0{64}, the bytes have ba7816bf/);
    expect(() => custodyRecord({ ...base, bytes: abc, sha256: ABC_SHA256 })).not.toThrow();
    expect(() => custodyRecord({ ...base, bytes: abc, collectedAt: new Date('nope') })).toThrow(/collectedAt/);
  });
});

describe('custody report', () => {
  test('lists every artifact, oldest collection first, with its hash, collector, time and source', () => {
    const later = custodyRecord({ ...base, bytes: abc, kind: 'memory_snapshot', collectedAt: new Date('2026-06-12T10:00:00Z'), filename: 'vm-web-1-memory.bin' });
    const first = custodyRecord({ ...base, bytes: encoder.encode('x'), deploymentId: 'dep-1', filename: 'vm-web-1-logs.txt' });
    const text = custodyReport([later, first]);
    expect(text.split('\n')).toEqual([
      'Chain of custody: 2 artifacts, 4 bytes',
      '',
      '1. System logs, VM vm-web-1 of deployment dep-1',
      '   file:         vm-web-1-logs.txt',
      '   size:         1 byte',
      `   SHA-256:      ${first.sha256}`,
      '   collected:    2026-06-12T09:30:00.000Z by worker:host-1/local-demo-store',
      '   from:         file:///srv/store/default/vm-web-1/logs/',
      `   record seal:  ${first.recordHash}`,
      '',
      '2. Memory snapshot, VM vm-web-1',
      '   file:         vm-web-1-memory.bin',
      '   size:         3 bytes',
      `   SHA-256:      ${ABC_SHA256}`,
      '   collected:    2026-06-12T10:00:00.000Z by worker:host-1/local-demo-store',
      '   from:         file:///srv/store/default/vm-web-1/logs/',
      `   record seal:  ${later.recordHash}`,
    ]);
  });

  test('shows a hostile source or collector name as plain text', () => {
    const r = custodyRecord({ ...base, bytes: abc, source: 'file:///x\n2. Forged entry', collectedBy: 'a\u001b[31mb' });
    const text = custodyReport([r]);
    expect(text).toContain('from:         file:///x\\n2. Forged entry');
    expect(text).toContain('by a\\x1b[31mb');
    expect(text).not.toMatch(/\n2\. Forged/);
  });

  test('says so when there is nothing', () => {
    expect(custodyReport([])).toBe('Chain of custody: 0 artifacts, 0 bytes');
  });
});
