import { PANDAS_METADATA_KEY, pandasIndexColumns } from './indexColumns.js';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { type AsyncRecordBatchFileReader, type Data, DataType, type Field, RecordBatchReader, type RecordBatch, type Schema } from 'apache-arrow';
import { Observable } from 'rxjs';
import { DataError } from '../errors.js';
import { type ArrowStructure, checkFileBlocks, checkFileFooter, checkFileMessages, checkSchema, checkStream } from './arrowStructure.js';
import { registerArrowCodecs } from './arrowCodecs.js';
import type { ExampleBlock, FeatureArray } from './examples.js';

/** Which columns to read. */
export interface ArrowColumnOptions {
  /** The label column. Default 'label'. */
  readonly label?: string;
  /** Feature columns, in order. Default: every numeric or fixed-size-list-of-numbers column but the label. */
  readonly features?: readonly string[] | undefined;
  /** Read without labels (for prediction): blocks carry −1 labels and a label column is not required. */
  readonly unlabelled?: boolean;
  /** Columns to carry along with each block as text (`ExampleBlock.kept`), e.g. an id for predictions. */
  readonly keep?: readonly string[] | undefined;
  /** The classes by name, for a label column of text: index = class. */
  readonly classNames?: readonly string[] | undefined;
}

/** Options of `readArrow`. */
export interface ReadArrowOptions extends ArrowColumnOptions {
  /** Labels must be below this (the model's class count); a larger label is an error naming its row. */
  readonly classes?: number | undefined;
  /**
   * Without `classes`, the most classes a label may imply: a label of `maxClasses` or more is an
   * error naming its row, instead of a model with that many outputs. Default 10,000.
   */
  readonly maxClasses?: number;
  /**
   * Reuse one pair of arrays for every block instead of allocating per record batch: less garbage
   * and a lower peak memory, but a block is then valid only until the next one is emitted (fine for
   * `miniBatches`, which copies what it keeps). Default false.
   */
  readonly recycle?: boolean;
  /**
   * When every feature column holds bytes (uint8, like image pixels), emit them as a Uint8Array
   * instead of converting to float32 here: a quarter of the memory through shuffling, converted
   * once where the batch is standardized into the model's memory. Default false.
   */
  readonly keepBytes?: boolean;
  /**
   * What a missing feature value (a null) becomes, one number per feature value (as `cols` counts
   * them), e.g. each feature's mean over the training rows (see `missingValueFill`). Without it a
   * null is a `DataError` naming its row and column.
   */
  readonly fillMissing?: readonly number[] | undefined;
}

/** The columns a file resolved to. */
export interface ArrowLayout {
  readonly file: string;
  readonly label: string | undefined;
  readonly features: readonly string[];
  /** Total number of feature values per row (a fixed-size list of 64 counts 64). */
  readonly cols: number;
  /** Each feature column's type, e.g. `Float64` or `FixedSizeList[64]<Uint8>`, for messages. */
  readonly types: readonly string[];
  /** Columns left out of the default features because they are not numeric (an id, a name), with their types. */
  readonly ignored?: readonly string[];
  /** Columns left out of the default features because they are pandas' row index (see `pandasIndexColumns`). */
  readonly indexColumns?: readonly string[];
  /** Every column of the file, in its order (features, label and the rest). */
  readonly columns?: readonly string[];
  /** The classes by name, as the file's schema metadata (`rxgrad.classNames`) gives them. */
  readonly classNames?: readonly string[];
  /** The label column holds text (Utf8, or a dictionary of it): reading it needs `classNames`. */
  readonly textLabels?: boolean;
}

/** The schema metadata key under which class names travel with an Arrow file. */
export const CLASS_NAMES_KEY = 'rxgrad.classNames';

/**
 * Replays a dataset from an Arrow IPC file (file or stream format), one `ExampleBlock` per record
 * batch, reading the file batch by batch through a file handle so it is never held whole. Each
 * subscription reads the file again (a cold Observable): subscribe once per epoch.
 *
 * Accepts both common layouts: one fixed-size-list column of numbers (e.g. `pixels:
 * FixedSizeList[784]<Uint8>`), or many numeric columns (as pyarrow writes a DataFrame). Features
 * become float32; integer labels of any width (int64 arrives as BigInt) become class indices.
 * Bad data (a missing column, a null, NaN or ±Infinity, a negative, fractional or too large label,
 * an empty file) errors with a `DataError` naming the file, column and first bad row.
 *
 * @example
 * readArrow('data/digits-train.arrow').subscribe((block) => console.log(block.rows, block.cols));
 */
