import { Observable, type OperatorFunction } from 'rxjs';
import { DataError } from '../errors.js';
import type { FloatArray } from '../model/matrix.js';
import { createRandom } from '../model/random.js';
import { type Example, type ExampleBlock, type FeatureArray, isExampleBlock } from '../streams/examples.js';

/** A mini-batch's inputs: a matrix of floats, or of bytes as the source delivered them. */
export interface BatchMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: FloatArray | Uint8Array;
}

/**
 * A mini-batch: `size` examples as a size × features matrix and their labels.
 *
 * @example
 * miniBatch.x.rows === miniBatch.size; // always
 */
export interface MiniBatch {
  /** size × features; bytes when the source kept them (`forward` and `normalize` convert). */
  readonly x: BatchMatrix;
  readonly labels: Int32Array;
  readonly size: number;
  /** The epoch this batch belongs to, 1 for the first (as given to `miniBatches`). */
  readonly epoch: number;
  /** Zero-based index of this batch within its epoch. */
  readonly index: number;
}

/** Options of `miniBatches`. */
export interface MiniBatchOptions {
  /** Examples per batch. */
  readonly batchSize: number;
  /** Shuffle examples (seeded). Default true. */
  readonly shuffle?: boolean;
  /** Seed of the shuffle; with `epoch` it fixes the order. Default 0. */
  readonly seed?: number;
  /** The epoch, 1 for the first: each epoch shuffles differently, and batches carry it. Default 1. */
  readonly epoch?: number;
  /**
   * Examples held for shuffling. Examples are shuffled uniformly within this window (as tf.data's
   * `shuffle(bufferSize)`); at or above the dataset's size the shuffle is a uniform permutation of
   * the whole epoch. Default 16384.
   */
  readonly shuffleBuffer?: number;
  /** A final batch smaller than this is dropped. Default 1 (the last partial batch is kept). */
  readonly minLastBatch?: number;
  /**
   * Reuse two buffers for every batch instead of allocating each one: faster, but a batch is then
   * valid only until the next one is emitted. Default false.
   */
  readonly recycle?: boolean;
}

/**
 * Row-major features that copy whole rows. Where a row is a whole number of aligned 32-bit words
 * (784 bytes, or any float32 row), rows are copied word by word through one Int32Array view made
 * here, instead of through a new subarray view per row: as fast, and no garbage per example.
 * Integer words copy bits exactly (float views could rewrite NaN bit patterns).
 */
class Rows {
  private readonly words: Int32Array | undefined;
  private readonly rowWords: number;

  constructor(
    readonly data: FeatureArray,
    private readonly cols: number,
  ) {
    const rowBytes = cols * data.BYTES_PER_ELEMENT;
    this.rowWords = rowBytes >> 2;
    const aligned = rowBytes % 4 === 0 && data.byteOffset % 4 === 0 && data.byteLength % 4 === 0;
    this.words = aligned ? new Int32Array(data.buffer, data.byteOffset, data.byteLength >> 2) : undefined;
  }

  /** Copies row `at` of this matrix over row `row` of `to`. */
  copyRow(at: number, to: Rows, row: number): void {
    const { words, rowWords } = this;
    const target = to.words;
    if (words && target) {
      const offset = row * rowWords - at * rowWords;
      for (let k = at * rowWords, end = k + rowWords; k < end; k++) target[k + offset] = words[k]!;
    } else {
      to.data.set(this.data.subarray(at * this.cols, (at + 1) * this.cols), row * this.cols);
    }
  }
}

/**
 * Cuts a stream of example blocks (or single examples) into mini-batches of `batchSize`, shuffled
 * with a seeded generator, reshuffled for each epoch. The last partial batch is kept unless it is
 * smaller than `minLastBatch`. Works on live sources too: batches are emitted as soon as they fill.
 *
 * @example
 * readArrow('train.arrow').pipe(miniBatches({ batchSize: 64, seed: 1, epoch: 3 })).subscribe((b) => console.log(b.size));
 */
