// Recorded workflow histories: replaying them on every change makes a non-deterministic edit fail CI.
// Record with `RECORD_HISTORIES=1 npm test -- --project integration`; commit the files under test/histories/.
// Stored as binary protobuf (History.encode), which needs no JSON converter.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
// A CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';

const { temporal } = proto;

const { History } = temporal.api.history.v1;

export const HISTORIES_DIR = fileURLToPath(new URL('../histories/', import.meta.url));

/** Saves the handle's history as test/histories/<name>.binpb when RECORD_HISTORIES=1. */
export async function maybeRecordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.binpb`), History.encode(history).finish());
}

export function recordedHistories(): { name: string; history: ReturnType<typeof History.decode> }[] {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.binpb'))
    .sort()
    .map((f) => ({ name: f.replace(/\.binpb$/, ''), history: History.decode(fs.readFileSync(path.join(HISTORIES_DIR, f))) }));
}