export function readArrow(file: string, options: ReadArrowOptions = {}): Observable<ExampleBlock> {
  return recordBatchBlocks(file, () => openArrowBatches(file), options);
}

/** An Arrow IPC file as record batches, for `recordBatchBlocks`. @internal */
export async function openArrowBatches(file: string): Promise<RecordBatchSource> {
  const opened = await openArrow(file);
  return { schema: opened.schema, batches: opened.batches, declared: opened.structure.recordBatches, close: () => opened.handle.close() };
}

/**
 * Waits before a block is emitted (pacing a replay); `recordBatchBlocks` reads no further ahead
 * than the next record batch meanwhile. Given a signal that fires on unsubscribe, it must settle then.
 * @internal
 */
export type BlockPace = (block: ExampleBlock, stop: AbortSignal) => Promise<void>;

/** A file opened as Arrow record batches: what `recordBatchBlocks` turns into blocks. */
export interface RecordBatchSource {
  readonly schema: Schema;
  batches(): AsyncIterator<RecordBatch>;
  /** Record batches the file declares, when it does; reading fewer is an error. */
  readonly declared: number | undefined;
  /** Stops reading: a read in flight may fail (and is ignored). */
  close(): Promise<void>;
}

/**
 * The blocks of any file read as Arrow record batches (an IPC file, a Parquet file's row groups):
 * resolves the layout, converts each batch, reads the next while this one goes down the pipeline,
 * and names the file (and batch) in every error.
 * @internal
 */
export function recordBatchBlocks(file: string, open: () => Promise<RecordBatchSource>, options: ReadArrowOptions, pace?: BlockPace): Observable<ExampleBlock> {
  return new Observable<ExampleBlock>((subscriber) => {
    let opened: RecordBatchSource | undefined;
    let stopped = false;
    const unsubscribed = new AbortController();
    (async () => {
      const source = (opened = await open());
      if (stopped) return;
      const layout = resolveLayout(file, source.schema, options);
      const extractors = layout.features.map((name) => source.schema.fields.find((f) => f.name === name)!);
      let firstRow = 0;
      const bytes = options.keepBytes === true && extractors.every(isByteColumn);
      const reused = options.recycle ? { features: bytes ? new Uint8Array(0) : new Float32Array(0), labels: new Int32Array(0) } : undefined;
      // The next record batch is read while this one goes down the pipeline, so that training
      // does not sit idle waiting for the disk between record batches.
      const batches = source.batches();
      // A read still in flight when this block fails (bad data) is abandoned when the file is
      // closed: its rejection is expected, not unhandled.
      const readNext = () => {
        const next = batches.next();
        next.catch(() => undefined);
        return next;
      };
      let pending = readNext();
      let index = 0;
      for (; ; index++) {
        const result = await pending.catch((cause: unknown) => {
          throw asDataError(cause, file, index);
        });
        if (result.done || stopped) break;
        pending = readNext();
        const batch = result.value;
        if (batch.numRows === 0) continue;
        let block: ExampleBlock;
        try {
          block = toBlock(batch, layout, extractors, firstRow, options, reused, bytes);
        } catch (cause) {
          throw asDataError(cause, file, index);
        }
        firstRow += batch.numRows;
        if (pace) {
          await pace(block, unsubscribed.signal);
          if (stopped) break;
        }
        subscriber.next(block);
      }
      if (stopped) {
        await pending.catch(() => undefined);
        return;
      }
      if (source.declared !== undefined && index !== source.declared) {
        throw new DataError(`the file holds ${source.declared} record batches, but only ${index} could be read`, { file, expected: `${source.declared} record batches`, actual: `${index}` });
      }
      if (firstRow === 0) throw new DataError('the dataset has no rows', { file, expected: 'at least one row' });
      subscriber.complete();
    })()
      .catch((error: unknown) => {
        if (!stopped) subscriber.error(error);
      })
      .finally(() => opened?.close().catch(() => undefined));
    // Unsubscribing closes the file at once: a read in flight fails (and is ignored), and no
    // further record batch is read or decoded.
    return () => {
      stopped = true;
      unsubscribed.abort();
      void opened?.close().catch(() => undefined);
    };
  });
}

