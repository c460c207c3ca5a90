import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/model/matrix.js';
import { huberLoss, meanSquaredError, sigmoidCrossEntropy } from '../../src/model/targetLosses.js';
import { expectGradient, randomArray } from '../helpers/gradcheck.js';

const rows = 4;
const cols = 3;
const predictions = (): Matrix => ({ rows, cols, data: randomArray(rows * cols, 'predictions', 3) });
const targets = randomArray(rows * cols, 'targets', 2);
const labels = Float64Array.from(randomArray(rows * cols, 'labels'), (v) => (v > 0 ? 1 : 0));

describe('losses of targets, by finite differences', () => {
  it('mean squared error: J = Σ(p − t)²/n, ∂J/∂p = 2(p − t)/n', () => {
    const p = predictions();
    const grad = new Float64Array(rows * cols);
    const loss = meanSquaredError(p, targets, grad);
    expect(loss).toBeCloseTo(Array.from(p.data).reduce((s, v, i) => s + (v - targets[i]!) ** 2, 0) / (rows * cols), 14);
    expectGradient(p.data, grad, () => meanSquaredError(p, targets));
  });

  it('Huber: quadratic within δ, linear beyond, its gradient clamped to ±δ/n', () => {
    const p = predictions();
    const grad = new Float64Array(rows * cols);
    huberLoss(p, targets, 1.5, grad);
    expectGradient(p.data, grad, () => huberLoss(p, targets, 1.5));
    expect(Math.max(...Array.from(grad, Math.abs))).toBeLessThanOrEqual(1.5 / (rows * cols));
    expect(huberLoss({ rows: 1, cols: 2, data: Float64Array.of(0.5, 4) }, [0, 0], 1)).toBe((0.125 + 3.5) / 2);
    expect(() => huberLoss(p, targets, 0)).toThrow(/delta must be positive/);
  });

  it('sigmoid cross-entropy: ∂J/∂z = (σ(z) − y)/n, and finite for logits of ±1e4', () => {
    const z = predictions();
    const probabilities = new Float64Array(rows * cols);
    const grad = new Float64Array(rows * cols);
    sigmoidCrossEntropy(z, labels, probabilities, grad);
    expectGradient(z.data, grad, () => sigmoidCrossEntropy(z, labels, new Float64Array(rows * cols)));
    probabilities.forEach((q, i) => expect(q).toBeCloseTo(1 / (1 + Math.exp(-z.data[i]!)), 14));
    const extreme = sigmoidCrossEntropy({ rows: 1, cols: 2, data: Float64Array.of(1e4, -1e4) }, [0, 0], new Float64Array(2));
    expect(extreme).toBe(1e4 / 2);
  });
});
