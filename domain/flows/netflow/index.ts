// NetFlow v5 / v9 / IPFIX decoding: the decoder, its statistics, and the full-decode record shape.
export { NetflowDecoder, type DecodedRecord, type DecodedSink, type NetflowDecoderOptions } from './decoder';
export type { FieldValue } from './full-record';
export { DEFAULT_LIMITS, type StateLimits } from './state';
export { createStats, errorCount, DATAGRAM_DROP_REASONS, SET_ERROR_REASONS, type DecodeStats, type DatagramDropReason, type SetErrorReason } from './stats';
