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
    blockMean.fill(0);
    blockM2.fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) blockMean[j]! += x[i * cols + j]!;
    for (let j = 0; j < cols; j++) blockMean[j]! /= rows;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const d = x[i * cols + j]! - blockMean[j]!;
        blockM2[j]! += d * d;
      }
    }
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
