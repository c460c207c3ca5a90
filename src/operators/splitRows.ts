import { filter, map, type OperatorFunction } from 'rxjs';
import type { ExampleBlock } from '../streams/records/examples.js';

/** Options of `splitRows`. */
export interface SplitRowsOptions {
  /** Fraction of rows that go to the validation part, in (0, 1). */
  readonly fraction: number;
  /** Seeds which rows those are. */
  readonly seed: number;
  /** Which part to keep. */
  readonly part: 'train' | 'validation';
}

/** A well-mixed 32-bit hash of (seed, row): the same row always lands in the same part. */
function rowHash(seed: number, row: number): number {
  let h = Math.imul(row ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Carves a seeded validation split out of a stream of blocks, row by row, without holding the
 * dataset: a row goes to the validation part when a hash of (seed, row index) falls below
 * `fraction`. Subscribing twice with the two parts gives complementary, stable halves.
 *
 * @example
 * const train$ = readArrow(file).pipe(splitRows({ fraction: 0.2, seed: 1, part: 'train' }));
 * const validation$ = readArrow(file).pipe(splitRows({ fraction: 0.2, seed: 1, part: 'validation' }));
 */
export function splitRows(options: SplitRowsOptions): OperatorFunction<ExampleBlock, ExampleBlock> {
  const { fraction, seed, part } = options;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`splitRows: fraction must be in (0, 1), got ${fraction}`);
  const wanted = part === 'validation';
  return (source) =>
    source.pipe(
      map((block): ExampleBlock => {
        const keep: number[] = [];
        for (let i = 0; i < block.rows; i++) if (rowHash(seed, block.firstRow + i) < fraction === wanted) keep.push(i);
        const features =
          block.features instanceof Uint8Array ? new Uint8Array(keep.length * block.cols) : new Float32Array(keep.length * block.cols);
        const labels = new Int32Array(keep.length);
        keep.forEach((row, k) => {
          features.set(block.features.subarray(row * block.cols, (row + 1) * block.cols), k * block.cols);
          labels[k] = block.labels[row]!;
        });
        const kept = block.kept ? { kept: block.kept.map((column) => keep.map((row) => column[row]!)) } : {};
        return { features, labels, rows: keep.length, cols: block.cols, firstRow: block.firstRow, ...kept };
      }),
      filter((block) => block.rows > 0),
    );
}
