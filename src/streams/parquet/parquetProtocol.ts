/** What `readParquet` asks its worker thread: open a file (its footer), decode a row group (or an empty read, for the schema), or let the file go. */
export type ParquetRequest =
  | { readonly type: 'open'; readonly file: string }
  | { readonly type: 'read'; readonly group: number | undefined; readonly batchSize?: number; readonly limit?: number }
  | { readonly type: 'close' };

/** What the worker answers (nothing to a close): the footer's row counts and key-value metadata, a decoded row group as Arrow IPC stream bytes, or an error the decoder reported. */
export type ParquetReply =
  | { readonly type: 'opened'; readonly groupRows: number[]; readonly keyValues: [string, string][] }
  | { readonly type: 'ipc'; readonly ipc: Uint8Array }
  | { readonly type: 'error'; readonly message: string };
