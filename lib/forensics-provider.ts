// Where forensic artifacts come from. The workflow's activities call a ForensicProvider only for items inside the
// approved scope and window; the provider itself knows nothing of consent.
//
// This installation's provider reads a local store of demo artifacts laid out as
//   <root>/<deploymentId or 'default'>/<vmId>/vm.json                      (name, time zone of the VM's clock)
//   <root>/<deploymentId or 'default'>/<vmId>/<kind>/<files>               (kind: one of DATA_KINDS)
// A kind holds one file, except logs: every file in logs/ is collected as one bundle (domain/forensics/bundle.ts).
//
// A real cloud adapter implements the same two calls; what it would call, per kind:
// - listVms: the compute inventory (AWS EC2 DescribeInstances filtered by the deployment's tag, Azure
//   VirtualMachines.list in the resource group, GCP compute.instances.list with a label filter).
// - disk_snapshot: a crash-consistent snapshot, then a read of its blocks (AWS EC2 CreateSnapshot + EBS direct APIs
//   ListSnapshotBlocks/GetSnapshotBlock; Azure Snapshots.createOrUpdate + grantAccess for a read-only SAS URL; GCP
//   disks.createSnapshot, then an image export to Cloud Storage). Snapshots are tagged with the request id and
//   deleted once copied, so nothing outlives the retention period.
// - memory_snapshot: clouds offer no RAM capture of a running VM; the adapter runs AVML or LiME through the guest
//   agent (AWS SSM SendCommand, Azure Run Command, GCE guest attributes) and reads the upload from object storage.
// - logs: the same guest agent running `cat` over /var/log files, or the cloud's log store (CloudWatch Logs
//   FilterLogEvents, Azure Monitor Logs query, Cloud Logging entries.list) bounded by the access window.
// - network_capture: Azure Network Watcher packetCaptures (a .cap in a storage account), AWS VPC Traffic Mirroring to
//   a capture host, GCP Packet Mirroring; the pcap is summarised into a Zeek conn.log before analysis, which is what
//   the demo store holds.
// Each adapter call carries the AbortSignal (revocation cancels the activity) and reports progress for heartbeats.
import { createHash } from 'node:crypto';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { bundleHeader, bundlePreamble } from '../domain/forensics/bundle';
import { DATA_KINDS, type DataKind } from '../domain/forensics/types';

/** The demo store shipped with the project. */
export const DEMO_ARTIFACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'forensics', 'demo-artifacts');

/** The folder used for deployments that have no folder of their own. */
export const DEFAULT_DEPLOYMENT_DIR = 'default';

export interface VmInfo {
  vmId: string;
  name: string;
  /** IANA zone of the VM's clock, for log lines that carry no offset (RFC 3164). */
  timeZone?: string;
}

export interface CollectRequest {
  deploymentId: string;
  vmId: string;
  kind: DataKind;
}

export interface CollectOptions {
  /** Aborting it (revocation, window end, activity cancellation) stops the collection promptly. */
  signal: AbortSignal;
  /** Bytes collected so far (a running total), after each chunk: a heartbeat's progress. */
  onProgress(bytes: number): void;
}

export interface CollectedArtifact {
  /** The bytes, or the path of a file holding them (adapters that stream large images to disk return a path). */
  bytes: Uint8Array | string;
  filename: string;
  contentType: string;
  /** Where the bytes came from, as a URI of the provider. */
  source: string;
  size: number;
  /** SHA-256 (hex) computed while reading: the custody record is checked against it. */
  sha256: string;
}


export interface ForensicProvider {
  readonly name: string;
  listVms(deploymentId: string): Promise<VmInfo[]>;
  collect(req: CollectRequest, opts: CollectOptions): Promise<CollectedArtifact>;
}

export type ProviderErrorCode = 'invalid_request' | 'not_found' | 'store_invalid' | 'changed_while_reading';

