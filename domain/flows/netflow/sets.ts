// What the v9 and IPFIX message walkers share: the decoder's side of a walk, and the framing check that runs over
// every set header before any record is emitted (so a badly framed datagram is dropped whole).
import type { MessageContext } from './flow-reader';
import type { DecoderState } from './state';
import type { DatagramDropReason, DecodeStats } from './stats';
import type { SetContext } from './template-sets';
import type { Template } from './template';

export interface SetWalker {
  readonly msg: MessageContext;
  readonly stats: DecodeStats;
  readonly state: DecoderState;
  /** Reused per datagram: the domain changes, the object does not. */
  readonly setContext: SetContext;
  /** The data records of one set, from `start` to `end` (padding at the end included). */
  dataSet(t: Template, b: Uint8Array, start: number, end: number): void;
  /** The datagram is dropped: count it. */
  drop(reason: DatagramDropReason): void;
}

/**
 * Checks set framing from `start` to `end`. A v9 flowset header of length 0 ends the datagram (some exporters
 * zero-fill the rest of a fixed-size packet); fewer than 4 bytes left over are padding.
 */
export function checkSets(b: Uint8Array, start: number, end: number, v9: boolean): DatagramDropReason | null {
  let o = start;
  while (end - o >= 4) {
    const length = (b[o + 2]! << 8) | b[o + 3]!;
    if (length === 0 && v9) return null;
    if (length < 4) return 'bad-set-length';
    if (o + length > end) return 'set-overrun';
    o += length;
  }
  return null;
}
