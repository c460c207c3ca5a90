import { readFileSync, writeFileSync } from 'node:fs';
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
    const trained = await cli([
      'train',
      '--data',
      TRAIN,
      '--test',
      TEST,
      '--features',
      'sepal,petal,stem,leaf',
      '--epochs',
      '15',
      '--save',
      model,
      '--json',
    ]);
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
    const labels = readFileSync(TEST, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',').at(-1)));
    const accuracy = rows.filter((r, i) => r[1] === labels[i]).length / 90;
    expect(accuracy).toBe(lastJson(evaluated.stdout).accuracy);
    expect(leftovers(dir)).toEqual([]);
  });

  it('leaves the text column out with a note, as for Arrow; chosen as a feature, names it with file and line (exit 1)', async () => {
    const result = await cli(['train', '--data', TRAIN, '--epochs', '1', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'rxgrad: not numeric, so not used as features: id (text, more than 64 levels) (choose the features with --features)',
    );
    const chosen = await cli(['train', '--data', TRAIN, '--features', 'id,sepal', '--epochs', '1']);
    expect(chosen.code).toBe(1);
    expect(chosen.stderr).toContain(`rxgrad: ${TRAIN}, line 2, column 'id': the feature is not a finite number`);
  });

  it('tunes on a CSV file, the trials reading it on worker threads', async () => {
    const study = path.join(tempDir(), 'study');
    const tuned = await cli([
      'tune',
      '--data',
      TRAIN,
      '--features',
      'sepal,petal,stem,leaf',
      '--study',
      study,
      '--trials',
      '2',
      '--parallel',
      '2',
      '--epochs',
      '2',
      '--prune',
      'none',
      '--json',
    ]);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(lastJson(tuned.stdout)).toMatchObject({ finished: 2, completed: 2, failed: 0 });
  });

  it('text labels become classes whose names the model keeps and predict writes', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    const species = (name: string) => path.resolve(`test/fixtures/csv/species-${name}.csv`);
    const trained = await cli([
      'train',
      '--data',
      species('train'),
      '--test',
      species('test'),
      '--label',
      'species',
      '--features',
      'sepal,petal,stem,leaf',
      '--epochs',
      '15',
      '--save',
      model,
      '--json',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(lastJson(trained.stdout)).toMatchObject({ classes: 3 });
    expect(lastJson(trained.stdout).testAccuracy).toBeGreaterThan(0.9);
    const saved = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { columns: { classNames: string[] } };
    expect(saved.columns.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    const out = path.join(dir, 'p.csv');
    expect((await cli(['predict', '--model', model, '--data', species('test'), '--out', out])).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,prediction,prediction_index,p_setosa,p_versicolor,p_virginica');
    const truth = readFileSync(species('test'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').at(-1));
    const named = lines.slice(1).map((l) => l.split(','));
    expect(named.every((r) => ['setosa', 'versicolor', 'virginica'][Number(r[2])] === r[1])).toBe(true);
    expect(named.filter((r, i) => r[1] === truth[i]).length / 90).toBeGreaterThan(0.9);
  });

  it('labels numbered 1 to 3 are kept as names, saying so, never as a silent fourth class', async () => {
    const model = path.join(tempDir(), 'model');
    const result = await cli([
      'train',
      '--data',
      path.resolve('test/fixtures/csv/numbered-from-1.csv'),
      '--features',
      'sepal,petal,stem,leaf',
      '--epochs',
      '2',
      '--save',
      model,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'rxgrad: the labels 1, 2, 3 are not 0 to 2: they are kept as class names, classes 0 to 2 in that order',
    );
    expect(lastJson(result.stdout).classes).toBe(3);
    expect(
      (JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { columns: { classNames: string[] } }).columns.classNames,
    ).toEqual(['1', '2', '3']);
    // Predictions and the confusion matrix speak in the labels; a position is named as one.
    const out = path.join(tempDir(), 'p.csv');
    expect(
      (await cli(['predict', '--model', model, '--data', path.resolve('test/fixtures/csv/numbered-from-1.csv'), '--out', out])).code,
    ).toBe(0);
    const [header, ...rows] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    expect(header).toEqual(['row', 'prediction', 'prediction_index', 'p_1', 'p_2', 'p_3']);
    for (const row of rows) expect(Number(row[1])).toBe(Number(row[2]) + 1);
    const evaluated = await cli(['evaluate', '--model', model, '--data', path.resolve('test/fixtures/csv/numbered-from-1.csv')]);
    const lines = evaluated.stdout.trim().split('\n');
    // The per-class scores name the classes too, above the matrix.
    expect(lines.slice(2, 5).map((line) => line.trim().split(/\s+/)[0])).toEqual(['1', '2', '3']);
    const matrix = lines.slice(lines.findIndex((line) => line.startsWith('confusion matrix')) + 1).map((line) => line.trim().split(/\s+/));
    expect([matrix[0], ...matrix.slice(1).map((row) => row[0])]).toEqual([['1', '2', '3'], '1', '2', '3']);
  });

  it('an Arrow file whose labels skip a class is refused with words a user knows', async () => {
    const { writeColumnsLayout } = await import('../helpers/arrowFiles.js');
    const file = await writeColumnsLayout(tempDir(), { a: Float64Array.of(1, 2, 3, 4), label: Int32Array.of(1, 2, 3, 1) });
    const result = await cli(['train', '--data', file, '--epochs', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${file}, column 'label': no row has label 0, though labels go up to 3: labels must be class indices 0 to K−1`,
    );
  });

  it('trains on a Parquet file too, and notes the text column it leaves out', async () => {
    const result = await cli([
      'train',
      '--data',
      path.resolve('test/fixtures/parquet/blobs-train.parquet'),
      '--test',
      TEST,
      '--epochs',
      '15',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'rxgrad: not numeric, so not used as features: id (text, more than 64 levels) (choose the features with --features)',
    );
    expect(lastJson(result.stdout)).toMatchObject({ examples: 240, classes: 3 });
    expect(lastJson(result.stdout).testAccuracy).toBeGreaterThan(0.9);
  });

  it('--delimiter for files separated by semicolons, in every command', async () => {
    const dir = tempDir();
    const semicolons = (from: string, to: string) => {
      const file = path.join(dir, to);
      writeFileSync(file, readFileSync(from, 'utf8').replaceAll(',', ';'));
      return file;
    };
    const train = semicolons(TRAIN, 'train.csv');
    const test = semicolons(TEST, 'test.csv');
    const model = path.join(dir, 'model');
    const trained = await cli([
      'train',
      '--data',
      train,
      '--test',
      test,
      '--delimiter',
      ';',
      '--features',
      'sepal,petal,stem,leaf',
      '--epochs',
      '10',
      '--save',
      model,
      '--json',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(lastJson(trained.stdout).testAccuracy).toBeGreaterThan(0.9);
    expect((await cli(['evaluate', '--model', model, '--data', test, '--delimiter', ';', '--json'])).code).toBe(0);
    expect((await cli(['predict', '--model', model, '--data', test, '--delimiter', ';', '--out', path.join(dir, 'p.csv')])).code).toBe(0);
    const study = await cli([
      'tune',
      '--data',
      train,
      '--delimiter',
      ';',
      '--features',
      'sepal,petal,stem,leaf',
      '--study',
      path.join(dir, 'study'),
      '--trials',
      '2',
      '--epochs',
      '1',
      '--parallel',
      '2',
      '--json',
    ]);
    expect(study.code, study.stderr).toBe(0);
    expect((await cli(['train', '--data', train, '--delimiter', ';;'])).code).toBe(2);
  });

  it('predict --keep carries an id column into the predictions, CSV and Arrow alike', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    expect((await cli(['train', '--data', TRAIN, '--features', 'sepal,petal,stem,leaf', '--epochs', '3', '--save', model])).code).toBe(0);
    const ids = readFileSync(TEST, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    const csvOut = path.join(dir, 'p.csv');
    const predicted = await cli(['predict', '--model', model, '--data', TEST, '--out', csvOut, '--keep', 'id']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const lines = readFileSync(csvOut, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,id,prediction,p0,p1,p2');
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(ids);
    // From Parquet (its id is a Utf8 column) into an Arrow file.
    const { tableFromIPC } = await import('apache-arrow');
    const arrowOut = path.join(dir, 'p.arrow');
    expect(
      (
        await cli([
          'predict',
          '--model',
          model,
          '--data',
          path.resolve('test/fixtures/parquet/blobs-train.parquet'),
          '--out',
          arrowOut,
          '--keep',
          'id',
        ])
      ).code,
    ).toBe(0);
    const table = tableFromIPC(readFileSync(arrowOut));
    expect(table.schema.fields.map((f) => `${f.name}: ${f.type}`).slice(0, 3)).toEqual(['row: Int32', 'id: Utf8', 'prediction: Int32']);
    const trainIds = readFileSync(TRAIN, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(Array.from({ length: table.numRows }, (_, i) => table.getChild('id')!.get(i))).toEqual(trainIds);
    expect(await cli(['predict', '--model', model, '--data', TEST, '--out', path.join(dir, 'q.csv'), '--keep', 'nope'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("column 'nope': missing column to keep"),
    });
  });
});
