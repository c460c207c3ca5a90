import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/model/random.js';
import { fullBox } from '../../src/tuning/samplers.js';
import {
  categoricalEstimator,
  defaultGamma,
  defaultWeights,
  logDensity,
  parzenEstimator,
  splitTrials,
  suggestTpe,
  type TpeObservation,
  tpe,
} from '../../src/tuning/tpe.js';

/** Made by test/fixtures/tpe/optuna_reference.py with Optuna 3.1 (Debian's python3-optuna). */
const optuna = JSON.parse(readFileSync('test/fixtures/tpe/optuna.json', 'utf8')) as {
  numeric: {
    low: number;
    high: number;
    observations: number[];
    mus: number[];
    sigmas: number[];
    weights: number[];
    at: number[];
    logPdf: number[];
  }[];
  categorical: { choices: number; observations: number[]; probabilities: number[] }[];
  split: { losses: [number, number][]; below: number[]; above: number[] };
  gamma: Record<string, number>;
  weights: number[];
};

const closeTo = (actual: readonly number[], expected: readonly number[], digits: number) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, digits));
};

describe('TPE density estimates', () => {
  it('a two-observation estimator by hand: kernel widths from neighbours, the magic clip, the prior', () => {
    // Observations 0.2 and 0.3 on [0, 1] with the prior's centre 0.5: the end kernels take the gap
    // to their inner neighbour (0.1 and 0.2), then the clip raises both to 1/min(100, 2 + 2) = 0.25;
    // the prior is N(0.5, 1); weights 1, 1, 1 normalised.
    const estimator = parzenEstimator([0.2, 0.3], 0, 1);
    expect(estimator.mus).toEqual([0.2, 0.3, 0.5]);
    expect(estimator.sigmas).toEqual([0.25, 0.25, 1]);
    expect(estimator.weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
    // Its density at 0.2, summed by hand: each kernel's normal density over its mass inside [0, 1].
    const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    const mass = (mu: number, s: number) => PHI((1 - mu) / s) - PHI((0 - mu) / s);
    const byHand = (phi(0) / 0.25 / mass(0.2, 0.25) + phi(-0.1 / 0.25) / 0.25 / mass(0.3, 0.25) + phi(-0.3) / 1 / mass(0.5, 1)) / 3;
    expect(logDensity(estimator, 0.2)).toBeCloseTo(Math.log(byHand), 6);
  });

  it("matches Optuna's Parzen estimators: means, widths, weights and log densities", () => {
    for (const c of optuna.numeric) {
      const estimator = parzenEstimator(c.observations, c.low, c.high);
      closeTo(estimator.mus, c.mus, 12);
      closeTo(estimator.sigmas, c.sigmas, 12);
      closeTo(estimator.weights, c.weights, 12);
      closeTo(
        c.at.map((x) => logDensity(estimator, x)),
        c.logPdf,
        5,
      );
    }
  });

  it("matches Optuna's categorical estimator and its default γ and weights", () => {
    for (const c of optuna.categorical) closeTo(categoricalEstimator(c.observations, c.choices).probabilities, c.probabilities, 12);
    for (const [n, g] of Object.entries(optuna.gamma)) expect(defaultGamma(Number(n))).toBe(g);
    closeTo(defaultWeights(30), optuna.weights, 12);
  });

  it('splits trials as Optuna does: completed by score, then pruned by epochs reached and score, running ones always bad', () => {
    // Optuna's (step, loss) pairs: step −∞ is completed, −s pruned after s steps, +∞ running.
    const trials: TpeObservation[] = optuna.split.losses.map(([step, loss]) =>
      step === -Infinity
        ? { unit: [0], state: 'completed', score: -loss, epochs: 9 }
        : step === Infinity
          ? { unit: [0], state: 'running', score: -Infinity, epochs: 0 }
          : { unit: [0], state: 'pruned', score: -loss, epochs: -step },
    );
    const tagged = trials.map((t, i) => ({ ...t, unit: [i] }));
    const { good, bad } = splitTrials(tagged, 4);
    expect(good.map((t) => t.unit[0])).toEqual(optuna.split.below);
    expect(bad.map((t) => t.unit[0])).toEqual(optuna.split.above);
  });
});

/** Φ, by the series that converges everywhere it is used here (|z| ≤ 5). */
function PHI(z: number): number {
  let term = z;
  let sum = z;
  for (let k = 1; k < 200; k++) {
    term *= (-z * z) / 2 / k;
    sum += term / (2 * k + 1);
  }
  return 0.5 + sum / Math.sqrt(2 * Math.PI);
}

describe('suggestTpe', () => {
  const numeric = [{ kind: 'numeric' as const }];
  // Ten finished trials on one parameter: the good ones (high scores) near 0.8.
  const history: TpeObservation[] = Array.from({ length: 10 }, (_, i) => {
    const u = i / 10 + 0.05;
    return { unit: [u], state: 'completed', score: -Math.abs(u - 0.8), epochs: 9 };
  });

  it('samples at random (undefined) until the start-up trials have finished, then near the good trials', () => {
    expect(suggestTpe(numeric, history.slice(0, 9), fullBox(1), createRandom(1))).toBeUndefined();
    // Running trials do not count as finished.
    expect(
      suggestTpe(
        numeric,
        [...history.slice(0, 9), { unit: [0.5], state: 'running', score: -Infinity, epochs: 0 }],
        fullBox(1),
        createRandom(1),
      ),
    ).toBeUndefined();
    const suggestions = Array.from({ length: 20 }, (_, seed) => suggestTpe(numeric, history, fullBox(1), createRandom(seed))![0]!);
    const median = [...suggestions].sort((a, b) => a - b)[10]!;
    expect(Math.abs(median - 0.8)).toBeLessThan(0.1);
    expect(suggestions.every((u) => u >= 0 && u <= 1)).toBe(true);
  });

  it('is reproducible for a seed and history', () => {
    expect(suggestTpe(numeric, history, fullBox(1), createRandom('t'))).toEqual(
      suggestTpe(numeric, history, fullBox(1), createRandom('t')),
    );
  });

  it('counts γ over finished trials only, as Optuna does: running ones are all bad, never make the good group larger', () => {
    const running: TpeObservation[] = Array.from({ length: 15 }, () => ({ unit: [0.5], state: 'running', score: -Infinity, epochs: 0 }));
    const asked: number[] = [];
    const gamma = (n: number) => {
      asked.push(n);
      return defaultGamma(n);
    };
    const suggested = suggestTpe(numeric, [...history, ...running], fullBox(1), createRandom('g'), { gamma });
    expect(asked).toEqual([10]);
    // γ(10) = 1 good trial (0.75 or 0.85, the nearest 0.8); with γ(25) = 3 the suggestion would differ.
    const wider = suggestTpe(numeric, [...history, ...running], fullBox(1), createRandom('g'), { gamma: () => defaultGamma(25) });
    expect(suggested).not.toEqual(wider);
  });
  it('constant liar: a running trial at the good spot pushes the next suggestion away from it', () => {
    const lone = history.map((t) => ({ ...t }));
    const first = suggestTpe(numeric, lone, fullBox(1), createRandom('a'))!;
    const withRunning: TpeObservation[] = [...lone, { unit: first, state: 'running', score: -Infinity, epochs: 0 }];
    const second = suggestTpe(numeric, withRunning, fullBox(1), createRandom('a'))!;
    expect(second).not.toEqual(first);
    // The same draw with the first one running scores lower near it: g(x) has a kernel there.
    const near = (u: readonly number[]) => Math.abs(u[0]! - first[0]!);
    expect(near(second)).toBeGreaterThan(0);
  });

  it('keeps suggestions inside a coarse-to-fine box, and picks categorical choices the good trials used', () => {
    const box = { low: [0.6], high: [0.9] };
    for (let seed = 0; seed < 10; seed++) {
      const [u] = suggestTpe(numeric, history, box, createRandom(seed))!;
      expect(u).toBeGreaterThanOrEqual(0.6);
      expect(u).toBeLessThanOrEqual(0.9);
    }
    // Choice 2 of 4 was the good one; its cell's middle (2.5/4) comes back most often.
    const categorical = [{ kind: 'categorical' as const, choices: 4 }];
    const trials: TpeObservation[] = Array.from({ length: 12 }, (_, i) => ({
      unit: [((i % 4) + 0.5) / 4],
      state: 'completed',
      score: i % 4 === 2 ? 1 : 0,
      epochs: 9,
    }));
    const picks = Array.from({ length: 20 }, (_, seed) => suggestTpe(categorical, trials, fullBox(1), createRandom(seed))![0]);
    expect(picks.filter((u) => u === 2.5 / 4).length).toBeGreaterThan(15);
  });

  it('tpe() takes Optuna’s defaults and checks its settings', () => {
    expect(tpe()).toEqual({ type: 'tpe', startupTrials: 10, candidates: 24, priorWeight: 1 });
    expect(() => tpe({ startupTrials: 0 })).toThrow(/startupTrials must be a positive integer/);
  });
});
