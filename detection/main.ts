// The detector process: `npm run detector`. Listens for NetFlow v5/v9 and IPFIX on FLOW_UDP_PORT, scores flows per
// tenant host and hands findings to intake. `npm start` runs the same pipeline inside the stack.
import { startDetector } from './runtime';
import { config } from '../lib/config';
import { db } from '../lib/db';
import { childLogger } from '../lib/log';
import { getTemporalClient } from '../lib/temporal';

const log = childLogger('detector');
const c = config();
if (c.FLOW_UDP_PORT === 0) {
  log.error('FLOW_UDP_PORT is 0: no collector to run');
  process.exit(1);
}
const detector = await startDetector({ db: db(), temporal: getTemporalClient, taskQueue: c.TEMPORAL_TASK_QUEUE, udpPorts: [c.FLOW_UDP_PORT], name: c.DETECTOR_NAME, log });
const stop = async () => {
  await detector.stop();
  await db().$disconnect();
  log.info(detector.stats(), 'detector stopped');
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