/**
 * Reads only the schema of an Arrow file and resolves which columns hold the label and features.
 *
 * @example
 * const layout = await inspectArrow('data/digits-train.arrow'); // { label: 'label', features: ['pixels'], cols: 64, … }
 */
export async function inspectArrow(file: string, options: ArrowColumnOptions = {}): Promise<ArrowLayout> {
  const opened = await openArrow(file);
  try {
    return resolveLayout(file, opened.schema, options);
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
}

async function openArrow(file: string) {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (cause as Error).message;
    throw new DataError(`cannot open the file: ${why}`, { file }, { cause });
  }
  try {
    // Lengths are checked before apache-arrow reads them: it allocates and re-reads whatever a
    // corrupted file asks for.
    const format = await checkFileFooter(handle, file);
    const streamStructure = format === 'stream' ? await checkStream(handle, file) : undefined;
    if (format === 'file') await checkFileMessages(handle, file);
    await registerArrowCodecs();
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    const schema = reader.schema as Schema | undefined;
    if (!schema) throw new DataError('not an Arrow IPC file or stream: no schema', { file });
    // A file's footer holds its own copy of the schema: checked as the messages' was.
    checkSchema(schema, file);
    let structure: ArrowStructure;
    let batches: () => AsyncIterator<RecordBatch>;
    if (reader.isFile()) {
      const fileReader = reader as unknown as AsyncRecordBatchFileReader;
      const footer = fileReader.footer!;
      structure = await checkFileBlocks(handle, file, footer.numRecordBatches, (i) => footer.getRecordBatch(i));
      // One read per block the footer lists: never the reader's own loop, which spins on a
      // message that is not a record batch.
      batches = async function* () {
        for (let i = 0; i < structure.recordBatches; i++) {
          const batch = await fileReader.readRecordBatch(i);
          if (!batch) throw new DataError(`record batch ${i} cannot be read`, { file });
          yield batch;
        }
      };
    } else {
      structure = streamStructure ?? (await checkStream(handle, file));
      batches = () => reader[Symbol.asyncIterator]();
    }
    return { handle, reader, schema, structure, batches };
  } catch (cause) {
    await handle.close().catch(() => undefined);
    if (cause instanceof DataError) throw cause;
    throw new DataError('not an Arrow IPC file or stream', { file, expected: 'an Arrow IPC file (.arrow/.feather v2) or stream', actual: (cause as Error).message }, { cause });
  }
}

function describeType(type: DataType): string {
  return String(type);
}

function isNumeric(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type);
}

function featureWidth(field: Field): number | undefined {
  if (isNumeric(field.type)) return 1;
  if (DataType.isFixedSizeList(field.type) && isNumeric(field.type.children[0]!.type)) return field.type.listSize;
  return undefined;
}

/** @internal */
export function resolveLayout(file: string, schema: Schema, options: ArrowColumnOptions): ArrowLayout {
  const labelName = options.label ?? 'label';
  const names = schema.fields.map((f) => f.name);
  const labelField = schema.fields.find((f) => f.name === labelName);
  if (!options.unlabelled) {
    if (!labelField) {
      throw new DataError('missing label column', { file, column: labelName, expected: `a column named '${labelName}'`, actual: `columns ${names.join(', ')}` });
    }
    if (!isNumeric(labelField.type) && !isText(labelField.type)) {
      throw new DataError('the label column is neither numbers nor text', { file, column: labelName, expected: 'integer class indices or class names', actual: describeType(labelField.type) });
    }
  }
  let features: Field[];
  let ignored: string[] = [];
  let index: string[] = [];
  if (options.features && options.features.length > 0) {
    features = options.features.map((name) => {
      const field = schema.fields.find((f) => f.name === name);
      if (!field) throw new DataError('missing feature column', { file, column: name, actual: `columns ${names.join(', ')}` });
      if (featureWidth(field) === undefined) {
        throw new DataError('a feature column is not numeric', { file, column: name, expected: 'numbers or a fixed-size list of numbers', actual: describeType(field.type) });
      }
      return field;
    });
  } else {
    index = pandasIndexColumns(names.filter((n) => n !== labelName), schema.metadata.get(PANDAS_METADATA_KEY));
    features = schema.fields.filter((f) => f.name !== labelName && featureWidth(f) !== undefined && !index.includes(f.name));
    ignored = schema.fields.filter((f) => f.name !== labelName && featureWidth(f) === undefined).map((f) => `${f.name} (${describeType(f.type)})`);
  }
  if (features.length === 0) {
    throw new DataError('no numeric feature columns', { file, expected: 'numeric columns or a fixed-size list of numbers besides the label', actual: `columns ${names.join(', ')}` });
  }
  return {
    file,
    label: options.unlabelled && !labelField ? undefined : labelName,
    features: features.map((f) => f.name),
    cols: features.reduce((n, f) => n + featureWidth(f)!, 0),
    types: features.map((f) => describeType(f.type)),
    ...(ignored.length > 0 ? { ignored } : {}),
    ...(index.length > 0 ? { indexColumns: index } : {}),
    columns: names,
    ...(labelField && isText(labelField.type) ? { textLabels: true } : {}),
    ...classNamesOf(file, schema),
  };
}

