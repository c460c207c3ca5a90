import { createRandom } from '../model/random.js';

/** How a round chooses points in the unit hypercube (one coordinate per hyperparameter). */
export type SamplerName = 'random' | 'grid' | 'quasi';

/** A box in unit coordinates: the whole space is [0, 1) in every dimension; coarse-to-fine shrinks it. */
export interface UnitBox {
  readonly low: readonly number[];
  readonly high: readonly number[];
}

/**
 * The whole unit hypercube.
 *
 * @example
 * fullBox(3) // { low: [0, 0, 0], high: [1, 1, 1] }
 */
export function fullBox(dims: number): UnitBox {
  return { low: new Array<number>(dims).fill(0), high: new Array<number>(dims).fill(1) };
}

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71];

function radicalInverse(index: number, base: number): number {
  let result = 0;
  let fraction = 1 / base;
  let i = index;
  while (i > 0) {
    result += (i % base) * fraction;
    i = Math.floor(i / base);
    fraction /= base;
  }
  return result;
}

/**
 * `count` points in the unit hypercube, from index `offset` of the sampler's sequence, mapped into `box`:
 * - `random`: independent uniform draws (seeded). The default: when only a few hyperparameters
 *   matter, n random trials try n distinct values of each, where a grid tries only n^(1/d).
 * - `grid`: the centres of a grid of ⌈count^(1/d)⌉ levels per dimension, in a seeded order.
 * - `quasi`: a Halton low-discrepancy sequence with a seeded random shift: spread more evenly
 *   than random, still distinct in every coordinate.
 *
 * @example
 * samplePoints('quasi', 10, 2, { seed: 1 })
 */
export function samplePoints(
  sampler: SamplerName,
  count: number,
  dims: number,
  options: { seed: number | string; offset?: number; box?: UnitBox },
): number[][] {
  const { seed, offset = 0 } = options;
  const box = options.box ?? fullBox(dims);
  let unit: number[][];
  switch (sampler) {
    case 'random': {
      // Draw from the start of the seeded stream so that index i is the same point whatever the count.
      const rng = createRandom(`random:${seed}`);
      const all = Array.from({ length: offset + count }, () => Array.from({ length: dims }, () => rng.next()));
      unit = all.slice(offset);
      break;
    }
    case 'quasi': {
      if (dims > PRIMES.length) throw new RangeError(`quasi sampler: at most ${PRIMES.length} dimensions, got ${dims}`);
      const rng = createRandom(`quasi:${seed}`);
      const shift = Array.from({ length: dims }, () => rng.next());
      unit = Array.from({ length: count }, (_, i) =>
        Array.from({ length: dims }, (_, d) => (radicalInverse(offset + i + 1, PRIMES[d]!) + shift[d]!) % 1),
      );
      break;
    }
    case 'grid': {
      const levels = Math.max(1, Math.ceil((offset + count) ** (1 / Math.max(dims, 1)) - 1e-9));
      const total = levels ** dims;
      const order = Array.from({ length: total }, (_, i) => i);
      const rng = createRandom(`grid:${seed}`);
      for (let i = total - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      unit = order.slice(offset, offset + count).map((cell) => {
        const point: number[] = [];
        let rest = cell;
        for (let d = 0; d < dims; d++) {
          point.push(((rest % levels) + 0.5) / levels);
          rest = Math.floor(rest / levels);
        }
        return point;
      });
      break;
    }
    default:
      throw new RangeError(`unknown sampler '${String(sampler)}'; expected random, grid or quasi`);
  }
  return unit.map((point) => point.map((u, d) => box.low[d]! + u * (box.high[d]! - box.low[d]!)));
}

/**
 * Coarse-to-fine: the box, in unit coordinates, around the best trials (the top `keep` fraction by
 * score, at least two), widened by `margin` of the full range on each side and clipped to [0, 1].
 * Sampling the next round inside it zooms in on each parameter in its own scale (log for a
 * log-uniform learning rate).
 *
 * @example
 * const finished = [{ unit: [0.2, 0.5], accuracy: 0.91 }, { unit: [0.7, 0.1], accuracy: 0.88 }];
 * const box = zoomBox(finished.map((t) => ({ unit: t.unit, score: t.accuracy })), { keep: 0.25 });
 */
export function zoomBox(
  trials: readonly { unit: readonly number[]; score: number }[],
  options: { keep?: number; margin?: number } = {},
): UnitBox {
  const { keep = 0.25, margin = 0.05 } = options;
  const ranked = trials.filter((t) => Number.isFinite(t.score)).sort((a, b) => b.score - a.score);
  if (ranked.length === 0) throw new RangeError('zoomBox: no finished trial with a score');
  const best = ranked.slice(0, Math.max(2, Math.ceil(ranked.length * keep)));
  const dims = best[0]!.unit.length;
  const low: number[] = [];
  const high: number[] = [];
  for (let d = 0; d < dims; d++) {
    const values = best.map((t) => t.unit[d]!);
    low.push(Math.max(0, Math.min(...values) - margin));
    high.push(Math.min(1, Math.max(...values) + margin));
  }
  return { low, high };
}
