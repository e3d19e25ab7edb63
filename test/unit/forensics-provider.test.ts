// The local artifact provider: reads the demo store, bundles logs, reports progress, stops within ~100 ms of an abort,
// and refuses anything missing or any id that could leave the store.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { splitBundle } from '../../domain/forensics/bundle';
import { DATA_KINDS } from '../../domain/forensics/types';
import { standIns } from '../../forensics/demo-artifacts/make-stand-ins';
import {
  createLocalArtifactProvider,
  DEMO_ARTIFACTS_DIR,
  ForensicProviderError,
  type CollectedArtifact,
  type CollectRequest,
} from '../../lib/forensics-provider';

const DEPLOYMENT = '4e2f6a8c-1b3d-4f5e-9a7c-0d1e2f3a4b5c';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const demoFile = (...p: string[]): string => path.join(DEMO_ARTIFACTS_DIR, 'default', ...p);
const noAbort = (): AbortSignal => new AbortController().signal;

function bytesOf(a: CollectedArtifact): Uint8Array {
  if (typeof a.bytes === 'string') throw new Error('the local provider returns bytes');
  return a.bytes;
}

async function refusal(p: Promise<unknown>): Promise<ForensicProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForensicProviderError);
  return err as ForensicProviderError;
}

describe('the demo store', () => {
  const provider = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR);

  test('lists the demo VMs for any deployment without a folder of its own', async () => {
    expect(await provider.listVms(DEPLOYMENT)).toEqual([
      { vmId: 'vm-db-1', name: 'db-1', timeZone: 'UTC' },
      { vmId: 'vm-web-1', name: 'web-1', timeZone: 'Europe/Berlin' },
    ]);
  });

  test('collects every kind for every demo VM, with the SHA-256 of what it returned', async () => {
    for (const vm of ['vm-web-1', 'vm-db-1']) {
      for (const kind of DATA_KINDS) {
        const a = await provider.collect({ deploymentId: DEPLOYMENT, vmId: vm, kind }, { signal: noAbort(), onProgress: () => {} });
        const bytes = bytesOf(a);
        expect(a.size).toBe(bytes.length);
        expect(a.sha256).toBe(sha256(bytes));
        expect(a.source).toMatch(/^file:\/\//);
        expect(a.filename.startsWith(`${vm}-`)).toBe(true);
      }
    }
  });

  test('returns the stand-in images byte for byte, and they are what make-stand-ins.ts writes', async () => {
    for (const { file, bytes } of standIns()) {
      const onDisk = new Uint8Array(await readFile(demoFile(file)));
      expect(sha256(onDisk), file).toBe(sha256(bytes));
      const [vmId, kind] = file.split('/') as [string, 'memory_snapshot' | 'disk_snapshot'];
      const a = await provider.collect({ deploymentId: DEPLOYMENT, vmId, kind }, { signal: noAbort(), onProgress: () => {} });
      expect(a.sha256).toBe(sha256(onDisk));
      expect(a.contentType).toBe('application/octet-stream');
      expect(new TextDecoder().decode(bytesOf(a).subarray(0, 23))).toBe('SAFEGUARD DEMO ARTIFACT');
    }
  });

  test('bundles all log files of a VM, each exactly as it is on disk', async () => {
    const a = await provider.collect({ deploymentId: DEPLOYMENT, vmId: 'vm-web-1', kind: 'logs' }, { signal: noAbort(), onProgress: () => {} });
    expect(a.filename).toBe('vm-web-1-logs.txt');
    const split = splitBundle(bytesOf(a), a.filename);
    expect(split.problems).toEqual([]);
    expect(split.sections.map((s) => s.path)).toEqual(['/var/log/auth.log', '/var/log/syslog']);
    expect(sha256(split.sections[0]!.bytes)).toBe(sha256(await readFile(demoFile('vm-web-1', 'logs', 'auth.log'))));
    expect(sha256(split.sections[1]!.bytes)).toBe(sha256(await readFile(demoFile('vm-web-1', 'logs', 'syslog'))));
  });

  test('reports a running total of bytes that ends at the size', async () => {
    const small = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR, { chunkSize: 4096 });
    const seen: number[] = [];
    const a = await small.collect({ deploymentId: DEPLOYMENT, vmId: 'vm-db-1', kind: 'disk_snapshot' }, { signal: noAbort(), onProgress: (n) => seen.push(n) });
    expect(seen.length).toBe(16);
    expect(seen.every((n, i) => i === 0 || n > seen[i - 1]!)).toBe(true);
    expect(seen.at(-1)).toBe(a.size);
  });
});

