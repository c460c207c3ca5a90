import { normalCdf } from '../model/normal.js';

/**
 * Hyperparameter importances by PED-ANOVA (Watanabe et al., 2023), as Optuna's
 * `PedAnovaImportanceEvaluator` computes them: for each parameter, on its own scale, a 1-D Parzen
 * estimator (Scott's bandwidth) of the top 10% of trials and one of all trials, both on a grid of
 * 50 steps; the importance is the Pearson divergence of the top density from the all-trials one,
 * Σ p_all·(p_top/p_all − 1)², times the top fraction; the importances are then scaled to sum to 1.
 */

/** A parameter as the importance sees it: a unit coordinate on its own scale, or one of n choices. */
export type ImportanceDimension = { readonly name: string; readonly kind: 'numeric' } | { readonly name: string; readonly kind: 'categorical'; readonly choices: number };

/** One finished trial: its unit coordinates (in the dimensions' order) and its score (higher is better). */
export interface ImportanceTrial {
  readonly unit: readonly number[];
  readonly score: number;
}

/** Options of `pedAnovaImportances`; the defaults are Optuna's. */
export interface PedAnovaOptions {
  /** The top fraction of trials compared with all of them. Default 0.1. */
  readonly quantile?: number;
  /** At least this many top trials. Default 2. */
  readonly minTopTrials?: number;
  /** Grid steps of a numeric parameter. Default 50. */
  readonly steps?: number;
  /** Weight of the prior kernel. Default 1. */
  readonly priorWeight?: number;
}

const cdf = normalCdf;

/**
 * The top trials: those scoring at least the larger of the `minTopTrials`-th best score and the
 * top-`quantile` score (the quantile taken as the next higher observed value), ties included.
 *
 * @example
 * topTrials(trials, 0.1, 2).length
 */
export function topTrials<T extends { readonly score: number }>(trials: readonly T[], quantile = 0.1, minTopTrials = 2): T[] {
  // Optuna filters on losses (lower is better): loss = −score here.
  const losses = trials.map((t) => -t.score).sort((a, b) => a - b);
  const n = losses.length;
  const kth = losses[Math.min(minTopTrials, n) - 1]!;
  // numpy's quantile with method "higher": the value at index ⌈q·(n − 1)⌉ of the sorted losses.
  const higher = losses[Math.ceil(quantile * (n - 1))]!;
  const cutoff = Math.max(kth, higher);
  return trials.filter((t) => -t.score <= cutoff);
}

/**
 * The grid probabilities of a Scott's-rule Parzen estimator of `counts` (observations per grid
 * point 0…steps−1), as Optuna's PED-ANOVA builds it: one kernel per occupied grid point weighted
 * by its count, all of width 1.059·min(IQR/1.34, σ̂)·n^(−1/5) (at least 0.5/1.64), plus a prior
 * kernel at the centre, as wide as the grid, of weight `priorWeight`; each kernel a normal
 * discretized to the grid (mass over [i − ½, i + ½]) and truncated to it.
 *
 * @example
 * scottGridDensity([0, 3, 1, 0], 1) // four probabilities summing to 1
 */
export function scottGridDensity(counts: readonly number[], priorWeight = 1): number[] {
  const steps = counts.length;
  const occupied = counts.map((c, i) => ({ c, i })).filter((x) => x.c > 0);
  const n = occupied.reduce((sum, x) => sum + x.c, 0);
  const mus = occupied.map((x) => x.i);
  const weights = occupied.map((x) => x.c);
  const mean = occupied.reduce((sum, x) => sum + x.i * x.c, 0) / n;
  const sigmaHat = Math.sqrt(occupied.reduce((sum, x) => sum + (x.i - mean) ** 2 * x.c, 0) / Math.max(1, n - 1));
  const cumulative: number[] = [];
  occupied.reduce((sum, x) => (cumulative.push(sum + x.c), sum + x.c), 0);
  // numpy's searchsorted: the first index whose cumulative count is ≥ (left) or > (right) the target.
  const q25 = cumulative.findIndex((c) => c >= Math.floor(n / 4));
  const q75Raw = cumulative.findIndex((c) => c > Math.floor((n * 3) / 4));
  const q75 = q75Raw < 0 ? mus.length : q75Raw;
  const iqr = mus[Math.min(mus.length - 1, q75)]! - mus[q25 < 0 ? mus.length - 1 : q25]!;
  const sigma = Math.max(1.059 * Math.min(iqr / 1.34, sigmaHat) * n ** -0.2, 0.5 / 1.64);
  const kernels = mus.map((mu, k) => ({ mu, sigma, weight: weights[k]! }));
  kernels.push({ mu: 0.5 * (steps - 1), sigma: steps, weight: priorWeight });
  const total = kernels.reduce((sum, k) => sum + k.weight, 0);
  const density = new Array<number>(steps).fill(0);
  for (const { mu, sigma: s, weight } of kernels) {
    const inside = cdf((steps - 0.5 - mu) / s) - cdf((-0.5 - mu) / s);
    for (let i = 0; i < steps; i++) density[i]! += (weight / total) * ((cdf((i + 0.5 - mu) / s) - cdf((i - 0.5 - mu) / s)) / inside);
  }
  return density;
}

