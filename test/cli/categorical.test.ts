import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { babysit } from '../../src/training/babysit.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { cli, lastJson } from '../helpers/cli.js';
import { studyRecords, tempDir } from '../helpers/files.js';

// The wine files with a text (vineyard, 7 levels), a True/False (organic) and a date column, as
// pandas writes them in CSV, Feather and Parquet (test/fixtures/wine/make_fixtures.py).
const WINE = path.resolve('test/fixtures/wine');
const FILES = ['extra-columns.csv', 'extra-columns.feather', 'extra-columns.parquet'].map((name) => path.join(WINE, name));
const ONE_HOT =
  'rxgrad: one-hot encoded, with the levels of the training rows: vineyard (7 levels), organic (2 levels) (--max-levels 64; --categorical names integer columns too)';

type SavedColumns = { columns: { features: string[]; categories?: { column: string; levels: string[] }[]; maxLevels?: number } };
const modelJson = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as SavedColumns & {
    network: { inputSize: number };
    standardizer: { std: number[] };
  };

describe('categorical feature columns from the command line', () => {
  it('train one-hot encodes text and True/False columns, the same from CSV, Feather and Parquet, and keeps the levels in the model', async () => {
    const losses: unknown[] = [];
    for (const file of FILES) {
      const model = path.join(tempDir(), 'model');
      const result = await cli(['train', '--data', file, '--epochs', '2', '--seed', '1', '--hidden', '16', '--save', model, '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(ONE_HOT);
      expect(result.stderr).toContain('rxgrad: not numeric, so not used as features: harvested (dates)');
      losses.push(lastJson(result.stdout).trainLoss);
      const saved = modelJson(model);
      expect(saved.columns.categories).toEqual([
        { column: 'vineyard', levels: Array.from({ length: 7 }, (_, i) => `vineyard ${i}`) },
        { column: 'organic', levels: ['false', 'true'] },
      ]);
      expect(saved.columns.maxLevels).toBe(64);
      expect(saved.network.inputSize).toBe(13 + 9);
      // One-hot inputs are not standardized.
      expect(saved.standardizer.std.slice(13)).toEqual(new Array(9).fill(1));
    }
    expect(new Set(losses).size).toBe(1);
  });

  it('evaluate and predict read the model’s levels, an unseen one as zeros, said once with its count', async () => {
    const model = path.join(tempDir(), 'model');
    expect((await cli(['train', '--data', FILES[0]!, '--epochs', '2', '--hidden', '16', '--save', model])).code).toBe(0);
    const fresh = path.join(tempDir(), 'new.csv');
    writeFileSync(fresh, readFileSync(FILES[0]!, 'utf8').replaceAll('vineyard 6', 'vineyard 9'));
    const cells = (readFileSync(FILES[0]!, 'utf8').match(/vineyard 6/g) ?? []).length;
    const line = `rxgrad: column 'vineyard': ${cells} cells held a level not seen in training ('vineyard 9'), read as all zeros`;
    const evaluated = await cli(['evaluate', '--model', model, '--data', fresh]);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stderr.split('\n').filter((l) => l.includes('not seen in training'))).toEqual([line]);
    const out = path.join(tempDir(), 'p.csv');
    const predicted = await cli(['predict', '--model', model, '--data', fresh, '--out', out]);
    expect(predicted.stderr).toContain(line);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(179);
    // On the training file itself nothing is unseen.
    expect((await cli(['evaluate', '--model', model, '--data', FILES[2]!])).stderr).not.toContain('not seen in training');
  });

  it('--max-levels leaves a column of more levels out, --categorical reads a number column as levels alike in every format, and a resume keeps them', async () => {
    const capped = await cli(['train', '--data', FILES[2]!, '--epochs', '1', '--max-levels', '5']);
    expect(capped.stderr).toContain('not used as features: harvested (dates), vineyard (text, more than 5 levels)');
    expect(capped.stderr).toContain('one-hot encoded, with the levels of the training rows: organic (2 levels) (--max-levels 5;');
    // magnesium holds whole numbers, written 127.0 in the CSV and 127 in Parquet.
    const runs = await Promise.all(
      [FILES[0]!, FILES[2]!].map(async (file) => {
        const model = path.join(tempDir(), 'model');
        const result = await cli(['train', '--data', file, '--epochs', '2', '--categorical', 'magnesium', '--save', model, '--json']);
        expect(result.code, result.stderr).toBe(0);
        return { loss: lastJson(result.stdout).trainLoss, saved: modelJson(model), model, file };
      }),
    );
    expect(runs[0]!.loss).toBe(runs[1]!.loss);
    expect(runs[0]!.saved.columns.features).not.toContain('magnesium');
    expect(runs[0]!.saved.columns.categories!.map((c) => c.column)).toEqual(['vineyard', 'organic', 'magnesium']);
    expect(runs[0]!.saved.columns.categories![2]!.levels).toContain('127');
    const { model, file } = runs[0]!;
    const resume = (...flags: string[]) => cli(['train', '--data', file, '--resume', model, '--epochs', '3', ...flags]);
    expect(await resume('--max-levels', '5')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--max-levels cannot change when resuming'),
    });
    expect(await resume('--categorical', 'ash')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--categorical cannot change when resuming'),
    });
    expect((await resume('--categorical', 'magnesium')).code).toBe(0);
    expect(await cli(['train', '--data', file, '--categorical', 'colour'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("column 'colour': missing categorical column"),
    });
  });

  it('tune reads them as train does: the same trials from CSV and Parquet', async () => {
    const records = async (file: string) => {
      const study = path.join(tempDir(), 'study');
      // One trial at a time, without pruning: the records then depend on the data alone.
      const result = await cli([
        'tune',
        '--data',
        file,
        '--study',
        study,
        '--trials',
        '3',
        '--epochs',
        '2',
        '--seed',
        '4',
        '--prune',
        'none',
        '--parallel',
        '1',
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(ONE_HOT);
      return studyRecords(study).map((r) => [r.id, r.validationLoss, r.validationAccuracy]);
    };
    expect(await records(FILES[0]!)).toEqual(await records(FILES[2]!));
  });

  it('babysit reads them too, and its checkpoints keep the levels', async () => {
    const dir = path.join(tempDir(), 'run');
    const events = await lastValueFrom(
      babysit({
        data: FILES[1]!,
        config: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 1 },
        dir,
        columns: { label: 'label' },
      }).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ type: 'end', epochs: 1 });
    const saved = modelJson(path.join(dir, 'epoch-0001'));
    expect(saved.columns.categories!.map((c) => c.column)).toEqual(['vineyard', 'organic']);
    expect(saved.network.inputSize).toBe(22);
  });
});
