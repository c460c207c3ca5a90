import { closeSync, promises as fs, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { StudyError } from '../errors.js';

/** The lock file of a study directory. */
export const LOCK_FILE = 'study.lock';

/** Who holds a study. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A held study lock; `release` removes it (if it is still this one). */
export interface StudyLock {
  readonly file: string;
  release(): void;
}

/** Whether a process of this host is still running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of a study directory, so that one process at a time runs it: `study.lock` is
 * created exclusively (O_EXCL) with this process's pid, host and start time. A lock left by a
 * process of this host that is no longer running (killed) is stale and taken over, as is an
 * unreadable one older than a minute (a kill between creating and writing it). Otherwise the lock
 * is refused with a `StudyError` that says who holds it.
 *
 * @example
 * const lock = await lockStudy('studies/digits');
 * try { … } finally { lock.release(); }
 */
export async function lockStudy(dir: string): Promise<StudyLock> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      return {
        file,
        release: () => {
          const owner = readOwner(file);
          if (owner?.pid === me.pid && owner.host === me.host && owner.since === me.since) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    const stale = owner ? owner.host === me.host && owner.pid !== me.pid && !alive(owner.pid) : Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 60_000;
    if (!stale) {
      const who = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.since})` : 'another process (its lock file is being written)';
      const elsewhere = owner && owner.host !== me.host ? `; if that process is gone, remove ${file}` : '';
      throw new StudyError(`${dir}: the study is in use by ${who}; one process runs a study at a time${elsewhere}`);
    }
    rmSync(file, { force: true });
  }
  throw new StudyError(`${dir}: could not take the study lock ${file}`);
}
