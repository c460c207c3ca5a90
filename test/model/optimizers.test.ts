import { describe, expect, it } from 'vitest';
import type { Param } from '../../src/model/layer.js';
import { Adam } from '../../src/model/optimizers/adam.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { Momentum } from '../../src/model/optimizers/momentum.js';
import type { Optimizer, OptimizerConfig } from '../../src/model/optimizers/optimizer.js';
import { RmsProp } from '../../src/model/optimizers/rmsprop.js';
import { Sgd } from '../../src/model/optimizers/sgd.js';
import { float64Backend, typescriptBackend } from '../../src/model/typescriptBackend.js';

function param(values: number[], decay = true, name = 'w'): Param {
  return { name, shape: [values.length], value: Float64Array.from(values), grad: new Float64Array(values.length), decay };
}

/** Minimizes f(w) = ½ Σ aᵢ(wᵢ − cᵢ)², an ill-conditioned quadratic, and returns the final w. */
function minimize(optimizer: Optimizer, lr: number, steps: number): number[] {
  const a = [1, 10];
  const c = [3, -2];
  const w = param([0, 0]);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < 2; i++) w.grad[i] = a[i]! * (w.value[i]! - c[i]!);
    optimizer.step([w], lr);
  }
  return Array.from(w.value);
}

describe('optimizers', () => {
  it('SGD: w ← w − α·g', () => {
    const w = param([1, 2]);
    w.grad.set([0.5, -1]);
    new Sgd({ learningRate: 0.1 }, float64Backend).step([w], 0.1);
    expect(Array.from(w.value)).toEqual([1 - 0.05, 2 + 0.1]);
  });

  it('momentum: with a constant gradient the velocity is (1 − βᵗ)·g', () => {
    const w = param([0]);
    const opt = new Momentum({ learningRate: 1, beta: 0.9 }, float64Backend);
    let expected = 0;
    for (let t = 1; t <= 5; t++) {
      w.grad[0] = 2;
      opt.step([w], 1);
      expected -= (1 - 0.9 ** t) * 2;
      expect(w.value[0]).toBeCloseTo(expected, 12);
    }
  });

  it('RMSprop: divides by the root of the EWA of g², ε outside the root', () => {
    const w = param([0]);
    const opt = new RmsProp({ learningRate: 0.01, beta: 0.9, epsilon: 1e-8 }, float64Backend);
    let expected = 0;
    for (let t = 1; t <= 3; t++) {
      w.grad[0] = 3;
      opt.step([w], 0.01);
      expected -= (0.01 * 3) / (Math.sqrt((1 - 0.9 ** t) * 9) + 1e-8);
      expect(w.value[0]).toBeCloseTo(expected, 12);
    }
  });

  it("Adam's bias correction makes the first step α·sign(g), whatever |g|", () => {
    const w = param([1, 1, 1]);
    w.grad.set([0.5, -3, 1e-3]);
    new Adam({ learningRate: 0.01 }, float64Backend).step([w], 0.01);
    // Uncorrected, the first step would be α·(1 − β₁)g/√((1 − β₂)g²) ≈ 3.16α.
    expect(w.value[0]).toBeCloseTo(1 - 0.01, 6);
    expect(w.value[1]).toBeCloseTo(1 + 0.01, 6);
    expect(w.value[2]).toBeCloseTo(1 - 0.01, 4);
  });

  it('Adam follows the bias-corrected recurrences over several steps', () => {
    const w = param([0.5]);
    const opt = new Adam({ learningRate: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 1e-8 }, float64Backend);
    let m = 0;
    let v = 0;
    let expected = 0.5;
    const gradients = [1, -2, 0.5, 3];
    gradients.forEach((g, i) => {
      const t = i + 1;
      w.grad[0] = g;
      opt.step([w], 0.1);
      m = 0.8 * m + 0.2 * g;
      v = 0.99 * v + 0.01 * g * g;
      expected -= (0.1 * (m / (1 - 0.8 ** t))) / (Math.sqrt(v / (1 - 0.99 ** t)) + 1e-8);
      expect(w.value[0]).toBeCloseTo(expected, 12);
    });
    expect(opt.steps).toBe(4);
  });

  const configs: [OptimizerConfig, number, number][] = [
    [{ type: 'sgd', learningRate: 0.15 }, 0.15, 200],
    [{ type: 'momentum', learningRate: 0.15 }, 0.15, 300],
    [{ type: 'rmsprop', learningRate: 0.01 }, 0.01, 1500],
    [{ type: 'adam', learningRate: 0.05 }, 0.05, 1500],
  ];
  for (const [config, lr, steps] of configs) {
    it(`${config.type} converges on an ill-conditioned quadratic`, () => {
      const w = minimize(createOptimizer(config, float64Backend), lr, steps);
      expect(w[0]).toBeCloseTo(3, 2);
      expect(w[1]).toBeCloseTo(-2, 2);
    });
  }

  it('weight decay adds λ·w to weights only', () => {
    const weight = param([2]);
    const bias = param([2], false, 'b');
    new Sgd({ learningRate: 0.1, weightDecay: 0.5 }, float64Backend).step([weight, bias], 0.1);
    expect(weight.value[0]).toBeCloseTo(2 - 0.1 * 0.5 * 2, 15);
    expect(bias.value[0]).toBe(2);
  });

  it('restores a snapshot so that the next steps are identical', () => {
    const a = param([1, -1]);
    const b = param([1, -1]);
    const first = createOptimizer({ type: 'adam', learningRate: 0.1 }, float64Backend);
    for (let t = 0; t < 3; t++) {
      a.grad.set([t + 1, -t]);
      first.step([a], 0.1);
    }
    b.value.set(a.value);
    const second = createOptimizer({ type: 'adam', learningRate: 0.1 }, float64Backend);
    second.restore(first.state());
    for (const opt of [first, second]) {
      const p = opt === first ? a : b;
      p.grad.set([0.3, 0.7]);
      opt.step([p], 0.1);
    }
    expect(Array.from(b.value)).toEqual(Array.from(a.value));
    expect(second.steps).toBe(4);
  });

  it('rejects bad hyperparameters when built', () => {
    expect(() => createOptimizer({ type: 'adam', learningRate: 0 }, typescriptBackend)).toThrow(/learningRate must be positive, got 0/);
    expect(() => createOptimizer({ type: 'momentum', learningRate: 0.1, beta: 1 }, typescriptBackend)).toThrow(
      /beta must be in \[0, 1\), got 1/,
    );
    expect(() => createOptimizer({ type: 'nesterov', learningRate: 0.1 } as never, typescriptBackend)).toThrow(
      /unknown optimizer 'nesterov'/,
    );
  });
});
