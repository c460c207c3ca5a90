import { randomBytes } from 'node:crypto';
import { promises as fs, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A sibling path for work in progress: same folder (so rename is atomic), unique, and ignored by git.
 *
 * @example
 * temporarySibling('out/pred.arrow'); // 'out/pred.arrow.tmp-1234-9f2c…'
 */
export function temporarySibling(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Names the file a system error happened on, when the error does not (a write to a descriptor says only "write"). */
function withPath(error: unknown, file: string): unknown {
  const system = error as NodeJS.ErrnoException;
  if (typeof system?.code === 'string' && system.path === undefined) system.path = file;
  return error;
}

/** Flushes a folder's entries (a rename into it) to disk; some file systems cannot, and need not. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/**
 * Whether a process of this machine is running (one we may not signal is running too).
 *
 * @example
 * isProcessRunning(process.pid); // true
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries of `target` that a process of this machine left when it was killed (or
 * its disk filled up) while writing: `target.tmp-PID-…` whose process is no longer running.
 *
 * @example
 * await removeStaleTemporaries('out/pred.csv'); // removes out/pred.csv.tmp-4242-0a1b2c3d if 4242 is gone
 */
export async function removeStaleTemporaries(target: string): Promise<void> {
  const folder = path.dirname(target);
  const prefix = `${path.basename(target)}.tmp-`;
  for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
    const match = name.startsWith(prefix) ? /^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length)) : null;
    if (match && Number(match[1]) !== process.pid && !isProcessRunning(Number(match[1])))
      await fs.rm(path.join(folder, name), { force: true });
  }
}

/**
 * Writes a file so that readers see either the old content or the new, never a partial one, also
 * after a power cut: write a temporary sibling, flush it to disk, rename it over the target, and
 * flush the folder. A failure (a full disk) removes the temporary and names the target.
 *
 * @example
 * await writeFileAtomic('model/model.json', JSON.stringify({ format: 'rxgrad-model' }));
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporarySibling(target);
  try {
    await fs.writeFile(temporary, data);
    const handle = await fs.open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw withPath(error, target);
  }
  await syncFolder(path.dirname(target));
}

/**
 * A file written in place of `target` through a temporary sibling: bytes go straight to disk
 * (`write`, synchronous, so a producer waits for the disk instead of piling output up in memory);
 * `commit` flushes it to disk, closes and renames it over the target, `discard` closes and
 * removes it. Temporaries of the same target left by killed processes are removed first. A failed
 * write (a full disk) names the target.
 *
 * @example
 * const file = await openTemporaryFile('out.csv');
 * file.write(Buffer.from('a,b\n'));
 * await file.commit();
 */
export async function openTemporaryFile(target: string) {
  await removeStaleTemporaries(target);
  const temporary = temporarySibling(target);
  const handle = await fs.open(temporary, 'w').catch((error: unknown) => {
    throw withPath(error, target);
  });
  let open = true;
  const close = async () => {
    if (!open) return;
    open = false;
    await handle.close();
  };
  return {
    fd: handle.fd,
    write(bytes: Uint8Array): void {
      try {
        for (let written = 0; written < bytes.length; ) written += writeSync(handle.fd, bytes, written, bytes.length - written);
      } catch (error) {
        throw withPath(error, target);
      }
    },
    async commit(): Promise<void> {
      try {
        await handle.sync();
        await close();
        await fs.rename(temporary, target);
      } catch (error) {
        throw withPath(error, target);
      }
      await syncFolder(path.dirname(target));
    },
    async discard(): Promise<void> {
      await close().catch(() => undefined);
      await fs.rm(temporary, { force: true });
    },
  };
}
