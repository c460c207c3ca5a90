import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const babysit = (input: string[], ...argv: string[]) => cli(['babysit', ...argv], input);

describe('rxgrad babysit', () => {
  it('reads commands from stdin while it trains', async () => {
    const dir = path.join(tempDir(), 'run');
    const result = await babysit(
      ['lr 0.05', 'faster please'],
      '--data',
      DIGITS_TRAIN,
      '--test',
      DIGITS_TEST,
      '--dir',
      dir,
      '--epochs',
      '3',
      '--hidden',
      '32',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/lr 0\.05 \(after step \d+\)/);
    expect(result.stderr).toMatch(/commands: lr RATE \| pause \| resume \| stop \| rollback EPOCH/);
    expect(result.stderr).toMatch(/epoch 3\/3 .* lr 0\.0500 {2}saved .*epoch-0003/);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ epochs: 3, stopped: false, checkpoint: path.join(dir, 'epoch-0003') });
    expect(report.testAccuracy).toBeGreaterThan(0.8);
  });

  it('stops when told and resumes from the last checkpoint later', async () => {
    const dir = path.join(tempDir(), 'run');
    const stopped = await babysit(['stop'], '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '3', '--json');
    expect(JSON.parse(stopped.stdout.trim())).toMatchObject({ stopped: true, epochs: 0 });
    const resumed = await babysit([], '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '2', '--resume', '--json');
    expect(JSON.parse(resumed.stdout.trim())).toMatchObject({ stopped: false, epochs: 2 });
  });

  it("--resume goes on with the run's own settings and rate; --lr changes it (recorded); any other setting given differently is refused", async () => {
    const dir = path.join(tempDir(), 'run');
    const rates = () =>
      (JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as { epochs: { learningRate: number }[] }).epochs.map(
        (e) => e.learningRate,
      );
    expect(
      (await babysit([], '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '1', '--hidden', '16', '--lr', '0.01', '--batch-size', '32'))
        .code,
    ).toBe(0);
    // Without flags: the run's hidden layers, batch size and rate, not the defaults.
    const resumed = await babysit([], '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '2', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(rates()).toEqual([0.01, 0.01]);
    const refused = await babysit(
      [],
      '--data',
      DIGITS_TRAIN,
      '--dir',
      dir,
      '--epochs',
      '3',
      '--resume',
      '--batch-size',
      '64',
      '--hidden',
      '8',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `--hidden cannot change when resuming: the run in ${dir} (epoch 2) has hidden [16], this run asks for [8]`,
    );
    expect(refused.stderr).toContain('batchSize 32, this run asks for 64');
    expect((await babysit([], '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '3', '--resume', '--lr', '0.002')).code).toBe(0);
    expect(rates()).toEqual([0.01, 0.01, 0.002]);
    const history = JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as {
      config: { learningRate: number; batchSize: number };
      controls: { epoch: number; control: Record<string, unknown> }[];
    };
    expect(history.config).toMatchObject({ learningRate: 0.01, batchSize: 32 });
    expect(history.controls).toEqual([
      { branch: 0, epoch: 3, afterStep: 0, control: { type: 'learningRate', value: 0.002, resumed: true } },
    ]);
  });
});
