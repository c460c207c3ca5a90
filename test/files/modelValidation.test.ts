import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/files/serialization.js';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { Standardizer } from '../../src/model/standardizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { tempDir } from '../helpers/files.js';

type Doc = Record<string, any>;

/** A saved model, and a way to load it again after editing its model.json or weights. */
async function savedModel(withStandardizer = true) {
  const dir = path.join(tempDir(), 'model');
  const network = createNetwork({ inputSize: 3, classes: 3, hidden: [4], seed: 1, backend: typescriptBackend });
  const optimizer = createOptimizer({ type: 'adam', learningRate: 0.01 }, typescriptBackend);
  for (const p of network.params) p.grad.fill(0.1);
  optimizer.step(network.params, 0.01);
  const standardizer = withStandardizer ? new Standardizer(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3)) : undefined;
  await saveModel(dir, {
    network,
    optimizer,
    standardizer,
    progress: { epochsCompleted: 1, seed: 0, batchSize: 8, schedule: { type: 'constant' } },
  });
  const jsonPath = path.join(dir, 'model.json');
  const original = JSON.parse(readFileSync(jsonPath, 'utf8')) as Doc;
  const load = (edit: (doc: Doc) => void) => {
    const doc = structuredClone(original);
    edit(doc);
    writeFileSync(jsonPath, JSON.stringify(doc));
    return loadModel(dir, typescriptBackend);
  };
  return { dir, original, load, weights: path.join(dir, original.weights as string) };
}

describe('loadModel refuses an edited or damaged model with a ModelFormatError naming what is wrong', () => {
  const cases: [string, (doc: Doc) => void, RegExp][] = [
    ['a negative tensor offset', (d) => (d.tensors[0].offset = -4), /'tensors\[0\]' must have .* non-negative integer length and offset/],
    ['overlapping tensors', (d) => (d.tensors[1].offset = d.tensors[0].offset + 1), /tensors '.*' and '.*' overlap in the weights file/],
    ['a tensor past the end', (d) => (d.tensors.at(-1).offset += 5), /runs past the \d+ values of the weights file/],
    ['a tensor listed twice', (d) => (d.tensors[1].name = d.tensors[0].name), /is listed twice/],
    ['a standard deviation of 0', (d) => (d.standardizer.std[1] = 0), /'standardizer.std\[1\]' must be a positive number, got 0/],
    ['a negative standard deviation', (d) => (d.standardizer.std[0] = -2), /'standardizer.std\[0\]' must be a positive number, got -2/],
    ['a missing standardizer', (d) => delete d.standardizer, /'standardizer' is missing/],
    ['a standardizer of the wrong width', (d) => d.standardizer.mean.pop(), /'standardizer' must have 3 means and deviations/],
    ['a wrong version', (d) => (d.version = 9), /expected format 'rxgrad-model' version 1 to 3, got 'rxgrad-model' version 9/],
    ['a null network', (d) => (d.network = null), /'network' must be an object/],
    ['missing tensors', (d) => delete d.tensors, /'tensors' must be an array/],
    ['a null layer', (d) => (d.network.layers[0] = null), /'network.layers\[0\]' must be an object with a type/],
    ['a null optimizer config', (d) => (d.optimizer.config = null), /'optimizer' must have a config/],
    ['an unknown optimizer', (d) => (d.optimizer.config.type = 'lbfgs'), /invalid optimizer: .*unknown optimizer 'lbfgs'/],
    ['a null progress', (d) => (d.progress = null), /'progress' must have integer epochsCompleted/],
    ['a fractional class count', (d) => (d.network.classes = 2.5), /'network.classes' must be an integer ≥ 2, got 2.5/],
  ];
  for (const [what, edit, message] of cases) {
    it(what, async () => {
      const { load } = await savedModel();
      const error = await load(edit).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFormatError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('a NaN weight', async () => {
    const { dir, weights } = await savedModel();
    const bytes = readFileSync(weights);
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(8, Number.NaN, true);
    writeFileSync(weights, bytes);
    await expect(loadModel(dir, typescriptBackend)).rejects.toThrow(/tensor '.*' holds NaN at index 2/);
  });

  it('but loads a model saved without a standardizer, which says so', async () => {
    const { original, load } = await savedModel(false);
    expect(original.standardizer).toBe('none');
    expect((await load(() => undefined)).standardizer).toBeUndefined();
  });
});
