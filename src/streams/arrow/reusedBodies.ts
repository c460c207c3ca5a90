import type { FileHandle } from 'node:fs/promises';
import { MessageHeader, type RecordBatchReader } from 'apache-arrow';
import { giveBackArray, takeArray } from '../../memory/spareArrays.js';

/** The parts of apache-arrow 21's file reader that `readIntoReusedBodies` takes over. */
interface ReaderInternals {
  _impl?: {
    _handle?: { position?: unknown; size?: unknown; _pending?: unknown };
    _reader?: { readMessage?: unknown; readMessageBody?: unknown };
  };
}

/**
 * Makes a reader of an IPC file or stream read each record batch's body into one of two buffers
 * it reuses in turn, instead of a new buffer per batch: a batch is then valid until the second
 * batch after it is read, which is enough for `recordBatchBlocks` (it copies a batch into its block
 * before it asks for the batch after next). A dictionary batch's body is read as before, since its
 * values live on. Returns the function that gives the two buffers back (`giveBackArray`, for the
 * next read of the file) once no batch is needed any more, or undefined, changing nothing, when
 * the reader is not shaped as expected (another apache-arrow version): it then reads as before.
 *
 * Why: a new 5.7 MB body per Fashion-MNIST record batch is memory the kernel must fault in and
 * zero each time; on a virtual machine that was as slow as copying the batch into its block.
 *
 * @example
 * import { open } from 'node:fs/promises';
 * import { RecordBatchReader } from 'apache-arrow';
 * const handle = await open('train.arrow');
 * const reader = await RecordBatchReader.from(handle);
 * await reader.open();
 * const release = readIntoReusedBodies(reader, handle);
 * // … read the batches …
 * release?.();
 */
export function readIntoReusedBodies(reader: RecordBatchReader, handle: FileHandle): (() => void) | undefined {
  const impl = (reader as unknown as ReaderInternals)._impl;
  const file = impl?._handle;
  const messages = impl?._reader;
  const { readMessage, readMessageBody } = messages ?? {};
  if (
    !file ||
    !messages ||
    typeof readMessage !== 'function' ||
    typeof readMessageBody !== 'function' ||
    typeof file.position !== 'number' ||
    typeof file.size !== 'number'
  )
    return undefined;
  let lastHeader: unknown;
  messages.readMessage = async (...args: unknown[]) => {
    const message = (await readMessage.apply(messages, args)) as { headerType?: unknown } | null;
    lastHeader = message?.headerType;
    return message;
  };
  const buffers: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  let turn = 0;
  let reading = 0;
  messages.readMessageBody = async (bodyLength: number): Promise<Uint8Array> => {
    if (lastHeader !== MessageHeader.RecordBatch || bodyLength <= 0)
      return (await readMessageBody.call(messages, bodyLength)) as Uint8Array;
    if (file._pending) await file._pending;
    const start = file.position as number;
    const end = Math.min(file.size as number, start + Math.max(0, bodyLength));
    turn ^= 1;
    // 8-byte aligned from the start of its own buffer, as apache-arrow's views require.
    if (buffers[turn]!.byteLength < end - start) {
      giveBackArray(buffers[turn]!);
      buffers[turn] = takeArray('Uint8Array', end - start);
    }
    const body = buffers[turn]!.subarray(0, end - start);
    let done = 0;
    reading++;
    try {
      while (done < body.byteLength) {
        const { bytesRead } = await handle.read(body, done, body.byteLength - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } finally {
      reading--;
    }
    file.position = start + done;
    // apache-arrow's own words, so that errors read the same either way.
    if (done < bodyLength) throw new Error(`Expected to read ${bodyLength} bytes for message body, but only read ${done}.`);
    return body;
  };
  return () => {
    // A read still in flight (the file was closed under it) may yet write into its buffer.
    if (reading === 0) buffers.forEach(giveBackArray);
    // Given back once only, and never written again by this reader.
    buffers.fill(new Uint8Array(0));
  };
}
