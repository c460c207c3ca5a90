import { randomBytes } from 'node:crypto';
import { promises as fs, writeSync } from 'node:fs';

/**
 * A sibling path for work in progress: same folder (so rename is atomic), unique, and ignored by git.
 *
 * @example
 * temporarySibling('out/pred.arrow'); // 'out/pred.arrow.tmp-1234-9f2c…'
 */
export function temporarySibling(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes a file so that readers see either the old content or the new, never a partial one:
 * write a temporary sibling, then rename it over the target.
 *
 * @example
 * await writeFileAtomic('model/model.json', JSON.stringify(meta));
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporarySibling(target);
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    // A failed write (a full disk) may not say which file: name the one the caller asked for.
    const system = error as NodeJS.ErrnoException;
    if (typeof system?.code === 'string' && system.path === undefined) system.path = target;
    throw error;
  }
}

/**
 * A file written in place of `target` through a temporary sibling: bytes go straight to disk
 * (`write`, synchronous, so a producer waits for the disk instead of piling output up in memory);
 * `commit` closes and renames it over the target, `discard` closes and removes it.
 *
 * @example
 * const file = await openTemporaryFile('out.csv');
 * file.write(Buffer.from('a,b\n'));
 * await file.commit();
 */
export async function openTemporaryFile(target: string) {
  const temporary = temporarySibling(target);
  const handle = await fs.open(temporary, 'w');
  let open = true;
  const close = async () => {
    if (!open) return;
    open = false;
    await handle.close();
  };
  return {
    fd: handle.fd,
    write(bytes: Uint8Array): void {
      for (let written = 0; written < bytes.length; ) written += writeSync(handle.fd, bytes, written, bytes.length - written);
    },
    async commit(): Promise<void> {
      await close();
      await fs.rename(temporary, target);
    },
    async discard(): Promise<void> {
      await close().catch(() => undefined);
      await fs.rm(temporary, { force: true });
    },
  };
}
