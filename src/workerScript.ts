import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
  // src/streams/parquet/readParquet.ts → dist/streams/parquet/parquetWorker.js
  const source = path.dirname(fileURLToPath(from));
  const parts = source.split(path.sep);
  const src = parts.lastIndexOf('src');
  return pathToFileURL(path.join(parts.slice(0, src).join(path.sep), 'dist', ...parts.slice(src + 1), file));
}
