// Flows between machines over NATS JetStream, for when one detector process is not enough (docs/scale-out.md).
// Collectors publish record batches partitioned by source address, and records towards a tenant once more by
// destination; each detector process owns some partitions of both, so every host's state lives in exactly one
// detector. In one process none of this is needed: the decoder's sink is the detector's sink (detection/runtime.ts).
export { addressHash, flowDestinationPartition, flowPartition, partitionOf, partitionsFor, MAX_PARTITIONS } from './flow-partition';
export { DEFAULT_FLOW_PARTITIONS, DEFAULT_FLOW_STREAM, DEFAULT_FLOW_SUBJECT_PREFIX, ensureFlowStream, FLOW_FAMILIES, partitionSubject, streamPartitions } from './flow-stream';
export type { FlowConnectionOptions, FlowFamily, FlowStreamOptions } from './flow-stream';
export { createFlowPublisher } from './flow-publisher';
export type { FlowPublisher, FlowPublisherOptions, FlowPublisherStats } from './flow-publisher';
export { durable, startFlowConsumer } from './flow-consumer';
export type { FlowConsumer, FlowConsumerOptions, FlowConsumerPlace, FlowConsumerStats, PartitionStats } from './flow-consumer';
export { decodeFlowBatch, encodeFlowBatch, FlowBatchEncoder, FlowBatchError } from './record-codec';
