import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { vi } from 'vitest';

/** Every file handle opened from now on (until vi.restoreAllMocks), with its path, the reads made through it and whether it was closed. */
export function watchHandles() {
  const opened: { path: string; reads: number; closed: boolean }[] = [];
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const handle: FileHandle = await open(...args);
    const record = { path: String(args[0]), reads: 0, closed: false };
    opened.push(record);
    const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<unknown>;
    const close = handle.close.bind(handle);
    (handle as { read: unknown }).read = (...a: unknown[]) => {
      record.reads++;
      return read(...a);
    };
    handle.close = () => {
      record.closed = true;
      return close();
    };
    return handle;
  });
  return opened;
}
