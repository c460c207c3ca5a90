import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, lastJson } from '../helpers/cli.js';
import { leftovers, tempDir } from '../helpers/files.js';

const TRAIN = path.resolve('test/fixtures/csv/blobs-train.csv');
const TEST = path.resolve('test/fixtures/csv/blobs-test.csv');

describe('CSV from the command line', () => {
  it('trains, evaluates and predicts on CSV files pandas wrote, and writes predictions as CSV', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    const trained = await cli(['train', '--data', TRAIN, '--test', TEST, '--features', 'sepal,petal,stem,leaf', '--epochs', '15', '--save', model, '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(lastJson(trained.stdout)).toMatchObject({ examples: 240, classes: 3 });
    expect(lastJson(trained.stdout).testAccuracy).toBeGreaterThan(0.9);

    const evaluated = await cli(['evaluate', '--model', model, '--data', TEST, '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(lastJson(evaluated.stdout).accuracy).toBe(lastJson(trained.stdout).testAccuracy);

    const out = path.join(dir, 'predictions.csv');
    const predicted = await cli(['predict', '--model', model, '--data', TEST, '--out', out, '--json']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,prediction,p0,p1,p2');
    expect(lines).toHaveLength(91);
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 90 }, (_, i) => i));
    for (const r of rows) {
      expect(r[2]! + r[3]! + r[4]!).toBeCloseTo(1, 5);
      expect(r[1]).toBe([r[2]!, r[3]!, r[4]!].indexOf(Math.max(r[2]!, r[3]!, r[4]!)));
    }
    const labels = readFileSync(TEST, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',').at(-1)));
    const accuracy = rows.filter((r, i) => r[1] === labels[i]).length / 90;
    expect(accuracy).toBe(lastJson(evaluated.stdout).accuracy);
    expect(leftovers(dir)).toEqual([]);
  });

  it('names the text column it cannot train on, with file and line (exit 1)', async () => {
    const result = await cli(['train', '--data', TRAIN, '--epochs', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rxgrad: ${TRAIN}, line 2, column 'id': the feature is not a finite number`);
  });

  it('tunes on a CSV file, the trials reading it on worker threads', async () => {
    const study = path.join(tempDir(), 'study');
    const tuned = await cli(['tune', '--data', TRAIN, '--features', 'sepal,petal,stem,leaf', '--study', study, '--trials', '2', '--parallel', '2', '--epochs', '2', '--prune', 'none', '--json']);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(lastJson(tuned.stdout)).toMatchObject({ finished: 2, completed: 2, failed: 0 });
  });
});
