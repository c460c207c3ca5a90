import { UsageError } from '../errors.js';

/** The packages studies on Redis need, which rxgrad leaves to the user to install (optional peers). */
const QUEUE_PACKAGES = ['bullmq', 'ioredis'];

/**
 * Imports a module of `src/distributed`, or says in one line which packages to install when the
 * queue libraries are missing: they are optional peer dependencies, since only studies across
 * machines use them and BullMQ brings a native install script.
 *
 * @example
 * const { openStudyPool } = await withQueueLibraries('--redis', () => import('../distributed/studyPool.js'));
 */
export async function withQueueLibraries<T>(flag: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = QUEUE_PACKAGES.find(
      (name) => code === 'ERR_MODULE_NOT_FOUND' && new RegExp(`['"]${name}['"]`).test((error as Error).message),
    );
    if (missing)
      throw new UsageError(
        `${flag} needs the packages ${QUEUE_PACKAGES.join(' and ')} (${missing} is not installed): npm install ${QUEUE_PACKAGES.join(' ')}`,
      );
    throw error;
  }
}
