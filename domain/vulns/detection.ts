// A vulnerable package as a detection, so that it can open or feed a case (category vulnerable_service) through
// the same door as the other detectors (lib/detections.ts). Only hosts whose address is known can be attributed.
import type { Detection, DetectionInput } from '../../lib/detections';
import type { Finding } from './match';

export const VULNS_DETECTOR = 'vulns';
export const VULNERABLE_PACKAGE_KIND = 'vulnerable-package';

const EVIDENCE_MAX = 4000;

/**
 * The finding as intake takes it, or undefined when the host's IP is unknown. The window is the time the inventory
 * was collected (else `scannedAt`), so scanning the same inventory twice yields the same detection, counted once.
 */
export function toDetectionInput(finding: Finding, scannedAt: Date): DetectionInput | undefined {
  if (!finding.ip) return undefined;
  const at = finding.collectedAt ? new Date(finding.collectedAt) : scannedAt;
  const evidence = [
    finding.reason,
    finding.summary ? `Advisory ${finding.advisoryId}: ${finding.summary}` : '',
    finding.fixedVersion ? `Upgrade ${finding.source} to ${finding.fixedVersion} or later.` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const counts: Record<string, number> = { cves: finding.cves.length, binaries: finding.binaries.length, kev: finding.kev ? 1 : 0 };
  if (finding.severity?.score != null) counts.cvss = finding.severity.score;
  return {
    detector: VULNS_DETECTOR,
    kind: VULNERABLE_PACKAGE_KIND,
    category: 'vulnerable_service',
    sourceIp: finding.ip,
    targets: [finding.host],
    windowStart: at,
    windowEnd: at,
    counts,
    severity: finding.priority,
    // A comparison with a named fix on a known source package is firm; an assumed source or an unfixed listing less so.
    confidence: finding.sourceKnown && finding.fixedVersion ? 'high' : 'medium',
    evidence: evidence.length > EVIDENCE_MAX ? `${evidence.slice(0, EVIDENCE_MAX - 10)}\n[...]` : evidence,
  } satisfies DetectionInput & Partial<Detection>;
}
