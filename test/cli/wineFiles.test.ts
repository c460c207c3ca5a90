import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, lastJson } from '../helpers/cli.js';
import { studyRecords, tempDir } from '../helpers/files.js';

// scikit-learn's wine dataset with its class names as labels, as pandas and polars write it
// (test/fixtures/wine/make_fixtures.py): every command reads every file the same way, so each
// trains and tunes to the numbers of the canonical CSV, bit for bit. polars 1.x writes text as
// Utf8View; the extra-columns files add a text, a True/False and a date column, left out with
// the same note in every format when --max-levels 1 keeps them from being categories (read as
// categories they are tested in categorical.test.ts).

const WINE = path.resolve('test/fixtures/wine');
const CANONICAL = path.join(WINE, 'pandas.csv');
const FILES = [
  'pandas.feather',
  'pandas.parquet',
  'polars.arrow',
  'polars-lz4.arrow',
  'polars-stream.arrows',
  'polars-categorical.arrow',
  'polars.parquet',
  'extra-columns.csv',
  'extra-columns.parquet',
  'extra-columns.feather',
];
const NOTE =
  'rxgrad: not numeric, so not used as features: harvested (dates), vineyard (text, more than 1 level), organic (True/False, more than 1 level) (choose the features with --features)';
/** The flags that keep a file's text and True/False columns out, as they were before categories. */
const numbersOnly = (file: string) => (path.basename(file).startsWith('extra-columns') ? ['--max-levels', '1'] : []);

const trained = async (file: string): Promise<Record<string, unknown>> => {
  const result = await cli(['train', '--data', file, '--epochs', '2', '--seed', '1', '--hidden', '16', '--json', ...numbersOnly(file)]);
  expect(result.code, result.stderr).toBe(0);
  return { ...lastJson(result.stdout), note: result.stderr.split('\n').filter((line) => line.includes('not used as features')) };
};

const tuned = async (file: string) => {
  const study = path.join(tempDir(), 'study');
  const result = await cli([
    'tune',
    '--data',
    file,
    '--study',
    study,
    '--trials',
    '2',
    '--epochs',
    '2',
    '--prune',
    'none',
    '--parallel',
    '1',
    '--seed',
    '5',
    '--json',
    ...numbersOnly(file),
  ]);
  expect(result.code, result.stderr).toBe(0);
  expect(lastJson(result.stdout)).toMatchObject({ finished: 2, completed: 2, failed: 0 });
  return studyRecords(study).map((record) => [record.config, record.validationLoss]);
};

describe('the wine dataset as pandas and polars write it', () => {
  let canonical: { trained: Record<string, unknown>; tuned: unknown[] } | undefined;
  const reference = async () => (canonical ??= { trained: await trained(CANONICAL), tuned: await tuned(CANONICAL) });

  it('the canonical CSV trains on three named classes and 13 features', async () => {
    const { trained: result } = await reference();
    expect(result).toMatchObject({ examples: 178, classes: 3, note: [] });
    expect(Number.isFinite(result.trainLoss)).toBe(true);
  }, 60_000);

  for (const name of FILES) {
    it(`${name}: train and tune give the canonical CSV's numbers`, async () => {
      const file = path.join(WINE, name);
      const expected = await reference();
      const { note, ...result } = await trained(file);
      expect(note).toEqual(name.startsWith('extra-columns') ? [NOTE] : []);
      expect({ ...result, seconds: 0 }).toEqual({ ...expected.trained, note: undefined, seconds: 0 });
      expect(await tuned(file)).toEqual(expected.tuned);
    }, 60_000);
  }

  it('a model trained on the CSV evaluates the polars Categorical file as the CSV, with the class names', async () => {
    const model = path.join(tempDir(), 'model');
    expect((await cli(['train', '--data', CANONICAL, '--epochs', '3', '--save', model])).code).toBe(0);
    const csv = await cli(['evaluate', '--model', model, '--data', CANONICAL, '--json']);
    const polars = await cli(['evaluate', '--model', model, '--data', path.join(WINE, 'polars-categorical.arrow'), '--json']);
    expect(polars.code, polars.stderr).toBe(0);
    expect(lastJson(polars.stdout)).toEqual(lastJson(csv.stdout));
  }, 60_000);
});
