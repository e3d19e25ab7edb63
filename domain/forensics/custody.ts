// Chain of custody: each artifact's SHA-256 and size, who or what collected it, when and from where, sealed by a hash
// over the record itself so an edited record is as detectable as edited bytes.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { plainText } from './plain-text';
import { DATA_KIND_LABELS, type DataKind } from './types';

interface CustodyFields {
  requestId: string;
  deploymentId?: string;
  vmId: string;
  kind: DataKind;
  filename?: string;
  /** Where the bytes came from, as the provider names it (a provider URI). */
  source: string;
  /** The person, worker or service that collected it. */
  collectedBy: string;
  collectedAt: Date;
}

/** The bytes themselves, or their digest and size when a large artifact was hashed while it streamed to disk. */
export type CustodyInput = CustodyFields & ({ bytes: Uint8Array; sha256?: string } | { sha256: string; size: number });

export interface CustodyRecord {
  requestId: string;
  deploymentId?: string;
  vmId: string;
  kind: DataKind;
  filename?: string;
  source: string;
  collectedBy: string;
  /** ISO 8601, UTC. */
  collectedAt: string;
  /** Lower-case hex. */
  sha256: string;
  size: number;
  /** SHA-256 over the canonical JSON of every other field. */
  recordHash: string;
}

export type CustodyVerdict = { ok: true } | { ok: false; problems: string[] };

/** The collector's own digest disagrees with the bytes handed over: the artifact changed on its way. */
export class CustodyError extends Error {
  override readonly name = 'CustodyError';
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const SHA256 = /^[0-9a-f]{64}$/;

function sealHash(record: Omit<CustodyRecord, 'recordHash'>): string {
  // Optional fields that are absent stay absent, so a record reads back the same from JSON.
  return createHash('sha256').update(canonicalize(record) ?? '').digest('hex');
}

export function custodyRecord(input: CustodyInput): CustodyRecord {
  let sha256: string;
  let size: number;
  if ('bytes' in input) {
    sha256 = sha256Hex(input.bytes);
    size = input.bytes.byteLength;
    if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256) {
      throw new CustodyError(`${input.kind} of ${input.vmId}: the collector read SHA-256 ${input.sha256}, the bytes have ${sha256}`);
    }
  } else {
    sha256 = input.sha256.toLowerCase();
    size = input.size;
    if (!SHA256.test(sha256)) throw new CustodyError(`'${plainText(input.sha256, 80)}' is not a SHA-256 in hex`);
    if (!Number.isSafeInteger(size) || size < 0) throw new CustodyError(`${size} is not a size in bytes`);
  }
  if (Number.isNaN(input.collectedAt.getTime())) throw new CustodyError('collectedAt is not a valid date');
  const body: Omit<CustodyRecord, 'recordHash'> = {
    requestId: input.requestId,
    ...(input.deploymentId !== undefined ? { deploymentId: input.deploymentId } : {}),
    vmId: input.vmId,
    kind: input.kind,
    ...(input.filename !== undefined ? { filename: input.filename } : {}),
    source: input.source,
    collectedBy: input.collectedBy,
    collectedAt: input.collectedAt.toISOString(),
    sha256,
    size,
  };
  return { ...body, recordHash: sealHash(body) };
}

/** Checks the bytes against the record, and the record against its seal; lists every disagreement. */
export function verifyCustody(record: CustodyRecord, bytes: Uint8Array): CustodyVerdict {
  const problems: string[] = [];
  const { recordHash, ...body } = record;
  if (sealHash(body) !== recordHash) problems.push('the custody record was changed after it was sealed');
  if (bytes.byteLength !== record.size) problems.push(`size is ${bytes.byteLength} bytes, the record says ${record.size}`);
  const actual = sha256Hex(bytes);
  if (actual !== record.sha256) problems.push(`SHA-256 is ${actual}, the record says ${record.sha256}`);
  return problems.length ? { ok: false, problems } : { ok: true };
}

/** The custody section of a report: one block per artifact, oldest collection first. */
export function custodyReport(records: readonly CustodyRecord[]): string {
  const sorted = [...records].sort(
    (a, b) => cmp(a.collectedAt, b.collectedAt) || cmp(a.vmId, b.vmId) || cmp(a.kind, b.kind) || cmp(a.sha256, b.sha256),
  );
  const total = sorted.reduce((n, r) => n + r.size, 0);
  const lines = [`Chain of custody: ${sorted.length} artifact${sorted.length === 1 ? '' : 's'}, ${bytesText(total)}`];
  sorted.forEach((r, i) => {
    const where = r.deploymentId ? `VM ${plainText(r.vmId)} of deployment ${plainText(r.deploymentId)}` : `VM ${plainText(r.vmId)}`;
    lines.push(
      '',
      `${i + 1}. ${DATA_KIND_LABELS[r.kind] ?? plainText(r.kind)}, ${where}`,
      ...(r.filename !== undefined ? [`   file:         ${plainText(r.filename)}`] : []),
      `   size:         ${bytesText(r.size)}`,
      `   SHA-256:      ${r.sha256}`,
      `   collected:    ${r.collectedAt} by ${plainText(r.collectedBy)}`,
      `   from:         ${plainText(r.source)}`,
      `   record seal:  ${r.recordHash}`,
    );
  });
  return lines.join('\n');
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function bytesText(n: number): string {
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}
