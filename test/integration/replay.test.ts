// Replays every recorded history against today's workflow code.
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { recordedHistories } from '../support/histories';

const histories = recordedHistories();

describe('workflow determinism', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories)('replays $name without a non-determinism error', async ({ name, history }) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, `replay-${name}`),
    ).resolves.toBeUndefined();
  });
});
