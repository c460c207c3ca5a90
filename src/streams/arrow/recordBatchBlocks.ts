import { type Data, DataType, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { Observable } from 'rxjs';
import { DataError } from '../../errors.js';
import { giveBackArray, takeArray } from '../../memory/spareArrays.js';
import { copyColumn, copyLabels, copyNumberColumns, copyTextLabels, isByteColumn } from '../records/blockColumns.js';
import { type ArrowColumnOptions, type ArrowLayout, resolveLayout } from '../records/columnLayout.js';
import type { ExampleBlock, FeatureArray } from '../records/examples.js';

/** Options of `readArrow`, and of every reader built on `recordBatchBlocks` (`readParquet`, `replayArrow`). */
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
   * and a lower peak memory, but a block is then valid only until the next one is emitted, and the
   * last one only until the next read starts (fine for `miniBatches`, which copies what it keeps).
   * Default false.
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

/**
 * Waits before a block is emitted (pacing a replay); `recordBatchBlocks` reads no further ahead
 * than the next record batch meanwhile. Given a signal that fires on unsubscribe, it must settle then.
 */
export type BlockPace = (block: ExampleBlock, stop: AbortSignal) => Promise<void>;

/** A file opened as Arrow record batches: what `recordBatchBlocks` turns into blocks. */
export interface RecordBatchSource {
  readonly schema: Schema;
  /** The record batches in order; a batch may be valid only until the batch after the next is read. */
  batches(): AsyncIterator<RecordBatch>;
  /** Record batches the file declares, when it does; reading fewer is an error. */
  readonly declared: number | undefined;
  /** Stops reading: a read in flight may fail (and is ignored). */
  close(): Promise<void>;
}

/**
 * The blocks of any file read as Arrow record batches (an IPC file, a Parquet file's row groups):
 * resolves the layout, converts each batch, reads the next while this one goes down the pipeline,
 * and names the file (and batch) in every error. The one engine: `readArrow`, `replayArrow` and
 * `readParquet` are this with their own `open`.
 *
 * @example
 * import { openArrowBatches } from './readArrow.js';
 * recordBatchBlocks(file, () => openArrowBatches(file), { label: 'digit' }).subscribe((block) => console.log(block.rows));
 */
export function recordBatchBlocks(
  file: string,
  open: () => Promise<RecordBatchSource>,
  options: ReadArrowOptions,
  pace?: BlockPace,
): Observable<ExampleBlock> {
  return new Observable<ExampleBlock>((subscriber) => {
    let opened: RecordBatchSource | undefined;
    let reused: ReusedArrays | undefined;
    let stopped = false;
    const unsubscribed = new AbortController();
    (async () => {
      const source = (opened = await open());
      if (stopped) return;
      const layout = resolveLayout(file, source.schema, options);
      const extractors = layout.features.map((name) => source.schema.fields.find((f) => f.name === name)!);
      let firstRow = 0;
      const bytes = options.keepBytes === true && extractors.every(isByteColumn);
      reused = options.recycle ? { features: bytes ? new Uint8Array(0) : new Float32Array(0), labels: new Int32Array(0) } : undefined;
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
          checkBufferLengths(batch);
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
        throw new DataError(`the file holds ${source.declared} record batches, but only ${index} could be read`, {
          file,
          expected: `${source.declared} record batches`,
          actual: `${index}`,
        });
      }
      if (firstRow === 0) throw new DataError('the dataset has no rows', { file, expected: 'at least one row' });
      subscriber.complete();
    })()
      .catch((error: unknown) => {
        if (!stopped) subscriber.error(error);
      })
      .finally(() => {
        void opened?.close().catch(() => undefined);
        // For the next read of the file (the next epoch's): the same sizes, memory already faulted in.
        if (reused) [reused.features, reused.labels].forEach(giveBackArray);
      });
    // Unsubscribing closes the file at once: a read in flight fails (and is ignored), and no
    // further record batch is read or decoded.
    return () => {
      stopped = true;
      unsubscribed.abort();
      void opened?.close().catch(() => undefined);
    };
  });
}

/** The arrays a recycling read fills for every block. */
interface ReusedArrays {
  features: FeatureArray;
  labels: Int32Array;
}

/** One record batch as an `ExampleBlock`: features row-major, labels as class indices, kept columns as text. */
function toBlock(
  batch: RecordBatch,
  layout: ArrowLayout,
  fields: readonly Field[],
  firstRow: number,
  options: ReadArrowOptions,
  reused: ReusedArrays | undefined,
  bytes: boolean,
): ExampleBlock {
  const rows = batch.numRows;
  const cols = layout.cols;
  const make = (length: number): FeatureArray => (bytes ? new Uint8Array(length) : new Float32Array(length));
  if (reused && reused.features.length < rows * cols) {
    [reused.features, reused.labels].forEach(giveBackArray);
    reused.features = bytes ? takeArray('Uint8Array', rows * cols) : takeArray('Float32Array', rows * cols);
    reused.labels = takeArray('Int32Array', rows);
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
    copyLabels(batch.getChild(layout.label)!.data, labels, layout, firstRow, options);
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

/**
 * Refuses a batch whose buffers hold fewer values than its rows: a damaged (or hand-made)
 * compressed buffer may declare 0 uncompressed bytes, and a column read from it would be zeros or
 * nothing. The structure checks bound every buffer from above; this bounds the ones read from below.
 */
function checkBufferLengths(batch: RecordBatch): void {
  const check = (data: Data, name: string): void => {
    const end = data.offset + data.length;
    const values = data.values as ArrayLike<unknown> | undefined;
    if (
      (DataType.isInt(data.type) || DataType.isFloat(data.type) || DataType.isDictionary(data.type)) &&
      values &&
      values.length < end * (data.stride ?? 1)
    ) {
      throw new DataError(`column '${name}' holds ${values.length} values for ${end} rows (a damaged buffer)`);
    }
    if (DataType.isUtf8(data.type) && data.valueOffsets && data.valueOffsets.length < end + 1)
      throw new DataError(`column '${name}' holds ${data.valueOffsets.length} offsets for ${end} rows (a damaged buffer)`);
    if ((DataType.isUtf8View(data.type) || DataType.isBinaryView(data.type)) && values && values.length < end * 16)
      throw new DataError(`column '${name}' holds ${values.length / 16} views for ${end} rows (a damaged buffer)`);
    if (data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length * 8 < end)
      throw new DataError(`column '${name}' has a validity bitmap of ${data.nullBitmap.length} bytes for ${end} rows (a damaged buffer)`);
    for (const child of data.children) check(child, name);
  };
  batch.schema.fields.forEach((field, i) => {
    const data = batch.data.children[i];
    if (data) check(data, field.name);
  });
}

/** Any failure while reading or decoding a record batch, as a `DataError` naming the file and the batch. */
function asDataError(cause: unknown, file: string, index: number): DataError {
  if (cause instanceof DataError) {
    return cause.message.startsWith(file) || cause.file !== undefined
      ? cause
      : new DataError(`record batch ${index}: ${cause.message}`, { file }, { cause });
  }
  return new DataError(
    `record batch ${index} cannot be read: ${(cause as Error)?.message ?? String(cause)}`,
    { file, expected: 'a valid Arrow IPC file' },
    { cause },
  );
}
