import type { Observable } from 'rxjs';
import { inspectArrow, readArrow } from './arrow/readArrow.js';
import type { ReadArrowOptions } from './arrow/recordBatchBlocks.js';
import { type CategoricalColumn, oneHotBlocks } from './categories.js';
import { type CsvLabels, csvTextColumns, inspectCsv, inspectCsvLabels, readCsv } from './csv/readCsv.js';
import type { ArrowLayout } from './records/columnLayout.js';
import type { ExampleBlock } from './records/examples.js';

export { csvTextColumns };

import { inspectParquet, readParquet } from './parquet/readParquet.js';

/** How a CSV file is written: its field delimiter and decimal mark (see `readCsv`). */
export interface CsvDialect {
  /** A CSV file's field delimiter. Default ',' (a tab for .tsv). */
  readonly delimiter?: string | undefined;
  /** A CSV file's decimal mark, '.' or ','. Default '.'. */
  readonly decimal?: '.' | ',' | undefined;
}

/**
 * The CSV dialect among some options, with only the settings given: what every command passes on
 * to `readData` and `inspectData`.
 *
 * @example
 * readData('train.tsv', { label: 'species', ...csvDialectOf({ delimiter: '\t', decimal: ',' }) });
 */
export function csvDialectOf(options: CsvDialect): CsvDialect {
  return {
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(options.decimal !== undefined ? { decimal: options.decimal } : {}),
  };
}

/** Options of `readData`: those of `readArrow`, and a CSV file's dialect. */
export interface ReadDataOptions extends ReadArrowOptions, CsvDialect {
  /** A CSV file's classes by name (see `readCsv`). */
  readonly classNames?: readonly string[] | undefined;
  /**
   * Columns read as categories, each level an input of its own after the numeric `features`
   * (see `oneHotBlocks`); their levels come from the training rows (`columnLevels`).
   */
  readonly categories?: readonly CategoricalColumn[] | undefined;
  /** Told of every cell of a categorical column whose level its list does not have (the cell's inputs stay 0). */
  readonly onUnseenLevel?: ((column: string, level: string) => void) | undefined;
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
 * Parquet (`readParquet`), Arrow IPC (`readArrow`) otherwise. With `categories`, each block's
 * features are the numeric `features` followed by each categorical column's one-hot inputs,
 * the same in every format.
 *
 * @example
 * readData('my-data.csv', { label: 'species' }).pipe(summarize());
 */
export function readData(file: string, options: ReadDataOptions = {}): Observable<ExampleBlock> {
  const { categories, onUnseenLevel, ...rest } = options;
  if (!categories || categories.length === 0) return readFormat(file, rest);
  const kept = rest.keep ?? [];
  return readFormat(file, { ...rest, keep: [...kept, ...categories.map((c) => c.column)] }).pipe(
    oneHotBlocks(categories, { kept: kept.length, recycle: rest.recycle ?? false, onUnseenLevel }),
  );
}

function readFormat(file: string, options: ReadDataOptions): Observable<ExampleBlock> {
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

/**
 * What a dataset's label column holds, whatever its format: numbers, or text whose distinct
 * values (sorted) become the class names. A CSV file's column is read as text; an Arrow or
 * Parquet file's is text when its type is (Utf8, or a dictionary of it).
 *
 * @example
 * const { numeric, names } = await inspectLabels('flowers.parquet', { label: 'species' });
 */
export async function inspectLabels(file: string, options: ReadDataOptions = {}): Promise<CsvLabels> {
  if (isCsvFile(file)) return inspectCsvLabels(file, options);
  const layout = await inspectData(file, options);
  if (!layout.textLabels || layout.label === undefined) return { numeric: true, names: [] };
  const seen = new Set<string>();
  const blocks = readData(file, { ...options, features: layout.features, unlabelled: true, keep: [layout.label] });
  await new Promise<void>((resolve, reject) =>
    blocks.subscribe({ next: (block) => block.kept![0]!.forEach((name) => seen.add(name)), error: reject, complete: resolve }),
  );
  return { numeric: false, names: [...seen].sort() };
}

/** The class names a fresh run takes from a dataset's labels (see `inferClassNames`). */
export interface InferredClassNames {
  /** Undefined when the labels are already the class indices 0 to K−1. */
  readonly names?: readonly string[];
  /** True when the labels are numbers that are not 0 to K−1, so they became names. */
  readonly renumbered: boolean;
}

/**
 * Which class names a new model should carry for a dataset: none when its labels are the class
 * indices 0 to K−1; the sorted distinct labels when they are text (or, in a CSV file, numbers
 * that are not 0 to K−1); an Arrow or Parquet file's own dictionary when it has one.
 *
 * @example
 * const { names } = await inferClassNames('flowers.csv', { label: 'species' }); // ['setosa', …]
 */
export async function inferClassNames(file: string, options: ReadDataOptions = {}): Promise<InferredClassNames> {
  if (!isCsvFile(file)) {
    const layout = await inspectData(file, options);
    if (layout.classNames || !layout.textLabels) return { ...(layout.classNames ? { names: layout.classNames } : {}), renumbered: false };
    return { names: (await inspectLabels(file, options)).names, renumbered: false };
  }
  const { numeric, names } = await inspectCsvLabels(file, options);
  if (numeric && names.every((name, i) => Number(name) === i)) return { renumbered: false };
  return { names, renumbered: numeric };
}
