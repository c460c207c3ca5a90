import { closeSync, promises as fs, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { isProcessRunning } from './atomicFiles.js';

/** Who holds a directory. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A held directory lock; `release` removes it (if it is still this one). */
export interface DirectoryLock {
  readonly file: string;
  release(): void;
}

/** What a lock is for, in the words of its refusal. */
export interface LockRules {
  /** The lock file's name in the directory. */
  readonly name: string;
  /** What the directory is, as the refusal says it: 'the study', 'the model directory'. */
  readonly what: string;
  /** The rule the refusal states: 'one process runs a study at a time'. */
  readonly rule: string;
  /** Makes the refusal's error (a StudyError, a UsageError). */
  readonly refuse: (message: string) => Error;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The locks this process holds, released on every way out: a normal exit, an uncaught error, Ctrl-C, SIGTERM, SIGHUP. */
const held = new Set<() => void>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const releaseAll = () => {
  for (const release of [...held]) release();
};
const onSignal = (signal: NodeJS.Signals) => {
  // Alone, this handler would swallow the signal: once the locks are gone, end the process as the signal would have.
  const alone = process.listenerCount(signal) === 1;
  releaseAll();
  if (alone) {
    for (const s of SIGNALS) process.off(s, onSignal);
    process.kill(process.pid, signal);
  }
};
function watchExits(): void {
  if (held.size > 0) return;
  process.on('exit', releaseAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
function unwatchExits(): void {
  if (held.size > 0) return;
  process.off('exit', releaseAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/**
 * Takes the lock of a directory, so that one process at a time works in it: `rules.name` is
 * created exclusively (O_EXCL) with this process's pid, host and start time, in one write; a
 * write that fails (a full disk) removes it again, so no empty lock is left. A lock left by a
 * process of this host that is no longer running (killed) is stale and taken over, as is an
 * unreadable one older than a minute. Otherwise the lock is refused with `rules.refuse`, saying
 * who holds it. A held lock is released by `release`, and also when the process exits, however
 * it exits (Ctrl-C and SIGTERM included; SIGKILL leaves it, to be taken over as stale).
 *
 * @example
 * const lock = await lockDirectory('models/a', { name: 'save.lock', what: 'the model directory', rule: 'one process saves to it at a time', refuse: (m) => new UsageError(m) });
 * try {
 *   await saveModel('models/a', bundle);
 * } finally {
 *   await lock.release();
 * }
 */
export async function lockDirectory(dir: string, rules: LockRules): Promise<DirectoryLock> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, rules.name);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        const text = Buffer.from(`${JSON.stringify(me)}\n`);
        if (writeSync(fd, text) !== text.length)
          throw Object.assign(new Error(`${file}: the lock was not written whole`), { code: 'EIO', path: file });
      } catch (error) {
        closeSync(fd);
        rmSync(file, { force: true });
        throw error;
      }
      closeSync(fd);
      watchExits();
      const release = () => {
        if (!held.delete(release)) return;
        const owner = readOwner(file);
        if (owner?.pid === me.pid && owner.host === me.host && owner.since === me.since) rmSync(file, { force: true });
        unwatchExits();
      };
      held.add(release);
      return { file, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    const stale = owner
      ? owner.host === me.host && owner.pid !== me.pid && !isProcessRunning(owner.pid)
      : Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 60_000;
    if (!stale) {
      const who = owner
        ? `process ${owner.pid} on ${owner.host} (since ${owner.since})`
        : 'another process (its lock file is being written)';
      const elsewhere = owner && owner.host !== me.host ? `; if that process is gone, remove ${file}` : '';
      throw rules.refuse(`${dir}: ${rules.what} is in use by ${who}; ${rules.rule}${elsewhere}`);
    }
    rmSync(file, { force: true });
  }
  throw rules.refuse(`${dir}: could not take the lock ${file}`);
}
