/**
 * Base class of every error a user can cause: bad data, a diverging run, an unusable saved model
 * or study, a bad search space or command line. `exitCode` is what the CLI exits with: 1 for bad
 * data or state, 2 for a bad command line or space. Programmer mistakes (a patience of 0, layer
 * sizes that do not fit) throw `RangeError`/`TypeError` when the thing is built instead.
 *
 * @example
 * readArrow('train.arrow').subscribe({ error: (e) => { if (e instanceof RxgradError) console.error(e.message); } });
 */
export class RxgradError extends Error {
  override readonly name: string = 'RxgradError';
  /** The CLI's exit code for this kind of error. */
  readonly exitCode: 1 | 2 = 1;
}

/**
 * A problem with the command line itself (an unknown option value, a missing file argument):
 * printed without a stack, exit code 2.
 *
 * @example
 * throw new UsageError("--optimizer must be one of sgd, momentum, rmsprop, adam; got 'adagrad'");
 */
export class UsageError extends RxgradError {
  override readonly name: string = 'UsageError';
  override readonly exitCode = 2;
}

/**
 * A search space that cannot be sampled: bad bounds, an unknown distribution or parameter. Exit code 2.
 *
 * @example
 * logUniform(0, 1); // throws SearchSpaceError: logUniform: a log scale needs positive bounds…
 */
export class SearchSpaceError extends UsageError {
  override readonly name = 'SearchSpaceError';
}

/**
 * A study directory that cannot be used as asked: not a study, or resumed with other settings.
 *
 * @example
 * runStudy({ dir: 'studies/a', space: defaultSearchSpace(), settings, trials: 40, resume: true }).subscribe({
 *   error: (e) => e instanceof StudyError && console.error(e.message),
 * });
 */
export class StudyError extends RxgradError {
  override readonly name = 'StudyError';
}

/** Where a data error was found and what was expected there. */
export interface DataErrorContext {
  /** The file (or source) the data came from. */
  readonly file?: string | undefined;
  /** The column at fault. */
  readonly column?: string | undefined;
  /** Zero-based row index within the whole dataset (not within one record batch). */
  readonly row?: number | undefined;
  /** One-based line of a text file (CSV), where that says more than a row index. */
  readonly line?: number | undefined;
  /** What the data should have been. */
  readonly expected?: string | undefined;
  /** What it was. */
  readonly actual?: string | undefined;
}

/**
 * Bad input data: a missing file or column, a non-numeric feature, a NaN, a label out of range.
 * The message names the file, column and first bad row; the same facts are on the fields.
 *
 * @example
 * new DataError('label must be a non-negative integer', { file: 'train.arrow', column: 'label', row: 12, actual: '-1' });
 */
export class DataError extends RxgradError {
  override readonly name = 'DataError';
  readonly file: string | undefined;
  readonly column: string | undefined;
  readonly row: number | undefined;
  readonly line: number | undefined;
  readonly expected: string | undefined;
  readonly actual: string | undefined;

  constructor(problem: string, context: DataErrorContext = {}, options?: { cause?: unknown }) {
    super(DataError.describe(problem, context), options);
    this.file = context.file;
    this.column = context.column;
    this.row = context.row;
    this.line = context.line;
    this.expected = context.expected;
    this.actual = context.actual;
  }

  private static describe(problem: string, c: DataErrorContext): string {
    const where = [
      c.file !== undefined ? c.file : undefined,
      c.line !== undefined ? `line ${c.line}` : undefined,
      c.column !== undefined ? `column '${c.column}'` : undefined,
      c.row !== undefined ? `row ${c.row}` : undefined,
    ].filter((part) => part !== undefined);
    const detail = [
      c.expected !== undefined ? `expected ${c.expected}` : undefined,
      c.actual !== undefined ? `got ${c.actual}` : undefined,
    ].filter((part) => part !== undefined);
    return `${where.length > 0 ? `${where.join(', ')}: ` : ''}${problem}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`;
  }
}

/**
 * The training loss became NaN or infinite. Training stops; a model saved before this step is kept.
 *
 * @example
 * fit$.subscribe({ error: (e) => e instanceof DivergedError && console.error(`diverged at epoch ${e.epoch}`) });
 */
export class DivergedError extends RxgradError {
  override readonly name = 'DivergedError';
  constructor(
    readonly loss: number,
    /** The epoch it happened in, 1 for the first. */
    readonly epoch: number,
    /** Zero-based index of the batch within that epoch. */
    readonly step: number,
    /** The finite bound it crossed, when it stayed finite. */
    readonly bound?: number,
  ) {
    const above = Number.isFinite(loss) && bound !== undefined ? ` (above ${bound.toPrecision(3)}, 100 times the loss of guessing)` : '';
    super(
      `training diverged: the loss became ${Number.isFinite(loss) ? loss.toPrecision(4) : loss}${above} at epoch ${epoch}, step ${step + 1}; lower the learning rate`,
    );
  }
}

/**
 * A name that came from outside this process (a queued job, a worker's result, a file) and would
 * have reached outside the folder it belongs in: `../../x`, an absolute path, a name with a slash.
 * Nothing was read, written or deleted.
 *
 * @example
 * import { pathInside } from './files/safePaths.js';
 * pathInside('study/trials', '../../x', 'trial id'); // throws UnsafePathError
 */
export class UnsafePathError extends RxgradError {
  override readonly name = 'UnsafePathError';
}

/**
 * A saved model directory is missing, incomplete or of an unknown format version.
 *
 * @example
 * loadModel('models/digits').catch((e) => e instanceof ModelFormatError && console.error(e.message));
 */
export class ModelFormatError extends RxgradError {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}`, options);
  }
}

/**
 * The operating-system error codes that say something about the machine (its disks, file system,
 * limits), not about what was asked of it, each with the words the CLI prints for it. A trial that
 * fails with one of them is not the trial's fault, and the CLI names the cause in one line.
 */
const SYSTEM_ERROR_CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'resource busy',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'out of memory',
};

/**
 * What an operating-system error code means in a few words, when it is one about the machine.
 *
 * @example
 * systemErrorCause('ENOSPC') // 'no space left on the device'
 * systemErrorCause('ECONNREFUSED') // undefined
 */
export function systemErrorCause(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(SYSTEM_ERROR_CAUSES, code) ? SYSTEM_ERROR_CAUSES[code] : undefined;
}
