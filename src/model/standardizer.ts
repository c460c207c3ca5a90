import type { FloatArray } from './matrix.js';

/**
 * Per-feature mean and standard deviation fitted on training data; `apply` maps x to (x − mean)/std.
 * A feature with zero variance (a pixel that is always 0) gets std 1, so it maps to 0 rather than NaN.
 * Stored with a saved model so inference normalizes exactly as training did.
 *
 * @example
 * const acc = new StandardizerAccumulator(64);
 * acc.add(block.features, block.rows);
 * const standardizer = acc.finish();
 */
export class Standardizer {
  constructor(
    readonly mean: Float64Array,
    readonly std: Float64Array,
  ) {
    if (mean.length !== std.length) throw new RangeError(`Standardizer: ${mean.length} means but ${std.length} deviations`);
  }

  get size(): number {
    return this.mean.length;
  }

  /** Writes the standardized `rows × size` block `x` into `out` (they may be the same buffer). */
  apply(x: ArrayLike<number>, rows: number, out: FloatArray): void {
    const cols = this.size;
    const { mean, std } = this;
    for (let i = 0; i < rows; i++) {
      const row = i * cols;
      for (let j = 0; j < cols; j++) out[row + j] = (x[row + j]! - mean[j]!) / std[j]!;
    }
  }

  toJSON(): { mean: number[]; std: number[] } {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }

  static fromJSON(json: { mean: readonly number[]; std: readonly number[] }): Standardizer {
    return new Standardizer(Float64Array.from(json.mean), Float64Array.from(json.std));
  }
}

/**
 * Streams per-feature means and variances over any number of row blocks in one pass (Chan et al.'s
 * pairwise merge of Welford accumulators, in float64), so fitting never holds the dataset.
 *
 * @example
 * const acc = new StandardizerAccumulator(2);
 * acc.add(Float32Array.of(1, 2, 3, 4), 2);
 * acc.finish().mean; // [2, 3]
 */
export class StandardizerAccumulator {
  private count = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private readonly blockMean: Float64Array;
  private readonly blockM2: Float64Array;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
    this.blockMean = new Float64Array(size);
    this.blockM2 = new Float64Array(size);
  }

  /** Adds a block of `rows` rows of `size` features, row-major. */
  add(x: ArrayLike<number>, rows: number): void {
    if (rows === 0) return;
    const cols = this.size;
    const { blockMean, blockM2 } = this;
    columnSums(x, rows, cols, blockMean, undefined);
    for (let j = 0; j < cols; j++) blockMean[j]! /= rows;
    columnSums(x, rows, cols, blockM2, blockMean);
    const total = this.count + rows;
    for (let j = 0; j < cols; j++) {
      const delta = blockMean[j]! - this.mean[j]!;
      this.mean[j]! += (delta * rows) / total;
      this.m2[j]! += blockM2[j]! + (delta * delta * this.count * rows) / total;
    }
    this.count = total;
  }

  get rows(): number {
    return this.count;
  }

  /** Σ(x − mean)² of each feature over the rows so far: n times its population variance. */
  sumsOfSquares(): Float64Array {
    return this.m2.slice();
  }

  /** The fitted standardizer (population standard deviation; zero-variance features get 1). */
  finish(): Standardizer {
    const std = new Float64Array(this.size);
    for (let j = 0; j < this.size; j++) {
      const s = this.count > 0 ? Math.sqrt(this.m2[j]! / this.count) : 0;
      std[j] = s > 1e-12 ? s : 1;
    }
    return new Standardizer(this.mean.slice(), std);
  }
}

/** Columns summed at a time by `columnSums`, each in its own local. */
const TILE = 8;

/**
 * out[j] = Σᵢ x[i·cols + j] over the rows in order, or Σᵢ (x[i·cols + j] − mean[j])² given `mean`:
 * eight columns at a time in locals, down all the rows, rather than row by row into `out` (the same
 * sums, in the same order, several times faster).
 */
function columnSums(x: ArrayLike<number>, rows: number, cols: number, out: Float64Array, mean: Float64Array | undefined): void {
  let j = 0;
  for (; j + TILE <= cols; j += TILE) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      s5 = 0,
      s6 = 0,
      s7 = 0;
    if (mean) {
      const m0 = mean[j]!,
        m1 = mean[j + 1]!,
        m2 = mean[j + 2]!,
        m3 = mean[j + 3]!;
      const m4 = mean[j + 4]!,
        m5 = mean[j + 5]!,
        m6 = mean[j + 6]!,
        m7 = mean[j + 7]!;
      for (let k = j, end = rows * cols; k < end; k += cols) {
        const d0 = x[k]! - m0,
          d1 = x[k + 1]! - m1,
          d2 = x[k + 2]! - m2,
          d3 = x[k + 3]! - m3;
        const d4 = x[k + 4]! - m4,
          d5 = x[k + 5]! - m5,
          d6 = x[k + 6]! - m6,
          d7 = x[k + 7]! - m7;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
        s4 += d4 * d4;
        s5 += d5 * d5;
        s6 += d6 * d6;
        s7 += d7 * d7;
      }
    } else {
      for (let k = j, end = rows * cols; k < end; k += cols) {
        s0 += x[k]!;
        s1 += x[k + 1]!;
        s2 += x[k + 2]!;
        s3 += x[k + 3]!;
        s4 += x[k + 4]!;
        s5 += x[k + 5]!;
        s6 += x[k + 6]!;
        s7 += x[k + 7]!;
      }
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
    out[j + 4] = s4;
    out[j + 5] = s5;
    out[j + 6] = s6;
    out[j + 7] = s7;
  }
  for (; j < cols; j++) {
    let sum = 0;
    const m = mean ? mean[j]! : 0;
    for (let k = j, end = rows * cols; k < end; k += cols) {
      const d = x[k]! - m;
      sum += mean ? d * d : x[k]!;
    }
    out[j] = sum;
  }
}

/**
 * A standardizer that leaves the inputs from `column` on as they are (mean 0, standard deviation
 * 1): one-hot inputs, which then read as 1 whatever their level's share of the rows.
 *
 * @example
 * const standardizer = unscaledFrom(summary.standardizer, 13); // inputs 13 and up are one-hot
 */
export function unscaledFrom(standardizer: Standardizer, column: number): Standardizer {
  if (column >= standardizer.mean.length) return standardizer;
  const mean = Float64Array.from(standardizer.mean, (m, j) => (j < column ? m : 0));
  const std = Float64Array.from(standardizer.std, (s, j) => (j < column ? s : 1));
  return new Standardizer(mean, std);
}