/** A refusal that retrying will not change; activities turn it into a non-retryable failure of this type. */
export class ForensicProviderError extends Error {
  override readonly name = 'ForensicProviderError';
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LocalProviderOptions {
  /** Slows reading to this rate, so tests (and demos) can revoke consent while a collection runs. */
  bytesPerSecond?: number;
  /** Bytes per read; default 64 KiB. */
  chunkSize?: number;
  /** Names the collector in custody records; default 'local-demo-store'. */
  name?: string;
}

// The same rule the scope schema applies: ids are single path segments, so no request can leave the store.
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const VmFileSchema = z.looseObject({
  name: z.string().min(1).max(200).optional(),
  timeZone: z.string().refine(isTimeZone, 'is not an IANA time zone').optional(),
});

const CONTENT_TYPES: Record<string, string> = {
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.pcap': 'application/vnd.tcpdump.pcap',
  '.json': 'application/json',
};

interface Part {
  /** Literal bytes (bundle framing) or a file to read. */
  bytes?: Uint8Array;
  file?: string;
  size: number;
}

export function createLocalArtifactProvider(rootDir: string, options: LocalProviderOptions = {}): ForensicProvider {
  const root = path.resolve(rootDir);
  const bytesPerSecond = options.bytesPerSecond;
  if (bytesPerSecond !== undefined && !(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
  // Throttled reads come in small chunks so progress and pacing stay smooth (about 20 reads a second).
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? 64 * 1024, bytesPerSecond ? Math.ceil(bytesPerSecond / 20) : Infinity));
  const name = options.name ?? 'local-demo-store';

  async function deploymentDir(deploymentId: string): Promise<string> {
    checkId(deploymentId, 'deployment id');
    const own = path.join(root, deploymentId);
    if (await isDirectory(own)) return own;
    const fallback = path.join(root, DEFAULT_DEPLOYMENT_DIR);
    if (await isDirectory(fallback)) return fallback;
    throw new ForensicProviderError('not_found', `no artifacts for deployment ${deploymentId} in ${root}`);
  }

  async function vmDir(req: CollectRequest): Promise<string> {
    checkId(req.vmId, 'VM id');
    const dir = path.join(await deploymentDir(req.deploymentId), req.vmId);
    if (!(await isDirectory(dir))) throw new ForensicProviderError('not_found', `VM ${req.vmId} not found in deployment ${req.deploymentId}`);
    return dir;
  }

  async function plan(req: CollectRequest): Promise<{ parts: Part[]; filename: string; contentType: string; source: string }> {
    if (!(DATA_KINDS as readonly string[]).includes(req.kind)) {
      throw new ForensicProviderError('invalid_request', `'${String(req.kind).slice(0, 40)}' is not a kind of data (${DATA_KINDS.join(', ')})`);
    }
    const dir = path.join(await vmDir(req), req.kind);
    const files = (await isDirectory(dir)) ? await regularFiles(dir) : [];
    if (files.length === 0) {
      throw new ForensicProviderError('not_found', `no ${req.kind} for VM ${req.vmId} of deployment ${req.deploymentId}`);
    }
    const source = `${pathToFileURL(dir).href}/`;
    if (req.kind === 'logs') {
      const preamble = bundlePreamble();
      const parts: Part[] = [{ bytes: preamble, size: preamble.length }];
      for (const f of files) {
        const header = bundleHeader(`/var/log/${f.name}`, f.size);
        parts.push({ bytes: header, size: header.length }, { file: f.path, size: f.size }, { bytes: LF, size: 1 });
      }
      return { parts, filename: `${req.vmId}-logs.txt`, contentType: 'text/plain; charset=utf-8', source };
    }
    if (files.length > 1) {
      throw new ForensicProviderError('store_invalid', `${req.kind} of VM ${req.vmId} holds ${files.length} files; one is expected`);
    }
    const f = files[0]!;
    return {
      parts: [{ file: f.path, size: f.size }],
      filename: `${req.vmId}-${f.name}`,
      contentType: CONTENT_TYPES[path.extname(f.name)] ?? 'application/octet-stream',
      source: pathToFileURL(f.path).href,
    };
  }

  return {
    name,

    async listVms(deploymentId) {
      const dir = await deploymentDir(deploymentId);
      const vms: VmInfo[] = [];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory() || !ID.test(entry.name)) continue;
        vms.push({ vmId: entry.name, ...(await readVmFile(path.join(dir, entry.name), entry.name)) });
      }
      return vms.sort((a, b) => (a.vmId < b.vmId ? -1 : a.vmId > b.vmId ? 1 : 0));
    },

    async collect(req, opts) {
      const { signal, onProgress } = opts;
      signal.throwIfAborted();
      const { parts, filename, contentType, source } = await plan(req);
      signal.throwIfAborted();
      const size = parts.reduce((n, p) => n + p.size, 0);
      const out = new Uint8Array(size);
      const hash = createHash('sha256');
      const started = performance.now();
      let done = 0;
      const advance = async (n: number): Promise<void> => {
        hash.update(out.subarray(done, done + n));
        done += n;
        onProgress(done);
        signal.throwIfAborted();
        if (bytesPerSecond) {
          const due = (done / bytesPerSecond) * 1000 - (performance.now() - started);
          if (due > 0) await sleep(due, signal);
        }
      };
      for (const part of parts) {
        if (part.bytes) {
          out.set(part.bytes, done);
          await advance(part.bytes.length);
          continue;
        }
        const handle = await open(part.file!, 'r');
        try {
          let read = 0;
          while (read < part.size) {
            const want = Math.min(chunkSize, part.size - read);
            const { bytesRead } = await handle.read(out, done, want, read);
            if (bytesRead === 0) {
              throw new ForensicProviderError('changed_while_reading', `${part.file} became shorter while it was read`);
            }
            read += bytesRead;
            await advance(bytesRead);
          }
        } finally {
          await handle.close();
        }
      }
      return { bytes: out, filename, contentType, source, size, sha256: hash.digest('hex') };
    },
  };
}

const LF = new Uint8Array([0x0a]);

function checkId(id: string, what: string): void {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new ForensicProviderError('invalid_request', `'${String(id).slice(0, 40)}' is not a valid ${what}`);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Regular files only, sorted by name; hidden files and symbolic links (which could point out of the store) are skipped. */
async function regularFiles(dir: string): Promise<{ name: string; path: string; size: number }[]> {
  const files: { name: string; path: string; size: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    files.push({ name: entry.name, path: p, size: (await lstat(p)).size });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function readVmFile(dir: string, vmId: string): Promise<Omit<VmInfo, 'vmId'>> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'vm.json'), 'utf8');
  } catch {
    return { name: vmId };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ForensicProviderError('store_invalid', `${path.join(dir, 'vm.json')} is not JSON: ${(err as Error).message}`);
  }
  const vm = VmFileSchema.safeParse(parsed);
  if (!vm.success) throw new ForensicProviderError('store_invalid', `${path.join(dir, 'vm.json')}: ${z.prettifyError(vm.error)}`);
  return { name: vm.data.name ?? vmId, ...(vm.data.timeZone ? { timeZone: vm.data.timeZone } : {}) };
}

/** A timer that ends early, with the signal's reason, when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
