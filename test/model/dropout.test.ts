import { describe, expect, it } from 'vitest';
import { Dropout, dropoutKey, fillDropoutMask } from '../../src/model/dropout.js';
import { type PassContext, Workspace } from '../../src/model/layer.js';
import type { Matrix } from '../../src/model/matrix.js';
import { buildNetwork, createNetwork } from '../../src/model/network.js';
import { float64Backend, typescriptBackend } from '../../src/model/typescriptBackend.js';
import { expectGradient, randomArray } from '../helpers/gradcheck.js';

const key = { seed: 7, epoch: 2, batch: 5 };
const train = (k = key): PassContext => ({ mode: 'train', workspace: new Workspace(float64Backend), key: k });

describe('dropout masks', () => {
  it('keep each element with probability 1 − p, scaled by 1/(1 − p), so the expected output is the input', () => {
    for (const rate of [0.1, 0.5, 0.8]) {
      const n = 200_000;
      const mask = new Float64Array(n);
      fillDropoutMask(mask, n, rate, dropoutKey(key, 3));
      const kept = mask.filter((v) => v !== 0);
      expect(new Set(kept)).toEqual(new Set([1 / (1 - rate)]));
      // Binomial: 5 standard deviations either side.
      const sd = Math.sqrt(n * rate * (1 - rate));
      expect(Math.abs(kept.length - n * (1 - rate))).toBeLessThan(5 * sd);
      // Neighbours are independent: P(both kept) = (1 − p)².
      let both = 0;
      for (let i = 1; i < n; i++) if (mask[i] !== 0 && mask[i - 1] !== 0) both++;
      const q = (1 - rate) ** 2;
      expect(Math.abs(both - (n - 1) * q)).toBeLessThan(5 * Math.sqrt(n * q * (1 - q)) * 2);
    }
  });

  it('are a function of the seed, epoch, batch and layer: equal for equal keys, different otherwise', () => {
    const draw = (k: typeof key, layer: number) => {
      const mask = new Float64Array(256);
      fillDropoutMask(mask, 256, 0.5, dropoutKey(k, layer));
      return Array.from(mask);
    };
    const base = draw(key, 3);
    expect(draw({ ...key }, 3)).toEqual(base);
    for (const other of [draw({ ...key, seed: 8 }, 3), draw({ ...key, epoch: 3 }, 3), draw({ ...key, batch: 6 }, 3), draw(key, 6)]) {
      const agree = other.filter((v, i) => v === base[i]).length;
      // Independent masks agree on about half the elements.
      expect(agree).toBeGreaterThan(90);
      expect(agree).toBeLessThan(166);
    }
    // Seeds past 2³² are told apart too.
    expect(dropoutKey({ ...key, seed: 2 ** 32 + 7 }, 3)).not.toBe(dropoutKey(key, 3));
  });
});

describe('Dropout', () => {
  it('passes a finite-difference gradient check for its input in training', () => {
    const layer = new Dropout({ size: 7, rate: 0.4 }, float64Backend, 2);
    const rows = 5;
    const x: Matrix = { rows, cols: 7, data: randomArray(rows * 7, 'dx', 2) };
    const r = randomArray(rows * 7, 'dr');
    const lossOf = () => {
      const out = layer.forward(x, train());
      let s = 0;
      for (let i = 0; i < out.data.length; i++) s += out.data[i]! * r[i]!;
      return s;
    };
    const ctx = train();
    const out = layer.forward(x, ctx);
    const zeros = Array.from(out.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(rows * 7);
    const dx = Float64Array.from(layer.backward({ rows, cols: 7, data: r }, ctx)!.data);
    expectGradient(x.data, dx, lossOf);
  });

  it('passes its input through in inference, and a training pass needs a key', () => {
    const layer = new Dropout({ size: 3, rate: 0.5 }, float64Backend, 0);
    const x: Matrix = { rows: 1, cols: 3, data: Float64Array.of(1, 2, 3) };
    expect(layer.forward(x, { mode: 'inference', workspace: new Workspace(float64Backend) })).toBe(x);
    expect(() => layer.forward(x, { mode: 'train', workspace: new Workspace(float64Backend) })).toThrow(/needs a key/);
    expect(() => new Dropout({ size: 3, rate: 1 }, float64Backend, 0)).toThrow(/rate must be in \[0, 1\)/);
  });
});

describe('a network with dropout', () => {
  it('puts a dropout layer after each hidden activation, none at rate 0, and rebuilds it from its spec', () => {
    const net = createNetwork({ inputSize: 4, classes: 3, hidden: [8, 6], dropout: 0.2, backend: typescriptBackend });
    expect(net.spec.layers.map((l) => l.type)).toEqual([
      'dense',
      'batchNorm',
      'activation',
      'dropout',
      'dense',
      'batchNorm',
      'activation',
      'dropout',
      'dense',
    ]);
    expect(createNetwork({ inputSize: 4, classes: 3, hidden: [8], backend: typescriptBackend }).spec.layers.map((l) => l.type)).toEqual([
      'dense',
      'batchNorm',
      'activation',
      'dense',
    ]);
    expect(buildNetwork(net.spec, { backend: typescriptBackend }).spec).toEqual(net.spec);
    expect(() => createNetwork({ inputSize: 4, classes: 3, dropout: 1, backend: typescriptBackend })).toThrow(
      /dropout must be in \[0, 1\)/,
    );
  });

  it('passes a gradient check end to end in float64, with batch norm, ReLU and two dropout layers', () => {
    const net = createNetwork({ inputSize: 5, classes: 3, hidden: [6, 4], dropout: 0.3, seed: 1, backend: float64Backend });
    const rows = 6;
    const x: Matrix = { rows, cols: 5, data: randomArray(rows * 5, 'netx', 2) };
    const r = randomArray(rows * 3, 'netr');
    const lossOf = () => {
      const out = net.forward(x, train());
      let s = 0;
      for (let i = 0; i < out.data.length; i++) s += out.data[i]! * r[i]!;
      return s;
    };
    const ctx = train();
    net.forward(x, ctx);
    net.backward({ rows, cols: 3, data: r }, ctx, true);
    const grads = net.params.map((p) => Float64Array.from(p.grad));
    net.params.forEach((p, i) => expectGradient(p.value, grads[i]!, lossOf, 1e-5));
  });
});
