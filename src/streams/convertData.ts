import { lastValueFrom, type Observable, reduce } from 'rxjs';
import { UsageError } from '../errors.js';
import { fileHead, outputProblem } from '../files/outputGuard.js';
import { arrowRecordBatch, type ColumnData, openArrowSink } from './arrow/arrowColumns.js';
import type { ArrowCompression } from './codecs/arrowCodecs.js';
import { openCsvSink } from './csv/csvSink.js';
import { csvDialectOf, csvTextColumns, inferClassNames, inspectData, isCsvFile, isParquetFile, readData } from './readData.js';
import { type ArrowLayout, CLASS_NAMES_KEY } from './records/columnLayout.js';
import type { ExampleBlock } from './records/examples.js';

/** Options of `convertData` (and `rxgrad convert`). */
export interface ConvertOptions {
  /** The label column (default 'label'); left out when the input has none. */
  readonly label?: string;
  readonly features?: readonly string[];
  /** Columns left out of the output. */
  readonly drop?: readonly string[];
  readonly delimiter?: string;
  readonly decimal?: '.' | ',';
  /** An Arrow output's compression; uncompressed by default. */
  readonly compression?: ArrowCompression | undefined;
  /** Replace an existing file that is not a dataset (never the input, nor a file of a model or study). */
  readonly force?: boolean | undefined;
}

/**
 * Whether `file` holds a dataset of a format rxgrad writes (Arrow IPC, Parquet, or a CSV by its
 * name): what `convertData` replaces without `force`.
 *
 * @example
 * await isDatasetFile('train.arrow'); // true when it starts with Arrow's magic
 */
export async function isDatasetFile(file: string): Promise<boolean> {
  if (isCsvFile(file)) return true;
  const head = await fileHead(file, 8).catch(() => undefined);
  if (!head) return false;
  const magic = head.subarray(0, 6).toString('latin1');
  return magic === 'ARROW1' || magic.startsWith('PAR1') || head.readUInt32LE(0) === 0xffffffff;
}

/** The feature columns of a layout as written: one per feature, or one list column for a list feature. */
function featureColumns(layout: ArrowLayout, block: ExampleBlock): ColumnData[] {
  if (layout.cols === layout.features.length) {
    return layout.features.map((name, j) => {
      const values = new Float32Array(block.rows);
      for (let i = 0; i < block.rows; i++) values[i] = block.features[i * block.cols + j]!;
      return { name, values };
    });
  }
  const features = block.features instanceof Uint8Array ? block.features : Float32Array.from(block.features);
  return [{ name: layout.features.length === 1 ? layout.features[0]! : 'features', values: features, listSize: block.cols }];
}

/** The header names of a layout's feature values in CSV: a list feature `pixels` of 64 becomes pixels_0 … pixels_63. */
function csvFeatureNames(layout: ArrowLayout): string[] {
  if (layout.cols === layout.features.length) return [...layout.features];
  const name = layout.features.length === 1 ? layout.features[0]! : 'features';
  return Array.from({ length: layout.cols }, (_, j) => `${name}_${j}`);
}

/**
 * A dataset from CSV, Parquet or Arrow to an Arrow IPC file, CSV or Parquet (by the output's
 * extension), streamed block by block and written to a temporary file renamed into place. Every
 * column goes across (numbers as features, the rest as text) unless `features` or `drop` say
 * otherwise; class names (text labels) go with it, as text in CSV and as schema metadata in
 * Arrow. Resolves to the rows written.
 *
 * @example
 * const { rows } = await convertData('train.csv', 'train.arrow', { label: 'species', compression: 'zstd' });
 */