function classNamesOf(file: string, schema: Schema): { classNames?: readonly string[] } {
  const text = schema.metadata.get(CLASS_NAMES_KEY);
  if (text === undefined) return {};
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new DataError(`the schema metadata '${CLASS_NAMES_KEY}' is not a list of class names`, { file });
  return { classNames: names as string[] };
}

function toBlock(
  batch: RecordBatch,
  layout: ArrowLayout,
  fields: readonly Field[],
  firstRow: number,
  options: ReadArrowOptions,
  reused: { features: FeatureArray; labels: Int32Array } | undefined,
  bytes: boolean,
): ExampleBlock {
  const rows = batch.numRows;
  const cols = layout.cols;
  const make = (length: number): FeatureArray => (bytes ? new Uint8Array(length) : new Float32Array(length));
  if (reused && reused.features.length < rows * cols) {
    reused.features = make(rows * cols);
    reused.labels = new Int32Array(rows);
  }
  const features = reused ? reused.features.subarray(0, rows * cols) : make(rows * cols);
  if (!copyNumberColumns(batch, fields, features, rows, cols, layout.file, firstRow)) {
    let offset = 0;
    for (const field of fields) {
      const data = batch.getChild(field.name)!.data;
      offset += copyColumn(data, field, features, offset, cols, rows, layout.file, firstRow, options.fillMissing);
    }
  }
  const labels = reused ? reused.labels.subarray(0, rows) : new Int32Array(rows);
  if (options.unlabelled) {
    labels.fill(-1);
  } else if (layout.label !== undefined && layout.textLabels && batch.getChild(layout.label)) {
    copyTextLabels(batch.getChild(layout.label)!, labels, layout, firstRow, options.classNames);
  } else if (layout.label !== undefined && batch.getChild(layout.label)) {
    copyLabels(batch.getChild(layout.label)!.data, labels, layout, firstRow, options.classes, options.maxClasses ?? DEFAULT_MAX_CLASSES);
  } else {
    labels.fill(-1);
  }
  const kept = options.keep?.map((name) => {
    const column = batch.getChild(name);
    if (!column) throw new DataError('missing column to keep', { file: layout.file, column: name });
    return Array.from({ length: rows }, (_, i) => {
      const value: unknown = column.get(i);
      return value === null || value === undefined ? '' : String(value);
    });
  });
  return { features, labels, rows, cols, firstRow, ...(kept ? { kept } : {}) };
}

/** Rows per tile of `copyNumberColumns`: a tile of a wide table's rows stays in cache while its columns are written. */
const TILE_ROWS = 16;

/**
 * The wide table's fast path (one column per feature, as pandas and DuckDB write): when every
 * feature is one chunk of plain numbers without nulls, copies them into the row-major block a
 * tile of rows at a time (column by column over the whole batch, each write would miss the
 * cache). False, having copied nothing, when a column needs the general path.
 */
