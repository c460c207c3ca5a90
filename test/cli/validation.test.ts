import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const run = (...argv: string[]) => cli(argv);
/** The validation accuracy of each epoch line on stderr. */
const valAccuracies = (stderr: string) =>
  [...stderr.matchAll(/^epoch (\d+)\/\d+ .* val accuracy ([\d.]+)/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);

describe('train --validation, --early-stopping, --keep-best', () => {
  it('--validation judges the epochs on a seeded split of the training file, and the test set once at the end', async () => {
    const result = await run('train', '--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--validation', '0.25', '--epochs', '3', '--json');
    expect(result.code, result.stderr).toBe(0);
    const report = lastJson(result.stdout);
    expect(report.validationAccuracy).toBeGreaterThan(0.5);
    expect(report.testAccuracy).toBeGreaterThan(0.5);
    expect(valAccuracies(result.stderr).map(([epoch]) => epoch)).toEqual([1, 2, 3]);
    // The same seed holds out the same rows: the run repeats exactly.
    expect(
      lastJson(
        (await run('train', '--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--validation', '0.25', '--epochs', '3', '--json')).stdout,
      ).validationLoss,
    ).toBe(report.validationLoss);
  });

  it('--early-stopping ends the run once the validation loss has not improved for PATIENCE epochs', async () => {
    const result = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--validation',
      '0.25',
      '--epochs',
      '60',
      '--early-stopping',
      '2',
      '--lr',
      '0.01',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const report = lastJson(result.stdout);
    expect(report.stoppedEarly).toBe(true);
    expect(report.epochs).toBeLessThan(60);
    expect(valAccuracies(result.stderr)).toHaveLength(report.epochs as number);
  });

  it('--keep-best saves the best epoch by the monitored metric, and says which', async () => {
    const model = path.join(tempDir(), 'model');
    const result = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--validation',
      '0.25',
      '--epochs',
      '12',
      '--lr',
      '0.02',
      '--monitor',
      'accuracy',
      '--keep-best',
      '--save',
      model,
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const epochs = valAccuracies(result.stderr);
    const bestAccuracy = Math.max(...epochs.map(([, a]) => a));
    const bestEpoch = epochs.find(([, a]) => a === bestAccuracy)![0];
    expect(lastJson(result.stdout).bestEpoch).toBe(bestEpoch);
    const saved = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as {
      notes: { bestEpoch: number; monitor: string };
      progress: { epochsCompleted: number };
    };
    expect(saved.notes).toEqual({ bestEpoch, monitor: 'validation accuracy' });
    expect(saved.progress.epochsCompleted).toBe(bestEpoch);
    const text = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--validation',
      '0.25',
      '--epochs',
      '2',
      '--keep-best',
      '--save',
      path.join(tempDir(), 'm'),
    );
    expect(text.stdout).toMatch(/model saved to .* \(epoch \d, the best validation loss\)/);
  });

  it('refuses early stopping or keep-best without validation data, and keep-best without --save', async () => {
    expect(await run('train', '--data', DIGITS_TRAIN, '--early-stopping', '3')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--early-stopping needs validation data: give --validation FRACTION (or --test FILE)'),
    });
    expect(await run('train', '--data', DIGITS_TRAIN, '--validation', '0.2', '--keep-best')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--keep-best keeps the best epoch in the model saved with --save'),
    });
  });
});
