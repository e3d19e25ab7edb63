// Detection thresholds: numbers per tenant and host group, windows engine-wide. Defaults follow tools the field
// trusts (Zeek's scan and SSH policies, FastNetMon's ban thresholds); docs/detection.md gives the reasoning.
import { z } from 'zod';

export const FINDING_KINDS = ['horizontal-scan', 'vertical-scan', 'outbound-dos', 'spam', 'brute-force', 'inbound-dos', 'volume-anomaly'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Thresholds {
  /** Distinct hosts probed on one port (Zeek Scan::addr_scan_threshold = 25). */
  horizontalScanDestinations: number;
  /** Distinct ports probed on one host (Zeek Scan::port_scan_threshold = 15). */
  verticalScanPorts: number;
  /** Packets per second to one target, counted only when the average packet is flood-sized (FastNetMon threshold_pps). */
  dosPps: number;
  /** Megabits per second to one target (FastNetMon threshold_mbps). */
  dosMbps: number;
  /** New flows per second to one target (FastNetMon threshold_flows). */
  dosFlowsPerSecond: number;
  /** The packet-rate trigger ignores traffic whose average packet is larger: bulk transfers, not floods. */
  dosFloodMaxPacketBytes: number;
  /** Distinct SMTP servers (25/465/587) in the spam window. */
  spamDestinations: number;
  /** Short sessions to an authentication port in the brute-force window (Zeek SSH::password_guesses_limit = 30). */
  bruteForceConnections: number;
  /** Client-to-server packets above which a session is not a login attempt. */
  bruteForceMaxPackets: number;
  /** Inbound to one tenant host, all sources together (FastNetMon's thresholds, which are per host); the packet rate
   *  counts only flood-sized packets (dosFloodMaxPacketBytes), as outbound. */
  inboundPps: number;
  inboundMbps: number;
  inboundFlowsPerSecond: number;
  /** An hour must exceed the learned expectation by this factor... */
  volumeFactor: number;
  /** ...and by this many mean absolute deviations of the host's own history (in log2 units)... */
  volumeDeviations: number;
  /** ...and carry at least this many bytes. */
  volumeMinBytes: number;
  /** Detectors switched off for this tenant or host group. */
  disabled: FindingKind[];
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  horizontalScanDestinations: 25,
  verticalScanPorts: 15,
  dosPps: 20_000,
  dosMbps: 1_000,
  dosFlowsPerSecond: 3_500,
  dosFloodMaxPacketBytes: 300,
  spamDestinations: 50,
  bruteForceConnections: 30,
  bruteForceMaxPackets: 40,
  inboundPps: 20_000,
  inboundMbps: 1_000,
  inboundFlowsPerSecond: 3_500,
  volumeFactor: 10,
  volumeDeviations: 6,
  volumeMinBytes: 1024 ** 3,
  disabled: [] as FindingKind[],
});

const positive = z.number().positive();
export const ThresholdOverridesSchema = z
  .object({
    horizontalScanDestinations: positive,
    verticalScanPorts: positive,
    dosPps: positive,
    dosMbps: positive,
    dosFlowsPerSecond: positive,
    dosFloodMaxPacketBytes: positive,
    spamDestinations: positive,
    bruteForceConnections: positive,
    bruteForceMaxPackets: positive,
    inboundPps: positive,
    inboundMbps: positive,
    inboundFlowsPerSecond: positive,
    volumeFactor: z.number().min(1),
    volumeDeviations: z.number().nonnegative(),
    volumeMinBytes: z.number().nonnegative(),
    disabled: z.array(z.enum(FINDING_KINDS)),
  })
  .partial()
  .strict();
export type ThresholdOverrides = z.infer<typeof ThresholdOverridesSchema>;

/** Layers, later wins: defaults, policy defaults, host group, tenant, the tenant's host group. */
export const ThresholdPolicySchema = z
  .object({
    defaults: ThresholdOverridesSchema.optional(),
    hostGroups: z.record(z.string().min(1), ThresholdOverridesSchema).optional(),
    tenants: z
      .record(
        z.string().min(1),
        z.object({ defaults: ThresholdOverridesSchema.optional(), hostGroups: z.record(z.string().min(1), ThresholdOverridesSchema).optional() }).strict(),
      )
      .optional(),
  })
  .strict();
export type ThresholdPolicy = z.infer<typeof ThresholdPolicySchema>;

/** Engine-wide: windows and port lists are the same for every host, so state and findings line up across hosts. */
export interface DetectionSettings {
  /** Zeek's addr_scan_interval and port_scan_interval: 5 minutes. */
  scanWindowMs: number;
  spamWindowMs: number;
  /** Zeek's SSH::guessing_timeout: 30 minutes. */
  bruteForceWindowMs: number;
  /** Rates are averaged over this (FastNetMon's average_calculation_time: 5 s). */
  rateAverageMs: number;
  /** One DoS finding per host and target per this window, however long the attack. */
  dosReportWindowMs: number;
  /** Records up to this much older than the newest one still count; windows close this long after they end. */
  maxLatenessMs: number;
  /** Hosts silent for this long are forgotten, baseline included. */
  hostIdleMs: number;
  /** Hours a host must have been watched before its volume can be unusual. */
  volumeWarmupHours: number;
  /** Days an hour of the day must have been seen before that hour can be unusual. */
  volumeMinHourSamples: number;
  smtpPorts: number[];
  authPorts: number[];
  /** UDP services clients legitimately query far and wide: a single small packet to them is not a probe. */
  udpFanoutPorts: number[];
  /** From this fraction of a threshold a host's flows are kept as evidence, so a finding names what led to it. */
  evidenceFraction: number;
}

export const DEFAULT_SETTINGS: Readonly<DetectionSettings> = Object.freeze({
  scanWindowMs: 5 * 60_000,
  spamWindowMs: 10 * 60_000,
  bruteForceWindowMs: 30 * 60_000,
  rateAverageMs: 5_000,
  dosReportWindowMs: 5 * 60_000,
  maxLatenessMs: 10_000,
  hostIdleMs: 8 * 24 * 3_600_000,
  volumeWarmupHours: 72,
  volumeMinHourSamples: 3,
  smtpPorts: [25, 465, 587],
  authPorts: [22, 3389],
  udpFanoutPorts: [53, 123, 443, 3478, 5353, 19302],
  evidenceFraction: 0.5,
});

/** Resolves and caches the thresholds of every (tenant, host group) pair seen. */
export class ThresholdBook {
  private readonly cache = new Map<string, Thresholds>();

  constructor(private readonly policy: ThresholdPolicy = {}) {}

  for(tenantId: string, hostGroup: string | undefined): Thresholds {
    const key = `${tenantId}\u0000${hostGroup ?? ''}`;
    let t = this.cache.get(key);
    if (!t) {
      const tenant = this.policy.tenants?.[tenantId];
      const layers = [
        this.policy.defaults,
        hostGroup ? this.policy.hostGroups?.[hostGroup] : undefined,
        tenant?.defaults,
        hostGroup ? tenant?.hostGroups?.[hostGroup] : undefined,
      ];
      t = { ...DEFAULT_THRESHOLDS, disabled: [...DEFAULT_THRESHOLDS.disabled] };
      for (const layer of layers) if (layer) Object.assign(t, layer);
      this.cache.set(key, t);
    }
    return t;
  }
}
