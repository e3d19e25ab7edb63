// Safeguard's own flow format: one JSON object per line, for exporters we do not decode and for hand-written tests.
// docs/detection.md documents it; the schema here is the only definition.
import { z } from 'zod';
import { PROTOCOL, type FlowRecord, type FlowSink } from '../types';
import { parseIpKey } from './address';
import type { StatsCollector } from './stats';

const PROTOCOL_NAMES: Record<string, number> = { tcp: PROTOCOL.TCP, udp: PROTOCOL.UDP, icmp: PROTOCOL.ICMP, icmpv6: PROTOCOL.ICMPV6 };

/** Epoch milliseconds, or an ISO 8601 time with a zone (a zone-less time would be read in the reader's zone). */
const time = z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))], {
  error: 'not epoch milliseconds or an ISO 8601 time with a zone',
});

const address = z.string().transform((s, ctx) => {
  const key = parseIpKey(s.trim());
  if (key === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${s}' is not an IPv4 or IPv6 address` });
    return z.NEVER;
  }
  return key;
});

const port = z.number().int().min(0).max(65535);
const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const SafeguardFlowSchema = z
  .object({
    start: time,
    end: time,
    src: address,
    dst: address,
    srcPort: port.default(0),
    dstPort: port.default(0),
    /** IANA number, or tcp/udp/icmp/icmpv6. */
    protocol: z.union([z.number().int().min(0).max(255), z.enum(Object.keys(PROTOCOL_NAMES) as [string, ...string[]]).transform((p) => PROTOCOL_NAMES[p]!)], {
      error: 'not a protocol number (0-255) or tcp, udp, icmp, icmpv6',
    }),
    packets: counter,
    bytes: counter,
    tcpFlags: z.number().int().min(0).max(255).default(0),
    /** Counts are already multiplied by it; 1 when unsampled. */
    samplingInterval: z.number().int().min(1).default(1),
    exporter: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((f) => f.end >= f.start, { message: 'end is before start', path: ['end'] });

export type SafeguardFlow = z.input<typeof SafeguardFlowSchema>;

export function createJsonlParser(sink: FlowSink, stats: StatsCollector, exporter: string): (text: string, lineNumber: number) => void {
  return (text, lineNumber) => {
    if (text.trim() === '') {
      stats.stats.skipped++;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return stats.bad(lineNumber, `not JSON: ${(err as Error).message}`);
    }
    const parsed = SafeguardFlowSchema.safeParse(json);
    if (!parsed.success) {
      return stats.bad(lineNumber, parsed.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; '));
    }
    const f = parsed.data;
    const record: FlowRecord = {
      source: 'jsonl', exporter: f.exporter ?? exporter, start: f.start, end: f.end, src: f.src, dst: f.dst, srcPort: f.srcPort, dstPort: f.dstPort,
      protocol: f.protocol, tcpFlags: f.tcpFlags, packets: f.packets, bytes: f.bytes, samplingInterval: f.samplingInterval,
    };
    stats.stats.records++;
    sink(record);
  };
}
