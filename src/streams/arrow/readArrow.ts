import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { type AsyncRecordBatchFileReader, type RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow';
import type { Observable } from 'rxjs';
import { DataError } from '../../errors.js';
import { registerArrowCodecs } from '../codecs/arrowCodecs.js';
import { type ArrowColumnOptions, type ArrowLayout, resolveLayout } from '../records/columnLayout.js';
import type { ExampleBlock } from '../records/examples.js';
import { type ArrowStructure, checkFileBlocks, checkFileFooter, checkFileMessages, checkSchema, checkStream } from './arrowStructure.js';
import { type ReadArrowOptions, type RecordBatchSource, recordBatchBlocks } from './recordBatchBlocks.js';
import { readIntoReusedBodies } from './reusedBodies.js';

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

/**
 * An Arrow IPC file opened as record batches, for `recordBatchBlocks`, its structure checked first.
 * Record batch bodies are read into two reused buffers (`readIntoReusedBodies`): a batch is valid
 * until the batch after the next one is read.
 *
 * @example
 * import { recordBatchBlocks } from './recordBatchBlocks.js';
 * recordBatchBlocks('train.arrow', () => openArrowBatches('train.arrow'), {});
 */
export async function openArrowBatches(file: string): Promise<RecordBatchSource> {
  const opened = await openArrow(file);
  const close = async () => {
    try {
      await opened.handle.close();
    } finally {
      opened.releaseBodies?.();
    }
  };
  return { schema: opened.schema, batches: opened.batches, declared: opened.structure.recordBatches, close };
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
    const releaseBodies = readIntoReusedBodies(reader, handle);
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
    return { handle, reader, schema, structure, batches, releaseBodies };
  } catch (cause) {
    await handle.close().catch(() => undefined);
    if (cause instanceof DataError) throw cause;
    throw new DataError(
      'not an Arrow IPC file or stream',
      { file, expected: 'an Arrow IPC file (.arrow/.feather v2) or stream', actual: (cause as Error).message },
      { cause },
    );
  }
}