function copyNumberColumns(batch: RecordBatch, fields: readonly Field[], out: FeatureArray, rows: number, cols: number, file: string, firstRow: number): boolean {
  if (fields.length !== cols) return false;
  const columns: { values: Float64Array; start: number; float: boolean }[] = [];
  for (const field of fields) {
    const chunks = batch.getChild(field.name)!.data;
    const data = chunks[0];
    if (chunks.length !== 1 || !data || data.length !== rows || data.nullCount > 0 || !isNumeric(field.type)) return false;
    const values = data.values as unknown;
    if (!ArrayBuffer.isView(values) || values instanceof BigInt64Array || values instanceof BigUint64Array || (DataType.isFloat(field.type) && field.type.precision === 0)) return false;
    columns.push({ values: values as Float64Array, start: data.offset, float: values instanceof Float32Array || values instanceof Float64Array });
  }
  for (let r0 = 0; r0 < rows; r0 += TILE_ROWS) {
    const r1 = Math.min(rows, r0 + TILE_ROWS);
    for (let j = 0; j < cols; j++) {
      const { values, start, float } = columns[j]!;
      let at = r0 * cols + j;
      for (let r = r0; r < r1; r++, at += cols) {
        const v = values[start + r]!;
        if (float && !Number.isFinite(v)) throw new DataError('non-finite feature value', { file, column: fields[j]!.name, row: firstRow + r, expected: 'a finite number', actual: String(v) });
        out[at] = v;
      }
    }
  }
  return true;
}

/** Copies one column into the row-major features; returns how many values per row it filled. */
function copyColumn(chunks: readonly Data[], field: Field, out: FeatureArray, colOffset: number, cols: number, rows: number, file: string, firstRow: number, fill?: readonly number[]): number {
  const width = featureWidth(field)!;
  let row = 0;
  for (const data of chunks) {
    if (data.nullCount > 0 && fill && width === 1) {
      // A column with nulls, and values to fill them with: value by value.
      const values = data.values as ArrayLike<number | bigint>;
      const isHalf = DataType.isFloat(field.type) && field.type.precision === 0;
      for (let i = 0; i < data.length; i++) {
        const at = (row + i) * cols + colOffset;
        if (!data.getValid(i)) {
          out[at] = fill[colOffset]!;
          continue;
        }
        const raw = values[data.offset + i]!;
        const v = isHalf ? float16ToNumber(raw as number) : Number(raw);
        if (!Number.isFinite(v)) throw new DataError('non-finite feature value', { file, column: field.name, row: firstRow + row + i, expected: 'a finite number', actual: String(v) });
        out[at] = v;
      }
      row += data.length;
      continue;
    }
    if (data.nullCount > 0) throw new DataError('null value in a feature column', { file, column: field.name, row: firstRow + row + firstNull(data), expected: fill ? 'a number (a list column cannot be filled)' : 'a number (or --fill-missing mean|zero)' });
    let values: ArrayLike<number | bigint>;
    let start: number;
    if (width === 1) {
      values = data.values as ArrayLike<number | bigint>;
      start = data.offset;
    } else {
      const child = data.children[0]!;
      if (child.nullCount > 0) throw new DataError('null value inside a list column', { file, column: field.name, row: firstRow + row, expected: 'a number' });
      values = child.values as ArrayLike<number | bigint>;
      start = child.offset + data.offset * width;
    }
    const isFloat16 = DataType.isFloat(field.type) ? field.type.precision === 0 : DataType.isFixedSizeList(field.type) && DataType.isFloat(field.type.children[0]!.type) && field.type.children[0]!.type.precision === 0;
    // The common case of one list column of 8- to 32-bit integers (pixels): a typed-array copy,
    // and no finiteness check, since integers are always finite.
    if (width === cols && !isFloat16 && ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array) && !(values instanceof Float32Array || values instanceof Float64Array)) {
      out.set((values as Uint8Array).subarray(start, start + data.length * width), row * cols);
      row += data.length;
      continue;
    }
    // One column of numbers (a wide table, as pandas writes it): a strided copy, checked for
    // finiteness only where it can fail (floats), without the general loop's per-value branches.
    if (width === 1 && !isFloat16 && ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) {
      const typed = values as Float64Array;
      const float = typed instanceof Float32Array || typed instanceof Float64Array;
      let at = row * cols + colOffset;
      for (let i = 0; i < data.length; i++, at += cols) {
        const v = typed[start + i]!;
        if (float && !Number.isFinite(v)) throw new DataError('non-finite feature value', { file, column: field.name, row: firstRow + row + i, expected: 'a finite number', actual: String(v) });
        out[at] = v;
      }
      row += data.length;
      continue;
    }
    for (let i = 0; i < data.length; i++) {
      const base = (row + i) * cols + colOffset;
      const source = start + i * width;
      for (let k = 0; k < width; k++) {
        const raw = values[source + k]!;
        const v = isFloat16 ? float16ToNumber(raw as number) : Number(raw);
        if (!Number.isFinite(v)) {
          throw new DataError('non-finite feature value', { file, column: width === 1 ? field.name : `${field.name}[${k}]`, row: firstRow + row + i, expected: 'a finite number', actual: String(v) });
        }
        out[base + k] = v;
      }
    }
    row += data.length;
  }
  if (row !== rows) throw new DataError('column length differs from the record batch', { file, column: field.name });
  return width;
}

