// Flows between machines over NATS JetStream, for when one detector process is not enough (docs/scale-out.md).
// Collectors publish record batches partitioned by source address; each detector process owns some partitions, so
// every host's state lives in exactly one detector. In one process none of this is needed: the decoder's sink is the
// detector's sink (detection/runtime.ts).
export { addressHash, flowPartition, partitionOf, partitionsFor, MAX_PARTITIONS } from './flow-partition';
export { DEFAULT_FLOW_PARTITIONS, DEFAULT_FLOW_STREAM, DEFAULT_FLOW_SUBJECT_PREFIX, ensureFlowStream, partitionSubject, streamPartitions } from './flow-stream';
export type { FlowConnectionOptions, FlowStreamOptions } from './flow-stream';
export { createFlowPublisher } from './flow-publisher';
export type { FlowPublisher, FlowPublisherOptions, FlowPublisherStats } from './flow-publisher';
export { startFlowConsumer } from './flow-consumer';
export type { FlowConsumer, FlowConsumerOptions, FlowConsumerStats, PartitionStats } from './flow-consumer';
export { decodeFlowBatch, encodeFlowBatch, FlowBatchEncoder, FlowBatchError } from './record-codec';
