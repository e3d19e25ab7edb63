// What a decoder saw, by outcome: the collector exports these as counters, the CLI sums them into its error count.

/** Why a whole datagram was dropped (nothing of it was emitted). */
export const DATAGRAM_DROP_REASONS = [
  'too-short', // shorter than its version's header
  'unsupported-version',
  'bad-length', // IPFIX message length beyond the datagram or under 16; v5 record count beyond the datagram
  'bad-count', // v5 record count over 30
  'bad-set-length', // a set (flowset) header with a length under 4
  'set-overrun', // a set running past the end of the message
] as const;

/** Why part of an otherwise well-framed datagram was skipped (the rest was decoded). */
export const SET_ERROR_REASONS = [
  'bad-template', // a template record running past its set, with a reserved id, or describing an empty record
  'reserved-set-id', // set ids NetFlow v9 / IPFIX reserve (v9: 2-255, IPFIX: 0, 1, 4-255)
  'record-overrun', // a variable-length record running past the end of its set
  'state-limit', // more exporters, domains or templates than the decoder keeps
] as const;

export type DatagramDropReason = (typeof DATAGRAM_DROP_REASONS)[number];
export type SetErrorReason = (typeof SET_ERROR_REASONS)[number];

export interface DecodeStats {
  datagrams: number;
  /** Flow records handed to the sink (the hot path) or data records of flow templates (the full decode). */
  flows: number;
  /** Data records of options templates (sampling, interface tables, ...): they update state, they are not flows. */
  optionRecords: number;
  /** Data records of a template without addresses: decoded in the full decode, skipped on the hot path. */
  otherRecords: number;
  templates: number;
  templatesWithdrawn: number;
  /** Data sets whose template was not (yet) known: normal for a minute after a collector starts. */
  unknownTemplateSets: number;
  droppedDatagrams: number;
  dropped: Record<DatagramDropReason, number>;
  setErrors: Record<SetErrorReason, number>;
}

export function createStats(): DecodeStats {
  return {
    datagrams: 0,
    flows: 0,
    optionRecords: 0,
    otherRecords: 0,
    templates: 0,
    templatesWithdrawn: 0,
    unknownTemplateSets: 0,
    droppedDatagrams: 0,
    dropped: Object.fromEntries(DATAGRAM_DROP_REASONS.map((r) => [r, 0])) as Record<DatagramDropReason, number>,
    setErrors: Object.fromEntries(SET_ERROR_REASONS.map((r) => [r, 0])) as Record<SetErrorReason, number>,
  };
}

/** Dropped datagrams plus skipped sets: what a caller reports as errors. */
export function errorCount(stats: DecodeStats): number {
  let n = stats.droppedDatagrams;
  for (const reason of SET_ERROR_REASONS) n += stats.setErrors[reason];
  return n;
}
