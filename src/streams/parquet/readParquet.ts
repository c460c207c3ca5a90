import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { type RecordBatch, Schema, type Table, tableFromIPC } from 'apache-arrow';
import type { Observable } from 'rxjs';
import { DataError } from '../../errors.js';
import { workerScript } from '../../workerScript.js';
import { type ReadArrowOptions, recordBatchBlocks } from '../arrow/recordBatchBlocks.js';
import { type ArrowColumnOptions, type ArrowLayout, CLASS_NAMES_KEY, resolveLayout } from '../records/columnLayout.js';
import type { ExampleBlock } from '../records/examples.js';
import { PANDAS_METADATA_KEY } from '../records/indexColumns.js';
import type { ParquetReply, ParquetRequest } from './parquetProtocol.js';

/** Healthy decoder threads no read is using: kept (unreferenced, so they never hold the process open) for the next reads. */
const idle: Worker[] = [];
const KEEP_IDLE = 2;

/**
 * A Parquet file opened by a decoder thread (`parquetWorker`), which decodes with parquet-wasm:
 * damaged data that makes the decoder trap ends that thread, never this process, and the next
 * read starts a fresh one. A thread whose read ended cleanly is kept for the next file, since
 * compiling the decoder costs more than reading a small file. Every failure is a `DataError`
 * naming the file and what was being read (its footer, a row group).
 */
class ParquetThread {
  private readonly worker: Worker;
  private waiting: { resolve(reply: ParquetReply): void; reject(error: Error): void } | undefined;
  private ended: Error | undefined;
  private readonly onMessage = (reply: ParquetReply) => this.settle((w) => w.resolve(reply));
  private readonly onError = (error: Error) => this.end(error);
  private readonly onExit = (code: number) => this.end(new Error(`the decoder's thread exited (code ${code})`));

  constructor(private readonly file: string) {
    // An idle thread that has died meanwhile (it should not) has a threadId of -1: it is passed over.
    let kept = idle.pop();
    while (kept && kept.threadId === -1) kept = idle.pop();
    this.worker = kept ?? new Worker(workerScript('parquetWorker.js', import.meta.url));
    this.worker.ref();
    this.worker.on('message', this.onMessage);
    this.worker.on('error', this.onError);
    this.worker.on('exit', this.onExit);
  }

  private settle(how: (waiting: NonNullable<ParquetThread['waiting']>) => void): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) how(waiting);
  }

  private end(error: Error): void {
    this.ended ??= error;
    this.settle((w) => w.reject(error));
  }

  /** Sends one request and waits for its reply; `where` names what is read, for errors. */
  async ask(
    request: Exclude<ParquetRequest, { type: 'close' }>,
    where: string,
  ): Promise<ParquetReply & { readonly type: 'opened' | 'ipc' }> {
    const reply = await new Promise<ParquetReply>((resolve, reject) => {
      if (this.ended) return reject(this.ended);
      this.waiting = { resolve, reject };
      this.worker.postMessage(request);
    }).catch((cause: Error) => {
      const detail = `${cause.name === 'RuntimeError' ? 'the decoder stopped: ' : ''}${String(cause.message).split('\n', 1)[0]!.slice(0, 160)}`;
      throw new DataError(`${where}: the Parquet data is damaged (${detail})`, { file: this.file }, { cause });
    });
    if (reply.type === 'error')
      throw new DataError(request.type === 'open' ? 'not a Parquet file' : `${where}: the Parquet data is damaged (${reply.message})`, {
        file: this.file,
        ...(request.type === 'open' ? { expected: 'a Parquet file (.parquet)', actual: reply.message } : {}),
      });
    return reply;
  }

  /** Lets the file go: the thread goes back to the idle ones when it is healthy and between requests, else it ends. */
  close(): void {
    if (this.ended) return;
    const reusable = this.waiting === undefined && idle.length < KEEP_IDLE;
    this.ended = new Error('closed');
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    if (!reusable) {
      void this.worker.terminate();
      return;
    }
    this.worker.postMessage({ type: 'close' } satisfies ParquetRequest);
    this.worker.unref();
    idle.push(this.worker);
  }
}

