import { StudyError } from '../errors.js';
import { type DirectoryLock, lockDirectory } from '../files/directoryLock.js';

/** The lock file of a study directory. */
export const LOCK_FILE = 'study.lock';

/** A held study lock; `release` removes it (if it is still this one). */
export type StudyLock = DirectoryLock;

/**
 * Takes the lock of a study directory (`study.lock`, see `lockDirectory`), so that one process at
 * a time runs it; a second is refused with a `StudyError` that says who holds it.
 *
 * @example
 * import { studyStore } from './studyStore.js';
 * const lock = await lockStudy('studies/digits');
 * try {
 *   await studyStore('studies/digits').writeBest(best);
 * } finally {
 *   await lock.release();
 * }
 */
export function lockStudy(dir: string): Promise<StudyLock> {
  return lockDirectory(dir, {
    name: LOCK_FILE,
    what: 'the study',
    rule: 'one process runs a study at a time',
    refuse: (message) => new StudyError(message),
  });
}
