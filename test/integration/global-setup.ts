// Starts one real Temporal dev server (headless, free port, throwaway store) and bundles the workflows once
// for every integration test file. Databases are per file: see test/support/database.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../dev/net';
import { startTemporalDevServer } from '../../dev/temporal';
import { workflowsPath } from '../../worker/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-it-'));
  const server = await startTemporalDevServer({ dataDir, port: await freePort(), uiPort: 0 });
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  const workflowBundlePath = path.join(dataDir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  return async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