/** Text, or a dictionary whose values are text: what a label column of class names holds. */
function isText(type: DataType): boolean {
  return DataType.isUtf8(type) || DataType.isLargeUtf8(type) || (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary)));
}

/** Class names to class indices, by `classNames`; a name not among them is a DataError naming its row. */
function copyTextLabels(column: { get(i: number): unknown; length: number }, out: Int32Array, layout: ArrowLayout, firstRow: number, classNames: readonly string[] | undefined): void {
  const file = layout.file;
  const columnName = layout.label!;
  if (!classNames) throw new DataError('the labels are text: give the class names (readArrow(file, { classNames }))', { file, column: columnName });
  const index = new Map(classNames.map((name, i) => [name, i]));
  for (let i = 0; i < column.length; i++) {
    const value = column.get(i);
    const at = { file, column: columnName, row: firstRow + i };
    if (value === null || value === undefined) throw new DataError('missing label', { ...at, expected: 'a class name' });
    const cls = index.get(String(value));
    if (cls === undefined) throw new DataError('the label is not one of the classes', { ...at, actual: `'${String(value)}'`, expected: `one of ${classNames.slice(0, 10).join(', ')}${classNames.length > 10 ? ', …' : ''}` });
    out[i] = cls;
  }
}

/** Labels imply at most this many classes unless the caller says otherwise (`maxClasses`). */
const DEFAULT_MAX_CLASSES = 10_000;

function copyLabels(chunks: readonly Data[], out: Int32Array, layout: ArrowLayout, firstRow: number, classes: number | undefined, maxClasses: number): void {
  const column = layout.label!;
  const file = layout.file;
  let row = 0;
  for (const data of chunks) {
    if (data.nullCount > 0) throw new DataError('missing label', { file, column, row: firstRow + row + firstNull(data), expected: 'a class index' });
    const values = data.values as ArrayLike<number | bigint>;
    // Half floats arrive as their 16 raw bits.
    const half = DataType.isFloat(data.type) && data.type.precision === 0;
    for (let i = 0; i < data.length; i++) {
      const raw = values[data.offset + i]!;
      const v = half ? float16ToNumber(raw as number) : Number(raw);
      const at = { file, column, row: firstRow + row + i, actual: String(half ? v : raw) };
      if (!Number.isFinite(v) || !Number.isInteger(v)) throw new DataError('label is not a whole number', { ...at, expected: 'an integer class index' });
      if (v < 0) throw new DataError('label is negative', { ...at, expected: 'a class index ≥ 0' });
      if (classes !== undefined && v >= classes) throw new DataError('label is out of range', { ...at, expected: `a class index below ${classes}` });
      if (classes === undefined && v >= maxClasses) {
        throw new DataError(`label implies more than ${maxClasses} classes`, { ...at, expected: `a class index below ${maxClasses} (raise maxClasses for more classes)` });
      }
      out[row + i] = v;
    }
    row += data.length;
  }
}

/** A column of bytes, plain or as a fixed-size list (image pixels). */
function isByteColumn(field: Field): boolean {
  const type = DataType.isFixedSizeList(field.type) ? field.type.children[0]!.type : field.type;
  return DataType.isInt(type) && type.bitWidth === 8 && !type.isSigned;
}

function firstNull(data: Data): number {
  for (let i = 0; i < data.length; i++) if (!data.getValid(i)) return i;
  return 0;
}

function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Any failure while reading or decoding a record batch, as a `DataError` naming the file and the batch. */
function asDataError(cause: unknown, file: string, index: number): DataError {
  if (cause instanceof DataError) {
    return cause.message.startsWith(file) || cause.file !== undefined ? cause : new DataError(`record batch ${index}: ${cause.message}`, { file }, { cause });
  }
  return new DataError(`record batch ${index} cannot be read: ${(cause as Error)?.message ?? String(cause)}`, { file, expected: 'a valid Arrow IPC file' }, { cause });
}