/**
 * The Pearson divergence of `top` from `all` on a grid: Σ all·(top/all − 1)², with 1e-12 added to
 * both, as Optuna does.
 *
 * @example
 * pearsonDivergence([0.5, 0.5], [0.5, 0.5]) // 0
 */
export function pearsonDivergence(top: readonly number[], all: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < top.length; i++) {
    const p = top[i]! + 1e-12;
    const q = all[i]! + 1e-12;
    sum += q * (p / q - 1) ** 2;
  }
  return sum;
}

/** Observations per grid point of one parameter. */
function gridCounts(trials: readonly ImportanceTrial[], d: number, dimension: ImportanceDimension, steps: number): number[] {
  const size = dimension.kind === 'categorical' ? dimension.choices : steps;
  const counts = new Array<number>(size).fill(0);
  for (const t of trials) {
    const u = Math.min(Math.max(t.unit[d]!, 0), 1);
    const index = dimension.kind === 'categorical' ? Math.min(size - 1, Math.floor(u * size)) : Math.round(u * (steps - 1));
    counts[index]!++;
  }
  return counts;
}

/** A categorical parameter's probabilities: each observed choice weighted by its count, smoothed by the prior. */
function categoricalDensity(counts: readonly number[], priorWeight: number): number[] {
  const choices = counts.length;
  const occupied = counts.map((c, i) => ({ c, i })).filter((x) => x.c > 0);
  const kernels = occupied.length + 1;
  const total = occupied.reduce((sum, x) => sum + x.c, 0) + priorWeight;
  const density = new Array<number>(choices).fill(0);
  // Optuna's categorical kernels: each row the prior's share on every choice plus 1 on its own, normalised.
  const base = priorWeight / kernels;
  for (const { c, i } of occupied) for (let j = 0; j < choices; j++) density[j]! += (c / total) * ((base + (i === j ? 1 : 0)) / (base * choices + 1));
  for (let j = 0; j < choices; j++) density[j]! += (priorWeight / total) * (1 / choices);
  return density;
}

/**
 * PED-ANOVA importances of the parameters over finished trials, summing to 1 (each 1/d when no
 * parameter makes a difference or there are too few trials to tell).
 *
 * @example
 * pedAnovaImportances(dimensions, trials) // { learningRate: 0.71, batchSize: 0.04, … }
 */
export function pedAnovaImportances(dimensions: readonly ImportanceDimension[], trials: readonly ImportanceTrial[], options: PedAnovaOptions = {}): Record<string, number> {
  const { quantile = 0.1, minTopTrials = 2, steps = 50, priorWeight = 1 } = options;
  const even = Object.fromEntries(dimensions.map((d) => [d.name, 1 / dimensions.length]));
  if (trials.length <= minTopTrials) return even;
  const top = topTrials(trials, quantile, minTopTrials);
  const fraction = top.length / trials.length;
  const raw = dimensions.map((dimension, d) => {
    const density = (set: readonly ImportanceTrial[]) =>
      dimension.kind === 'categorical' ? categoricalDensity(gridCounts(set, d, dimension, steps), priorWeight) : scottGridDensity(gridCounts(set, d, dimension, steps), priorWeight);
    return fraction * pearsonDivergence(density(top), density(trials));
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return even;
  return Object.fromEntries(dimensions.map((d, i) => [d.name, raw[i]! / total]));
}
