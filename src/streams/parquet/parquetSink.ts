import { type RecordBatch, Table, tableToIPC } from 'apache-arrow';
import { Table as ParquetTable, transformParquetStream, WriterPropertiesBuilder } from 'parquet-wasm';
import type { Observable } from 'rxjs';
import { openTemporaryFile } from '../../files/atomicFiles.js';
import type { ExampleBlock } from '../records/examples.js';

/** Rows per row group of a written Parquet file: a row group is what a reader holds at once. */
const ROW_GROUP_ROWS = 65_536;

/**
 * Writes blocks to a Parquet file through parquet-wasm, streamed (one row group of at most 65,536
 * rows in memory at a time), to a temporary sibling renamed over `path` when complete; on error
 * nothing is left behind. `toBatch` makes each block's Arrow record batch; `metadata` goes into
 * the file's key-value metadata. Resolves to the rows written.
 *
 * @example
 * import { arrowRecordBatch } from '../arrow/arrowColumns.js';
 * const rows = await writeParquetFile('out.parquet', readCsv('in.csv'), (block) =>
 *   arrowRecordBatch([{ name: 'x', values: block.features, listSize: block.cols }, { name: 'label', values: block.labels }], 0, block.rows),
 * );
 */
export async function writeParquetFile<T extends { readonly rows: number } = ExampleBlock>(
  path: string,
  blocks$: Observable<T>,
  toBatch: (block: T) => RecordBatch,
  metadata?: ReadonlyMap<string, string>,
): Promise<number> {
  let rows = 0;
  let subscription: { unsubscribe(): void } | undefined;
  const batches = new ReadableStream({
    start(controller) {
      subscription = blocks$.subscribe({
        next: (block) => {
          try {
            const ipc = tableToIPC(new Table([toBatch(block)]), 'stream');
            for (const batch of ParquetTable.fromIPCStream(ipc).recordBatches()) controller.enqueue(batch);
            rows += block.rows;
          } catch (error) {
            controller.error(error);
            subscription?.unsubscribe();
          }
        },
        error: (error: unknown) => controller.error(error),
        complete: () => controller.close(),
      });
    },
    cancel: () => subscription?.unsubscribe(),
  });
  const file = await openTemporaryFile(path);
  try {
    // Key-value metadata of the file (class names travel here: readers of Parquet see it).
    let builder = new WriterPropertiesBuilder().setMaxRowGroupSize(ROW_GROUP_ROWS);
    if (metadata && metadata.size > 0) builder = builder.setKeyValueMetadata(new Map(metadata));
    const properties = builder.build();
    const bytes = await transformParquetStream(batches, properties);
    for await (const chunk of bytes as unknown as AsyncIterable<Uint8Array>) file.write(chunk);
    await file.commit();
  } catch (error) {
    subscription?.unsubscribe();
    await file.discard();
    throw error;
  }
  return rows;
}
