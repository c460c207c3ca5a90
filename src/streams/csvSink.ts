import { promises as fs, writeSync } from 'node:fs';
import { temporarySibling } from '../files/atomicFiles.js';

/** A CSV cell, quoted when it holds a delimiter, a quote or a line break. */
export const csvCell = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/**
 * A CSV file written row by row through a temporary sibling renamed over `path` on `close`
 * (`abort` removes it). Rows are written synchronously in chunks, so memory stays bounded.
 *
 * @example
 * const sink = await openCsvSink('out.csv', ['a', 'b']);
 * sink.row(['1', '2']);
 * await sink.close();
 */
export async function openCsvSink(path: string, header: readonly string[]) {
  const temporary = temporarySibling(path);
  const handle = await fs.open(temporary, 'w');
  let open = true;
  let pending = `${header.map(csvCell).join(',')}\n`;
  const flush = () => {
    const bytes = Buffer.from(pending);
    for (let written = 0; written < bytes.length; ) written += writeSync(handle.fd, bytes, written, bytes.length - written);
    pending = '';
  };
  const closeFile = async () => {
    if (!open) return;
    open = false;
    await handle.close();
  };
  return {
    row(cells: readonly string[]): void {
      pending += `${cells.map(csvCell).join(',')}\n`;
      if (pending.length > 1 << 16) flush();
    },
    async close(): Promise<void> {
      flush();
      await closeFile();
      await fs.rename(temporary, path);
    },
    async abort(): Promise<void> {
      await closeFile().catch(() => undefined);
      await fs.rm(temporary, { force: true });
    },
  };
}
