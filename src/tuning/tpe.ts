import { erfc } from '../model/normal.js';
import type { Random } from '../model/random.js';
import type { Distribution } from './distributions.js';
import type { UnitBox } from './samplers.js';

/** Settings of the TPE sampler; the defaults are Optuna's univariate ones. */
export interface TpeOptions {
  /** Trials sampled at random before TPE takes over (finished trials, completed or pruned). Default 10. */
  readonly startupTrials?: number;
  /** Candidates drawn from l(x) for each parameter; the one with the highest l(x)/g(x) wins. Default 24. */
  readonly candidates?: number;
  /** How many of n trials are "good". Default γ(n) = min(⌈0.1·n⌉, 25). */
  readonly gamma?: (n: number) => number;
  /** Weight of the prior kernel (centred on the range, as wide as it) in each estimator. Default 1. */
  readonly priorWeight?: number;
}

/** TPE as a study's sampler: what `tpe()` returns and `study.json` records. */
export interface TpeSettings {
  readonly type: 'tpe';
  readonly startupTrials: number;
  readonly candidates: number;
  readonly priorWeight: number;
}

/**
 * The TPE sampler for a study's `sampler` setting (`--sampler tpe`), with Optuna's univariate
 * defaults: 10 random start-up trials, 24 candidates, a prior of weight 1, γ(n) = min(⌈0.1·n⌉, 25).
 *
 * @example
 * runStudy({ dir: 'studies/a', space, trials: 40, settings: { ...settings, sampler: tpe({ startupTrials: 5 }) } });
 */
export function tpe(
  options: { readonly startupTrials?: number; readonly candidates?: number; readonly priorWeight?: number } = {},
): TpeSettings {
  const { startupTrials = 10, candidates = 24, priorWeight = 1 } = options;
  if (!Number.isInteger(startupTrials) || startupTrials < 1)
    throw new RangeError(`tpe: startupTrials must be a positive integer, got ${startupTrials}`);
  if (!Number.isInteger(candidates) || candidates < 1)
    throw new RangeError(`tpe: candidates must be a positive integer, got ${candidates}`);
  if (!(priorWeight > 0) || !Number.isFinite(priorWeight))
    throw new RangeError(`tpe: priorWeight must be a positive number, got ${priorWeight}`);
  return { type: 'tpe', startupTrials, candidates, priorWeight };
}

/** A study's TPE settings, or undefined for the other samplers. @internal */
export function tpeSettingsOf(sampler: string | TpeSettings): TpeSettings | undefined {
  if (sampler === 'tpe') return tpe();
  if (typeof sampler === 'object' && sampler !== null && sampler.type === 'tpe') return tpe(sampler);
  return undefined;
}

/** One trial as TPE sees it: where it was (unit coordinates) and how it did. */
export interface TpeObservation {
  /** The trial's unit coordinates, one per parameter (in the space's sorted order). */
  readonly unit: readonly number[];
  /**
   * `completed`: trained to the end; `pruned`: stopped early, ranked by how far it got and then by
   * its score there (as Optuna ranks pruned trials by their last intermediate value); `running`:
   * not finished, always counted as a bad guess ("constant liar"), so that a parallel suggestion
   * stays away from where others are being tried.
   */
  readonly state: 'completed' | 'pruned' | 'running';
  /** Higher is better; the score at the trial's last epoch. Unused for a running trial. */
  readonly score: number;
  /** Epochs reached: pruned trials that got further rank first. */
  readonly epochs: number;
}

/** A one-dimensional Parzen estimator on [low, high]: a weighted mixture of truncated normals. */
export interface ParzenEstimator {
  readonly low: number;
  readonly high: number;
  readonly mus: readonly number[];
  readonly sigmas: readonly number[];
  /** Mixture weights, summing to 1. */
  readonly weights: readonly number[];
}

/** A categorical estimator: one probability per choice. */
export interface CategoricalEstimator {
  readonly probabilities: readonly number[];
}

/**
 * Optuna's default γ: the number of good trials out of n, min(⌈0.1·n⌉, 25).
 *
 * @example
 * defaultGamma(40) // 4
 */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Optuna's default weights of n observations, oldest first: all 1 up to 25, then the oldest
 * n − 25 ramp up linearly from 1/n to 1 while the newest 25 keep weight 1.
 *
 * @example
 * defaultWeights(3) // [1, 1, 1]
 */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const weights = Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (ramp - 1)));
  return [...weights, ...new Array<number>(25).fill(1)];
}

/**
 * Splits trials into the good ("below", the γ(n) best) and the rest, as Optuna's TPE does:
 * completed trials by score first, then pruned ones by epochs reached and score there; running
 * trials are always in the rest. Both groups come back in trial order (the order given).
 *
 * @example
 * const { good, bad } = splitTrials(observations, defaultGamma(observations.length));
 */