/** A Parquet file opened, with what its footer says: each row group's rows, and the schema in Arrow's terms. */
interface OpenParquet {
  readonly thread: ParquetThread;
  readonly groupRows: readonly number[];
  readonly schema: Schema;
}

/** Opens a Parquet file on a thread of its own, its row groups read one at a time from disk. */
async function openParquet(file: string): Promise<OpenParquet> {
  const info = await stat(file).catch((cause: NodeJS.ErrnoException) => {
    throw new DataError(`cannot open the file: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`, { file }, { cause });
  });
  if (info.isDirectory()) throw new DataError('cannot open the file: is a directory', { file });
  const thread = new ParquetThread(file);
  try {
    const opened = await thread.ask({ type: 'open', file }, 'its footer');
    if (opened.type !== 'opened') throw new DataError('its footer could not be read', { file });
    const { groupRows } = opened;
    for (const [group, rows] of groupRows.entries()) {
      if (!Number.isSafeInteger(rows) || rows < 0) throw new DataError(`row group ${group}: its metadata gives ${rows} rows`, { file });
    }
    // The schema, in Arrow's terms: the first row group's, or an empty read's for a file without rows.
    const first = tableFromIPC(
      await ipcOf(
        thread,
        groupRows.length > 0 ? { type: 'read', group: 0, limit: 1 } : { type: 'read', group: undefined },
        groupRows.length > 0 ? 'row group 0' : 'its schema',
      ),
    );
    // Class names written by rxgrad travel in the file's key-value metadata, and so do pandas' notes on the DataFrame (its index).
    const keyValues = new Map(opened.keyValues);
    const carried = [CLASS_NAMES_KEY, PANDAS_METADATA_KEY].flatMap((key) =>
      keyValues.has(key) ? [[key, keyValues.get(key)!] as const] : [],
    );
    const schema = carried.length === 0 ? first.schema : new Schema(first.schema.fields, new Map([...first.schema.metadata, ...carried]));
    return { thread, groupRows, schema };
  } catch (error) {
    thread.close();
    throw error;
  }
}

/** A decoded read as Arrow IPC stream bytes. */
async function ipcOf(thread: ParquetThread, request: Extract<ParquetRequest, { type: 'read' }>, where: string): Promise<Uint8Array> {
  const reply = await thread.ask(request, where);
  if (reply.type !== 'ipc') throw new DataError(`${where}: the decoder answered out of turn`, {});
  return reply.ipc;
}

/**
 * Replays a Parquet file as `ExampleBlock`s (the same blocks `readArrow` emits), one row group at
 * a time, read from disk through parquet-wasm: the file is never held whole. The columns and every
 * bad-input rule are those of `readArrow`; any error names the file, and damaged data (whatever
 * parquet-wasm's decoder throws, a trap included) is a `DataError` naming the row group.
 *
 * @example
 * readParquet('features.parquet', { label: 'label' }).pipe(summarize()).subscribe(console.log);
 */
export function readParquet(file: string, options: ReadArrowOptions = {}): Observable<ExampleBlock> {
  return recordBatchBlocks(
    file,
    async () => {
      const { thread, groupRows, schema } = await openParquet(file);
      let closed = false;
      return {
        schema,
        declared: undefined,
        batches: async function* (): AsyncGenerator<RecordBatch> {
          for (let group = 0; group < groupRows.length && !closed; group++) {
            const expected = groupRows[group]!;
            const where = `row group ${group}`;
            const ipc = await ipcOf(thread, { type: 'read', group, batchSize: Math.max(1, expected) }, where);
            let table: Table;
            try {
              table = tableFromIPC(ipc);
            } catch (cause) {
              throw new DataError(
                `${where}: the Parquet data is damaged (${String((cause as Error).message).slice(0, 160)})`,
                { file },
                { cause },
              );
            }
            if (table.numRows !== expected)
              throw new DataError(`row group ${group} holds ${table.numRows} rows, its metadata says ${expected}`, { file });
            // One row group, one batch (its rows at most one batch's worth).
            yield* table.batches;
          }
        },
        close: async () => {
          if (closed) return;
          closed = true;
          thread.close();
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
  const { schema, thread } = await openParquet(file);
  try {
    return resolveLayout(file, schema, options);
  } finally {
    thread.close();
  }
}
