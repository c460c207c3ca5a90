import {
  type CompressionType,
  compressionRegistry,
  type DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Uint8,
  Uint16,
  Uint32,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { AsyncByteQueue } from 'apache-arrow/io/stream';
import { BufferRegion } from 'apache-arrow/ipc/metadata/message';
import type { ArrayBufferViewInput } from 'apache-arrow/util/buffer';
import { openTemporaryFile } from '../../files/atomicFiles.js';
import { type ArrowCompression, compressionType, registerArrowCodecs } from '../codecs/arrowCodecs.js';

/** The typed arrays an Arrow column can be made from. */
export type ColumnValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/**
 * One column to write: plain numbers, or, with `listSize`, a fixed-size list of `listSize`
 * numbers per row (row-major in `values`).
 *
 * @example
 * const pixels: ColumnData = { name: 'pixels', values: new Uint8Array(100 * 64), listSize: 64 };
 */
export interface ColumnData {
  readonly name: string;
  /** Numbers, or text (a Utf8 column). */
  readonly values: ColumnValues | readonly string[];
  readonly listSize?: number;
}

function arrowType(values: ColumnValues): DataType {
  if (values instanceof Float32Array) return new Float32();
  if (values instanceof Float64Array) return new Float64();
  if (values instanceof Int8Array) return new Int8();
  if (values instanceof Int16Array) return new Int16();
  if (values instanceof Int32Array) return new Int32();
  if (values instanceof BigInt64Array) return new Int64();
  if (values instanceof Uint8Array) return new Uint8();
  if (values instanceof Uint16Array) return new Uint16();
  return new Uint32();
}

function rowsOf(column: ColumnData): number {
  return column.values.length / (column.listSize ?? 1);
}

/**
 * Builds one Arrow record batch from rows [start, end) of the given columns (no copy of the values).
 *
 * @example
 * const batch = arrowRecordBatch([{ name: 'label', values: Int32Array.of(1, 0) }], 0, 2);
 */
export function arrowRecordBatch(
  columns: readonly ColumnData[],
  start: number,
  end: number,
  metadata?: ReadonlyMap<string, string>,
): RecordBatch {
  const length = end - start;
  const fields: Field[] = [];
  const children = columns.map((column) => {
    if (Array.isArray(column.values)) {
      const text = vectorFromArray(column.values.slice(start, end), new Utf8());
      fields.push(new Field(column.name, new Utf8(), false));
      return text.data[0]!;
    }
    const values = column.values as ColumnValues;
    const type = arrowType(values);
    if (column.listSize === undefined) {
      fields.push(new Field(column.name, type, false));
      return makeData({ type, length, data: values.subarray(start, end), nullCount: 0 } as never);
    }
    const size = column.listSize;
    const listType = new FixedSizeList(size, new Field('item', type, false));
    fields.push(new Field(column.name, listType, false));
    const child = makeData({ type, length: length * size, data: values.subarray(start * size, end * size), nullCount: 0 } as never);
    return makeData({ type: listType, length, child, nullCount: 0 });
  });
  const schema = new Schema(fields, metadata ? new Map(metadata) : undefined);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, children, nullCount: 0 }));
}

/**
 * The bytes apache-arrow's writer produces, written to the file as they come (a synchronous write
 * per chunk) instead of queued in memory until a stream drains them: a producer faster than the
 * disk waits for it, so a sink's memory stays bounded however much it writes.
 */
class FileByteSink extends AsyncByteQueue {
  constructor(private readonly writeBytes: (bytes: Uint8Array) => void) {
    super();
  }

  override write(value: ArrayBufferViewInput | Uint8Array): void {
    const view = value as ArrayBufferView;
    this.writeBytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }
}

/**
 * A record batch body's buffers compressed as the IPC format says: each one prefixed with its
 * uncompressed length (−1 when compressing did not make it smaller), 8-byte aligned. apache-arrow
 * 21's own writer puts the compressed length in that prefix, which pyarrow and rxgrad reject;
 * this is its method with the prefix corrected.
 */
