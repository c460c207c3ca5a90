import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';

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
