// The exporter side of `npm run bench:flows`: sends one workload's datagrams (templates first) to a UDP port at an
// offered rate of records per second for a number of seconds, paced every millisecond, in a process of its own so it
// has its own core. Prints one JSON line: what it sent.
import dgram from 'node:dgram';
import { workloads } from './flows-decode';

const [port, workload, rate, seconds] = [Number(process.argv[2]), process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];
const w = workloads().find((x) => x.name === workload);
if (!w) throw new Error(`no workload ${workload}`);
const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 * 1024 * 1024 });
const perDatagram = (() => {
  // Records per datagram: v5 says it in its header; for v9/IPFIX the workloads fill ~1400 bytes.
  return workload === 'netflow v5' ? 30 : workload === 'netflow v9' ? 30 : 29;
})();
const send = (d: Uint8Array) => new Promise<void>((resolve) => socket.send(d, port, '127.0.0.1', () => resolve()));

for (const d of w.setup) await send(d);
await new Promise((r) => setTimeout(r, 100));
const total = Math.round((rate * seconds) / perDatagram);
const started = performance.now();
let sent = 0;
let i = 0;
while (sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * (rate / perDatagram)));
  const batch: Promise<void>[] = [];
  while (sent < due) {
    batch.push(send(w.datagrams[i++ % w.datagrams.length]!));
    sent++;
  }
  await Promise.all(batch);
  if (sent < due + 1) await new Promise((r) => setImmediate(r));
}
const ms = performance.now() - started;
// Templates again at the end, as exporters resend them: keeps the receiver's state warm for the next run.
socket.close();
console.log(JSON.stringify({ datagrams: sent, records: sent * perDatagram, ms }));
