import { defer, switchMap } from 'rxjs';
import { lazyAsync, lazyObservable } from './lazy.js';
import type * as ArrowColumns from './streams/arrow/arrowColumns.js';
import type * as ReadArrow from './streams/arrow/readArrow.js';
import type * as ReplayArrow from './streams/arrow/replayArrow.js';
import type * as ConvertData from './streams/convertData.js';
import type * as ReadParquet from './streams/parquet/readParquet.js';
import type * as PrepareFashionMnist from './streams/prepareFashionMnist.js';
import type * as ReadData from './streams/readData.js';
import type * as WritePredictions from './streams/writePredictions.js';

// The root's data readers and writers, each loading its module (and apache-arrow with it) on first
// use: `import 'rxgrad'` then costs no Arrow code. They are the functions of the modules named,
// with the same arguments and results; the only difference is when the module loads (an
// Observable's on subscription, a promise's on the call). Everything inside rxgrad imports the
// modules themselves.

/**
 * Blocks of examples from an Arrow IPC file, record batch by record batch (see `streams/arrow/readArrow.ts`).
 *
 * @example
 * readArrow('data/digits-train.arrow').subscribe((block) => console.log(block.rows, block.cols));
 */
export const readArrow: typeof ReadArrow.readArrow = lazyObservable(async () => (await import('./streams/arrow/readArrow.js')).readArrow);

/**
 * The feature and label columns `readArrow` would use, from the file's schema.
 *
 * @example
 * const { features, label } = await inspectArrow('data/digits-train.arrow');
 */
export const inspectArrow: typeof ReadArrow.inspectArrow = lazyAsync(
  async () => (await import('./streams/arrow/readArrow.js')).inspectArrow,
);

/**
 * `readArrow` at a pace, as a live source would deliver the rows (see `streams/arrow/replayArrow.ts`).
 *
 * @example
 * replayArrow('data/digits-train.arrow', { rowsPerSecond: 500 }).subscribe((block) => console.log(block.firstRow));
 */
export const replayArrow: typeof ReplayArrow.replayArrow = lazyObservable(
  async () => (await import('./streams/arrow/replayArrow.js')).replayArrow,
);

/**
 * Writes columns to an Arrow IPC file, nothing half-written (see `streams/arrow/arrowColumns.ts`).
 *
 * @example
 * await writeArrowFile('x.arrow', [{ name: 'x', values: Float32Array.of(1, 2, 3, 4), listSize: 2 }, { name: 'label', values: Int32Array.of(0, 1) }]);
 */
export const writeArrowFile: typeof ArrowColumns.writeArrowFile = lazyAsync(
  async () => (await import('./streams/arrow/arrowColumns.js')).writeArrowFile,
);

/**
 * Blocks of examples from an Arrow, Parquet or CSV file, chosen by its extension (see `streams/readData.ts`).
 *
 * @example
 * readData('train.csv', { label: 'species' }).subscribe((block) => console.log(block.rows));
 */
export const readData: typeof ReadData.readData = lazyObservable(async () => (await import('./streams/readData.js')).readData);

/**
 * The columns `readData` would use for a file of any of its formats.
 *
 * @example
 * const { features } = await inspectData('train.parquet');
 */
export const inspectData: typeof ReadData.inspectData = lazyAsync(async () => (await import('./streams/readData.js')).inspectData);

/**
 * A file's text labels, sorted, where its label column holds text.
 *
 * @example
 * const labels = await inspectLabels('iris.csv', { label: 'species' });
 */
export const inspectLabels: typeof ReadData.inspectLabels = lazyAsync(async () => (await import('./streams/readData.js')).inspectLabels);

/**
 * Blocks of examples from a Parquet file, row group by row group (see `streams/parquet/readParquet.ts`).
 *
 * @example
 * readParquet('train.parquet').subscribe((block) => console.log(block.rows));
 */
export const readParquet: typeof ReadParquet.readParquet = lazyObservable(
  async () => (await import('./streams/parquet/readParquet.js')).readParquet,
);

/**
 * The columns `readParquet` would use, from the file's schema.
 *
 * @example
 * const { features } = await inspectParquet('train.parquet');
 */
export const inspectParquet: typeof ReadParquet.inspectParquet = lazyAsync(
  async () => (await import('./streams/parquet/readParquet.js')).inspectParquet,
);

/**
 * Converts Debian's Fashion-MNIST files to Arrow training and test files (see `streams/prepareFashionMnist.ts`).
 *
 * @example
 * const { train, test } = await prepareFashionMnist('data/fashion-mnist');
 */
export const prepareFashionMnist: typeof PrepareFashionMnist.prepareFashionMnist = lazyAsync(
  async () => (await import('./streams/prepareFashionMnist.js')).prepareFashionMnist,
);

/**
 * Converts a data file (CSV, Parquet, Arrow) to Arrow or CSV, carrying every column (see `streams/convertData.ts`).
 *
 * @example
 * const { rows } = await convertData('iris.csv', 'iris.arrow');
 */
export const convertData: typeof ConvertData.convertData = lazyAsync(async () => (await import('./streams/convertData.js')).convertData);

/**
 * Writes predictions to a CSV or Arrow file as they come (see `streams/writePredictions.ts`). The
 * source is subscribed once the writer's module has loaded.
 *
 * @example
 * readArrow('new.arrow', { unlabelled: true }).pipe(predict(network, { standardizer }), writePredictions('pred.csv')).subscribe();
 */
export const writePredictions: typeof WritePredictions.writePredictions =
  (...args) =>
  (source) =>
    defer(() => import('./streams/writePredictions.js')).pipe(switchMap(({ writePredictions: write }) => source.pipe(write(...args))));
