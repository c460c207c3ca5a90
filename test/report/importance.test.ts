import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/model/random.js';
import {
  type ImportanceDimension,
  type ImportanceTrial,
  importanceCoordinate,
  importanceDimension,
  pearsonDivergence,
  pedAnovaImportances,
  scottGridDensity,
  topTrials,
} from '../../src/report/importance.js';
import { parseSearchSpace } from '../../src/tuning/space.js';

/** The normal mass over [a, b] by Simpson's rule on the density: independent of the erf used in the code. */
function normalMass(a: number, b: number, mu: number, sigma: number): number {
  const f = (x: number) => Math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI));
  const n = 2000;
  const h = (b - a) / n;
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

describe('PED-ANOVA', () => {
  it("Scott's bandwidth and the discretized kernels, by hand on a 5-step grid", () => {
    // Counts 0, 2, 1, 1, 0: n = 4 at grid points 1, 1, 2, 3. Mean 1.75; σ̂ = √((2·0.75² + 0.25² + 1.25²)/3) = 0.9574;
    // cumulative 2, 3, 4: q25 = first ≥ 1 → point 1; q75 = first > 3 → point 3; IQR = 2, IQR/1.34 = 1.4925;
    // σ = 1.059 · min(1.4925, 0.9574) · 4^(−0.2) = 0.7684 (above 0.5/1.64). Kernels at 1 (weight 2),
    // 2 and 3 (weight 1 each), and the prior at 2 of width 5 and weight 1: weights 2, 1, 1, 1 over 5.
    const sigma = 1.059 * Math.sqrt((2 * 0.75 ** 2 + 0.25 ** 2 + 1.25 ** 2) / 3) * 4 ** -0.2;
    expect(sigma).toBeCloseTo(0.7684, 4);
    const kernels = [
      { mu: 1, s: sigma, w: 2 / 5 },
      { mu: 2, s: sigma, w: 1 / 5 },
      { mu: 3, s: sigma, w: 1 / 5 },
      { mu: 2, s: 5, w: 1 / 5 },
    ];
    const byHand = [0, 1, 2, 3, 4].map((i) =>
      kernels.reduce((p, k) => p + (k.w * normalMass(i - 0.5, i + 0.5, k.mu, k.s)) / normalMass(-0.5, 4.5, k.mu, k.s), 0),
    );
    const density = scottGridDensity([0, 2, 1, 1, 0]);
    density.forEach((p, i) => expect(p).toBeCloseTo(byHand[i]!, 6));
    expect(density.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("the top trials: the top 10% (Optuna 5.0's cutoff, the ⌈0.1·n⌉-th best), ties kept", () => {
    const trials = [0.5, 0.9, 0.7, 0.9, 0.1, 0.3, 0.2, 0.4, 0.6, 0.8].map((score) => ({ score }));
    expect(topTrials(trials).map((t) => t.score)).toEqual([0.9, 0.9]);
    const many = Array.from({ length: 100 }, (_, i) => ({ score: i }));
    expect(topTrials(many).map((t) => t.score)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    // ⌈0.1·41⌉ = 5: the five best.
    expect(topTrials(many.slice(0, 41)).map((t) => t.score)).toEqual([36, 37, 38, 39, 40]);
  });

  it("an integer's trials share its value's cell, and a choice's its own: equal to Optuna 5.0 on the same trials", () => {
    // test/fixtures/importance/optuna_ped_anova.py: three studies of 40 random trials, importances by Optuna 5.0
    // (equal to 1e-7: our normal CDF is not scipy's to the last digits).
    const reference = JSON.parse(readFileSync(path.resolve('test/fixtures/importance/optuna.json'), 'utf8')) as {
      space: Record<string, unknown>;
      cases: { name: string; trials: { params: Record<string, number>; value: number }[]; importances: Record<string, number> }[];
    };
    const space = parseSearchSpace(reference.space);
    const names = Object.keys(space);
    const dimensions = names.map((name) => importanceDimension(name, space[name]!));
    expect(dimensions.map((d) => (d.kind === 'numeric' ? d.cells : d.choices))).toEqual([50, 50, 3, 9, 4]);
    for (const study of reference.cases) {
      const trials = study.trials.map((t) => ({
        unit: names.map((name) => importanceCoordinate(space[name]!, t.params[name]!)),
        score: -t.value,
      }));
      const importances = pedAnovaImportances(dimensions, trials);
      for (const name of names)
        expect(Math.abs(importances[name]! - study.importances[name]!), `${study.name}: ${name}`).toBeLessThan(1e-7);
    }
    // Where layers decide, layers comes second of five, as in Optuna (0.333), not fourth.
    const layersCase = reference.cases.find((c) => c.name === 'layers')!;
    const ranked = Object.entries(
      pedAnovaImportances(
        dimensions,
        layersCase.trials.map((t) => ({ unit: names.map((name) => importanceCoordinate(space[name]!, t.params[name]!)), score: -t.value })),
      ),
    ).sort((a, b) => b[1] - a[1]);
    expect(ranked.map(([name]) => name).slice(0, 2)).toEqual(['learningRate', 'layers']);
  });

  it('a parameter that decides the score takes the importance; the others share little; the sum is 1', () => {
    const rng = createRandom(3);
    const dimensions: ImportanceDimension[] = [
      { name: 'learningRate', kind: 'numeric' },
      { name: 'noise', kind: 'numeric' },
      { name: 'batchSize', kind: 'categorical', choices: 4 },
    ];
    const trials: ImportanceTrial[] = Array.from({ length: 400 }, () => {
      const unit = [rng.next(), rng.next(), rng.next()];
      return { unit, score: -Math.abs(unit[0]! - 0.3) + 0.01 * rng.next() };
    });
    const importances = pedAnovaImportances(dimensions, trials);
    expect(Object.values(importances).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(importances.learningRate).toBeGreaterThan(0.9);
    expect(importances.noise!).toBeLessThan(0.05);
    // Where the choice decides instead, it is the categorical parameter that matters.
    const byChoice = trials.map((t) => ({ unit: t.unit, score: (Math.floor(t.unit[2]! * 4) === 1 ? 1 : 0) + 0.01 * rng.next() }));
    const choiceFirst = pedAnovaImportances(dimensions, byChoice);
    // (A categorical estimator smooths hard: its prior weighs as much as each occupied choice.)
    expect(choiceFirst.batchSize).toBeGreaterThan(0.6);
    expect(choiceFirst.batchSize).toBeGreaterThan(2 * Math.max(choiceFirst.learningRate!, choiceFirst.noise!));
  });

  it('is the Pearson divergence of the top density from the all-trials one, computed by hand for one parameter', () => {
    // Ten trials on a 5-step grid; the top 20%, the two best, sit at grid points 3 and 4.
    const units = [0, 0.25, 0.5, 0.75, 1, 0, 0.25, 0.5, 0.75, 1];
    const scores = [1, 2, 3, 9, 10, 0, 1, 2, 3, 4];
    const trials = units.map((u, i) => ({ unit: [u, 0.5], score: scores[i]! }));
    const dims: ImportanceDimension[] = [
      { name: 'a', kind: 'numeric' },
      { name: 'b', kind: 'numeric' },
    ];
    const top = scottGridDensity([0, 0, 0, 1, 1]);
    const all = scottGridDensity([2, 2, 2, 2, 2]);
    const divergence = all.reduce((sum, q, i) => sum + q * ((top[i]! + 1e-12) / (q + 1e-12) - 1) ** 2, 0);
    expect(pearsonDivergence(top, all)).toBeCloseTo(divergence, 9);
    // Parameter b is 0.5 in every trial. Its densities still differ a little: the prior kernel
    // weighs 1 against 2 top trials but against 10 in all (as in Optuna).
    const divergenceB = pearsonDivergence(scottGridDensity([0, 0, 2, 0, 0]), scottGridDensity([0, 0, 10, 0, 0]));
    const importances = pedAnovaImportances(dims, trials, { steps: 5, quantile: 0.2 });
    expect(importances.a).toBeCloseTo(divergence / (divergence + divergenceB), 9);
    expect(importances.b).toBeCloseTo(divergenceB / (divergence + divergenceB), 9);
    expect(importances.a!).toBeGreaterThan(importances.b!);
  });

  it('shares evenly when there are too few trials to tell', () => {
    expect(
      pedAnovaImportances(
        [
          { name: 'a', kind: 'numeric' },
          { name: 'b', kind: 'numeric' },
        ],
        [{ unit: [0, 0], score: 1 }],
      ),
    ).toEqual({ a: 0.5, b: 0.5 });
  });
});
