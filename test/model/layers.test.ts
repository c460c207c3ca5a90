import { describe, expect, it } from 'vitest';
import { Activation } from '../../src/model/activation.js';
import { BatchNorm } from '../../src/model/batchNorm.js';
import { Dense } from '../../src/model/dense.js';
import { type Layer, type PassContext, Workspace } from '../../src/model/layer.js';
import type { Matrix } from '../../src/model/matrix.js';
import { createRandom } from '../../src/model/random.js';
import { float64Backend } from '../../src/model/typescriptBackend.js';
import { expectGradient, randomArray } from '../helpers/gradcheck.js';

const train = (): PassContext => ({ mode: 'train', workspace: new Workspace(float64Backend) });

/** loss = Σ out ⊙ r for a fixed random r, so ∂loss/∂out = r. */
function checkLayer(layer: Layer, rows: number, seed: string) {
  const x: Matrix = { rows, cols: layer.inputSize, data: randomArray(rows * layer.inputSize, `${seed}x`, 2) };
  const r = randomArray(rows * layer.outputSize, `${seed}r`);
  const lossOf = () => {
    const out = layer.forward(x, train());
    let s = 0;
    for (let i = 0; i < out.data.length; i++) s += out.data[i]! * r[i]!;
    return s;
  };
  const ctx = train();
  layer.forward(x, ctx);
  const dx = Float64Array.from(layer.backward({ rows, cols: layer.outputSize, data: r }, ctx)!.data);
  const grads = layer.params.map((p) => Float64Array.from(p.grad));
  expectGradient(x.data, dx, lossOf);
  layer.params.forEach((p, i) => expectGradient(p.value, grads[i]!, lossOf));
}

describe('Dense', () => {
  it('passes a finite-difference gradient check for x, W and b', () => {
    checkLayer(new Dense({ inputSize: 5, units: 4 }, float64Backend, createRandom(1)), 3, 'dense');
  });

  it('computes Z = X·Wᵀ + b with W stored units × inputs, as in PyTorch', () => {
    const dense = new Dense({ inputSize: 2, units: 3 }, float64Backend, createRandom(0));
    expect(dense.weight.shape).toEqual([3, 2]);
    dense.weight.value.set([1, 4, 2, 5, 3, 6]);
    dense.bias!.value.set([0.5, 0, -0.5]);
    const out = dense.forward({ rows: 1, cols: 2, data: Float64Array.of(1, 10) }, train());
    expect(Array.from(out.data)).toEqual([41.5, 52, 62.5]);
  });

  it('has no bias when asked, and rejects bad sizes when built', () => {
    expect(new Dense({ inputSize: 3, units: 2, bias: false }, float64Backend, createRandom(0)).params).toHaveLength(1);
    expect(() => new Dense({ inputSize: 0, units: 2 }, float64Backend, createRandom(0))).toThrow(
      /inputSize must be a positive integer, got 0/,
    );
  });

  it('draws He initial weights with variance 2/fanIn', () => {
    const dense = new Dense({ inputSize: 200, units: 100, init: 'he' }, float64Backend, createRandom(3));
    const w = dense.weight.value;
    const variance = Array.from(w).reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).toBeCloseTo(2 / 200, 3);
    const xavier = new Dense({ inputSize: 200, units: 100, init: 'xavier' }, float64Backend, createRandom(3)).weight.value;
    expect(Array.from(xavier).reduce((s, v) => s + v * v, 0) / xavier.length).toBeCloseTo(1 / 200, 3);
  });
});

