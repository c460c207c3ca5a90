import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import { ModelFormatError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/files/serialization.js';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { Standardizer } from '../../src/model/standardizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { leftovers, tempDir } from '../helpers/files.js';

/** The weights file a saved model's model.json names. */
const weightsFile = (dir: string): string =>
  (JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weights: string }).weights;

function trainedBundle() {
  const network = createNetwork({ inputSize: 4, classes: 3, hidden: [5], seed: 3, backend: createBackend() });
  network.buffers.get('1.runningMean')!.set([0.1, 0.2, 0.3, 0.4, 0.5]);
  const optimizer = createOptimizer({ type: 'adam', learningRate: 0.01, weightDecay: 1e-4 }, typescriptBackend);
  for (const p of network.params) p.grad.fill(0.25);
  optimizer.step(network.params, 0.01);
  optimizer.step(network.params, 0.01);
  const standardizer = new Standardizer(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 1, 2, 2));
  return { network, optimizer, standardizer, columns: { label: 'y', features: ['a', 'b'] } };
}

describe('saveModel / loadModel', () => {
  it('round-trips weights, running statistics, standardizer, columns and optimizer state', async () => {
    const dir = path.join(tempDir(), 'model');
    const bundle = trainedBundle();
    await saveModel(dir, {
      ...bundle,
      progress: { epochsCompleted: 2, seed: 5, batchSize: 16, schedule: { type: 'step', every: 3, gamma: 0.5 } },
    });
    const [index, weights] = readdirSync(dir).sort();
    expect(index).toBe('model.json');
    expect(weights).toBe(weightsFile(dir));
    expect(weights).toMatch(/^weights-[0-9a-f]{12}\.bin$/);
    const loaded = await loadModel(dir);
    expect(loaded.network.spec).toEqual(bundle.network.spec);
    bundle.network.params.forEach((p, i) => expect(Array.from(loaded.network.params[i]!.value)).toEqual(Array.from(p.value)));
    for (const [name, values] of bundle.network.buffers) expect(Array.from(loaded.network.buffers.get(name)!)).toEqual(Array.from(values));
    expect(Array.from(loaded.standardizer!.mean)).toEqual([1, 2, 3, 4]);
    expect(loaded.columns).toEqual(bundle.columns);
    expect(loaded.progress).toEqual({ epochsCompleted: 2, seed: 5, batchSize: 16, schedule: { type: 'step', every: 3, gamma: 0.5 } });
    expect(loaded.optimizer!.config).toEqual(bundle.optimizer.config);
    expect(loaded.optimizer!.steps).toBe(2);
    const saved = bundle.optimizer.state().slots;
    for (const [name, values] of loaded.optimizer!.state().slots) expect(Array.from(values)).toEqual(Array.from(saved.get(name)!));
    expect(loaded.optimizer!.state().slots.size).toBe(saved.size);
  });

  it('loads a version-1 model, whose dense weights and their moments were stored inputs × units', async () => {
    const dir = path.join(tempDir(), 'model');
    const bundle = trainedBundle();
    for (const p of bundle.network.params) p.grad.forEach((_, i) => (p.grad[i] = Math.sin(i + p.value.length)));
    bundle.optimizer.step(bundle.network.params, 0.01);
    await saveModel(dir, bundle);
    const document = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const bytes = readFileSync(path.join(dir, weightsFile(dir)));
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let transposed = 0;
    for (const t of document.tensors) {
      const layer = document.network.layers[Number(t.name.split('.')[0])];
      if (layer.type !== 'dense' || !t.name.includes('.weight')) continue;
      const current = floats.slice(t.offset, t.offset + t.length);
      for (let i = 0; i < layer.inputSize; i++)
        for (let j = 0; j < layer.units; j++) floats[t.offset + i * layer.units + j] = current[j * layer.inputSize + i]!;
      transposed++;
    }
    expect(transposed).toBe(6); // two dense weights, each with Adam's two moments
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(floats.buffer));
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...document, version: 1, weights: undefined }));
    const loaded = await loadModel(dir);
    bundle.network.params.forEach((p, i) => expect(Array.from(loaded.network.params[i]!.value)).toEqual(Array.from(p.value)));
    const saved = bundle.optimizer.state().slots;
    for (const [name, values] of loaded.optimizer!.state().slots) expect(Array.from(values)).toEqual(Array.from(saved.get(name)!));
  });

  it('loads a version-2 model (weights.bin), and a save over it leaves the new layout only', async () => {
    const dir = path.join(tempDir(), 'model');
    const bundle = trainedBundle();
    await saveModel(dir, bundle);
    const document = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    renameSync(path.join(dir, weightsFile(dir)), path.join(dir, 'weights.bin'));
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...document, version: 2, weights: undefined }));
    const loaded = await loadModel(dir);
    expect(Array.from(loaded.network.params[0]!.value)).toEqual(Array.from(bundle.network.params[0]!.value));
    await saveModel(dir, loaded);
    expect(readdirSync(dir).sort()).toEqual(['model.json', weightsFile(dir)]);
  });

  it('cleans up the temporaries of a killed save on the next one', async () => {
    const dir = path.join(tempDir(), 'model');
    await saveModel(dir, trainedBundle());
    writeFileSync(path.join(dir, 'weights-0123456789ab.bin.tmp-999-abcd1234'), 'half');
    writeFileSync(path.join(dir, 'model.json.tmp-999-abcd1234'), '{');
    await saveModel(dir, trainedBundle());
    expect(readdirSync(dir).sort()).toEqual(['model.json', weightsFile(dir)]);
  });

  it('replaces an existing model whole and leaves no temporary files', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'model');
    await saveModel(dir, trainedBundle());
    const other = createNetwork({ inputSize: 4, classes: 3, hidden: [5], seed: 99, backend: createBackend() });
    await saveModel(dir, { network: other });
    const loaded = await loadModel(dir);
    expect(Array.from(loaded.network.params[0]!.value)).toEqual(Array.from(other.params[0]!.value));
    expect(loaded.optimizer).toBeUndefined();
    expect(leftovers(parent)).toEqual([]);
  });

  it('names the problem with a missing, truncated or foreign model', async () => {
    const dir = path.join(tempDir(), 'model');
    await expect(loadModel(dir)).rejects.toThrow(ModelFormatError);
    await expect(loadModel(dir)).rejects.toThrow(/cannot read model.json/);
    await saveModel(dir, trainedBundle());
    const weights = path.join(dir, weightsFile(dir));
    writeFileSync(weights, readFileSync(weights).subarray(0, 40));
    await expect(loadModel(dir)).rejects.toThrow(/runs past the 10 values of the weights file/);
    const document = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    for (const weightsName of ['../elsewhere.bin', null, 'weights-zz.bin']) {
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...document, weights: weightsName }));
      await expect(loadModel(dir)).rejects.toThrow(/'weights' must name a weights file in the model directory/);
    }
    writeFileSync(path.join(dir, 'model.json'), '{"format":"something-else","version":7}');
    await expect(loadModel(dir)).rejects.toThrow(/expected format 'rxgrad-model' version 1 to 3, got 'something-else' version 7/);
    writeFileSync(path.join(dir, 'model.json'), '{not json');
    await expect(loadModel(dir)).rejects.toThrow(/model.json: is not valid JSON/);
  });
});