export function splitTrials(trials: readonly TpeObservation[], goodCount: number): { good: TpeObservation[]; bad: TpeObservation[] } {
  const indexed = trials.map((trial, index) => ({ trial, index }));
  const completed = indexed.filter((t) => t.trial.state === 'completed').sort((a, b) => b.trial.score - a.trial.score || a.index - b.index);
  const pruned = indexed
    .filter((t) => t.trial.state === 'pruned')
    .sort((a, b) => b.trial.epochs - a.trial.epochs || b.trial.score - a.trial.score || a.index - b.index);
  const ranked = [...completed, ...pruned];
  const good = new Set(ranked.slice(0, goodCount).map((t) => t.index));
  return {
    good: indexed.filter((t) => good.has(t.index)).map((t) => t.trial),
    bad: indexed.filter((t) => !good.has(t.index)).map((t) => t.trial),
  };
}

/**
 * Optuna's univariate Parzen estimator of observations on [low, high]: a kernel at each
 * observation whose width is the larger gap to its neighbours (the prior's centre among them; at
 * either end, the gap to the inner neighbour), clipped to [(high − low)/min(100, n + 2), high − low],
 * plus the prior kernel N((low + high)/2, high − low); weights by `defaultWeights` and `priorWeight`.
 *
 * @example
 * parzenEstimator([0.2, 0.3], 0, 1) // kernels at 0.2, 0.3 and the prior at 0.5
 */
export function parzenEstimator(observations: readonly number[], low: number, high: number, priorWeight = 1): ParzenEstimator {
  const range = high - low;
  const priorMu = 0.5 * (low + high);
  const withPrior = [...observations, priorMu];
  const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a]! - withPrior[b]! || a - b);
  const sorted = order.map((i) => withPrior[i]!);
  const padded = [low, ...sorted, high];
  const sortedSigmas = sorted.map((mu, k) => Math.max(mu - padded[k]!, padded[k + 2]! - mu));
  if (padded.length >= 4) {
    sortedSigmas[0] = padded[2]! - padded[1]!;
    sortedSigmas[sortedSigmas.length - 1] = padded[padded.length - 2]! - padded[padded.length - 3]!;
  }
  const sigmaOf = new Array<number>(withPrior.length);
  order.forEach((original, k) => (sigmaOf[original] = sortedSigmas[k]!));
  const minSigma = range / Math.min(100, observations.length + 2);
  const sigmas = observations.map((_, i) => Math.min(Math.max(sigmaOf[i]!, minSigma), range));
  const raw = [...defaultWeights(observations.length), priorWeight];
  const total = raw.reduce((a, b) => a + b, 0);
  return { low, high, mus: withPrior, sigmas: [...sigmas, range], weights: raw.map((w) => w / total) };
}

/**
 * Optuna's categorical estimator: each observation puts weight 1 on its choice on top of a prior
 * spread evenly, each kernel normalised, mixed by `defaultWeights` and `priorWeight`.
 *
 * @example
 * categoricalEstimator([0, 0, 1], 3).probabilities
 */
export function categoricalEstimator(observations: readonly number[], choices: number, priorWeight = 1): CategoricalEstimator {
  if (observations.length === 0) return { probabilities: new Array<number>(choices).fill(1 / choices) };
  const kernels = observations.length + 1;
  const base = priorWeight / kernels;
  const raw = [...defaultWeights(observations.length), priorWeight];
  const total = raw.reduce((a, b) => a + b, 0);
  const probabilities = new Array<number>(choices).fill(0);
  for (let k = 0; k < kernels; k++) {
    const rowTotal = base * choices + (k < observations.length ? 1 : 0);
    for (let c = 0; c < choices; c++) {
      const cell = base + (k < observations.length && observations[k] === c ? 1 : 0);
      probabilities[c]! += (raw[k]! / total) * (cell / rowTotal);
    }
  }
  return { probabilities };
}

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Probability mass of N(mu, sigma) inside [low, high], computed on the side that keeps its precision. */
function massInside(mu: number, sigma: number, low: number, high: number): number {
  const a = (low - mu) / (sigma * SQRT2);
  const b = (high - mu) / (sigma * SQRT2);
  // Φ(b) − Φ(a) = (erfc(a) − erfc(b))/2, or on the far side (erfc(−b) − erfc(−a))/2.
  return a > 0 ? 0.5 * (erfc(a) - erfc(b)) : 0.5 * (erfc(-b) - erfc(-a));
}

/**
 * The log density of a Parzen estimator at x (its kernels truncated to [low, high]).
 *
 * @example
 * logDensity(parzenEstimator([0.2], 0, 1), 0.2)
 */
export function logDensity(estimator: ParzenEstimator, x: number): number {
  const { mus, sigmas, weights, low, high } = estimator;
  const terms = mus.map((mu, k) => {
    const s = sigmas[k]!;
    const z = (x - mu) / s;
    return Math.log(weights[k]!) - 0.5 * z * z - LOG_SQRT_2PI - Math.log(s) - Math.log(massInside(mu, s, low, high));
  });
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
}

