import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../src/model/metrics.js';
import { writeColumnsLayout, writeListLayout } from '../helpers/arrowFiles.js';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, leftovers, tempDir } from '../helpers/files.js';

const run = (...argv: string[]) => cli(argv);

/** The rates of a saved model's dropout layers. */
const dropoutRates = (model: string) =>
  (
    JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { network: { layers: { type: string; rate?: number }[] } }
  ).network.layers
    .filter((l) => l.type === 'dropout')
    .map((l) => l.rate);

describe('rxgrad CLI', () => {
  it('train, evaluate and predict on the bundled digits', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    const trained = await run('train', '--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--save', model, '--json');
    expect(trained.code).toBe(0);
    const report = lastJson(trained.stdout);
    expect(report).toMatchObject({ epochs: 20, examples: 1438, classes: 10, model });
    expect(report.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.trainLoss).toBeLessThan(0.5);
    expect(typeof report.seconds).toBe('number');
    expect(trained.stderr).toMatch(/epoch 20\/20 .* test accuracy 0\.9\d+/);

    const evaluated = await run('evaluate', '--model', model, '--data', DIGITS_TEST, '--json');
    expect(evaluated.code).toBe(0);
    const evaluation = lastJson(evaluated.stdout);
    expect(evaluation.accuracy).toBe(report.testAccuracy);
    expect((evaluation.confusion as number[][]).flat().reduce((a, b) => a + b)).toBe(359);
    const human = await run('evaluate', '--model', model, '--data', DIGITS_TEST);
    expect(human.stdout).toMatch(
      /359 examples {2}loss 0\.\d{4} {2}accuracy 0\.9\d{3}\n\s+class\s+precision\s+recall\s+f1\s+support\n(.*\n){12}confusion matrix/,
    );

    const out = path.join(dir, 'pred.arrow');
    const predicted = await run('predict', '--model', model, '--data', DIGITS_TEST, '--out', out);
    expect(predicted).toMatchObject({ code: 0, stdout: `wrote 359 predictions to ${out}\n` });
    const table = tableFromIPC(readFileSync(out));
    expect(table.numRows).toBe(359);
    const labels = tableFromIPC(readFileSync(DIGITS_TEST)).getChild('label')!.toArray() as BigInt64Array;
    const predictions = table.getChild('prediction')!.toArray() as Int32Array;
    const hits = predictions.reduce((n, p, i) => n + (BigInt(p) === labels[i] ? 1 : 0), 0);
    expect(hits / 359).toBe(report.testAccuracy);
    // .parquet is Parquet (it was Arrow IPC under that name), the same columns; a second run replaces it.
    const parquet = path.join(dir, 'pred.parquet');
    for (let run2 = 0; run2 < 2; run2++)
      expect((await run('predict', '--model', model, '--data', DIGITS_TEST, '--out', parquet)).code).toBe(0);
    expect(readFileSync(parquet).subarray(0, 4).toString()).toBe('PAR1');
    const { ParquetFile } = await import('parquet-wasm');
    const { openAsBlob } = await import('node:fs');
    const fromParquet = tableFromIPC((await (await ParquetFile.fromFile(await openAsBlob(parquet))).read()).intoIPCStream());
    expect(fromParquet.schema.fields.map((f) => f.name)).toEqual(['row', 'prediction', 'probabilities']);
    expect(Array.from(fromParquet.getChild('prediction')!.toArray() as Int32Array)).toEqual(Array.from(predictions));
    // Any other extension is refused before anything is read.
    expect(await run('predict', '--model', model, '--data', DIGITS_TEST, '--out', path.join(dir, 'pred.txt'))).toMatchObject({
      code: 2,
      stderr: `rxgrad: --out ${path.join(dir, 'pred.txt')}: write predictions to a .csv, .parquet or Arrow (.arrow, .feather, .ipc) file\n`,
    });
    expect(leftovers(dir)).toEqual([]);
  });

  it('resumes a saved run to the same result as an uninterrupted one', async () => {
    const dir = tempDir();
    const args = ['--data', DIGITS_TRAIN, '--hidden', '16', '--json', '--seed', '2', '--lr', '0.01'];
    const straight = lastJson((await run('train', ...args, '--epochs', '3')).stdout);
    const model = path.join(dir, 'model');
    expect((await run('train', ...args, '--epochs', '1', '--save', model)).code).toBe(0);
    const resumed = await run('train', '--data', DIGITS_TRAIN, '--resume', model, '--epochs', '3', '--json');
    expect(resumed.code).toBe(0);
    expect(lastJson(resumed.stdout).trainLoss).toBe(straight.trainLoss);
  });

  it('trains with --dropout: seeded, resumed to the uninterrupted result, off when evaluating, and tuned', async () => {
    const dir = tempDir();
    const args = ['--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--hidden', '32,16', '--json', '--seed', '2', '--lr', '0.01'];
    const straight = lastJson((await run('train', ...args, '--dropout', '0.3', '--epochs', '3')).stdout);
    expect(lastJson((await run('train', ...args, '--dropout', '0.3', '--epochs', '3')).stdout).trainLoss).toBe(straight.trainLoss);
    expect(lastJson((await run('train', ...args, '--epochs', '3')).stdout).trainLoss).not.toBe(straight.trainLoss);
    const model = path.join(dir, 'model');
    expect((await run('train', ...args, '--dropout', '0.3', '--epochs', '1', '--save', model)).code).toBe(0);
    const layers = (
      JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { network: { layers: { type: string; rate?: number }[] } }
    ).network.layers;
    expect(layers.filter((l) => l.type === 'dropout').map((l) => l.rate)).toEqual([0.3, 0.3]);
    const resumed = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--test',
      DIGITS_TEST,
      '--resume',
      model,
      '--epochs',
      '3',
      '--save',
      model,
      '--json',
    );
    expect(resumed.code).toBe(0);
    expect(lastJson(resumed.stdout)).toMatchObject({ trainLoss: straight.trainLoss, testAccuracy: straight.testAccuracy });
    // Inference passes through the dropout layers: evaluate sees what train's test pass saw.
    expect(lastJson((await run('evaluate', '--model', model, '--data', DIGITS_TEST, '--json')).stdout).accuracy).toBe(
      straight.testAccuracy,
    );
    expect(await run('train', '--data', DIGITS_TRAIN, '--resume', model, '--epochs', '4', '--dropout', '0.5')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--dropout cannot change when resuming'),
    });
    expect(await run('train', '--data', DIGITS_TRAIN, '--dropout', '1')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--dropout/),
    });

    const space = path.join(dir, 'space.json');
    writeFileSync(space, JSON.stringify({ dropout: { uniform: [0.1, 0.5] }, learningRate: { logUniform: [0.003, 0.03] } }));
    const study = path.join(dir, 'study');
    const tuned = await run('tune', '--data', DIGITS_TRAIN, '--space', space, '--trials', '3', '--epochs', '1', '--study', study);
    expect(tuned.code).toBe(0);
    const best = JSON.parse(readFileSync(path.join(study, 'best.json'), 'utf8')) as { dropout: number };
    expect(best.dropout).toBeGreaterThanOrEqual(0.1);
    expect(best.dropout).toBeLessThanOrEqual(0.5);
    const retrained = path.join(dir, 'best');
    expect((await run('train', '--data', DIGITS_TRAIN, '--config', path.join(study, 'best.json'), '--save', retrained)).code).toBe(0);
    expect(dropoutRates(retrained)).toEqual([best.dropout, best.dropout]);
  });

  it("scores each class, and two classes by ROC-AUC: in evaluate (text and --json), equal to predict's probabilities, and in the report", async () => {
    const dir = tempDir();
    // Two overlapping classes, so that the scores are neither perfect nor chance.
    let seed = 5;
    const uniform = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows = (n: number) =>
      Array.from({ length: n }, () => {
        const y = uniform() < 0.4 ? 1 : 0;
        return `${(uniform() * 2 + y).toFixed(4)},${(uniform() * 2 - y).toFixed(4)},${y === 1 ? 'yes' : 'no'}`;
      });
    const [train, test] = [path.join(dir, 'train.csv'), path.join(dir, 'test.csv')];
    writeFileSync(train, ['a,b,label', ...rows(400)].join('\n'));
    writeFileSync(test, ['a,b,label', ...rows(200)].join('\n'));
    const model = path.join(dir, 'model');
    const trained = await run(
      'train',
      '--data',
      train,
      '--test',
      test,
      '--hidden',
      '8',
      '--lr',
      '0.03',
      '--epochs',
      '5',
      '--save',
      model,
      '--json',
    );
    expect(trained.code).toBe(0);

    type Scores = { class: string; precision: number; recall: number; f1: number; support: number };
    const evaluated = lastJson((await run('evaluate', '--model', model, '--data', test, '--json')).stdout) as {
      rocAuc: number;
      perClass: Scores[];
      macro: Scores;
      confusion: number[][];
    };
    expect(evaluated.rocAuc).toBeGreaterThan(0.6);
    expect(evaluated.rocAuc).toBeLessThan(1);
    // train --test scores the same model on the same file.
    expect(lastJson(trained.stdout).testRocAuc).toBe(evaluated.rocAuc);
    const out = path.join(dir, 'pred.csv');
    expect((await run('predict', '--model', model, '--data', test, '--out', out)).code).toBe(0);
    const predicted = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','));
    const labels = readFileSync(test, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => (line.endsWith('yes') ? 1 : 0));
    // The classes are sorted: no, yes. p_yes is the last column.
    expect(evaluated.rocAuc).toBeCloseTo(
      rocAuc(
        predicted.map((cells) => Number(cells.at(-1))),
        labels,
      ),
      6,
    );
    const yes = evaluated.perClass[1]!;
    const confusion = evaluated.confusion as number[][];
    expect(yes).toMatchObject({
      class: 'yes',
      support: confusion[1]![0]! + confusion[1]![1]!,
      recall: confusion[1]![1]! / (confusion[1]![0]! + confusion[1]![1]!),
    });
    expect(evaluated.macro.f1).toBeCloseTo((evaluated.perClass[0]!.f1 + yes.f1) / 2, 12);

    const text = (await run('evaluate', '--model', model, '--data', test)).stdout;
    expect(text).toContain(`ROC-AUC ${evaluated.rocAuc.toFixed(4)}`);
    expect(text).toMatch(/^\s+class\s+precision\s+recall\s+f1\s+support$/m);
    expect(text).toMatch(
      new RegExp(`^\\s+yes\\s+${yes.precision.toFixed(4)}\\s+${yes.recall.toFixed(4)}\\s+${yes.f1.toFixed(4)}\\s+${yes.support}$`, 'm'),
    );
    expect(text).toMatch(/^\s+macro avg\s/m);

    expect((await run('report', model)).code).toBe(0);
    const html = readFileSync(path.join(model, 'report.html'), 'utf8');
    expect(html).toContain('Per-class scores, test set after epoch 5');
    expect(html).toContain(
      `<tr><th>yes</th><td>${yes.precision.toFixed(4)}</td><td>${yes.recall.toFixed(4)}</td><td>${yes.f1.toFixed(4)}</td><td>${yes.support}</td></tr>`,
    );
    expect(html).toContain(`ROC-AUC ${evaluated.rocAuc.toFixed(4)}`);
  });

  it('weighs the classes with --class-weight: said once, kept with the model, resumed alike, and refused when wrong', async () => {
    const dir = tempDir();
    // One class in ten is 'rare', and it overlaps the common one.
    let seed = 11;
    const uniform = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows = (n: number) =>
      Array.from({ length: n }, () => {
        const rare = uniform() < 0.1;
        return `${(uniform() * 2 + (rare ? 1 : 0)).toFixed(4)},${(uniform() * 2).toFixed(4)},${rare ? 'rare' : 'common'}`;
      });
    const [train, test] = [path.join(dir, 'train.csv'), path.join(dir, 'test.csv')];
    writeFileSync(train, ['a,b,label', ...rows(1000)].join('\n'));
    writeFileSync(test, ['a,b,label', ...rows(500)].join('\n'));
    const args = ['--data', train, '--hidden', '8', '--lr', '0.01', '--epochs', '4', '--seed', '1'];
    const recallOfRare = async (model: string) =>
      (
        lastJson((await run('evaluate', '--model', model, '--data', test, '--json')).stdout) as {
          perClass: { class: string; recall: number }[];
        }
      ).perClass.find((c) => c.class === 'rare')!.recall;

    const plain = path.join(dir, 'plain');
    expect((await run('train', ...args, '--save', plain)).code).toBe(0);
    const weighted = path.join(dir, 'weighted');
    const trained = await run('train', ...args, '--class-weight', 'balanced', '--save', weighted);
    expect(trained.code).toBe(0);
    expect(trained.stderr).toMatch(
      /class weights \(balanced\): common 0\.5\d*, rare [45]\.\d+; the training loss is weighted, validation and test metrics are not/,
    );
    expect(trained.stderr).toMatch(/^epoch 1\/4 {2}loss \(weighted\) \d/m);
    expect(trained.stdout).toMatch(/^train loss \(weighted\) \d/m);
    const counted = lastJson((await run('train', ...args, '--epochs', '1', '--class-weight', 'balanced', '--json')).stdout) as {
      classWeights: number[];
    };
    const rare = readFileSync(train, 'utf8')
      .split('\n')
      .filter((line) => line.endsWith(',rare')).length;
    expect(counted.classWeights).toEqual([1000 / (2 * (1000 - rare)), 1000 / (2 * rare)]);
    // Balanced weights trade the common class's precision for the rare class's recall.
    expect(await recallOfRare(weighted)).toBeGreaterThan((await recallOfRare(plain)) + 0.2);
    const saved = JSON.parse(readFileSync(path.join(weighted, 'model.json'), 'utf8')) as { progress: { classWeight: unknown } };
    expect(saved.progress.classWeight).toBe('balanced');

    // A resume weighs alike without being told, to the uninterrupted run's result.
    const straight = lastJson((await run('train', ...args, '--epochs', '6', '--class-weight', 'balanced', '--json')).stdout);
    const resumed = await run('train', '--data', train, '--resume', weighted, '--epochs', '6', '--json');
    expect(resumed.code).toBe(0);
    expect(lastJson(resumed.stdout).trainLoss).toBe(straight.trainLoss);
    expect(await run('train', '--data', train, '--resume', weighted, '--epochs', '7', '--class-weight', '{"rare": 3}')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--class-weight cannot change when resuming'),
    });
    expect(await run('train', ...args, '--class-weight', '{"eggs": 3}')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--class-weight: class 'eggs' is not one of the data's classes (common, rare)"),
    });
    expect(await run('train', ...args, '--class-weight', 'heavy')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--class-weight must be 'balanced' or a JSON object of class labels to weights ≥ 0"),
    });
    // Given weights: the rare class three times.
    expect((await run('train', ...args, '--class-weight', '{"rare": 3}')).stderr).toContain('class weights (given): common 1, rare 3;');
  });

  it('trains softmax regression (no hidden layers) on a pandas-like file with --features', async () => {
    const dir = tempDir();
    const n = 200;
    const a = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) + Math.sin(i));
    const noise = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 7));
    const label = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 2 === 0 ? 1 : 0));
    const file = await writeColumnsLayout(dir, { a, noise, label, id: Float64Array.from({ length: n }, (_, i) => i) });
    const result = await run(
      'train',
      '--data',
      file,
      '--features',
      'a,noise',
      '--hidden',
      'none',
      '--lr',
      '0.1',
      '--epochs',
      '30',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(lastJson(result.stdout).trainAccuracy).toBeGreaterThan(0.9);
  });

  describe('bad input: a clear message, a non-zero exit, nothing half-written', () => {
    it('a missing file, a file that is not Arrow, a missing column', async () => {
      const dir = tempDir();
      const missing = await run('train', '--data', path.join(dir, 'none.arrow'), '--save', path.join(dir, 'm'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^rxgrad: .*none.arrow: cannot open the file: no such file\n$/);
      expect(existsSync(path.join(dir, 'm'))).toBe(false);

      // Text in a file named .arrow (a .csv is read as CSV).
      const text = path.join(dir, 'data.arrow');
      writeFileSync(text, 'a,label\n1,0\n');
      expect(await run('train', '--data', text)).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/data.arrow: not an Arrow IPC file or stream/),
      });
      expect(await run('train', '--data', DIGITS_TRAIN, '--label', 'digit')).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/column 'digit': missing label column/),
      });
    });

    it('a test set whose columns do not match, or whose labels are out of range', async () => {
      const dir = tempDir();
      const other = await writeListLayout(dir, 20);
      const mismatch = await run('train', '--data', DIGITS_TRAIN, '--test', other);
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toMatch(/list.arrow, column 'pixels': missing feature column \(got columns x, label\)/);
      const a = Float64Array.of(1, 2, 3, 4);
      const label = BigInt64Array.of(0n, 1n, 0n, 1n);
      const trainColumns = await writeColumnsLayout(dir, { a, b: Float64Array.of(1, 0, 1, 0), label }, 'a.arrow');
      const testColumns = await writeColumnsLayout(dir, { a, b: Int32Array.of(1, 0, 1, 0), label }, 'b.arrow');
      expect((await run('train', '--data', trainColumns, '--test', testColumns)).stderr).toMatch(
        /b.arrow: the test set's feature columns do not match the training set's \(expected a: Float64, b: Float64, got a: Float64, b: Int32\)/,
      );
      const train = await writeListLayout(dir, 30, { classes: 3, name: 'train.arrow' });
      const test = await writeListLayout(dir, 30, { classes: 5, name: 'test.arrow' });
      const outOfRange = await run('train', '--data', train, '--test', test, '--epochs', '1');
      expect(outOfRange.code).toBe(1);
      expect(outOfRange.stderr).toMatch(
        /test.arrow, column 'label', row 3: the label is out of range \(expected a class index below 3, got 3\)/,
      );
      expect(outOfRange.stderr).not.toMatch(/epoch 1\/1/);
    });

    it('bad flags exit with 2', async () => {
      expect(await run('train', '--data', DIGITS_TRAIN, '--batch-size', '0')).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--batch-size must be a positive integer, got '0'/),
      });
      expect(await run('train', '--data', DIGITS_TRAIN, '--hidden', '64,x')).toMatchObject({ code: 2 });
      expect(await run('train', '--data', DIGITS_TRAIN, '--optimizer', 'lbfgs')).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/Allowed choices are adam, sgd, momentum, rmsprop/),
      });
      expect(await run('train')).toMatchObject({ code: 2, stderr: expect.stringMatching(/required option '--data <file>' not specified/) });
      expect(await run('frobnicate')).toMatchObject({ code: 2 });
    });

    it('a diverging run stops with an error and keeps the last good saved model', async () => {
      const dir = tempDir();
      const model = path.join(dir, 'model');
      expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model)).code).toBe(0);
      const weightsOf = () =>
        readFileSync(path.join(model, (JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { weights: string }).weights));
      const before = weightsOf();
      const diverged = await run('train', '--data', DIGITS_TRAIN, '--save', model, '--optimizer', 'sgd', '--lr', '1e30', '--no-batch-norm');
      expect(diverged.code).toBe(1);
      expect(diverged.stderr).toMatch(
        /rxgrad: training diverged: the loss became (NaN|Infinity) at epoch 1, step \d+; lower the learning rate/,
      );
      expect(weightsOf().equals(before)).toBe(true);
      expect(leftovers(dir)).toEqual([]);
    });

    it('a run whose loss explodes but stays finite (Adam, batch norm, --lr 1e6) is stopped as diverged too', async () => {
      const dir = tempDir();
      const model = path.join(dir, 'model');
      expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model)).code).toBe(0);
      const index = readFileSync(path.join(model, 'model.json'), 'utf8');
      const diverged = await run('train', '--data', DIGITS_TRAIN, '--save', model, '--lr', '1e6', '--epochs', '5');
      expect(diverged.code).toBe(1);
      expect(diverged.stderr).toMatch(
        /rxgrad: training diverged: the loss became [\d.e+]+ \(above 230, 100 times the loss of guessing\) at epoch \d+, step \d+; lower the learning rate/,
      );
      expect(readFileSync(path.join(model, 'model.json'), 'utf8')).toBe(index);
    });

    it('predict leaves no output file when the data is bad', async () => {
      const dir = tempDir();
      const model = path.join(dir, 'model');
      await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model);
      const a = Float64Array.of(1, 2, Number.NaN);
      const bad = await writeColumnsLayout(dir, { a });
      const out = path.join(dir, 'pred.arrow');
      const result = await run('predict', '--model', model, '--data', bad, '--out', out);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/columns.arrow, column 'pixels': missing feature column \(got columns a\)/);
      expect(existsSync(out)).toBe(false);
      const nan = Float32Array.from({ length: 3 * 64 }, () => 1);
      nan[2 * 64 + 5] = Number.NaN;
      const { writeArrowFile } = await import('../../src/streams/arrow/arrowColumns.js');
      const badPixels = path.join(dir, 'bad-pixels.arrow');
      await writeArrowFile(badPixels, [{ name: 'pixels', values: nan, listSize: 64 }]);
      const nanResult = await run('predict', '--model', model, '--data', badPixels, '--out', out);
      expect(nanResult.code).toBe(1);
      expect(nanResult.stderr).toMatch(/bad-pixels.arrow, column 'pixels\[5\]', row 2: non-finite feature value/);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('trains with momentum in either convention', async () => {
    const ewa = await run('train', '--data', DIGITS_TRAIN, '--optimizer', 'momentum', '--lr', '0.1', '--epochs', '2', '--json');
    const pytorch = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--optimizer',
      'momentum',
      '--momentum-convention',
      'pytorch',
      '--lr',
      '0.01',
      '--epochs',
      '2',
      '--json',
    );
    expect([ewa.code, pytorch.code]).toEqual([0, 0]);
    // The same effective step size (α_pytorch = α_ewa·(1 − β)): the same run up to round-off.
    expect(lastJson(pytorch.stdout).trainLoss).toBeCloseTo(lastJson(ewa.stdout).trainLoss as number, 4);
  });

  it('trains with --threads 2 to exactly the result of one thread', async () => {
    // Layers wide enough (64→256→256) that their products are split between the threads.
    const args = [
      'train',
      '--data',
      DIGITS_TRAIN,
      '--test',
      DIGITS_TEST,
      '--hidden',
      '256,256',
      '--batch-size',
      '128',
      '--epochs',
      '2',
      '--json',
    ];
    const one = await run(...args, '--threads', '1');
    const two = await run(...args, '--threads', '2');
    // Without --threads: 'auto', which gives this network every core (its largest product is 17 MFLOP).
    const auto = await run(...args);
    expect([one.code, two.code, auto.code]).toEqual([0, 0, 0]);
    const { seconds: _one, threads: oneThreads, ...oneMetrics } = lastJson(one.stdout);
    const { seconds: _two, threads: twoThreads, ...twoMetrics } = lastJson(two.stdout);
    const { seconds: _auto, threads: autoThreadCount, ...autoMetrics } = lastJson(auto.stdout);
    expect(twoMetrics).toEqual(oneMetrics);
    expect(autoMetrics).toEqual(oneMetrics);
    const wasm = process.env.RXGRAD_KERNELS !== 'typescript';
    expect([oneThreads, twoThreads, autoThreadCount]).toEqual(wasm ? [1, 2, availableParallelism()] : [1, 1, 1]);
    // The digits network is too small to gain from a second thread: 'auto' keeps it on one.
    expect(lastJson((await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--json')).stdout).threads).toBe(1);
    expect(await run('train', '--data', DIGITS_TRAIN, '--threads', '0')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--threads must be a positive integer or 'auto', got '0'/),
    });
  });

  it('every command has --help', async () => {
    for (const command of ['train', 'evaluate', 'predict']) {
      const help = await run(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: rxgrad ${command} \\[options\\]`));
    }
    expect((await run('--help')).stdout).toMatch(/Commands:\n {2}train/);
  });

  it('the built binary runs and exits with the right codes', async () => {
    const run = promisify(execFile);
    const bin = path.resolve('dist/cli/main.js');
    const { stdout } = await run(process.execPath, [bin, 'train', '--data', DIGITS_TRAIN, '--epochs', '2', '--json']);
    expect(lastJson(stdout)).toMatchObject({ epochs: 2, examples: 1438 });
    const failure = await run(process.execPath, [bin, 'evaluate', '--model', '/nonexistent', '--data', DIGITS_TEST]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringMatching(/^rxgrad: \/nonexistent: cannot read model.json/) });
  });
});

describe('errors in one family', () => {
  it('every error a user can cause is an RxgradError whose exit code says its kind', async () => {
    const errors = await import('../../src/errors.js');
    const cases: [Error & { exitCode: number }, number][] = [
      [new errors.DataError('bad', { file: 'a.arrow' }), 1],
      [new errors.DivergedError(Number.NaN, 1, 0), 1],
      [new errors.ModelFormatError('m', 'bad'), 1],
      [new errors.StudyError('bad'), 1],
      [new errors.UsageError('bad'), 2],
      [new errors.SearchSpaceError('bad'), 2],
    ];
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(errors.RxgradError);
      expect(error.exitCode, error.name).toBe(code);
    }
  });
});

describe('rxgrad train --save', () => {
  it('refuses a file, before training (exit 2), and leaves it as it was', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'keep me');
    const result = await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', file]);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`--save ${file}: exists and is not a directory`) });
    expect(result.stderr).not.toMatch(/epoch 1/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(leftovers(dir)).toEqual([]);
  });

  it("refuses a directory holding a user's files, naming them, and deletes nothing (nor with --save .)", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'x.csv'), '1,2');
    for (const [target, cwd] of [
      [dir, undefined],
      ['.', dir],
    ] as const) {
      const before = process.cwd();
      if (cwd) process.chdir(cwd);
      const result = await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', target]).finally(() => process.chdir(before));
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`--save ${target}: holds files that are not part of an rxgrad model (data/, notes.txt)`);
      expect(readdirSync(dir).sort()).toEqual(['data', 'notes.txt']);
      expect(readFileSync(path.join(dir, 'data', 'x.csv'), 'utf8')).toBe('1,2');
    }
  });

  it('keeps the run history beside the model, continued by --resume, with the test confusion matrix', async () => {
    const dir = path.join(tempDir(), 'model');
    expect((await cli(['train', '--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--epochs', '2', '--save', dir])).code).toBe(0);
    expect((await cli(['train', '--data', DIGITS_TRAIN, '--test', DIGITS_TEST, '--epochs', '3', '--resume', dir])).code).toBe(0);
    const history = JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as {
      kind: string;
      epochs: { epoch: number; validationAccuracy: number }[];
      confusion: { set: string; epoch: number; matrix: number[][] };
    };
    expect(history.kind).toBe('train');
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(history.confusion).toMatchObject({ set: 'test', epoch: 3 });
    expect(history.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(359);
  });

  it('replaces a model directory it wrote, leaving one weights file and the run history', async () => {
    const dir = path.join(tempDir(), 'model');
    for (let i = 0; i < 2; i++) expect((await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', dir])).code).toBe(0);
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(3);
    expect(names.slice(0, 2)).toEqual(['history.json', 'model.json']);
    expect(names[2]).toMatch(/^weights-[0-9a-f]{12}\.bin$/);
    // A new run in the directory starts a new history.
    expect(JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')).epochs).toHaveLength(1);
  });
});

describe('operating-system errors', () => {
  it('a full disk while saving is one line naming the file and the cause, exit 1, and the old model stays', async () => {
    const { promises: fsp } = await import('node:fs');
    const { vi } = await import('vitest');
    const dir = path.join(tempDir(), 'model');
    expect((await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', dir])).code).toBe(0);
    const index = readFileSync(path.join(dir, 'model.json'), 'utf8');
    const write = fsp.writeFile.bind(fsp);
    const spy = vi.spyOn(fsp, 'writeFile').mockImplementation(async (file, data, options) => {
      if (String(file).includes('weights-'))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', errno: -28 });
      return write(file, data, options);
    });
    try {
      const result = await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', dir]);
      expect(result.code).toBe(1);
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('rxgrad:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^rxgrad: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/weights-[0-9a-f]+\\.bin: no space left on the device \\(ENOSPC in write\\)$`,
        ),
      );
      expect(result.stderr).not.toMatch(/unexpected error|at .*\.ts:\d+/);
    } finally {
      spy.mockRestore();
    }
    expect(readFileSync(path.join(dir, 'model.json'), 'utf8')).toBe(index);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