describe('revocation in the middle of a collection', () => {
  test('stops within 100 ms of the abort, with the abort reason', async () => {
    // 64 KiB at 32 KiB/s: about two seconds, so the abort lands mid-way.
    const slow = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR, { bytesPerSecond: 32 * 1024 });
    const controller = new AbortController();
    let progress = 0;
    let quarter: () => void = () => {};
    const quarterRead = new Promise<void>((resolve) => (quarter = resolve));
    const reason = new Error('consent revoked');
    const collecting = slow.collect(
      { deploymentId: DEPLOYMENT, vmId: 'vm-web-1', kind: 'disk_snapshot' },
      {
        signal: controller.signal,
        onProgress: (n) => {
          progress = n;
          if (n >= 16 * 1024) quarter();
        },
      },
    );
    const outcome = collecting.then(
      () => 'completed',
      (e: unknown) => e,
    );
    // The revocation arrives from outside, as a Temporal activity cancellation does.
    await quarterRead;
    const abortedAt = performance.now();
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(100);
    const stoppedAt = progress;
    expect(stoppedAt).toBeLessThan(64 * 1024);
    // Nothing is read after the rejection.
    await new Promise((resolve) => setImmediate(resolve));
    expect(progress).toBe(stoppedAt);
  });

  test('stops while waiting between throttled chunks, not only after the next chunk', async () => {
    // One chunk is 1/20 s of data; an abort from a timer lands while the provider waits to read the next.
    const slow = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR, { bytesPerSecond: 16 * 1024 });
    const controller = new AbortController();
    let abortedAt = 0;
    let started = false;
    const collecting = slow.collect(
      { deploymentId: DEPLOYMENT, vmId: 'vm-db-1', kind: 'memory_snapshot' },
      {
        signal: controller.signal,
        onProgress: () => {
          if (started) return;
          started = true;
          setImmediate(() => {
            abortedAt = performance.now();
            controller.abort();
          });
        },
      },
    );
    const err = await collecting.then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('AbortError');
    expect(performance.now() - abortedAt).toBeLessThan(100);
  });

  test('reads nothing when the signal is already aborted', async () => {
    const provider = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR);
    const controller = new AbortController();
    controller.abort(new Error('window closed'));
    let calls = 0;
    await expect(
      provider.collect({ deploymentId: DEPLOYMENT, vmId: 'vm-web-1', kind: 'logs' }, { signal: controller.signal, onProgress: () => calls++ }),
    ).rejects.toThrow('window closed');
    expect(calls).toBe(0);
  });

  test('throttles to the rate asked for', async () => {
    const slow = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR, { bytesPerSecond: 32 * 1024 });
    const started = performance.now();
    const a = await slow.collect({ deploymentId: DEPLOYMENT, vmId: 'vm-db-1', kind: 'logs' }, { signal: noAbort(), onProgress: () => {} });
    // About 2.9 KB at 32 KiB/s: at least ~85 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual((a.size / (32 * 1024)) * 1000 - 5);
  });
});