/** A draw from the estimator: a kernel by weight, then its normal truncated to [low, high]. */
function sampleFrom(estimator: ParzenEstimator, rng: Random): number {
  const { mus, sigmas, weights, low, high } = estimator;
  let pick = rng.next();
  let k = 0;
  while (k < weights.length - 1 && pick >= weights[k]!) pick -= weights[k++]!;
  // Rejection: each kernel keeps at least a sixth of its mass inside (its centre is inside and its
  // width at most the range), so this ends quickly.
  for (let attempt = 0; attempt < 1000; attempt++) {
    const x = mus[k]! + sigmas[k]! * rng.normal();
    if (x >= low && x <= high) return x;
  }
  return Math.min(Math.max(mus[k]!, low), high);
}

/** What TPE needs to know of a parameter: a number on its own scale (unit coordinates), or one of n choices. */
export type TpeDimension = { readonly kind: 'numeric' } | { readonly kind: 'categorical'; readonly choices: number };

/**
 * The TPE dimensions of a space's distributions: `choice` is categorical; every other distribution
 * is a number on its own scale, which is its unit coordinate (log for `logUniform` and
 * `intLogUniform`, log of 1 − β for `oneMinusLogUniform`).
 *
 * @example
 * tpeDimensions([logUniform(1e-4, 1), choice([32, 64])]) // [{ kind: 'numeric' }, { kind: 'categorical', choices: 2 }]
 */
export function tpeDimensions(distributions: readonly Distribution[]): TpeDimension[] {
  return distributions.map((d) => (d.type === 'choice' ? { kind: 'categorical', choices: d.values.length } : { kind: 'numeric' }));
}

/**
 * The next point TPE suggests (Bergstra et al., 2011, as Optuna's univariate TPE does it), in unit
 * coordinates inside `box`; `undefined` while fewer than `startupTrials` trials have finished
 * (sample at random then). For each parameter independently: split the trials into γ(n) good and
 * the rest, fit l(x) to the good and g(x) to the rest, draw `candidates` points from l(x) and keep
 * the one with the highest l(x)/g(x).
 *
 * @example
 * import { createRandom } from '../model/random.js';
 * const dimensions = tpeDimensions([logUniform(1e-4, 1e-1), choice([32, 64, 128])]);
 * const unit = suggestTpe(dimensions, [], fullBox(2), createRandom('t7'));
 */
export function suggestTpe(
  dimensions: readonly TpeDimension[],
  history: readonly TpeObservation[],
  box: UnitBox,
  rng: Random,
  options: TpeOptions = {},
): number[] | undefined {
  const { startupTrials = 10, candidates = 24, gamma = defaultGamma, priorWeight = 1 } = options;
  const finished = history.filter((t) => t.state !== 'running').length;
  if (finished < startupTrials || finished === 0) return undefined;
  // γ counts finished trials only, as Optuna's does; running ones join the bad group.
  const { good, bad } = splitTrials(history, gamma(finished));
  return dimensions.map((dimension, d) => {
    const low = box.low[d]!;
    const high = box.high[d]!;
    if (dimension.kind === 'categorical') {
      const { choices } = dimension;
      const indexOf = (t: TpeObservation) => Math.min(choices - 1, Math.max(0, Math.floor(t.unit[d]! * choices)));
      // The box limits a categorical parameter to the choices whose cells it overlaps.
      const first = Math.min(choices - 1, Math.floor(low * choices));
      const last = Math.max(first, Math.min(choices - 1, Math.ceil(high * choices) - 1));
      const l = categoricalEstimator(good.map(indexOf), choices, priorWeight).probabilities;
      const g = categoricalEstimator(bad.map(indexOf), choices, priorWeight).probabilities;
      const allowed = l.slice(first, last + 1);
      const total = allowed.reduce((a, b) => a + b, 0);
      let best = first;
      let bestScore = -Infinity;
      for (let c = 0; c < candidates; c++) {
        let pick = rng.next() * total;
        let index = first;
        while (index < last && pick >= l[index]!) pick -= l[index++]!;
        const score = Math.log(l[index]!) - Math.log(g[index]!);
        if (score > bestScore) [best, bestScore] = [index, score];
      }
      return (best + 0.5) / choices;
    }
    const inside = (u: number) => Math.min(Math.max(u, low), high);
    const l = parzenEstimator(
      good.map((t) => inside(t.unit[d]!)),
      low,
      high,
      priorWeight,
    );
    const g = parzenEstimator(
      bad.map((t) => inside(t.unit[d]!)),
      low,
      high,
      priorWeight,
    );
    let best = sampleFrom(l, rng);
    let bestScore = logDensity(l, best) - logDensity(g, best);
    for (let c = 1; c < candidates; c++) {
      const x = sampleFrom(l, rng);
      const score = logDensity(l, x) - logDensity(g, x);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    return best;
  });
}
