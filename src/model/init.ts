import type { FloatArray } from './matrix.js';
import type { Random } from './random.js';

/** How a dense layer's initial weights are drawn. */
export type InitName = 'he' | 'xavier';

/**
 * Fills `weights` with zero-mean normal draws of variance 2/fanIn (He, for ReLU) or 1/fanIn
 * (Xavier, for tanh and sigmoid).
 *
 * @example
 * initWeights(w, 64, 'he', createRandom(0));
 */
export function initWeights(weights: FloatArray, fanIn: number, init: InitName, rng: Random): void {
  const scale = Math.sqrt((init === 'he' ? 2 : 1) / fanIn);
  for (let i = 0; i < weights.length; i++) weights[i] = rng.normal() * scale;
}
