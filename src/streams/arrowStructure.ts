import type { FileHandle } from 'node:fs/promises';
import { Message } from 'apache-arrow';
import { DataError } from '../errors.js';

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
async function readMessage(handle: FileHandle, file: string, at: number, end: number, where: string): Promise<{ prefix: number; length: number; message: Message } | undefined> {
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
    throw new DataError(`${where}: message length ${length} does not fit the ${end - at - prefix} bytes left`, { file, expected: 'a valid Arrow IPC file' });
  }
  let message: Message;
  try {
    message = Message.decode(await readBytes(handle, at + prefix, length));
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
 * Checks the footer of an IPC file (its length word, before apache-arrow reads it), so that no
 * read goes past the end of the file: apache-arrow allocates whatever a corrupted length asks for.
 */
export async function checkFileFooter(handle: FileHandle, file: string): Promise<ArrowStructure['format']> {
  const { size } = await handle.stat();
  const head = await readBytes(handle, 0, Math.min(HEAD, size));
  if (text(head.subarray(0, 6)) !== MAGIC) return 'stream';
  const tail = await readBytes(handle, Math.max(0, size - TAIL), Math.min(TAIL, size));
  if (size < HEAD + TAIL || text(tail.subarray(4, 10)) !== MAGIC) {
    throw new DataError('the Arrow file is truncated: it does not end with its footer', { file, expected: `'${MAGIC}' at the end`, actual: `${size} bytes` });
  }
  const footerLength = int32(tail, 0);
  if (footerLength <= 0 || footerLength > size - HEAD - TAIL) {
    throw new DataError(`the Arrow file's footer length ${footerLength} does not fit the file`, { file, expected: `1 to ${size - HEAD - TAIL} bytes` });
  }
  return 'file';
}

/**
 * Checks every record batch block the footer lists: inside the file, before the footer, and
 * pointing at a record batch message whose body fits its block. Bounds the work apache-arrow does
 * on a corrupted file to one read per block (its reader otherwise re-reads a message that is not a
 * record batch forever).
 */
export async function checkFileBlocks(handle: FileHandle, file: string, count: number, blockAt: (index: number) => FooterBlock | null): Promise<ArrowStructure> {
  const { size } = await handle.stat();
  const tail = await readBytes(handle, size - TAIL, TAIL);
  const bodyEnd = size - TAIL - int32(tail, 0);
  if (!Number.isSafeInteger(count) || count < 0 || count > bodyEnd / 8) throw new DataError(`the Arrow file's footer lists ${count} record batches, more than its ${size} bytes can hold`, { file });
  for (let i = 0; i < count; i++) {
    const where = `record batch ${i}`;
    const block = blockAt(i);
    const offset = Number(block?.offset);
    const body = Number(block?.bodyLength);
    const meta = block?.metaDataLength ?? Number.NaN;
    if (!block || !Number.isSafeInteger(offset) || !Number.isSafeInteger(body) || !Number.isSafeInteger(meta) || offset < HEAD || meta <= 0 || body < 0 || offset + meta + body > bodyEnd) {
      throw new DataError(`${where}: its footer block (offset ${String(block?.offset)}, ${meta} + ${String(block?.bodyLength)} bytes) lies outside the file's ${bodyEnd} bytes of messages`, { file });
    }
    const read = await readMessage(handle, file, offset, offset + meta, where);
    if (!read?.message.isRecordBatch()) throw new DataError(`${where}: the footer points at a message that is not a record batch`, { file });
    if (bodyLengthOf(read.message, file, where) > body) throw new DataError(`${where}: its body is longer than its footer block`, { file });
  }
  return { format: 'file', size, recordBatches: count };
}

/**
 * Walks the messages of an IPC stream, checking every length against the bytes left, and counts
 * its record batches: a stream that ends early or holds a length that points outside it is a
 * `DataError` before any batch is decoded.
 */
export async function checkStream(handle: FileHandle, file: string): Promise<ArrowStructure> {
  const { size } = await handle.stat();
  let at = 0;
  let recordBatches = 0;
  for (let index = 0; at < size; index++) {
    const read = await readMessage(handle, file, at, size, `message ${index}`).catch((cause: unknown) => {
      // A first message that makes no sense: most likely not Arrow at all (a CSV, say).
      if (index > 0) throw cause;
      throw new DataError('not an Arrow IPC file or stream', { file, expected: 'an Arrow IPC file (.arrow/.feather v2) or stream', actual: (cause as Error).message }, { cause });
    });
    if (!read) break;
    const body = bodyLengthOf(read.message, file, `message ${index}`);
    const next = at + read.prefix + read.length + body;
    if (next > size) throw new DataError(`message ${index}: its body of ${body} bytes runs past the end of the stream`, { file, expected: 'a complete Arrow IPC stream' });
    if (read.message.isRecordBatch()) recordBatches++;
    at = next;
  }
  return { format: 'stream', size, recordBatches };
}
