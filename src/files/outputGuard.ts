import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MODEL_FILES } from './modelLayout.js';
import { RUN_FILES } from './runLayout.js';
import { isInside } from './safePaths.js';
import { STUDY_FILES } from './studyLayout.js';

/** What makes a directory one that rxgrad owns: a model (or checkpoint), a run, a study. */
const OWNED_DIRECTORIES: readonly (readonly [file: string, what: string])[] = [
  [STUDY_FILES.settings, 'the study directory'],
  [MODEL_FILES.index, 'the model directory'],
  [RUN_FILES.history, 'the run directory'],
];

/** What an output may replace, and what it may never be. */
export interface OutputRules {
  /** What the command writes, for messages: 'predictions', 'a report', 'a dataset'. */
  readonly kind: string;
  /** Every file or directory the command reads: the output is never one of them, nor inside one. */
  readonly inputs: readonly string[];
  /** Whether an existing file is this kind's (one rxgrad wrote before), which may be replaced without `force`. */
  readonly isOwnKind: (file: string) => Promise<boolean>;
  /** Replace an existing regular file of another kind (`--force`). Inputs and model or study files stay refused. */
  readonly force?: boolean | undefined;
  /** The one path inside an rxgrad directory that this command writes by design (a report's `DIR/report.html`). */
  readonly allowed?: string | undefined;
}

/** `file`'s path with its folder's symbolic links resolved (the file itself may not exist yet). */
async function realTarget(file: string): Promise<string> {
  const resolved = path.resolve(file);
  const folder = await fs.realpath(path.dirname(resolved)).catch(() => path.dirname(resolved));
  const real = path.join(folder, path.basename(resolved));
  return fs.realpath(real).catch(() => real);
}

/** The rxgrad directory `file` lies in (a model, run or study), and what it is; undefined when none. */
async function ownedDirectoryOf(file: string): Promise<{ readonly dir: string; readonly what: string } | undefined> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    for (const [marker, what] of OWNED_DIRECTORIES) {
      if ((await fs.stat(path.join(dir, marker)).catch(() => undefined))?.isFile()) return { dir, what };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Why a command may not write its output to `out`, or undefined when it may. Checked before the
 * command reads or writes anything, so a refusal costs nothing and changes nothing. An output may
 * never be a file the command reads (also through a link), a file inside a model, run or study
 * directory (but for `rules.allowed`), a directory, or anything but a regular file; an existing
 * file that is not of this kind is replaced only with `rules.force`.
 *
 * @example
 * const problem = await outputProblem('test.arrow', { kind: 'predictions', inputs: ['test.arrow', 'model'], isOwnKind: async () => false });
 * // "is an input of this command (test.arrow); write the output to another file"
 */
export async function outputProblem(out: string, rules: OutputRules): Promise<string | undefined> {
  const stat = await fs.stat(out).catch(() => undefined);
  if (stat?.isDirectory()) return 'is a directory; give the path of a file to write';
  const folder = path.dirname(path.resolve(out));
  if (!(await fs.stat(folder).catch(() => undefined))?.isDirectory()) return `the folder ${folder} does not exist`;
  const target = await realTarget(out);
  const allowed = rules.allowed !== undefined && target === (await realTarget(rules.allowed));
  for (const input of rules.inputs) {
    const real = await realTarget(input);
    const inputStat = await fs.stat(input).catch(() => undefined);
    const sameFile =
      real === target || (stat !== undefined && inputStat !== undefined && stat.dev === inputStat.dev && stat.ino === inputStat.ino);
    if (sameFile) return `is an input of this command (${input}); write the output to another file`;
    if (inputStat?.isDirectory() && isInside(target, real) && !allowed) {
      return `is inside ${input}, which this command reads; write the output elsewhere`;
    }
  }
  const owned = await ownedDirectoryOf(target);
  if (owned && !allowed) {
    return `is inside ${owned.what} ${owned.dir}; rxgrad never writes another file there: write the output elsewhere`;
  }
  if (stat && !stat.isFile()) return 'exists and is not a regular file; give the path of a file to write';
  if (stat && !rules.force && !(await rules.isOwnKind(out)))
    return `exists and is not ${rules.kind} written by rxgrad; pass --force to replace it, or write to another file`;
  return undefined;
}

/** Up to `bytes` of a file, from its start or from its end. */
async function fileBytes(file: string, bytes: number, from: 'start' | 'end'): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const size = from === 'start' ? bytes : (await handle.stat()).size;
    const length = Math.min(bytes, size);
    const position = from === 'start' ? 0 : size - length;
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The first `bytes` of a file (fewer when it is shorter), for recognizing what kind it is.
 *
 * @example
 * const head = await fileHead('preds.arrow', 4096);
 */
export function fileHead(file: string, bytes: number): Promise<Buffer> {
  return fileBytes(file, bytes, 'start');
}

/**
 * The last `bytes` of a file (all of it when it is shorter): where Parquet keeps its schema.
 *
 * @example
 * const footer = await fileTail('preds.parquet', 65_536);
 */
export function fileTail(file: string, bytes: number): Promise<Buffer> {
  return fileBytes(file, bytes, 'end');
}
