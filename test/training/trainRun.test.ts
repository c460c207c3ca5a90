import { readFileSync } from 'node:fs';
import path from 'node:path';
import { filter, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/files/serialization.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { exampleBlocks, memoryDataset, tinyNetwork } from '../../src/testing/index.js';
import { type TrainRunEnd, trainRun } from '../../src/training/trainRun.js';
import { tempDir } from '../helpers/files.js';

const train = memoryDataset(exampleBlocks({ rows: 96, cols: 4, classes: 3, seed: 'train' }));
const validation = memoryDataset(exampleBlocks({ rows: 48, cols: 4, classes: 3, seed: 'other' }));
const history = {
  kind: 'train' as const,
  config: { learningRate: 0.3 } as never,
  network: { layers: [] } as never,
  data: { train: 'memory' },
};
const setup = (learningRate = 0.3) => {
  const network = tinyNetwork({ inputSize: 4, classes: 3, hidden: [6], seed: 2 });
  return { network, optimizer: createOptimizer({ type: 'sgd', learningRate }, network.backend) };
};
const endOf = (events: { type: string }[]) => events.at(-1) as TrainRunEnd;

describe('trainRun, a run as a library object', () => {
  it('saves after every epoch with its progress and history, and resumes where the saved run stopped', async () => {
    const save = path.join(tempDir(), 'model');
    const { network, optimizer } = setup();
    const end = endOf(
      await lastValueFrom(
        trainRun(train, { network, optimizer, epochs: 2, seed: 1, batchSize: 16, validation, save, history }).pipe(toArray()),
      ),
    );
    expect(end.last?.epoch).toBe(2);
    expect(end.stoppedEarly).toBe(false);
    const saved = await loadModel(save, typescriptBackend);
    expect(saved.progress?.epochsCompleted).toBe(2);
    expect(JSON.parse(readFileSync(path.join(save, 'history.json'), 'utf8')).epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    // Resumed from the saved model, epochs 3 and 4 are added to the same history.
    const resumed = endOf(
      await lastValueFrom(
        trainRun(train, {
          network: saved.network,
          optimizer: saved.optimizer!,
          epochs: 4,
          initialEpoch: 2,
          seed: 1,
          batchSize: 16,
          validation,
          save,
          history,
        }).pipe(toArray()),
      ),
    );
    expect(resumed.last?.epoch).toBe(4);
    expect(JSON.parse(readFileSync(path.join(save, 'history.json'), 'utf8')).epochs.map((e: { epoch: number }) => e.epoch)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('with keepBest the saved model is the best epoch by the monitor, not the last', async () => {
    const save = path.join(tempDir(), 'model');
    // A learning rate this high makes the validation loss rise after the first epochs.
    const { network, optimizer } = setup(8);
    const events = await lastValueFrom(
      trainRun(train, { network, optimizer, epochs: 20, seed: 1, batchSize: 16, validation, save, keepBest: true, history }).pipe(
        toArray(),
      ),
    );
    const epochs = events.filter((e) => e.type === 'epoch') as { epoch: number; validation: { loss: number } }[];
    const bestEpoch = epochs.reduce((b, e) => (e.validation.loss < b.validation.loss ? e : b)).epoch;
    const end = endOf(events);
    expect(end.best?.epoch).toBe(bestEpoch);
    expect(bestEpoch).toBeLessThan(20);
    expect((await loadModel(save, typescriptBackend)).progress?.epochsCompleted).toBe(bestEpoch);
  });

  it('stops early once the monitor has not improved for the patience, and says so', async () => {
    const { network, optimizer } = setup(8);
    const events = await lastValueFrom(
      trainRun(train, { network, optimizer, epochs: 30, seed: 1, batchSize: 16, validation, earlyStopping: 2 }).pipe(toArray()),
    );
    const epochs = events.filter((e) => e.type === 'epoch') as { epoch: number }[];
    const end = endOf(events);
    expect(end.stoppedEarly).toBe(true);
    expect(end.last?.epoch).toBe(epochs.at(-1)!.epoch);
    expect(end.last!.epoch).toBe(end.best!.epoch + 2);
  });

  it('refuses what cannot work before training', () => {
    const { network, optimizer } = setup();
    expect(() => trainRun(train, { network, optimizer, epochs: 2, seed: 1, batchSize: 16, keepBest: true, save: 'x' })).toThrow(
      /keepBest needs a validation source/,
    );
    expect(() => trainRun(train, { network, optimizer, epochs: 2, seed: 1, batchSize: 16, validation, keepBest: true })).toThrow(
      /give save/,
    );
    expect(() => trainRun(train, { network, optimizer, epochs: 2, seed: 1, batchSize: 16, earlyStopping: 1 })).toThrow(
      /earlyStopping needs a validation source/,
    );
  });

  it('is cold: nothing is trained or written until subscribed, and each subscription is a run', async () => {
    const { network, optimizer } = setup();
    const run = trainRun(train, { network, optimizer, epochs: 1, seed: 1, batchSize: 16 });
    const first = await lastValueFrom(
      run.pipe(
        filter((e) => e.type === 'epoch'),
        toArray(),
      ),
    );
    const second = await lastValueFrom(
      run.pipe(
        filter((e) => e.type === 'epoch'),
        toArray(),
      ),
    );
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
  });
  it('continueAfter ends the run after the epoch it says no; checkpoint keeps each epoch instead of save', async () => {
    const { network, optimizer } = setup();
    const kept: { epoch: number; continues: boolean; epochsCompleted: number }[] = [];
    const events = await lastValueFrom(
      trainRun(train, {
        network,
        optimizer,
        epochs: 5,
        seed: 1,
        batchSize: 16,
        validation,
        continueAfter: (m) => m.epoch < 2,
        checkpoint: async (run) =>
          void kept.push({ epoch: run.metrics.epoch, continues: run.continues, epochsCompleted: run.progress.epochsCompleted }),
      }).pipe(toArray()),
    );
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2]);
    expect(kept).toEqual([
      { epoch: 1, continues: true, epochsCompleted: 1 },
      { epoch: 2, continues: false, epochsCompleted: 2 },
    ]);
    expect(endOf(events)).toMatchObject({ stoppedEarly: true, last: { epoch: 2 } });
  });
});
