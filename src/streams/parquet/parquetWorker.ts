// The worker thread behind `readParquet`: parquet-wasm decodes here, so that a trap in its
// decoder (a Rust panic on damaged data becomes a WebAssembly RuntimeError, thrown from a callback
// where no caller can catch it) ends this thread and not the process; the next read then starts a
// fresh one. A healthy thread is kept for the next file (compiling the decoder costs more than a
// small file's read). Protocol: `ParquetRequest` in, `ParquetReply` out, one request at a time, in
// order.
import { openAsBlob } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ParquetFile } from 'parquet-wasm';
import type { ParquetReply, ParquetRequest } from './parquetProtocol.js';

const port = parentPort!;
let parquet: ParquetFile | undefined;

const reply = (message: ParquetReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const failure = (error: unknown): ParquetReply => ({
  type: 'error',
  message: (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!.slice(0, 160),
});

const close = () => {
  parquet?.free();
  parquet = undefined;
};

async function answer(request: ParquetRequest): Promise<void> {
  if (request.type === 'close') return close();
  try {
    if (request.type === 'open') {
      close();
      parquet = await ParquetFile.fromFile(await openAsBlob(request.file));
      // The footer is read once: metadata() copies all of it (every row group's) out of the decoder.
      const metadata = parquet.metadata();
      const groupRows = Array.from({ length: metadata.numRowGroups() }, (_, i) => {
        const group = metadata.rowGroup(i);
        const rows = group.numRows();
        group.free();
        return rows;
      });
      const fileMetadata = metadata.fileMetadata();
      const keyValues = [...(fileMetadata.keyValueMetadata() as Map<string, string>)];
      fileMetadata.free();
      metadata.free();
      reply({ type: 'opened', groupRows, keyValues });
    } else {
      const { group, limit, batchSize } = request;
      const table = await parquet!.read(
        group === undefined
          ? { limit: 0 }
          : { rowGroups: [group], ...(limit !== undefined ? { limit } : {}), ...(batchSize !== undefined ? { batchSize } : {}) },
      );
      const ipc = table.intoIPCStream();
      reply({ type: 'ipc', ipc }, [ipc.buffer as ArrayBuffer]);
    }
  } catch (error) {
    reply(failure(error));
  }
}

// One request at a time, in the order they came: a file's close is done before the next file opens.
let queue = Promise.resolve();
port.on('message', (request: ParquetRequest) => {
  queue = queue.then(() => answer(request));
});