export async function convertData(input: string, output: string, given: ConvertOptions = {}): Promise<{ readonly rows: number }> {
  const options = { ...given, label: given.label ?? 'label' };
  const problem = await outputProblem(output, { kind: 'a dataset', inputs: [input], isOwnKind: isDatasetFile, force: options.force });
  if (problem) throw new UsageError(`${output}: ${problem}`);
  const toCsv = isCsvFile(output);
  if (options.compression && (toCsv || isParquetFile(output)))
    throw new UsageError(`--compression ${options.compression}: ${output} is ${toCsv ? 'CSV' : 'Parquet'}; compression is for Arrow files`);
  const fileOptions = csvDialectOf(options);
  const probe = await inspectData(input, { ...fileOptions, label: options.label, features: options.features, unlabelled: true });
  const labelled = probe.label !== undefined;
  // When labels become class names is the rule every command follows (inferClassNames).
  const classNames = labelled
    ? (await inferClassNames(input, { ...fileOptions, label: options.label, features: options.features })).names
    : probe.classNames;
  // Every column goes across: numbers as features, the rest (an id, a note, pandas' index) as text,
  // unless --features chooses the features or --drop leaves columns out.
  const drop = new Set(options.drop ?? []);
  const text = isCsvFile(input) && !options.features ? await csvTextColumns(input, { ...fileOptions, label: options.label }) : [];
  const features =
    options.features ??
    (await inspectData(input, { ...fileOptions, label: options.label, unlabelled: true })).features.filter((name) => !text.includes(name));
  const layout = await inspectData(input, {
    ...fileOptions,
    label: options.label,
    features: features.filter((name) => !drop.has(name)),
    unlabelled: !labelled,
    ...(classNames ? { classNames } : {}),
  });
  const carried = (layout.columns ?? []).filter(
    (name) => name !== layout.label && !layout.features.includes(name) && !drop.has(name) && !options.features,
  );
  const blocks$ = readData(input, {
    ...fileOptions,
    label: options.label,
    features: layout.features,
    unlabelled: !labelled,
    keepBytes: !toCsv,
    keep: carried,
    ...(classNames ? { classNames } : {}),
  });
  const metadata = classNames ? new Map([[CLASS_NAMES_KEY, JSON.stringify(classNames)]]) : undefined;
  const columnsOf = (block: ExampleBlock): ColumnData[] => [
    ...carried.map((name, k) => ({ name, values: block.kept![k]! })),
    ...featureColumns(layout, block),
    ...(labelled ? [{ name: layout.label!, values: Int32Array.from(block.labels) }] : []),
  ];
  let rows: number;
  if (toCsv) {
    const sink = await openCsvSink(output, [...carried, ...csvFeatureNames(layout), ...(labelled ? [layout.label!] : [])]);
    rows = await writeThrough(sink, blocks$, (block) => {
      for (let i = 0; i < block.rows; i++) {
        const cells = [
          ...carried.map((_, k) => block.kept![k]![i]!),
          ...Array.from(block.features.subarray(i * block.cols, (i + 1) * block.cols), (v) => String(v)),
        ];
        if (labelled) cells.push(classNames ? classNames[block.labels[i]!]! : String(block.labels[i]));
        sink.row(cells);
      }
    });
  } else if (isParquetFile(output)) {
    // parquet-wasm loads only when a Parquet file is written: the root import stays light.
    const { writeParquetFile } = await import('./parquet/parquetSink.js');
    rows = await writeParquetFile(output, blocks$, (block) => arrowRecordBatch(columnsOf(block), 0, block.rows), metadata);
  } else {
    const sink = await openArrowSink(output, 'file', options.compression);
    rows = await writeThrough(sink, blocks$, (block) => sink.write(arrowRecordBatch(columnsOf(block), 0, block.rows, metadata)));
  }
  return { rows };
}

/** Writes every block through `write`, then closes the sink; on any error (a full disk mid-write included) aborts it (nothing is left). Resolves to the rows written. */
async function writeThrough(
  sink: { close(): Promise<void>; abort(): Promise<void> },
  blocks$: Observable<ExampleBlock>,
  write: (block: ExampleBlock) => void,
): Promise<number> {
  try {
    // A write that throws ends the stream as its error: the read stops, and nothing is thrown where no one catches it.
    const rows = await lastValueFrom(
      blocks$.pipe(
        reduce((n, block) => {
          write(block);
          return n + block.rows;
        }, 0),
      ),
      { defaultValue: 0 },
    );
    await sink.close();
    return rows;
  } catch (error) {
    await sink.abort();
    throw error;
  }
}
