import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/files/serialization.js';
import { splitRows } from '../../src/operators/splitRows.js';
import { readData } from '../../src/streams/readData.js';
import { readConfigFile } from '../../src/training/configSchema.js';
import { CONFIG_SETTINGS } from '../../src/training/settings.js';
import { type TrainFromFilesEvent, trainFromFiles } from '../../src/training/trainFromFiles.js';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../../src/training/trainingConfig.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, hidden: [16], epochs: 2, batchSize: 32, learningRate: 0.01 };
const run = (options: Parameters<typeof trainFromFiles>[0]) => lastValueFrom(trainFromFiles({ threads: 1, ...options }).pipe(toArray()));
const endOf = (events: TrainFromFilesEvent[]) => {
  const end = events.at(-1);
  if (end?.type !== 'end') throw new Error(`the last event is ${end?.type}, not end`);
  return end;
};

describe('trainFromFiles, rxgrad train as a library call', () => {
  it('starts with the steps of an epoch, trains, and ends with the report rxgrad train --json prints', async () => {
    const save = path.join(tempDir(), 'model');
    const events = await run({ data: DIGITS_TRAIN, test: DIGITS_TEST, config, save });
    const start = events.find((e) => e.type === 'start');
    expect(start).toMatchObject({ type: 'start', epochs: 2, threads: 1 });
    const rows = (start as { rows: number }).rows;
    expect(rows).toBeGreaterThan(1000);
    expect(events.filter((e) => e.type === 'batch')).toHaveLength(2 * Math.ceil(rows / 32));
    const { report } = endOf(events);
    expect(report).toMatchObject({ epochs: 2, examples: rows, classes: 10, threads: 1, model: save });
    expect(report.testAccuracy).toBeGreaterThan(0.8);
    expect((await loadModel(save)).progress?.epochsCompleted).toBe(2);
  });

  it('resumes a saved run up to config.epochs, refusing a setting given differently and taking a given learning rate', async () => {
    const save = path.join(tempDir(), 'model');
    await run({ data: DIGITS_TRAIN, config, save });
    await expect(
      run({ data: DIGITS_TRAIN, config: { ...config, epochs: 3, hidden: [8] }, resume: save, given: (s) => s === 'hidden' }),
    ).rejects.toThrow(`--hidden cannot change when resuming: the model in ${save} has hidden [16], this run asks for [8]`);
    // Not given, a differing setting is the saved run's default, not a request: the saved run goes on.
    const resumed = endOf(
      await run({
        data: DIGITS_TRAIN,
        config: { ...config, epochs: 3, hidden: [8], learningRate: 0.02 },
        resume: save,
        given: (s) => s === 'learningRate',
      }),
    );
    expect(resumed.report).toMatchObject({ epochs: 3, model: save });
    const saved = await loadModel(save);
    expect(saved.progress?.epochsCompleted).toBe(3);
    expect(saved.optimizer?.config.learningRate).toBe(0.02);
    await expect(run({ data: DIGITS_TRAIN, config, resume: save })).rejects.toThrow(
      'the model has already trained 3 epochs and --epochs asks for 2',
    );
  });

  it('refuses keepBest without a place to save, before reading any data', async () => {
    await expect(run({ data: 'no-such-file.arrow', config, validation: 0.2, keepBest: true })).rejects.toThrow(
      '--keep-best keeps the best epoch in the model saved with --save',
    );
  });
});

describe('trainFromFiles --fill-missing', () => {
  it('takes the means over the training rows only when a validation split is held out', async () => {
    // 60 rows; a is missing every fifth row; the other values are the row numbers, so each split has its own mean.
    const file = path.join(tempDir(), 'gaps.csv');
    const lines = ['a,b,label', ...Array.from({ length: 60 }, (_, i) => `${i % 5 === 0 ? '' : i},${i % 7},${i % 2}`)];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const trainRows = await lastValueFrom(
      readData(file, { label: 'label', fillMissing: [Number.NaN, Number.NaN] }).pipe(
        splitRows({ fraction: 0.5, seed: config.seed, part: 'train' }),
        toArray(),
      ),
    );
    const present = trainRows
      .flatMap((block) => Array.from({ length: block.rows }, (_, i) => block.features[i * block.cols]!))
      .filter((v) => !Number.isNaN(v));
    const trainMean = present.reduce((a, b) => a + b, 0) / present.length;
    const wholeMean =
      Array.from({ length: 60 }, (_, i) => i)
        .filter((i) => i % 5 !== 0)
        .reduce((a, b) => a + b, 0) / 48;
    expect(Math.abs(trainMean - wholeMean)).toBeGreaterThan(0.1);
    const fillOf = async (validation: number | undefined) => {
      const save = path.join(tempDir(), 'model');
      await run({ data: file, config: { ...config, epochs: 1 }, save, validation, fillMissing: 'mean' });
      return (await loadModel(save)).columns?.fillMissing?.[0];
    };
    expect(await fillOf(0.5)).toBeCloseTo(trainMean, 4);
    expect(await fillOf(undefined)).toBeCloseTo(wholeMean, 4);
  });
});

describe('the configuration schema', () => {
  it('declares every TrainingConfig setting, and a config file is checked against it', async () => {
    for (const key of Object.keys(DEFAULT_TRAINING_CONFIG)) expect(CONFIG_SETTINGS).toHaveProperty(key);
    const file = (settings: object) => {
      const name = path.join(tempDir(), 'config.json');
      writeFileSync(name, JSON.stringify(settings));
      return name;
    };
    await expect(readConfigFile(file({ batchSize: 0 }), config)).rejects.toThrow("'batchSize' must be a positive integer, got 0");
    await expect(readConfigFile(file({ gamma: 0.5 }), config)).rejects.toThrow("unknown setting 'gamma'");
    await expect(readConfigFile(file({ dropout: 1 }), config)).rejects.toThrow("'dropout' must be a number in [0, 1), got 1");
    expect(
      await readConfigFile(file({ learningRate: 0.01, lrDecay: 'inverse:0.5', hiddenUnits: 12, layers: 3, measured: {} }), config),
    ).toEqual({ learningRate: 0.01, lrDecay: 0.5, hidden: [12, 12, 12] });
    expect(await readConfigFile(file({ hidden: '32,16', lrDecay: 'step:2:0.5' }), config)).toEqual({
      hidden: [32, 16],
      lrDecay: { type: 'step', every: 2, gamma: 0.5 },
    });
  });
});
