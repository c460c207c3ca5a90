import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelFormatError } from '../errors.js';
import { writeFileAtomic } from './atomicFiles.js';
import { MODEL_FILES, modelIndexFile } from './modelLayout.js';
import { RUN_FILES } from './runLayout.js';

const escaped = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The names rxgrad writes in a model directory: its index, its weights, the run's history and report, and their temporaries. */
const MODEL_FILE = new RegExp(
  `^(${[MODEL_FILES.index, RUN_FILES.history, RUN_FILES.report, MODEL_FILES.lock].map(escaped).join('|')}|weights(-[0-9a-f]{8,})?\\.bin)(\\.tmp-[0-9]+-[0-9a-f]+)?$`,
);
const TEMPORARY = /\.tmp-[0-9]+-[0-9a-f]+$/;

/**
 * What stands in the way of saving a model to `dir`: undefined when `dir` is missing, empty or a
 * model directory (nothing in it but what rxgrad writes there), else why not, naming what is in it.
 *
 * @example
 * const why = await modelDirectoryProblem('runs/a'); // "holds files that are not part of an rxgrad model: notes.txt, data/"
 */
export async function modelDirectoryProblem(dir: string): Promise<string | undefined> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat) return undefined;
  if (!stat.isDirectory()) return 'exists and is not a directory; a model is saved as a directory';
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const foreign = entries.filter((e) => !(e.isFile() && MODEL_FILE.test(e.name))).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
  // A history.json is rxgrad's only when it says so: a user's file of that name is not replaced.
  if (entries.some((e) => e.isFile() && e.name === RUN_FILES.history) && !(await isRunHistory(path.join(dir, RUN_FILES.history))))
    foreign.push(`${RUN_FILES.history} (not an rxgrad run history)`);
  if (foreign.length === 0) return undefined;
  const shown = foreign.sort().slice(0, 5).join(', ') + (foreign.length > 5 ? `, … (${foreign.length} in all)` : '');
  return `holds files that are not part of an rxgrad model (${shown}); refusing to replace it: save to a new or empty directory`;
}

/** Whether a file is a run history rxgrad wrote (its `format` says so). */
async function isRunHistory(file: string): Promise<boolean> {
  try {
    const document = JSON.parse(await fs.readFile(file, 'utf8')) as { format?: unknown };
    return typeof document?.format === 'string' && document.format.startsWith('rxgrad');
  } catch {
    return false;
  }
}

/**
 * Writes a model directory so that at every instant it holds a whole model, the old one or the
 * new: the new weights go to a file of their own (`weights-<id>.bin`, written to a temporary and
 * renamed), then `model.json`, which names that file, is replaced the same way; only then are the
 * old weights and any temporaries left by a killed save removed. A directory holding anything else
 * is refused (`modelDirectoryProblem`), so a user's files are never touched.
 *
 * @example
 * const weights = await writeModelDirectory('models/digits', (name) => JSON.stringify({ weights: name }), new Uint8Array(64));
 */
export async function writeModelDirectory(dir: string, index: (weightsFile: string) => string, weights: Uint8Array): Promise<void> {
  const problem = await modelDirectoryProblem(dir);
  if (problem) throw new ModelFormatError(dir, problem);
  await fs.mkdir(dir, { recursive: true });
  const weightsFile = `weights-${randomBytes(6).toString('hex')}.bin`;
  await writeFileAtomic(path.join(dir, weightsFile), weights);
  try {
    await writeFileAtomic(modelIndexFile(dir), index(weightsFile));
  } catch (error) {
    await fs.rm(path.join(dir, weightsFile), { force: true });
    throw error;
  }
  for (const name of await fs.readdir(dir)) {
    if (name === weightsFile || name === MODEL_FILES.index) continue;
    if (TEMPORARY.test(name) || isWeightsFileName(name)) await fs.rm(path.join(dir, name), { force: true });
  }
}

/**
 * Whether `name` may be a model's weights file (no path, the form rxgrad writes).
 *
 * @example
 * isWeightsFileName('weights-0a1b2c3d4e5f.bin'); // true
 */
export function isWeightsFileName(name: string): boolean {
  return MODEL_FILE.test(name) && name.startsWith('weights') && !TEMPORARY.test(name);
}
