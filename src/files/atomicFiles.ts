import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelFormatError } from '../errors.js';

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
    throw error;
  }
}

/**
 * Replaces a whole directory of files: the new set is written to a temporary sibling directory,
 * then swapped in by renames, so the target holds either the complete old set or the complete new one.
 *
 * @example
 * await writeDirectoryAtomic('models/digits', new Map([['model.json', json], ['weights.bin', bytes]]));
 */
export async function writeDirectoryAtomic(target: string, files: ReadonlyMap<string, string | Uint8Array>): Promise<void> {
  const resolved = path.resolve(target);
  await fs.mkdir(path.dirname(resolved), { recursive: true });
  const staging = temporarySibling(resolved);
  const retired = temporarySibling(resolved);
  let moved = false;
  try {
    await fs.mkdir(staging);
    for (const [name, data] of files) await fs.writeFile(path.join(staging, name), data);
    const existing = await fs.stat(resolved).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new ModelFormatError(target, 'exists and is not a directory; a model is saved as a directory');
    if (existing) {
      await fs.rename(resolved, retired);
      moved = true;
    }
    await fs.rename(staging, resolved);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    if (moved) await fs.rename(retired, resolved).catch(() => undefined);
    throw error;
  }
  await fs.rm(retired, { recursive: true, force: true });
}
