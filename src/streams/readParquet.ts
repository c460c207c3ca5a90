import { PANDAS_METADATA_KEY } from './indexColumns.js';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type RecordBatch, Schema, tableFromIPC } from 'apache-arrow';
import type { ParquetFile } from 'parquet-wasm';
import type { Observable } from 'rxjs';
import { DataError } from '../errors.js';
import type { ExampleBlock } from './examples.js';
import { type ArrowColumnOptions, type ArrowLayout, CLASS_NAMES_KEY, resolveLayout } from './columnLayout.js';
import { type ReadArrowOptions, recordBatchBlocks } from './recordBatchBlocks.js';

/** A Parquet file opened through parquet-wasm (no native build), its row groups read one at a time from disk. */
async function openParquet(file: string): Promise<{ parquet: ParquetFile; rowGroups: number; schema: Schema }> {
  const info = await stat(file).catch((cause: NodeJS.ErrnoException) => {
    throw new DataError(`cannot open the file: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`, { file }, { cause });
  });
  if (info.isDirectory()) throw new DataError('cannot open the file: is a directory', { file });
  let parquet: ParquetFile;
  try {
    // Loaded on first use: most runs read no Parquet, and the root import stays light.
    const { ParquetFile: Parquet } = await import('parquet-wasm');
    parquet = await Parquet.fromFile(await openAsBlob(file));
  } catch (cause) {
    throw new DataError('not a Parquet file', { file, expected: 'a Parquet file (.parquet)', actual: String((cause as Error)?.message ?? cause) }, { cause });
  }
  const rowGroups = parquet.metadata().numRowGroups();
  // The schema, in Arrow's terms: the first row group's, or an empty read's for a file without rows.
  const first = tableFromIPC((await parquet.read(rowGroups > 0 ? { rowGroups: [0], limit: 1 } : { limit: 0 })).intoIPCStream());
  // Class names written by rxgrad travel in the file's key-value metadata.
  const keyValues = parquet.metadata().fileMetadata().keyValueMetadata() as Map<string, string>;
  // So do pandas' notes on the DataFrame (which columns were its index).
  const carried = [CLASS_NAMES_KEY, PANDAS_METADATA_KEY].flatMap((key) => (keyValues.has(key) ? [[key, keyValues.get(key)!] as const] : []));
  const schema = carried.length === 0 ? first.schema : new Schema(first.schema.fields, new Map([...first.schema.metadata, ...carried]));
  return { parquet, rowGroups, schema };
}

/**
 * Replays a Parquet file as `ExampleBlock`s (the same blocks `readArrow` emits), one row group at
 * a time, read from disk through parquet-wasm: the file is never held whole. The columns and every
 * bad-input rule are those of `readArrow`; any error names the file.
 *
 * @example
 * readParquet('features.parquet', { label: 'label' }).pipe(summarize()).subscribe(console.log);
 */
export function readParquet(file: string, options: ReadArrowOptions = {}): Observable<ExampleBlock> {
  return recordBatchBlocks(
    file,
    async () => {
      const { parquet, rowGroups, schema } = await openParquet(file);
      let closed = false;
      return {
        schema,
        declared: undefined,
        batches: async function* (): AsyncGenerator<RecordBatch> {
          for (let group = 0; group < rowGroups && !closed; group++) {
            const expected = parquet.metadata().rowGroup(group).numRows();
            const table = tableFromIPC((await parquet.read({ rowGroups: [group], batchSize: Math.max(1, expected) })).intoIPCStream());
            if (table.numRows !== expected) throw new DataError(`row group ${group} holds ${table.numRows} rows, its metadata says ${expected}`, { file });
            // One row group, one batch (its rows at most one batch's worth).
            yield* table.batches;
          }
        },
        close: async () => {
          if (closed) return;
          closed = true;
          parquet.free();
        },
      };
    },
    options,
  );
}

/**
 * Resolves the columns of a Parquet file from its schema, without reading its rows.
 *
 * @example
 * const { features } = await inspectParquet('features.parquet');
 */
export async function inspectParquet(file: string, options: ArrowColumnOptions = {}): Promise<ArrowLayout> {
  const { parquet, schema } = await openParquet(file);
  try {
    return resolveLayout(file, schema, options);
  } finally {
    parquet.free();
  }
}
