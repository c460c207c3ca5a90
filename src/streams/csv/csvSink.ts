import { openTemporaryFile } from '../../files/atomicFiles.js';

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
  const file = await openTemporaryFile(path);
  let pending = `${header.map(csvCell).join(',')}\n`;
  const flush = () => {
    file.write(Buffer.from(pending));
    pending = '';
  };
  return {
    row(cells: readonly string[]): void {
      pending += `${cells.map(csvCell).join(',')}\n`;
      if (pending.length > 1 << 16) flush();
    },
    async close(): Promise<void> {
      flush();
      await file.commit();
    },
    abort: () => file.discard(),
  };
}
