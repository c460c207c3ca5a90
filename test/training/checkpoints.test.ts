import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/files/serialization.js';
import { createNetwork } from '../../src/model/network.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { checkpointPath, latestCheckpoint, listCheckpoints, saveCheckpoint } from '../../src/training/checkpoints.js';
import { tempDir } from '../helpers/files.js';

const bundle = (epoch: number) => ({
  network: createNetwork({ inputSize: 3, classes: 2, hidden: [4], seed: epoch, backend: typescriptBackend }),
  progress: { epochsCompleted: epoch, seed: 0, batchSize: 8, schedule: { type: 'constant' as const } },
});

describe('checkpoints', () => {
  it('are named by epochs completed, and the newest complete one is found', async () => {
    const dir = tempDir();
    expect(await latestCheckpoint(dir)).toBeUndefined();
    await saveCheckpoint(dir, 1, bundle(1), { keep: 'all' });
    await saveCheckpoint(dir, 2, bundle(2), { keep: 'all' });
    // A folder without model.json (a kill mid-write) is not a checkpoint.
    mkdirSync(checkpointPath(dir, 3));
    expect(readdirSync(dir).sort()).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
    expect(await latestCheckpoint(dir)).toEqual({ path: path.join(dir, 'epoch-0002'), epoch: 2 });
    expect((await listCheckpoints(dir)).map((c) => c.epoch)).toEqual([1, 2]);
  });

  it('keep: 1 leaves only the new one', async () => {
    const dir = tempDir();
    await saveCheckpoint(dir, 1, bundle(1), { keep: 1 });
    mkdirSync(path.join(dir, 'epoch-0002.tmp-1-abcd'));
    await saveCheckpoint(dir, 2, bundle(2), { keep: 1 });
    expect(readdirSync(dir)).toEqual(['epoch-0002']);
  });

  it("still finds the trial checkpoints of earlier versions, named '0003/'", async () => {
    const dir = tempDir();
    await saveModel(path.join(dir, '0003'), bundle(3));
    await saveModel(path.join(dir, '0002'), bundle(2));
    const latest = await latestCheckpoint(dir);
    expect(latest).toEqual({ path: path.join(dir, '0003'), epoch: 3 });
    expect((await loadModel(latest!.path, typescriptBackend)).progress?.epochsCompleted).toBe(3);
    await saveCheckpoint(dir, 4, bundle(4), { keep: 1 });
    expect(readdirSync(dir)).toEqual(['epoch-0004']);
  });
});
