import { normalCdf } from '../model/normal.js';
import type { Distribution, ParamValue } from '../tuning/distributions.js';

/**
 * Hyperparameter importances by PED-ANOVA (Watanabe et al., 2023), as Optuna 5.0's
 * `PedAnovaImportanceEvaluator` computes them (the default of `get_param_importances`): for each
 * parameter, on a grid of its values (50 steps on its own scale; an integer's own values, up to
 * 50; a log-scale integer's powers of two), a 1-D Parzen estimator (Scott's bandwidth) of the top
 * 10% of trials and one of all trials; the importance is the Pearson divergence of the top
 * density from the all-trials one, Σ p_all·(p_top/p_all − 1)²; the importances are then scaled
 * to sum to 1.
 */

/**
 * A parameter as the importance sees it: a position on a grid of `cells` points (50 by default)
 * on its own scale, or one of n choices.
 */
export type ImportanceDimension =
  | { readonly name: string; readonly kind: 'numeric'; readonly cells?: number }
  | { readonly name: string; readonly kind: 'categorical'; readonly choices: number };

/**
 * One finished trial: its coordinates (in the dimensions' order; see `importanceCoordinate`) and
 * its score (higher is better).
 */
export interface ImportanceTrial {
  readonly unit: readonly number[];
  readonly score: number;
}

/** Options of `pedAnovaImportances`; the defaults are Optuna's. */
export interface PedAnovaOptions {
  /** The top fraction of trials compared with all of them. Default 0.1. */
  readonly quantile?: number;
  /** Grid steps of a numeric parameter without its own `cells`. Default 50. */
  readonly steps?: number;
  /** Weight of the prior kernel. Default 1. */
  readonly priorWeight?: number;
}

/** The grid steps of a continuous parameter, as Optuna's. */
const STEPS = 50;

/**
 * How the importance sees a parameter of a search space: on the grid Optuna 5.0 puts it on, so
 * that trials with the same value share a cell (an integer's values are cells, not the spread of
 * coordinates that sampled them).
 *
 * @example
 * importanceDimension('layers', intUniform(1, 3)) // { name: 'layers', kind: 'numeric', cells: 3 }
 */
export function importanceDimension(name: string, d: Distribution): ImportanceDimension {
  switch (d.type) {
    case 'choice':
      return { name, kind: 'categorical', choices: d.values.length };
    case 'intUniform':
      return { name, kind: 'numeric', cells: Math.min(d.high - d.low + 1, STEPS) };
    case 'intLogUniform':
      return { name, kind: 'numeric', cells: Math.min(Math.ceil(Math.log2(d.high - d.low + 1)) + 1, STEPS) };
    default:
      return { name, kind: 'numeric', cells: STEPS };
  }
}

/**
 * A value's coordinate for the importance: its position in [0, 1] on the parameter's own scale
 * (log for log-scale parameters, log(1 − β) for `oneMinusLogUniform`), or for a choice the middle
 * of its cell.
 *
 * @example
 * importanceCoordinate(intUniform(1, 3), 2) // 0.5
 */
export function importanceCoordinate(d: Distribution, value: ParamValue): number {
  const v = value as number;
  const between = (x: number, low: number, high: number) => (high > low ? (x - low) / (high - low) : 0);
  switch (d.type) {
    case 'uniform':
    case 'intUniform':
      return between(v, d.low, d.high);
    case 'logUniform':
    case 'intLogUniform':
      return between(Math.log(v), Math.log(d.low), Math.log(d.high));
    case 'oneMinusLogUniform':
      return between(Math.log(1 - v), Math.log(1 - d.low), Math.log(1 - d.high));
    case 'choice':
      return (d.values.indexOf(value) + 0.5) / d.values.length;
  }
}

const cdf = normalCdf;

/**
 * The top trials: those whose score is at least the top-`quantile` one (Optuna 5.0's cutoff, the
 * ⌈quantile·n⌉-th best), ties included.
 *
 * @example
 * topTrials(trials, 0.1).length
 */
export function topTrials<T extends { readonly score: number }>(trials: readonly T[], quantile = 0.1): T[] {
  const scores = trials.map((t) => t.score).sort((a, b) => b - a);
  const cutoff = scores[Math.max(0, Math.ceil(quantile * scores.length) - 1)]!;
  return trials.filter((t) => t.score >= cutoff);
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
  let running = 0;
  for (const x of occupied) cumulative.push((running += x.c));
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

/** Grid points (or choices) of one parameter. */
function gridSize(dimension: ImportanceDimension, steps: number): number {
  return dimension.kind === 'categorical' ? dimension.choices : (dimension.cells ?? steps);
}

/** Observations per grid point of one parameter: the nearest point, a tie going to the lower one (as Optuna). */
function gridCounts(trials: readonly ImportanceTrial[], d: number, dimension: ImportanceDimension, steps: number): number[] {
  const size = gridSize(dimension, steps);
  const counts = new Array<number>(size).fill(0);
  for (const t of trials) {
    const u = Math.min(Math.max(t.unit[d]!, 0), 1);
    const index = dimension.kind === 'categorical' ? Math.floor(u * size) : Math.ceil(u * (size - 1) - 0.5);
    counts[Math.min(size - 1, Math.max(0, index))]!++;
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
  for (const { c, i } of occupied)
    for (let j = 0; j < choices; j++) density[j]! += (c / total) * ((base + (i === j ? 1 : 0)) / (base * choices + 1));
  for (let j = 0; j < choices; j++) density[j]! += (priorWeight / total) * (1 / choices);
  return density;
}

/**
 * PED-ANOVA importances of the parameters over finished trials, summing to 1 (each 1/d when no
 * parameter makes a difference or there are too few trials to tell). A parameter of one value
 * has none.
 *
 * @example
 * pedAnovaImportances(dimensions, trials) // { learningRate: 0.71, batchSize: 0.04, … }
 */
export function pedAnovaImportances(
  dimensions: readonly ImportanceDimension[],
  trials: readonly ImportanceTrial[],
  options: PedAnovaOptions = {},
): Record<string, number> {
  const { quantile = 0.1, steps = STEPS, priorWeight = 1 } = options;
  const even = Object.fromEntries(dimensions.map((d) => [d.name, 1 / dimensions.length]));
  if (trials.length <= 1) return even;
  const top = topTrials(trials, quantile);
  const raw = dimensions.map((dimension, d) => {
    if (gridSize(dimension, steps) <= 1) return 0;
    const density = (set: readonly ImportanceTrial[]) =>
      dimension.kind === 'categorical'
        ? categoricalDensity(gridCounts(set, d, dimension, steps), priorWeight)
        : scottGridDensity(gridCounts(set, d, dimension, steps), priorWeight);
    return pearsonDivergence(density(top), density(trials));
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return even;
  return Object.fromEntries(dimensions.map((d, i) => [d.name, raw[i]! / total]));
}
