import type { FileHandle } from 'node:fs/promises';
import { DataType, type Field, Message, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { DataError } from '../../errors.js';
import { bufferLimits } from './arrowBuffers.js';
import { footerProblem, messageProblem } from './arrowTables.js';

/** What the structure of an Arrow IPC file says it holds. */
export interface ArrowStructure {
  readonly format: 'file' | 'stream';
  readonly size: number;
  /** Record batches the file declares (its footer) or holds (a stream's messages). */
  readonly recordBatches: number;
}

/** A block of an IPC file's footer, as apache-arrow decodes it. */
export interface FooterBlock {
  readonly offset: number | bigint;
  readonly metaDataLength: number;
  readonly bodyLength: number | bigint;
}

const MAGIC = 'ARROW1';
/** The magic and its padding at the start of a file; the footer length and magic at its end. */
const HEAD = 8;
const TAIL = 10;

async function readBytes(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

const int32 = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(at, true);
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/**
 * A message's metadata at `at`: its prefix (the continuation marker and length word, or the length
 * word alone before Arrow 0.15), its flatbuffer length and the decoded message. Every length is
 * checked against `end` before anything is read or decoded.
 */
async function readMessage(
  handle: FileHandle,
  file: string,
  at: number,
  end: number,
  where: string,
): Promise<{ prefix: number; length: number; message: Message } | undefined> {
  const head = await readBytes(handle, at, Math.min(8, end - at));
  if (head.length < 4) throw new DataError(`${where}: truncated (no message length)`, { file });
  let prefix = 4;
  let length = int32(head, 0);
  if (length === -1) {
    if (head.length < 8) throw new DataError(`${where}: truncated (no message length)`, { file });
    prefix = 8;
    length = int32(head, 4);
  }
  if (length === 0) return undefined;
  if (length < 0 || at + prefix + length > end) {
    throw new DataError(`${where}: message length ${length} does not fit the ${end - at - prefix} bytes left`, {
      file,
      expected: 'a valid Arrow IPC file',
    });
  }
  let message: Message;
  const metadata = await readBytes(handle, at + prefix, length);
  const problem = messageProblem(metadata);
  if (problem) throw new DataError(`${where}: the message header is damaged: ${problem}`, { file, expected: 'a valid Arrow IPC file' });
  try {
    message = Message.decode(metadata);
  } catch (cause) {
    throw new DataError(`${where}: the message header cannot be decoded (${(cause as Error).message})`, { file }, { cause });
  }
  return { prefix, length, message };
}

function bodyLengthOf(message: Message, file: string, where: string): number {
  const body = Number(message.bodyLength);
  if (!Number.isSafeInteger(body) || body < 0) throw new DataError(`${where}: invalid body length ${String(message.bodyLength)}`, { file });
  return body;
}

/**
 * The message a footer block points at, once the block is checked to lie among the file's
 * messages (before `bodyEnd`, past the magic): what was read there, the block's body length and
 * where its body starts.
 */
async function readFooterBlock(handle: FileHandle, file: string, block: FooterBlock | null, bodyEnd: number, where: string) {
  const offset = Number(block?.offset);
  const body = Number(block?.bodyLength);
  const meta = block?.metaDataLength ?? Number.NaN;
  if (
    !block ||
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(body) ||
    !Number.isSafeInteger(meta) ||
    offset < HEAD ||
    meta <= 0 ||
    body < 0 ||
    offset + meta + body > bodyEnd
  ) {
    throw new DataError(
      `${where}: its footer block (offset ${String(block?.offset)}, ${meta} + ${String(block?.bodyLength)} bytes) lies outside the file's ${bodyEnd} bytes of messages`,
      { file },
    );
  }
  const read = await readMessage(handle, file, offset, offset + meta, where);
  return { read, body, bodyStart: offset + meta };
}

/**
 * Checks the footer of an IPC file (its length word, before apache-arrow reads it), so that no
 * read goes past the end of the file: apache-arrow allocates whatever a corrupted length asks for.
 */
export async function checkFileFooter(handle: FileHandle, file: string): Promise<ArrowStructure['format']> {
  const { size } = await handle.stat();
  const head = await readBytes(handle, 0, Math.min(HEAD, size));
  if (text(head.subarray(0, 6)) !== MAGIC) return 'stream';
  const tail = await readBytes(handle, Math.max(0, size - TAIL), Math.min(TAIL, size));
  if (size < HEAD + TAIL || text(tail.subarray(4, 10)) !== MAGIC) {
    throw new DataError('the Arrow file is truncated: it does not end with its footer', {
      file,
      expected: `'${MAGIC}' at the end`,
      actual: `${size} bytes`,
    });
  }
  const footerLength = int32(tail, 0);
  if (footerLength <= 0 || footerLength > size - HEAD - TAIL) {
    throw new DataError(`the Arrow file's footer length ${footerLength} does not fit the file`, {
      file,
      expected: `1 to ${size - HEAD - TAIL} bytes`,
    });
  }
  return 'file';
}

/**
 * Checks every record batch block the footer lists: inside the file, before the footer, and
 * pointing at a record batch message whose body fits its block. Bounds the work apache-arrow does
 * on a corrupted file to one read per block (its reader otherwise re-reads a message that is not a
 * record batch forever).
 */
export async function checkFileBlocks(
  handle: FileHandle,
  file: string,
  count: number,
  blockAt: (index: number) => FooterBlock | null,
): Promise<ArrowStructure> {
  const { size } = await handle.stat();
  const tail = await readBytes(handle, size - TAIL, TAIL);
  const bodyEnd = size - TAIL - int32(tail, 0);
  if (!Number.isSafeInteger(count) || count < 0 || count > bodyEnd / 8)
    throw new DataError(`the Arrow file's footer lists ${count} record batches, more than its ${size} bytes can hold`, { file });
  for (let i = 0; i < count; i++) {
    const where = `record batch ${i}`;
    const { read, body } = await readFooterBlock(handle, file, blockAt(i), bodyEnd, where);
    if (!read?.message.isRecordBatch())
      throw new DataError(`${where}: the footer points at a message that is not a record batch`, { file });
    if (bodyLengthOf(read.message, file, where) > body) throw new DataError(`${where}: its body is longer than its footer block`, { file });
  }
  return { format: 'file', size, recordBatches: count };
}

/**
 * Checks that every field of a schema has a type, and every nested type its children, as far down
 * as they go: a damaged schema message decodes into fields with pieces missing, which would
 * otherwise fail later as a TypeError far from the file.
 *
 * @example
 * checkSchema(reader.schema, 'train.arrow');
 */
export function checkSchema(schema: Schema, file: string): void {
  const check = (field: Field | undefined, where: string): void => {
    const type = field?.type as DataType | undefined;
    if (!field || !(type instanceof DataType))
      throw new DataError(`the schema is damaged: ${where} has no type`, { file, expected: 'a valid Arrow schema' });
    if (DataType.isDictionary(type)) {
      const { indices, dictionary } = type as DataType & { indices?: DataType; dictionary?: DataType };
      if (!(indices instanceof DataType) || !DataType.isInt(indices) || !(dictionary instanceof DataType))
        throw new DataError(`the schema is damaged: ${where} is a dictionary without its index or value type`, {
          file,
          expected: 'a valid Arrow schema',
        });
      return;
    }
    const nested =
      DataType.isList(type) ||
      DataType.isFixedSizeList(type) ||
      DataType.isStruct(type) ||
      DataType.isMap(type) ||
      DataType.isUnion(type) ||
      (type.typeId as number) === 21;
    const children = (type.children ?? []) as (Field | undefined)[];
    if (nested && (!Array.isArray(type.children) || (children.length === 0 && !DataType.isStruct(type))))
      throw new DataError(`the schema is damaged: ${where} (${String(type)}) has no child type`, {
        file,
        expected: 'a valid Arrow schema',
      });
    children.forEach((child, i) => check(child, `${where}'s child ${i}`));
  };
  if (!schema || !Array.isArray(schema.fields))
    throw new DataError('the schema is damaged: it has no fields', { file, expected: 'a valid Arrow schema' });
  schema.fields.forEach((field, i) => check(field, `column ${i}${field?.name !== undefined ? ` '${field.name}'` : ''}`));
}

/** What a record or dictionary batch's header says of its buffers. */
interface BatchBuffers {
  readonly nodes: readonly { readonly length: number }[];
  readonly buffers: readonly { readonly offset: number; readonly length: number }[];
  readonly variadicBufferCounts?: readonly number[];
}

/**
 * Checks the buffers of a compressed batch before anything is decompressed: each buffer lies in
 * the body, and the uncompressed length it declares is no more than its column's type and the
 * batch's row count allow, so a damaged length can never make the codec allocate it.
 */
async function checkCompressedBody(
  handle: FileHandle,
  file: string,
  where: string,
  bodyAt: number,
  body: number,
  types: readonly DataType[],
  header: BatchBuffers,
): Promise<void> {
  const limits = bufferLimits(types, header.nodes, header.variadicBufferCounts);
  if (limits && limits.length !== header.buffers.length)
    throw new DataError(`${where}: it has ${header.buffers.length} buffers, its columns' types ${limits.length}`, {
      file,
      expected: 'a valid Arrow IPC file',
    });
  const bytes = await readBytes(handle, bodyAt, body);
  if (bytes.length < body) throw new DataError(`${where}: its body is truncated`, { file });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  header.buffers.forEach(({ offset, length }, i) => {
    if (length === 0) return;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 8 || offset + length > body) {
      throw new DataError(`${where}: compressed buffer ${i} (offset ${offset}, ${length} bytes) lies outside its body of ${body} bytes`, {
        file,
        expected: 'a valid Arrow IPC file',
      });
    }
    const declared = Number(view.getBigInt64(offset, true));
    const limit = limits?.[i] ?? 2 ** 31 - 1;
    const size = declared === -1 ? length - 8 : declared;
    if (size < 0 || size > limit) {
      throw new DataError(
        `${where}: buffer ${i} declares ${declared} uncompressed bytes, more than its column's type and ${header.nodes[0]?.length ?? 0} rows allow (${limit})`,
        { file, expected: 'a valid Arrow IPC file' },
      );
    }
  });
}

/** Checks a record or dictionary batch message's compressed buffers (see `checkCompressedBody`); an uncompressed one needs nothing here. */
async function checkBatchMessage(
  handle: FileHandle,
  file: string,
  message: Message,
  bodyAt: number,
  body: number,
  schema: Schema | undefined,
  where: string,
): Promise<void> {
  type BatchHeader = BatchBuffers & { readonly compression: unknown };
  const dictionary = message.isDictionaryBatch() ? (message.header() as unknown as { id: number; data: BatchHeader }) : undefined;
  const batch = (dictionary ? dictionary.data : message.header()) as unknown as BatchHeader | null;
  if (batch?.compression == null) return;
  if (!schema) throw new DataError(`${where}: a batch before the schema`, { file, expected: 'a valid Arrow IPC file' });
  const value = dictionary ? schema.dictionaries.get(dictionary.id) : undefined;
  if (dictionary && !value)
    throw new DataError(`${where}: a dictionary batch for dictionary ${dictionary.id}, which the schema does not have`, { file });
  await checkCompressedBody(
    handle,
    file,
    dictionary ? `dictionary batch ${dictionary.id}` : where,
    bodyAt,
    body,
    value ? [value] : schema.fields.map((f) => f.type),
    batch,
  );
}

/**
 * Walks the messages between `start` and `end` (a stream, or the messages of a file before its
 * footer), checking every length against the bytes left, the schema, and the declared sizes of
 * compressed buffers; counts the record batches. A stream that ends early or holds a length that
 * points outside it is a `DataError` before any batch is decoded.
 */
async function walkMessages(handle: FileHandle, file: string, start: number, end: number): Promise<number> {
  let at = start;
  let recordBatches = 0;
  let schema: Schema | undefined;
  for (let index = 0; at < end; index++) {
    const read = await readMessage(handle, file, at, end, `message ${index}`).catch((cause: unknown) => {
      if (index > 0) throw cause;
      throw new DataError(
        'not an Arrow IPC file or stream',
        { file, expected: 'an Arrow IPC file (.arrow/.feather v2) or stream', actual: (cause as Error).message },
        { cause },
      );
    });
    if (!read) {
      // An end-of-stream marker ends the stream; bytes after it mean a length word was damaged.
      if (at + 8 < end)
        throw new DataError(`message ${index}: an end-of-stream marker with ${end - at - 8} bytes after it`, {
          file,
          expected: 'a complete Arrow IPC stream',
        });
      break;
    }
    const body = bodyLengthOf(read.message, file, `message ${index}`);
    const bodyAt = at + read.prefix + read.length;
    if (bodyAt + body > end)
      throw new DataError(`message ${index}: its body of ${body} bytes runs past the end of the ${start === 0 ? 'stream' : 'file'}`, {
        file,
        expected: 'a complete Arrow IPC stream',
      });
    const { message } = read;
    if (message.isSchema()) {
      schema = message.header() as Schema;
      checkSchema(schema, file);
    } else if (message.isRecordBatch() || message.isDictionaryBatch()) {
      await checkBatchMessage(
        handle,
        file,
        message,
        bodyAt,
        body,
        schema,
        message.isRecordBatch() ? `record batch ${recordBatches}` : `message ${index}`,
      );
      if (message.isRecordBatch()) recordBatches++;
    }
    at = bodyAt + body;
  }
  return recordBatches;
}

/**
 * Checks an IPC file before apache-arrow reads it (it decodes the dictionaries as it opens the
 * file): the footer's schema, and every dictionary and record batch block the footer lists, as a
 * stream's messages are checked. Run after `checkFileFooter`.
 */
export async function checkFileMessages(handle: FileHandle, file: string): Promise<void> {
  const { size } = await handle.stat();
  const tail = await readBytes(handle, size - TAIL, TAIL);
  const footerLength = int32(tail, 0);
  const bodyEnd = size - TAIL - footerLength;
  let footer: Footer;
  const footerBytes = await readBytes(handle, bodyEnd, footerLength);
  const problem = footerProblem(footerBytes);
  if (problem) throw new DataError(`the Arrow file's footer is damaged: ${problem}`, { file, expected: 'a valid Arrow IPC file' });
  try {
    footer = Footer.decode(footerBytes);
  } catch (cause) {
    throw new DataError(`the Arrow file's footer cannot be decoded (${(cause as Error).message})`, { file }, { cause });
  }
  checkSchema(footer.schema, file);
  const blocks = [
    ...Array.from({ length: footer.numDictionaries }, (_, i) => ({
      block: footer.getDictionaryBatch(i),
      where: `dictionary block ${i}`,
      kind: 'dictionary' as const,
    })),
    ...Array.from({ length: footer.numRecordBatches }, (_, i) => ({
      block: footer.getRecordBatch(i),
      where: `record batch ${i}`,
      kind: 'record' as const,
    })),
  ];
  if (blocks.length > bodyEnd / 8)
    throw new DataError(`the Arrow file's footer lists ${blocks.length} batches, more than its ${size} bytes can hold`, { file });
  for (const { block, where, kind } of blocks) {
    const { read, body, bodyStart } = await readFooterBlock(handle, file, block, bodyEnd, where);
    if (!(kind === 'record' ? read?.message.isRecordBatch() : read?.message.isDictionaryBatch()))
      throw new DataError(`${where}: the footer points at a message that is not a ${kind} batch`, { file });
    const length = bodyLengthOf(read!.message, file, where);
    if (length > body) throw new DataError(`${where}: its body is longer than its footer block`, { file });
    await checkBatchMessage(handle, file, read!.message, bodyStart, length, footer.schema, where);
  }
}

/**
 * Walks the messages of an IPC stream, checking every length against the bytes left, and counts
 * its record batches: a stream that ends early or holds a length that points outside it is a
 * `DataError` before any batch is decoded.
 */
export async function checkStream(handle: FileHandle, file: string): Promise<ArrowStructure> {
  const { size } = await handle.stat();
  return { format: 'stream', size, recordBatches: await walkMessages(handle, file, 0, size) };
}