describe('BatchNorm', () => {
  for (const rows of [2, 3, 7]) {
    it(`passes the full gradient check (x, γ, β) with a batch of ${rows}`, () => {
      // With two rows z_norm = ±d/√(d² + ε) hardly depends on x, so a larger ε makes the check bite.
      const bn = new BatchNorm({ size: 4, epsilon: rows === 2 ? 0.5 : 1e-5 }, float64Backend);
      bn.gamma.value.set(randomArray(4, 'g', 2));
      bn.beta.value.set(randomArray(4, 'b'));
      checkLayer(bn, rows, `bn${rows}`);
    });
  }

  it('normalizes to zero mean and unit variance in training, then applies γ and β', () => {
    const bn = new BatchNorm({ size: 1, epsilon: 1e-12 }, float64Backend);
    bn.gamma.value[0] = 2;
    bn.beta.value[0] = 1;
    const out = bn.forward({ rows: 4, cols: 1, data: Float64Array.of(1, 2, 3, 4) }, train());
    // μ = 2.5, σ² = 1.25: z_norm = (z − 2.5)/√1.25
    const s = Math.sqrt(1.25);
    Array.from(out.data).forEach((v, i) => expect(v).toBeCloseTo(2 * ((i + 1 - 2.5) / s) + 1, 10));
  });

  it('updates running statistics as the EWA computed by hand and uses them in inference', () => {
    const bn = new BatchNorm({ size: 1, momentum: 0.9, epsilon: 1e-5 }, float64Backend);
    const batches = [
      [1, 3],
      [2, 6],
      [0, 10],
    ];
    let mean = 0;
    let variance = 1;
    for (const b of batches) {
      bn.forward({ rows: 2, cols: 1, data: Float64Array.from(b) }, train());
      const mu = (b[0]! + b[1]!) / 2;
      const v = ((b[0]! - mu) ** 2 + (b[1]! - mu) ** 2) / 2;
      mean = 0.9 * mean + 0.1 * mu;
      variance = 0.9 * variance + 0.1 * v;
    }
    expect(bn.runningMean[0]).toBeCloseTo(mean, 12);
    expect(bn.runningVar[0]).toBeCloseTo(variance, 12);
    const inference = bn.forward(
      { rows: 2, cols: 1, data: Float64Array.of(1, 3) },
      { mode: 'inference', workspace: new Workspace(float64Backend) },
    );
    expect(inference.data[0]).toBeCloseTo((1 - mean) / Math.sqrt(variance + 1e-5), 10);
    expect(inference.data[1]).toBeCloseTo((3 - mean) / Math.sqrt(variance + 1e-5), 10);
    // Training mode on the same batch normalizes with the batch's own statistics instead.
    const training = bn.forward({ rows: 2, cols: 1, data: Float64Array.of(1, 3) }, train());
    expect(training.data[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 10);
  });

  it("feeds the unbiased variance to the running average when asked (PyTorch's convention)", () => {
    const bn = new BatchNorm({ size: 1, momentum: 0.9, runningVariance: 'unbiased' }, float64Backend);
    bn.forward({ rows: 2, cols: 1, data: Float64Array.of(1, 3) }, train());
    // biased σ² = 1, unbiased = 2
    expect(bn.runningVar[0]).toBeCloseTo(0.9 * 1 + 0.1 * 2, 12);
  });

  it('refuses a training batch of one example and bad settings', () => {
    const bn = new BatchNorm({ size: 2 }, float64Backend);
    expect(() => bn.forward({ rows: 1, cols: 2, data: Float64Array.of(1, 2) }, train())).toThrow(/at least 2 examples/);
    expect(() => new BatchNorm({ size: 2, momentum: 1 }, float64Backend)).toThrow(/momentum must be in \[0, 1\), got 1/);
  });
});

describe('Activation', () => {
  for (const fn of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    it(`${fn} passes a gradient check`, () => checkLayer(new Activation({ size: 6, fn }, float64Backend), 3, fn));
  }

  it('computes the textbook values and rejects unknown names', () => {
    const ctx = train();
    const x: Matrix = { rows: 1, cols: 3, data: Float64Array.of(-2, 0, 3) };
    expect(Array.from(new Activation({ size: 3, fn: 'relu' }, float64Backend).forward(x, ctx).data)).toEqual([0, 0, 3]);
    expect(new Activation({ size: 3, fn: 'sigmoid' }, float64Backend).forward(x, ctx).data[1]).toBe(0.5);
    expect(
      new Activation({ size: 3, fn: 'sigmoid' }, float64Backend).forward({ rows: 1, cols: 1, data: Float64Array.of(-800) }, ctx).data[0],
    ).toBe(0);
    expect(new Activation({ size: 3, fn: 'tanh' }, float64Backend).forward(x, ctx).data[2]).toBeCloseTo(Math.tanh(3), 15);
    expect(() => new Activation({ size: 3, fn: 'gelu' as never }, float64Backend)).toThrow(/unknown activation 'gelu'/);
  });
});

describe('NaN propagation', () => {
  it('relu and dense pass NaN on instead of hiding it', () => {
    const ctx = train();
    const relu = new Activation({ size: 2, fn: 'relu' }, float64Backend).forward(
      { rows: 1, cols: 2, data: Float64Array.of(Number.NaN, -1) },
      ctx,
    );
    expect(relu.data[0]).toBeNaN();
    const dense = new Dense({ inputSize: 2, units: 1 }, float64Backend, createRandom(0));
    dense.weight.value[0] = Number.NaN;
    expect(dense.forward({ rows: 1, cols: 2, data: Float64Array.of(0, 1) }, ctx).data[0]).toBeNaN();
  });
});
