import { createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { defer, Observable, switchMap } from 'rxjs';
import { DataError } from '../../errors.js';
import { labelKey } from '../../model/decimal.js';
import type { ArrowLayout } from '../records/columnLayout.js';
import { columnPositions } from '../records/columnPositions.js';
import type { ExampleBlock } from '../records/examples.js';
import { pandasIndexColumns } from '../records/indexColumns.js';
import { classIndexProblem, DEFAULT_MAX_CLASSES, unknownClassProblem } from '../records/labelPolicy.js';
import { type CsvRow, forEachCsvRow } from './csvRows.js';

/** Options of `readCsv` and `inspectCsv`. */
export interface CsvOptions {
  /** The label column's header. Default 'label'. */
  readonly label?: string;
  /** Feature columns, in order. Default: every column of numbers but the label and pandas' index (see `inspectCsv`). */
  readonly features?: readonly string[] | undefined;
  /** Read without labels (for prediction): blocks carry −1 labels and a label column is not required. */
  readonly unlabelled?: boolean;
  /** Field delimiter. Default ',' (and a tab for `.tsv` files). */
  readonly delimiter?: string | undefined;
  /** The decimal mark of numbers: '.' (the default) or ',' (`3,14`, as pandas' `decimal=','` writes). */
  readonly decimal?: '.' | ',' | undefined;
  /** The longest field read, in bytes (default 1 MiB, `MAX_FIELD_BYTES`); a longer one is a `DataError`. */
  readonly maxFieldBytes?: number | undefined;
  /** Labels must be below this (the model's class count). */
  readonly classes?: number | undefined;
  /** Without `classes`, the most classes a label may imply. Default 10,000. */
  readonly maxClasses?: number;
  /** Rows per emitted block. Default 8192 (fewer in a file of more than 512 columns: a block holds at most 2^22 values). */
  readonly blockRows?: number;
  /**
   * The classes by name: a label cell is looked up here (its index is the class) instead of read
   * as a number, for text labels ('setosa') and numbered ones that are not 0…K−1 ('1', '2', '3').
   */
  readonly classNames?: readonly string[] | undefined;
  /** Columns to carry along with each block as text (`ExampleBlock.kept`), e.g. an id for predictions. */
  readonly keep?: readonly string[] | undefined;
  /** What an empty feature cell becomes, one number per feature (see `ReadArrowOptions.fillMissing`). Without it an empty cell is an error. */
  readonly fillMissing?: readonly number[] | undefined;
}

/** The delimiter of a file: the option, or by extension. */
function delimiterOf(file: string, delimiter: string | undefined): string {
  return delimiter ?? (/\.tsv(\.gz)?$/i.test(file) ? '\t' : ',');
}

/** The file's bytes, decompressed when it ends in .gz; a missing file is a DataError. */
async function open(file: string): Promise<Readable> {
  const stat = await fs.stat(file).catch((cause: NodeJS.ErrnoException) => {
    throw new DataError(`cannot open the file: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`, { file }, { cause });
  });
  if (stat.isDirectory()) throw new DataError('cannot open the file: is a directory', { file });
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!/\.gz$/i.test(file)) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

/** Every row of a CSV file, the header first, until `onRow` returns false; errors as DataErrors. */
async function csvRows(file: string, options: CsvOptions, onRow: (row: CsvRow) => boolean | undefined): Promise<void> {
  try {
    await forEachCsvRow(await open(file), file, delimiterOf(file, options.delimiter), onRow, options.maxFieldBytes);
  } catch (cause) {
    throw csvError(cause, file);
  }
}

function csvError(cause: unknown, file: string): DataError {
  if (cause instanceof DataError) return cause;
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR')
    return new DataError(`not a valid gzip file: ${(cause as Error).message}`, { file }, { cause });
  return new DataError(`cannot read the file: ${(cause as Error).message}`, { file }, { cause });
}

/** The most feature values in one block by default (16 MB of float32). */
const MAX_BLOCK_VALUES = 1 << 22;

/** A header for an error message: its first ten names, and how many there are in all. */
function columnsShown(header: readonly string[]): string {
  return `columns ${header.slice(0, 10).join(', ')}${header.length > 10 ? `, … (${header.length} in all)` : ''}`;
}

/** Which columns of a header hold the label and the features. */
function layoutOf(
  file: string,
  header: readonly string[],
  options: CsvOptions,
  notNumbers: ReadonlyMap<number, string> = new Map(),
): ArrowLayout & { labelIndex: number; featureIndexes: number[] } {
  const positions = columnPositions(file, header, 'every column named once in the header');
  const labelName = options.label ?? 'label';
  const labelIndex = positions.get(labelName) ?? -1;
  if (labelIndex < 0 && !options.unlabelled) {
    throw new DataError('missing label column', {
      file,
      column: labelName,
      expected: `a column named '${labelName}' in the header`,
      actual: columnsShown(header),
    });
  }
  const index = options.features ? [] : pandasIndexColumns(header.filter((_, i) => i !== labelIndex));
  const names = options.features ?? header.filter((name, i) => i !== labelIndex && !index.includes(name) && !notNumbers.has(i));
  const ignored = options.features
    ? []
    : [...notNumbers].filter(([i]) => i !== labelIndex && !index.includes(header[i]!)).map(([i, kind]) => `${header[i]} (${kind})`);
  const featureIndexes = names.map((name) => {
    const index = positions.get(name);
    if (index === undefined)
      throw new DataError('missing feature column', {
        file,
        column: name,
        expected: 'a column of that name in the header',
        actual: columnsShown(header),
      });
    return index;
  });
  if (featureIndexes.length === 0) {
    const hint = [...notNumbers.values()].includes(DECIMAL_COMMA) ? ` (--decimal ',' reads 3,14 as a number)` : '';
    throw new DataError('no feature columns', {
      file,
      expected: `at least one column of numbers besides the label${hint}`,
      ...(ignored.length > 0 ? { actual: `not numbers: ${ignored.join(', ')}` } : {}),
    });
  }
  return {
    file,
    label: labelIndex < 0 ? undefined : labelName,
    features: names,
    cols: names.length,
    types: names.map(() => 'csv number'),
    ...(ignored.length > 0 ? { ignored } : {}),
    ...(index.length > 0 ? { indexColumns: index } : {}),
    columns: header,
    labelIndex,
    featureIndexes,
  };
}

/**
 * The columns of a CSV file that hold text, streamed through the whole file: those with a cell
 * that is not empty and not a number (an id such as 'st0000', a name). The label is not counted.
 *
 * @example
 * await csvTextColumns('samples.csv', { label: 'label' }); // ['sample_id']
 */
export async function csvTextColumns(file: string, options: CsvOptions = {}): Promise<string[]> {
  const label = options.label ?? 'label';
  const decimal = options.decimal ?? '.';
  let header: readonly string[] | undefined;
  let text: boolean[] = [];
  await csvRows(file, options, (row) => {
    if (!header) {
      header = row.texts();
      text = header.map((name) => name === label);
      return;
    }
    for (let j = 0; j < row.count; j++) if (!text[j] && !row.empty(j) && !Number.isFinite(row.number(j, decimal))) text[j] = true;
  });
  return (header ?? []).filter((name, j) => text[j] && name !== label);
}

/** Rows `inspectCsv` reads to tell the columns of numbers from the others. */
export const CSV_SAMPLE_ROWS = 1000;

/** The kind of a column of numbers written 3,14 read with the decimal mark '.'. */
const DECIMAL_COMMA = 'decimal comma';

/** What a cell that is not a number holds, for the note on left-out columns: pandas writes booleans as True/False and dates as 2020-01-31. */
function kindOf(text: string, decimal: '.' | ','): string {
  if (decimal === '.' && /^[+-]?\d*,\d+$/.test(text)) return DECIMAL_COMMA;
  if (/^(true|false)$/i.test(text)) return 'True/False';
  if (/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return 'dates';
  return 'text';
}

/**
 * Resolves the columns of a CSV file from its header row and its first `CSV_SAMPLE_ROWS` rows.
 * By default the features are the columns of numbers: a column with a cell that is neither empty
 * nor a number in those rows (a name, True/False, a date) is left out and named in `ignored`, as
 * an Arrow or Parquet file's text, boolean and date columns are. A later cell that is not a
 * number is an error naming its line when the file is read.
 *
 * @example
 * const layout = await inspectCsv('iris.csv', { label: 'species' }); // { features: ['sepal_length', …], cols: 4, … }
 */
export async function inspectCsv(file: string, options: CsvOptions = {}): Promise<ArrowLayout> {
  let header: string[] | undefined;
  const notNumbers = new Map<number, string>();
  const decimal = options.decimal ?? '.';
  let sampled = 0;
  await csvRows(file, options, (row) => {
    if (!header) {
      header = row.texts();
      layoutOf(file, header, options);
      return !options.features;
    }
    for (let j = 0; j < row.count; j++) {
      if (!notNumbers.has(j) && !row.empty(j) && !Number.isFinite(row.number(j, decimal))) notNumbers.set(j, kindOf(row.text(j), decimal));
    }
    return ++sampled < CSV_SAMPLE_ROWS;
  });
  if (!header) throw new DataError('the file is empty: no header row', { file, expected: 'a header row naming the columns' });
  return layoutOf(file, header, options, notNumbers);
}

/**
 * Replays a CSV file (or `.csv.gz`, or `.tsv`) with a header row as `ExampleBlock`s of
 * `blockRows` rows, the same blocks `readArrow` emits: streamed through our tokenizer (`forEachCsvRow`), never the whole
 * file in memory, and read again for each subscription (a cold Observable). The default
 * features are the columns of numbers (`inspectCsv`). Every cell of a feature or label column
 * must be a number (a label may be a class name with `classNames`); an empty cell, a non-numeric one, a label that is not a
 * class index or a row of the wrong width is a `DataError` naming the file, line and column.
 *
 * @example
 * readCsv('data.csv', { label: 'species' }).pipe(summarize()).subscribe(console.log);
 */
export function readCsv(file: string, options: CsvOptions = {}): Observable<ExampleBlock> {
  if (!options.features) {
    // The default features are the columns of numbers, as inspectCsv tells them from the first rows.
    return defer(() => inspectCsv(file, options)).pipe(switchMap((layout) => readCsv(file, { ...options, features: layout.features })));
  }
  return new Observable<ExampleBlock>((subscriber) => {
    let stopped = false;
    let blockRows = options.blockRows ?? 8192;
    const classIndex = options.classNames ? new Map(options.classNames.map((name, i) => [name, i])) : undefined;
    const decimal = options.decimal ?? '.';
    const fill = options.fillMissing;
    let layout: ReturnType<typeof layoutOf> | undefined;
    let features = new Float32Array(0);
    let labels = new Int32Array(0);
    let rows = 0;
    let firstRow = 0;
    let keptIndexes: number[] = [];
    let kept: string[][] = [];
    const flush = () => {
      if (rows === 0) return;
      const block: ExampleBlock = {
        features: features.slice(0, rows * layout!.cols),
        labels: labels.slice(0, rows),
        rows,
        cols: layout!.cols,
        firstRow,
        ...(options.keep ? { kept } : {}),
      };
      kept = keptIndexes.map(() => []);
      firstRow += rows;
      rows = 0;
      subscriber.next(block);
    };
    const at = (row: CsvRow, column: string, index: number) => ({
      file,
      line: row.line,
      column,
      actual: row.empty(index) ? 'an empty cell' : row.quoted(index),
    });
    const onRow = (row: CsvRow): boolean => {
      if (stopped) return false;
      if (!layout) {
        const header = row.texts();
        layout = layoutOf(file, header, options);
        keptIndexes = (options.keep ?? []).map((name) => {
          const index = header.indexOf(name);
          if (index < 0) throw new DataError('missing column to keep', { file, column: name, actual: columnsShown(header) });
          return index;
        });
        kept = keptIndexes.map(() => []);
        // A block holds at most 2^22 values (16 MB), however wide the file: a million columns make blocks of four rows.
        blockRows = Math.max(1, Math.min(blockRows, Math.floor(MAX_BLOCK_VALUES / layout.cols)));
        features = new Float32Array(blockRows * layout.cols);
        labels = new Int32Array(blockRows);
        return true;
      }
      const { cols, featureIndexes, labelIndex } = layout;
      const base = rows * cols;
      for (let j = 0; j < cols; j++) {
        const index = featureIndexes[j]!;
        const value = row.number(index, decimal);
        if (Number.isFinite(value)) {
          features[base + j] = value;
        } else if (fill && row.empty(index)) {
          features[base + j] = fill[j]!;
        } else {
          // An empty cell is a missing value (fill it); anything else is a column that is not a feature.
          const advice = row.empty(index)
            ? 'fill empty cells with --fill-missing mean|zero (fillMissing), or choose the feature columns with --features'
            : 'choose the feature columns with --features, or features: [...]';
          throw new DataError('the feature is not a finite number', {
            ...at(row, layout.features[j]!, index),
            expected: `a number (${advice})`,
          });
        }
      }
      if (labelIndex >= 0 && !options.unlabelled && classIndex) {
        const text = row.text(labelIndex);
        const value = classIndex.get(text) ?? classIndex.get(labelKey(text));
        if (value === undefined) {
          const { problem, expected } = unknownClassProblem(options.classNames!);
          throw new DataError(problem, { ...at(row, layout.label!, labelIndex), expected });
        }
        labels[rows] = value;
      } else if (labelIndex >= 0 && !options.unlabelled) {
        const value = row.number(labelIndex, '.');
        const problem = classIndexProblem(value, options);
        if (problem) throw new DataError(problem.problem, { ...at(row, layout.label!, labelIndex), expected: problem.expected });
        labels[rows] = value;
      } else {
        labels[rows] = -1;
      }
      keptIndexes.forEach((index, k) => kept[k]!.push(row.text(index)));
      rows++;
      if (rows === blockRows) flush();
      return !stopped;
    };
    csvRows(file, options, onRow)
      .then(() => {
        if (stopped) return;
        if (!layout) throw new DataError('the file is empty: no header row', { file, expected: 'a header row naming the columns' });
        flush();
        if (firstRow === 0) throw new DataError('the dataset has no rows', { file, expected: 'at least one row after the header' });
        subscriber.complete();
      })
      .catch((cause: unknown) => {
        if (!stopped) subscriber.error(csvError(cause, file));
      });
    return () => {
      stopped = true;
    };
  });
}

/** What a CSV file's label column holds. */
export interface CsvLabels {
  /** Every label is a whole number ≥ 0. */
  readonly numeric: boolean;
  /** The distinct labels, in class order: numerically when numeric, else alphabetically. */
  readonly names: readonly string[];
}

/**
 * Reads a CSV file's label column to its distinct values, streamed: what a model needs to know
 * to encode text labels ('setosa', 'versicolor') or numbered ones that are not 0…K−1.
 *
 * @example
 * const { numeric, names } = await inspectCsvLabels('iris.csv', { label: 'species' }); // false, ['setosa', …]
 */
export async function inspectCsvLabels(file: string, options: CsvOptions = {}): Promise<CsvLabels> {
  const maxClasses = options.maxClasses ?? DEFAULT_MAX_CLASSES;
  const seen = new Set<string>();
  let labelIndex = -1;
  let header = true;
  await csvRows(file, options, (row) => {
    if (header) {
      header = false;
      labelIndex = layoutOf(file, row.texts(), options).labelIndex;
      return labelIndex >= 0;
    }
    if (row.empty(labelIndex))
      throw new DataError('missing label', { file, line: row.line, column: options.label ?? 'label', expected: 'a class' });
    // Equal numbers are one class, however written (1, 01, 1.0).
    seen.add(labelKey(row.text(labelIndex)));
    if (seen.size > maxClasses)
      throw new DataError(`more than ${maxClasses} distinct labels`, {
        file,
        column: options.label ?? 'label',
        expected: `at most ${maxClasses} classes (raise maxClasses for more)`,
      });
  });
  if (labelIndex < 0) return { numeric: true, names: [] };
  const names = [...seen];
  const numeric = names.every((n) => /^\d+$/.test(n));
  return { numeric, names: numeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort() };
}
