import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled worker script `file` beside the module at `from` (its import.meta.url); when that
 * module runs from the TypeScript sources (tests), the same file in the build under dist/.
 *
 * @example
 * import { Worker } from 'node:worker_threads';
 * new Worker(workerScript('trialWorker.js', import.meta.url));
 */
export function workerScript(file: string, from: string): URL {
  const here = new URL(`./${file}`, from);
  if (existsSync(fileURLToPath(here))) return here;
  const folder = path.basename(path.dirname(fileURLToPath(from)));
  return new URL(`../../dist/${folder}/${file}`, from);
}
