import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../files/atomicFiles.js';
import { objectiveSetting } from '../tuning/objective.js';
import { studyAsha, type StudySettings } from '../tuning/study.js';
import { dataDigest } from './dataDigest.js';
import { RedisTrialPool } from './redisTrialPool.js';

/**
 * A study's side of Redis: the training file's size and SHA-256 (recorded in `dir/data.json` and
 * checked by every worker), and the pool that queues the study's trials for the workers, with
 * the study's objective and ASHA rungs.
 *
 * @example
 * const pool = await openStudyPool('redis://127.0.0.1:6379', 'studies/a', settings);
 * await lastValueFrom(runStudy({ dir: 'studies/a', space, settings, trials: 40, pool }));
 * await pool.close();
 */
export async function openStudyPool(redis: string, dir: string, settings: StudySettings): Promise<RedisTrialPool> {
  const digest = await dataDigest(settings.data.file);
  const pool = await RedisTrialPool.open(redis, dir, { digest, objective: objectiveSetting(settings), asha: studyAsha(settings) });
  try {
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomic(path.join(dir, 'data.json'), `${JSON.stringify({ file: settings.data.file, ...digest }, null, 2)}\n`);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}
