// The detector process: `npm run detector`. Listens for NetFlow v5/v9 and IPFIX on FLOW_UDP_PORT, scores flows per
// tenant host and hands findings to intake. `npm start` runs the same pipeline inside the stack. With FLOWS_NATS_URL
// set, collectors publish decoded records to JetStream partitioned by source address and detectors consume their
// partitions (FLOWS_ROLE, DETECTOR_INDEX/DETECTOR_COUNT; docs/scale-out.md).
import { createFlowPublisher, startFlowConsumer, type FlowConsumer, type FlowPublisher } from './jetstream';
import { loadThresholds } from '../cli/flows-detect';
import { startDetector } from './runtime';
import { config } from '../lib/config';
import { db } from '../lib/db';
import { childLogger } from '../lib/log';
import { getTemporalClient } from '../lib/temporal';

const log = childLogger('detector');
const c = config();
const servers = c.FLOWS_NATS_URL?.split(',').map((s) => s.trim());
const role = servers ? c.FLOWS_ROLE : 'all';
const collects = role !== 'detector';
const detects = role !== 'collector';
if (collects && c.FLOW_UDP_PORT === 0) {
  log.error('FLOW_UDP_PORT is 0: no collector to run');
  process.exit(1);
}
// Thresholds per tenant and host group: read once at start; restart the detector to apply a change.
const thresholds = c.DETECTION_THRESHOLDS ? await loadThresholds(c.DETECTION_THRESHOLDS) : undefined;
const stream = { servers, stream: c.FLOWS_STREAM, name: c.DETECTOR_NAME };
let publisher: FlowPublisher | undefined;
if (servers && collects) publisher = await createFlowPublisher({ ...stream, partitions: c.FLOWS_PARTITIONS });
const detector = await startDetector({
  db: db(),
  temporal: getTemporalClient,
  taskQueue: c.TEMPORAL_TASK_QUEUE,
  udpPorts: collects ? [c.FLOW_UDP_PORT] : [],
  name: c.DETECTOR_NAME,
  log,
  engine: { thresholds },
  // Scaled out, a collector only decodes and publishes; the detectors owning the partitions score.
  forward: publisher?.sink,
});
let consumer: FlowConsumer | undefined;
if (servers && detects) {
  consumer = await startFlowConsumer({
    ...stream,
    partitions: { index: c.DETECTOR_INDEX, of: c.DETECTOR_COUNT },
    totalPartitions: c.FLOWS_PARTITIONS,
    durableName: c.FLOWS_DURABLE,
    sink: detector.sink,
    onError: (err, where) => log.warn({ err, ...where }, 'flow batch problem'),
  });
  log.info({ index: c.DETECTOR_INDEX, of: c.DETECTOR_COUNT, stream: c.FLOWS_STREAM }, 'consuming flow partitions');
}
const stop = async () => {
  await consumer?.stop();
  await publisher?.close();
  await detector.stop();
  await db().$disconnect();
  log.info(detector.stats(), 'detector stopped');
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
