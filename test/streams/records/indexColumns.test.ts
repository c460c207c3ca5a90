import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectData } from '../../../src/streams/readData.js';
import { pandasIndexColumns } from '../../../src/streams/records/indexColumns.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/files.js';

// Written by pandas 3.0 and pyarrow 25 (test/fixtures/pandas/make_fixtures.py); rows 0-29 of the
// index are class 0, so a model that took the index as a feature would learn the label from it.
const fixture = (name: string) => path.resolve('test/fixtures/pandas', name);

describe("pandas' row index", () => {
  it('is recognised by its names and by pandas metadata', () => {
    expect(pandasIndexColumns(['', 'x', 'label'])).toEqual(['']);
    expect(pandasIndexColumns(['Unnamed: 0', 'x', 'Unnamed: 7'])).toEqual(['Unnamed: 0', 'Unnamed: 7']);
    expect(pandasIndexColumns(['__index_level_0__', '__index_level_1__', 'x'])).toEqual(['__index_level_0__', '__index_level_1__']);
    expect(pandasIndexColumns(['row', 'x'], JSON.stringify({ index_columns: ['row'], columns: [] }))).toEqual(['row']);
    // A RangeIndex is described, not stored: there is no column to leave out.
    expect(pandasIndexColumns(['x', 'y'], JSON.stringify({ index_columns: [{ kind: 'range', start: 0, stop: 60, step: 1 }] }))).toEqual([]);
    expect(pandasIndexColumns(['Unnamed', 'index_level', 'x'], 'not json')).toEqual([]);
  });

  it.each([
    ['indexed.csv', ''],
    ['unnamed.csv', 'Unnamed: 0'],
    ['indexed.parquet', '__index_level_0__'],
    ['named-index.parquet', 'row'],
    ['indexed.arrow', '__index_level_0__'],
  ])('in %s is left out of the default features', async (file, index) => {
    const layout = await inspectData(fixture(file), { label: 'label' });
    expect(layout.features).toEqual(['x', 'y']);
    expect(layout.indexColumns).toEqual([index]);
  });

  it('is a feature when --features names it', async () => {
    const layout = await inspectData(fixture('named-index.parquet'), { label: 'label', features: ['x', 'y', 'row'] });
    expect(layout.features).toEqual(['x', 'y', 'row']);
    expect(layout.indexColumns).toBeUndefined();
  });

  it('train says so in one line, and the model has only the real features', async () => {
    const model = path.join(tempDir(), 'model');
    const result = await cli(['train', '--data', fixture('indexed.csv'), '--hidden', 'none', '--epochs', '2', '--save', model]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('\n').filter((l) => l.includes('row index'))).toEqual([
      `rxgrad: pandas' row index, so not used as features: "" (the unnamed first column) (choose the features with --features)`,
    ]);
    expect(
      (JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { columns: { features: string[] } }).columns.features,
    ).toEqual(['x', 'y']);
  });
});
