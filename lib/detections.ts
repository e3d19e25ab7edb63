// Findings from Safeguard's own detectors enter through the same door as reports: stored as an AbuseReport
// (channel 'detection', the raw bytes are the canonical JSON of the finding) and routed to the same case.
import type { Client } from '@temporalio/client';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { SEVERITIES } from '../domain/cases';
import { parseIpOrCidr } from '../domain/reports/ips';
import { ConfidenceSchema, EVIDENCE_SUMMARY_MAX, ReportCategorySchema } from '../domain/reports/types';
import type { Db } from './db';
import { storeReport, type ParsedReportFields, type StoredReport, type StoreReportOptions } from './intake';

export const DETECTION_CONTENT_TYPE = 'application/vnd.safeguard.detection+json';

/** A finding names at most this many targets, heaviest first; its counts carry the totals. */
export const MAX_FINDING_TARGETS = 100;

const address = z.string().refine((s) => parseIpOrCidr(s).ok, 'not an IPv4 or IPv6 address or CIDR network');

export const DetectionInputSchema = z
  .object({
    /** Which detector found it, e.g. "netflow-dos". */
    detector: z.string().trim().min(1).max(200),
    /** The detector's own name for the finding, e.g. "syn-flood". */
    kind: z.string().trim().min(1).max(200),
    category: ReportCategorySchema,
    sourceIp: address,
    /** What was attacked: addresses, host names, URLs. */
    targets: z.array(z.string().trim().min(1).max(500)).max(MAX_FINDING_TARGETS).default([]),
    windowStart: z.coerce.date(),
    windowEnd: z.coerce.date(),
    /** Whatever the detector counted: packets, flows, failed logins, ... */
    counts: z.record(z.string().min(1).max(100), z.number().finite().nonnegative()).default({}),
    severity: z.enum(SEVERITIES),
    confidence: ConfidenceSchema,
    /** Plain text for analysts (escaped wherever it is shown). */
    evidence: z.string().max(EVIDENCE_SUMMARY_MAX).optional(),
  })
  .strict()
  .refine((d) => d.windowEnd.getTime() >= d.windowStart.getTime(), { message: 'windowEnd is before windowStart', path: ['windowEnd'] });

export type DetectionInput = z.input<typeof DetectionInputSchema>;
export type Detection = z.output<typeof DetectionInputSchema>;

export class DetectionValidationError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid detection: ${issues.join('; ')}`);
    this.name = 'DetectionValidationError';
  }
}

const issuesOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);

/** The stored form: RFC 8785 canonical JSON, so the same finding sent twice has the same SHA-256 and is counted once. */
export function canonicalDetection(detection: Detection): string {
  const { windowStart, windowEnd, ...rest } = detection;
  return canonicalize({ ...rest, windowStart: windowStart.toISOString(), windowEnd: windowEnd.toISOString() })!;
}

/** Validates a finding, stores it and starts the intake workflow; throws DetectionValidationError for bad input. */
export async function submitDetection(db: Db, temporal: Client, detection: DetectionInput, opts: StoreReportOptions = {}): Promise<StoredReport> {
  const parsed = DetectionInputSchema.safeParse(detection);
  if (!parsed.success) throw new DetectionValidationError(issuesOf(parsed.error));
  const raw = new TextEncoder().encode(canonicalDetection(parsed.data));
  return storeReport(db, temporal, { raw, channel: 'detection', contentType: DETECTION_CONTENT_TYPE }, { actor: { type: 'detector', id: parsed.data.detector }, ...opts });
}

/** Reads a stored detection back into the fields every report gets; a value, never an exception. */
export function parseStoredDetection(raw: Uint8Array): { ok: true; fields: ParsedReportFields } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch (err) {
    return { ok: false, error: `the detection is not JSON (${(err as Error).message})` };
  }
  const parsed = DetectionInputSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `invalid detection: ${issuesOf(parsed.error).join('; ')}` };
  const d = parsed.data;
  const source = parseIpOrCidr(d.sourceIp);
  const sourceIp = source.ok ? source.ip.address : d.sourceIp;
  const counts = Object.entries(d.counts).map(([k, v]) => `${k}=${v}`).join(', ');
  const summary = [
    `${d.detector} detected ${d.kind} (${d.category}, ${d.severity}) from ${sourceIp}`,
    d.targets.length ? `against ${d.targets.join(', ')}` : '',
    `between ${d.windowStart.toISOString()} and ${d.windowEnd.toISOString()}`,
    counts ? `(${counts})` : '',
    d.evidence ? `\n${d.evidence}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const warnings = source.ok && !source.ip.public ? [`source ${sourceIp} is not a public address (${source.ip.range})`] : [];
  return {
    ok: true,
    fields: {
      format: 'safeguard-detection',
      category: d.category,
      sourceIps: [sourceIp],
      // Attribution uses the start of the window: the holder then is the one whose resource misbehaved first.
      eventTime: d.windowStart,
      warnings,
      confidence: d.confidence,
      reportedUrls: d.targets.filter((t) => /^[a-z][a-z0-9+.-]*:\/\//i.test(t)),
      summary,
      normalized: JSON.parse(canonicalDetection(d)),
    },
  };
}