export function miniBatches(options: MiniBatchOptions): OperatorFunction<ExampleBlock | Example, MiniBatch> {
  const { batchSize, shuffle = true, seed = 0, epoch = 1, shuffleBuffer = 16384, minLastBatch = 1, recycle = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`miniBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(epoch) || epoch < 1) throw new RangeError(`miniBatches: epoch must be an integer ≥ 1 (1 for the first), got ${epoch}`);
  if (!Number.isInteger(shuffleBuffer) || shuffleBuffer < 1) throw new RangeError(`miniBatches: shuffleBuffer must be a positive integer, got ${shuffleBuffer}`);
  return (source) =>
    new Observable<MiniBatch>((subscriber) => {
      // Seeded by the epochs before this one, as when epochs were counted from 0: the same orders.
      const rng = createRandom(`${seed}:${epoch - 1}`);
      let cols = -1;
      // Rows keep the type the source gave them (bytes stay bytes, a quarter of the memory).
      let make: (length: number) => FeatureArray = (length) => new Float32Array(length);
      let bytesSource = false;
      let pool = new Rows(new Float32Array(0), 0);
      let poolLabels: Int32Array = new Int32Array(0);
      let pooled = 0;
      let batch = new Rows(new Float32Array(0), 0);
      let batchLabels: Int32Array = new Int32Array(0);
      let filled = 0;
      let index = 0;
      let seen = 0;
      // With `recycle`, batch i fills buffer pair i % 2, so the batch just emitted stays intact
      // until the next one is.
      const pairs: ({ x: Rows; labels: Int32Array } | undefined)[] = [undefined, undefined];
      let single = new Rows(new Float32Array(0), 0);

      const start = (width: number, bytes: boolean) => {
        cols = width;
        bytesSource = bytes;
        if (bytes) make = (length) => new Uint8Array(length);
        if (shuffle) {
          pool = new Rows(make(shuffleBuffer * cols), cols);
          poolLabels = new Int32Array(shuffleBuffer);
        }
        newBatch();
      };
      const newBatch = () => {
        const fresh = () => ({ x: new Rows(make(batchSize * cols), cols), labels: new Int32Array(batchSize) });
        const pair = recycle ? (pairs[index % 2] ??= fresh()) : fresh();
        batch = pair.x;
        batchLabels = pair.labels;
        filled = 0;
      };
      const emit = (size: number) => {
        const x = size === batchSize ? batch.data : batch.data.slice(0, size * cols);
        const labels = size === batchSize ? batchLabels : batchLabels.slice(0, size);
        const out: MiniBatch = { x: { rows: size, cols, data: x }, labels, size, epoch, index: index++ };
        newBatch();
        subscriber.next(out);
      };
      const toBatch = (from: Rows, at: number, label: number) => {
        from.copyRow(at, batch, filled);
        batchLabels[filled++] = label;
        if (filled === batchSize) emit(batchSize);
      };
      const take = (from: Rows, at: number, label: number) => {
        if (!shuffle) return toBatch(from, at, label);
        if (pooled < shuffleBuffer) {
          from.copyRow(at, pool, pooled);
          poolLabels[pooled++] = label;
          return;
        }
        const r = rng.int(shuffleBuffer);
        toBatch(pool, r, poolLabels[r]!);
        from.copyRow(at, pool, r);
        poolLabels[r] = label;
      };

      return source.subscribe({
        next(item) {
          try {
            if (isExampleBlock(item)) {
              const bytes = item.features instanceof Uint8Array;
              if (cols < 0) start(item.cols, bytes);
              else if (item.cols !== cols) throw new DataError('example block has a different number of features', { row: item.firstRow, expected: `${cols}`, actual: `${item.cols}` });
              else if (bytes !== bytesSource) throw new DataError('example blocks mix bytes and floats', { row: item.firstRow });
              const rows = new Rows(item.features, cols);
              for (let i = 0; i < item.rows; i++) take(rows, i, item.labels[i]!);
              seen += item.rows;
            } else {
              const { features, label } = item;
              if (cols < 0) {
                start(features.length, false);
                single = new Rows(new Float32Array(cols), cols);
              }
              if (features.length !== cols) throw new DataError('example has a different number of features', { column: 'features', row: seen, expected: `${cols}`, actual: `${features.length}` });
              for (let k = 0; k < cols; k++) {
                const v = features[k]!;
                if (!Number.isFinite(v)) throw new DataError('non-finite feature value', { column: `features[${k}]`, row: seen, expected: 'a finite number', actual: String(v) });
                single.data[k] = v;
              }
              if (!Number.isInteger(label) || label < 0) throw new DataError('label is not a class index', { column: 'label', row: seen, expected: 'an integer ≥ 0', actual: String(label) });
              take(single, 0, label);
              seen++;
            }
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          try {
            while (pooled > 0) {
              const r = rng.int(pooled);
              const label = poolLabels[r]!;
              toBatch(pool, r, label);
              pooled--;
              if (r !== pooled) {
                pool.copyRow(pooled, pool, r);
                poolLabels[r] = poolLabels[pooled]!;
              }
            }
            if (filled > 0 && filled >= minLastBatch) emit(filled);
            subscriber.complete();
          } catch (error) {
            subscriber.error(error);
          }
        },
      });
    });
}