function compressBodyBuffers(
  type: CompressionType,
  buffers: ArrayBufferView[],
): { byteLength: number; bufferRegions: BufferRegion[]; buffers: ArrayBufferView[] } {
  const codec = compressionRegistry.get(type);
  if (!codec?.encode) throw new Error(`no encoder registered for Arrow compression ${type}`);
  let offset = 0;
  const out: ArrayBufferView[] = [];
  const regions: BufferRegion[] = [];
  for (const buffer of buffers) {
    const raw = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (raw.length === 0) {
      out.push(new Uint8Array(0), new Uint8Array(0));
      regions.push(new BufferRegion(offset, 0));
      continue;
    }
    const compressed = codec.encode(raw);
    const smaller = compressed.length < raw.length;
    const body = smaller ? compressed : raw;
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigInt64(0, BigInt(smaller ? raw.length : -1), true);
    out.push(prefix, new Uint8Array(body));
    offset += ((offset + 7) & ~7) - offset;
    regions.push(new BufferRegion(offset, 8 + body.length));
    offset += 8 + body.length;
  }
  offset += ((offset + 7) & ~7) - offset;
  return { byteLength: offset, bufferRegions: regions, buffers: out };
}

class CompressingFileWriter extends RecordBatchFileWriter {
  protected override _compressBodyBuffers(buffers: ArrayBufferView[]) {
    return compressBodyBuffers(this._compression!.type, buffers);
  }
}

class CompressingStreamWriter extends RecordBatchStreamWriter {
  protected override _compressBodyBuffers(buffers: ArrayBufferView[]) {
    return compressBodyBuffers(this._compression!.type, buffers);
  }
}

/**
 * Streams record batches into an Arrow IPC file (or stream) through a temporary sibling that is
 * renamed over `path` only when all of it is written; on failure nothing is left behind.
 * Uncompressed unless `compression` says LZ4 or ZSTD. Each
 * batch is on disk when `write` returns (backpressure by waiting for the disk).
 *
 * @example
 * const sink = await openArrowSink('out.arrow');
 * sink.write(batch);
 * await sink.close();
 */
export async function openArrowSink(path: string, format: 'file' | 'stream' = 'file', compression?: ArrowCompression) {
  if (compression) await registerArrowCodecs();
  const file = await openTemporaryFile(path);
  const options = compression ? { compressionType: compressionType(compression) } : {};
  const writer = format === 'file' ? new CompressingFileWriter(options) : new CompressingStreamWriter(options);
  writer.reset(new FileByteSink((bytes) => file.write(bytes)));
  return {
    write: (batch: RecordBatch) => void writer.write(batch),
    async close(): Promise<void> {
      writer.finish();
      await file.commit();
    },
    abort: () => file.discard(),
  };
}

/**
 * Writes whole columns as an Arrow IPC file, `batchRows` rows per record batch, atomically and
 * uncompressed.
 *
 * @example
 * const [pixels, labels] = [new Uint8Array(100 * 64), new Int32Array(100)];
 * await writeArrowFile('digits.arrow', [{ name: 'pixels', values: pixels, listSize: 64 }, { name: 'label', values: labels }]);
 */
export async function writeArrowFile(
  path: string,
  columns: readonly ColumnData[],
  options: { readonly batchRows?: number; readonly format?: 'file' | 'stream' } = {},
): Promise<void> {
  const rows = columns.length > 0 ? rowsOf(columns[0]!) : 0;
  for (const column of columns) {
    if (rowsOf(column) !== rows)
      throw new RangeError(`writeArrowFile: column '${column.name}' has ${rowsOf(column)} rows, expected ${rows}`);
  }
  const batchRows = options.batchRows ?? 8192;
  const sink = await openArrowSink(path, options.format);
  try {
    // An empty table still gets one empty record batch, so that the file carries its schema.
    for (let start = 0; start < Math.max(rows, 1); start += batchRows)
      sink.write(arrowRecordBatch(columns, start, Math.min(rows, start + batchRows)));
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
}
