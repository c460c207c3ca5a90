import type { FloatArray } from './matrix.js';
import type { Random } from './random.js';

/** How a dense layer's initial weights are drawn. */
export type InitName = 'he' | 'xavier';

/**
 * Fills `weights`, a (units × fanIn) matrix, with zero-mean normal draws of variance 2/fanIn (He,
 * for ReLU) or 1/fanIn (Xavier, for tanh and sigmoid). The draws go input by input, as they did
 * when weights were stored (inputs × units), so a seed gives the same network as before.
 *
 * @example
 * import { createRandom } from './random.js';
 * const w = new Float32Array(32 * 64);
 * initWeights(w, 64, 'he', createRandom(0), 32);
 */
export function initWeights(weights: FloatArray, fanIn: number, init: InitName, rng: Random, units = weights.length / fanIn): void {
  const scale = Math.sqrt((init === 'he' ? 2 : 1) / fanIn);
  for (let i = 0; i < fanIn; i++) for (let j = 0; j < units; j++) weights[j * fanIn + i] = rng.normal() * scale;
}
