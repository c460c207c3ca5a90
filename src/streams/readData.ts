import type { Observable } from 'rxjs';
import type { ExampleBlock } from './examples.js';
import { type ArrowLayout, inspectArrow, type ReadArrowOptions, readArrow } from './readArrow.js';
import { inspectCsv, readCsv } from './readCsv.js';
import { inspectParquet, readParquet } from './readParquet.js';

/** Options of `readData`: those of `readArrow`, and a CSV delimiter. */
export interface ReadDataOptions extends ReadArrowOptions {
  /** A CSV file's field delimiter. Default ',' (a tab for .tsv). */
  readonly delimiter?: string | undefined;
  /** A CSV file's classes by name (see `readCsv`). */
  readonly classNames?: readonly string[] | undefined;
}

/**
 * Whether a file is read as CSV (by its name: `.csv`, `.tsv`, optionally `.gz`); anything else is
 * read as Arrow.
 *
 * @example
 * isCsvFile('data/train.csv.gz'); // true
 */
export function isCsvFile(file: string): boolean {
  return /\.(csv|tsv)(\.gz)?$/i.test(file);
}

/**
 * Whether a file is read as Parquet (by its name: `.parquet`).
 *
 * @example
 * isParquetFile('features.parquet'); // true
 */
export function isParquetFile(file: string): boolean {
  return /\.parquet$/i.test(file);
}

/**
 * A dataset file as `ExampleBlock`s, whatever its format, by its extension: CSV (`readCsv`),
 * Parquet (`readParquet`), Arrow IPC (`readArrow`) otherwise.
 *
 * @example
 * readData('my-data.csv', { label: 'species' }).pipe(summarize());
 */
export function readData(file: string, options: ReadDataOptions = {}): Observable<ExampleBlock> {
  return isCsvFile(file) ? readCsv(file, options) : isParquetFile(file) ? readParquet(file, options) : readArrow(file, options);
}

/**
 * The columns of a dataset file, whatever its format (see `readData`).
 *
 * @example
 * const { features } = await inspectData('my-data.csv', { label: 'species' });
 */
export function inspectData(file: string, options: ReadDataOptions = {}): Promise<ArrowLayout> {
  return isCsvFile(file) ? inspectCsv(file, options) : isParquetFile(file) ? inspectParquet(file, options) : inspectArrow(file, options);
}