describe('refusals', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'safeguard-forensics-'));
    // A store with its own folder for one deployment and no default.
    await mkdir(path.join(root, 'dep-own', 'vm-1', 'logs'), { recursive: true });
    await writeFile(path.join(root, 'dep-own', 'vm-1', 'logs', 'syslog'), 'Jun 12 05:14:07 vm-1 sshd[1]: hello\n');
    await writeFile(path.join(root, 'dep-own', 'vm-1', 'vm.json'), JSON.stringify({ name: 'one', timeZone: 'Asia/Tokyo' }));
    await mkdir(path.join(root, 'dep-own', 'vm-1', 'disk_snapshot'), { recursive: true });
    await writeFile(path.join(root, 'dep-own', 'vm-1', 'disk_snapshot', 'a.img'), 'a');
    await writeFile(path.join(root, 'dep-own', 'vm-1', 'disk_snapshot', 'b.img'), 'b');
    await mkdir(path.join(root, 'dep-own', 'vm-1', 'memory_snapshot'), { recursive: true });
    await writeFile(path.join(root, 'secret.txt'), 'outside the VM folder');
    await symlink(path.join(root, 'secret.txt'), path.join(root, 'dep-own', 'vm-1', 'memory_snapshot', 'memory.bin'));
    await mkdir(path.join(root, 'dep-own', 'vm-bad'), { recursive: true });
    await writeFile(path.join(root, 'dep-own', 'vm-bad', 'vm.json'), JSON.stringify({ timeZone: 'Mars/Olympus' }));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const collect = (req: CollectRequest) => createLocalArtifactProvider(root).collect(req, { signal: noAbort(), onProgress: () => {} });

  test('uses a deployment\'s own folder, and refuses deployments with neither their own folder nor a default', async () => {
    const a = await collect({ deploymentId: 'dep-own', vmId: 'vm-1', kind: 'logs' });
    expect(splitBundle(bytesOf(a), a.filename).sections).toHaveLength(1);
    const err = await refusal(collect({ deploymentId: 'dep-other', vmId: 'vm-1', kind: 'logs' }));
    expect(err.code).toBe('not_found');
    expect(err.message).toBe(`no artifacts for deployment dep-other in ${root}`);
    expect((await refusal(createLocalArtifactProvider(root).listVms('dep-other'))).code).toBe('not_found');
  });

  test('refuses a missing VM or a kind the VM has no files for', async () => {
    expect((await refusal(collect({ deploymentId: 'dep-own', vmId: 'vm-9', kind: 'logs' }))).message).toBe('VM vm-9 not found in deployment dep-own');
    const missingKind = await refusal(collect({ deploymentId: 'dep-own', vmId: 'vm-1', kind: 'network_capture' }));
    expect(missingKind).toMatchObject({ code: 'not_found', message: 'no network_capture for VM vm-1 of deployment dep-own' });
    const demo = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR);
    const missingDemo = await refusal(demo.collect({ deploymentId: DEPLOYMENT, vmId: 'vm-mail-1', kind: 'logs' }, { signal: noAbort(), onProgress: () => {} }));
    expect(missingDemo.code).toBe('not_found');
  });

  test('does not follow a symbolic link out of the store', async () => {
    const err = await refusal(collect({ deploymentId: 'dep-own', vmId: 'vm-1', kind: 'memory_snapshot' }));
    expect(err.code).toBe('not_found');
  });

  test('refuses ids that are not one path segment, and unknown kinds', async () => {
    for (const req of [
      { deploymentId: '..', vmId: 'vm-1', kind: 'logs' },
      { deploymentId: 'dep-own', vmId: '../dep-own/vm-1', kind: 'logs' },
      { deploymentId: 'dep-own', vmId: 'vm-1/..', kind: 'logs' },
      { deploymentId: '', vmId: 'vm-1', kind: 'logs' },
      { deploymentId: 'dep-own', vmId: 'vm-1', kind: '../../secret.txt' },
    ]) {
      expect((await refusal(collect(req as CollectRequest))).code, JSON.stringify(req)).toBe('invalid_request');
    }
  });

  test('refuses a single-file kind that holds several files, and a vm.json with an unknown time zone', async () => {
    expect((await refusal(collect({ deploymentId: 'dep-own', vmId: 'vm-1', kind: 'disk_snapshot' }))).code).toBe('store_invalid');
    const err = await refusal(createLocalArtifactProvider(root).listVms('dep-own'));
    expect(err.code).toBe('store_invalid');
    expect(err.message).toMatch(/timeZone/);
  });

  test('refuses a throttle that is not a positive rate', () => {
    expect(() => createLocalArtifactProvider(root, { bytesPerSecond: 0 })).toThrow(RangeError);
  });
});
