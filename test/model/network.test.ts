import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import { Workspace } from '../../src/model/layer.js';
import type { Matrix } from '../../src/model/matrix.js';
import { buildNetwork, createNetwork } from '../../src/model/network.js';
import { Sgd } from '../../src/model/optimizers/sgd.js';
import { softmaxCrossEntropy } from '../../src/model/softmaxCrossEntropy.js';
import { float64Backend, typescriptBackend } from '../../src/model/typescriptBackend.js';
import { expectGradient, randomArray } from '../helpers/gradcheck.js';

describe('Network', () => {
  for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
    it(`a 2-hidden-layer ${activation} network with batch norm passes a whole-network gradient check`, () => {
      const net = createNetwork({ inputSize: 5, classes: 3, hidden: [6, 4], activation, backend: float64Backend, seed: 7 });
      const rows = 5;
      const x = { rows, cols: 5, data: randomArray(rows * 5, 'netx', 2) };
      const labels = [0, 2, 1, 1, 0];
      const lossOf = () => {
        const logits = net.forward(x, { mode: 'train', workspace: new Workspace(float64Backend) });
        return softmaxCrossEntropy(logits, labels, new Float64Array(rows * 3)).loss;
      };
      const ctx = { mode: 'train' as const, workspace: new Workspace(float64Backend) };
      const logits = net.forward(x, ctx);
      const dLogits = new Float64Array(rows * 3);
      softmaxCrossEntropy(logits, labels, new Float64Array(rows * 3), dLogits);
      const dx = Float64Array.from(net.backward({ rows, cols: 3, data: dLogits }, ctx, true)!.data);
      const grads = net.params.map((p) => Float64Array.from(p.grad));
      net.params.forEach((p, i) => expectGradient(p.value, grads[i]!, lossOf, 1e-5));
      expectGradient(x.data, dx, lossOf, 1e-5);
    });
  }

  it('in training, runs each batch norm and the ReLU after it as one pass, with the values of two', () => {
    for (const backend of [createBackend({ threads: 1 }), typescriptBackend]) {
      const build = () => createNetwork({ inputSize: 37, classes: 4, hidden: [21, 16], activation: 'relu', backend, seed: 3 });
      const rows = 9;
      const x: Matrix = { rows, cols: 37, data: Float32Array.from(randomArray(rows * 37, 'fusedx', 2)) };
      const labels = [0, 1, 2, 3, 0, 1, 2, 3, 0];
      const run = (net: ReturnType<typeof build>, fused: boolean) => {
        const ctx = { mode: 'train' as const, workspace: new Workspace(backend) };
        let logits = x;
        if (fused) logits = net.forward(x, ctx);
        else for (const layer of net.layers) logits = layer.forward(logits, ctx);
        const dLogits = new Float32Array(rows * 4);
        softmaxCrossEntropy(logits, labels, new Float32Array(rows * 4), dLogits);
        let g: Matrix | undefined = { rows, cols: 4, data: dLogits };
        if (fused) g = net.backward(g, ctx, true);
        else for (let i = net.layers.length - 1; i >= 0 && g; i--) g = net.layers[i]!.backward(g, ctx, true);
        return {
          logits: Array.from(logits.data),
          dx: Array.from(g!.data),
          grads: net.params.map((p) => Array.from(p.grad)),
          buffers: [...net.buffers.values()].map((b) => Array.from(b)),
        };
      };
      const fused = run(build(), true);
      const separate = run(build(), false);
      expect(fused).toEqual(separate);
      expect(fused.grads.flat().some((v) => v !== 0)).toBe(true);
      backend.close();
    }
  });

  it('without batch norm, dense layers carry biases and the check still passes', () => {
    const net = createNetwork({ inputSize: 3, classes: 4, hidden: [5], batchNorm: false, backend: float64Backend });
    expect(net.params.map((p) => p.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = { rows: 3, cols: 3, data: randomArray(9, 'nobn') };
    const labels = [3, 0, 1];
    const lossOf = () =>
      softmaxCrossEntropy(net.forward(x, { mode: 'train', workspace: new Workspace(float64Backend) }), labels, new Float64Array(12)).loss;
    const ctx = { mode: 'train' as const, workspace: new Workspace(float64Backend) };
    const dLogits = new Float64Array(12);
    softmaxCrossEntropy(net.forward(x, ctx), labels, new Float64Array(12), dLogits);
    net.backward({ rows: 3, cols: 4, data: dLogits }, ctx);
    const grads = net.params.map((p) => Float64Array.from(p.grad));
    net.params.forEach((p, i) => expectGradient(p.value, grads[i]!, lossOf));
  });

  it('skips the input gradient unless asked, leaving every parameter gradient the same', () => {
    const net = createNetwork({ inputSize: 3, classes: 2, hidden: [4], backend: float64Backend });
    const x = { rows: 3, cols: 3, data: randomArray(9, 'skip') };
    const run = (inputGradient: boolean) => {
      const ctx = { mode: 'train' as const, workspace: new Workspace(float64Backend) };
      const dLogits = new Float64Array(6);
      softmaxCrossEntropy(net.forward(x, ctx), [0, 1, 1], new Float64Array(6), dLogits);
      const dx = net.backward({ rows: 3, cols: 2, data: dLogits }, ctx, inputGradient);
      return { dx, grads: net.params.map((p) => Array.from(p.grad)) };
    };
    const skipped = run(false);
    const full = run(true);
    expect(skipped.dx).toBeUndefined();
    expect(full.dx?.rows).toBe(3);
    expect(skipped.grads).toEqual(full.grads);
  });

  it('one SGD step raises the probability of the true class', () => {
    const net = createNetwork({ inputSize: 4, classes: 3, hidden: [8], seed: 2, backend: createBackend() });
    const x = { rows: 2, cols: 4, data: Float32Array.of(1, -1, 0.5, 2, 0, 1, -2, 1) };
    const labels = [2, 0];
    const ws = new Workspace(net.backend);
    const probabilityOfTruth = () => {
      const probs = new Float32Array(6);
      softmaxCrossEntropy(net.forward(x, { mode: 'train', workspace: ws }), labels, probs);
      return [probs[2]!, probs[3]!];
    };
    const before = probabilityOfTruth();
    const ctx = { mode: 'train' as const, workspace: ws };
    const dLogits = new Float32Array(6);
    softmaxCrossEntropy(net.forward(x, ctx), labels, new Float32Array(6), dLogits);
    net.backward({ rows: 2, cols: 3, data: dLogits }, ctx);
    new Sgd({ learningRate: 0.1 }, typescriptBackend).step(net.params, 0.1);
    const after = probabilityOfTruth();
    expect(after[0]).toBeGreaterThan(before[0]!);
    expect(after[1]).toBeGreaterThan(before[1]!);
  });

  it('is reproducible from its seed and rebuilds from its spec', () => {
    const a = createNetwork({ inputSize: 6, classes: 3, seed: 11, backend: createBackend() });
    const b = createNetwork({ inputSize: 6, classes: 3, seed: 11, backend: createBackend() });
    const c = createNetwork({ inputSize: 6, classes: 3, seed: 12, backend: createBackend() });
    expect(Array.from(a.params[0]!.value)).toEqual(Array.from(b.params[0]!.value));
    expect(Array.from(a.params[0]!.value)).not.toEqual(Array.from(c.params[0]!.value));
    expect(buildNetwork(a.spec, { backend: a.backend }).spec).toEqual(a.spec);
    expect(a.spec.layers.map((l) => l.type)).toEqual(['dense', 'batchNorm', 'activation', 'dense', 'batchNorm', 'activation', 'dense']);
  });

  it('rejects architectures that do not fit when built', () => {
    expect(() => createNetwork({ inputSize: 4, classes: 1, backend: createBackend() })).toThrow(/classes must be an integer ≥ 2, got 1/);
    expect(() =>
      buildNetwork(
        {
          inputSize: 4,
          classes: 2,
          layers: [
            { type: 'dense', inputSize: 4, units: 3, bias: true },
            { type: 'dense', inputSize: 5, units: 2, bias: true },
          ],
        },
        { backend: float64Backend },
      ),
    ).toThrow(/layer 1 expects 5 inputs but layer 0 gives 3/);
  });
});
