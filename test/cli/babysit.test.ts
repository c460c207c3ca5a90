import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseControl } from '../../src/cli/babysit.js';
import { cli } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const babysit = (input: string[], ...argv: string[]) => cli(['babysit', ...argv], input);

describe('rxgrad babysit', () => {
  it('reads commands from stdin while it trains', async () => {
    const dir = path.join(tempDir(), 'run');
    const result = await babysit(['lr 0.05', 'faster please'], '--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--dir', dir, '--epochs', '3', '--hidden', '32', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/learningRate 0\.05 \(after step \d+\)/);
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

  it('parses the commands', () => {
    expect(parseControl('lr 1e-3')).toEqual({ type: 'learningRate', value: 1e-3 });
    expect(parseControl(' rollback 2 ')).toEqual({ type: 'rollback', epoch: 2 });
    expect(parseControl('pause')).toEqual({ type: 'pause' });
    expect(parseControl('lr -1')).toMatch(/lr needs a positive number, got '-1'/);
    expect(parseControl('rollback x')).toMatch(/rollback needs an epoch number/);
  });
});
