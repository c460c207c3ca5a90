import path from 'node:path';
import { UnsafePathError } from '../errors.js';

/**
 * A name that may stand for one file or folder: letters, digits, `_`, `.` and `-`, at most 128
 * characters, not starting with a dot (so neither `.` nor `..`, nor a hidden file). Trial ids
 * (`r0-003`), study keys and checkpoint folders all fit it.
 */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Whether `value` is a safe name (see `pathInside`).
 *
 * @example
 * isSafeName('r0-003'); // true
 * isSafeName('../x');   // false
 */
export function isSafeName(value: unknown): value is string {
  return typeof value === 'string' && SAFE_NAME.test(value);
}

/**
 * Whether `child` lies strictly inside the folder `parent` (both resolved first).
 *
 * @example
 * isInside('studies/a/trials/r0-000.json', 'studies/a'); // true
 * isInside('studies/b', 'studies/a');                     // false
 */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** A value shown in an error: quoted, and cut short so that a hostile one cannot flood a log. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * `value` when it is a safe name, else an `UnsafePathError` saying `what` it was.
 *
 * @example
 * safeName('r0-003', 'trial id'); // 'r0-003'
 * safeName('../x', 'trial id'); // throws UnsafePathError
 */
export function safeName(value: unknown, what: string): string {
  if (!isSafeName(value)) {
    throw new UnsafePathError(
      `refused ${what} ${shown(value)}: expected letters, digits, '_', '.' or '-' (at most 128, not starting with '.')`,
    );
  }
  return value;
}

/**
 * The path of `names` (each one file or folder name) inside `root`: the one way a path is built
 * from a name that crossed a process or machine boundary (a job's study, a trial id a worker
 * returned, a suggestion read back). Every name must be a safe name, and the result is checked to
 * resolve inside `root` before it is handed out, so no read, write or delete through it can reach
 * anything else. `what` names the value in the error.
 *
 * @example
 * pathInside('studies/a/checkpoints', 'r0-003', 'trial id'); // 'studies/a/checkpoints/r0-003'
 * pathInside('studies/a/checkpoints', '../../x', 'trial id'); // throws UnsafePathError
 */
export function pathInside(root: string, names: string | readonly string[], what: string): string {
  const parts = typeof names === 'string' ? [names] : names;
  for (const name of parts) safeName(name, what);
  const joined = path.join(root, ...parts);
  if (parts.length > 0 && !isInside(joined, root)) {
    throw new UnsafePathError(`refused ${what} ${shown(parts.join('/'))}: it resolves outside ${root}`);
  }
  return joined;
}
