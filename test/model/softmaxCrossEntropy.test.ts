import { describe, expect, it } from 'vitest';
import { argmaxRows, softmax, softmaxCrossEntropy, softmaxRows } from '../../src/model/softmaxCrossEntropy.js';
import { expectGradient, randomArray } from '../helpers/gradcheck.js';

describe('softmax', () => {
  it('reproduces the worked example z = [5, 2, −1, 3]', () => {
    const z = [5, 2, -1, 3];
    const t = z.map(Math.exp);
    expect(t.reduce((a, b) => a + b)).toBeCloseTo(176.3, 1);
    const a = softmax(z);
    [0.842, 0.042, 0.002, 0.114].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 3));
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 15);
  });

  it('neither overflows on huge logits nor underflows on huge differences', () => {
    expect(Array.from(softmax([1e4, 1e4]))).toEqual([0.5, 0.5]);
    expect(Array.from(softmax([-1e4, 0]))).toEqual([0, 1]);
    const probs = new Float64Array(3);
    const { loss } = softmaxCrossEntropy({ rows: 1, cols: 3, data: Float64Array.of(1e4, 0, -1e4) }, [1], probs);
    expect(loss).toBeCloseTo(1e4, 6);
    expect(Array.from(probs)).toEqual([1, 0, 0]);
  });

  it('propagates NaN into the loss', () => {
    const { loss } = softmaxCrossEntropy({ rows: 1, cols: 2, data: Float64Array.of(Number.NaN, 1) }, [1], new Float64Array(2));
    expect(loss).toBeNaN();
  });
});

describe('softmaxCrossEntropy', () => {
  it('averages −log ŷ[label] over the batch and counts hardmax hits', () => {
    const z = Float64Array.of(2, 1, 0, 0, 0, 3);
    const probs = new Float64Array(6);
    const { loss, correct } = softmaxCrossEntropy({ rows: 2, cols: 3, data: z }, [0, 1], probs);
    const p0 = softmax([2, 1, 0]);
    const p1 = softmax([0, 0, 3]);
    expect(loss).toBeCloseTo((-Math.log(p0[0]!) - Math.log(p1[1]!)) / 2, 12);
    expect(correct).toBe(1);
  });

  it('gives ∂J/∂z = (ŷ − y)/m, checked by finite differences', () => {
    const rows = 4;
    const cols = 5;
    const z = randomArray(rows * cols, 'logits', 3);
    const labels = [0, 4, 2, 2];
    const probs = new Float64Array(rows * cols);
    const grad = new Float64Array(rows * cols);
    softmaxCrossEntropy({ rows, cols, data: z }, labels, probs, grad);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) expect(grad[i * cols + j]).toBeCloseTo((probs[i * cols + j]! - (labels[i] === j ? 1 : 0)) / rows, 14);
    }
    expectGradient(z, grad, () => softmaxCrossEntropy({ rows, cols, data: z }, labels, new Float64Array(rows * cols)).loss);
  });

  it('with class weights: J = Σ w[y]·ℓ / Σ w[y] and its gradient, by finite differences; unit weights change nothing', () => {
    const rows = 5;
    const cols = 3;
    const z = randomArray(rows * cols, 'weighted', 3);
    const labels = [0, 2, 2, 1, 0];
    const weights = Float64Array.of(0.5, 3, 1.25);
    const grad = new Float64Array(rows * cols);
    const lossOf = (w?: Float64Array) =>
      softmaxCrossEntropy({ rows, cols, data: z }, labels, new Float64Array(rows * cols), undefined, w).loss;
    const { loss } = softmaxCrossEntropy({ rows, cols, data: z }, labels, new Float64Array(rows * cols), grad, weights);
    const perRow = labels.map((_, i) => {
      const row = Array.from(z.subarray(i * cols, (i + 1) * cols));
      return Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[labels[i]!]!;
    });
    const total = labels.reduce((s, y) => s + weights[y]!, 0);
    expect(loss).toBeCloseTo(perRow.reduce((s, l, i) => s + weights[labels[i]!]! * l, 0) / total, 14);
    expectGradient(z, grad, () => lossOf(weights));
    expect(lossOf(Float64Array.of(1, 1, 1))).toBe(lossOf());
    // A batch whose weights sum to zero contributes nothing.
    const none = new Float64Array(rows * cols).fill(7);
    expect(softmaxCrossEntropy({ rows, cols, data: z }, labels, new Float64Array(rows * cols), none, new Float64Array(3)).loss).toBe(0);
    expect(Array.from(none).every((g) => g === 0)).toBe(true);
  });

  it('with two classes is logistic regression on z₁ − z₀', () => {
    const z = randomArray(12, 'binary', 4);
    const labels = [0, 1, 1, 0, 1, 0];
    const grad = new Float64Array(12);
    const { loss } = softmaxCrossEntropy({ rows: 6, cols: 2, data: z }, labels, new Float64Array(12), grad);
    let logistic = 0;
    for (let i = 0; i < 6; i++) {
      const s = z[2 * i + 1]! - z[2 * i]!;
      const p = 1 / (1 + Math.exp(-s)); // sigmoid gives P(class 1)
      logistic += -(labels[i]! * Math.log(p) + (1 - labels[i]!) * Math.log(1 - p));
      // ∂J/∂z₁ = (σ(s) − y)/m, the logistic-regression gradient, and ∂J/∂z₀ is its negative.
      expect(grad[2 * i + 1]).toBeCloseTo((p - labels[i]!) / 6, 14);
      expect(grad[2 * i]).toBeCloseTo(-(p - labels[i]!) / 6, 14);
    }
    expect(loss).toBeCloseTo(logistic / 6, 12);
  });

  it('rejects a label that is not a class index', () => {
    expect(() => softmaxCrossEntropy({ rows: 1, cols: 3, data: new Float64Array(3) }, [3], new Float64Array(3))).toThrow(
      /label 3 at row 0 is not a class index in \[0, 3\)/,
    );
    expect(() => softmaxCrossEntropy({ rows: 1, cols: 3, data: new Float64Array(3) }, [-1], new Float64Array(3))).toThrow(/label -1/);
  });

  it('softmaxRows and argmaxRows agree with the per-vector softmax', () => {
    const z = Float64Array.of(5, 2, -1, 3, 0, 0, 9, 1);
    const out = new Float64Array(8);
    softmaxRows({ rows: 2, cols: 4, data: z }, out);
    const first = softmax([5, 2, -1, 3]);
    first.forEach((v, j) => expect(out[j]).toBeCloseTo(v, 15));
    expect(Array.from(argmaxRows({ rows: 2, cols: 4, data: out }, new Int32Array(2)))).toEqual([0, 2]);
  });
});
