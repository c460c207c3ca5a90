import { promises as fs } from 'node:fs';
import { Queue } from 'bullmq';
import { StudyError } from '../errors.js';
import { writeFileAtomic } from '../files/atomicFiles.js';
import { studyPath } from '../files/studyLayout.js';
import { objectiveSetting } from '../tuning/objective.js';
import { type StudySettings, studyAsha } from '../tuning/study.js';
import { readStudy, studyId } from '../tuning/studyStore.js';
import { dataDigest } from './dataDigest.js';
import { removeStudyFromRedis, studyKeys, TRIAL_QUEUE } from './keys.js';
import { openRedis } from './redisConnection.js';
import { isDeadLocalClaim, RedisTrialPool } from './redisTrialPool.js';

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
export async function openStudyPool(
  redis: string,
  dir: string,
  settings: StudySettings,
  options: { readonly log?: (line: string) => void } = {},
): Promise<RedisTrialPool> {
  const digest = await dataDigest(settings.data.file);
  const pool = await RedisTrialPool.open(redis, { digest, objective: objectiveSetting(settings), asha: studyAsha(settings) }, options);
  try {
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomic(studyPath(dir, 'data'), `${JSON.stringify({ file: settings.data.file, ...digest }, null, 2)}\n`);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

/**
 * Removes what a study left in Redis (its jobs in every state but running, its checkpoints,
 * rungs, decision log and attempts), by the id in its `study.json`: what a coordinator that
 * crashed or was killed leaves; one that finishes removes its own. Refused while a coordinator
 * holds the study. Resolves to how many jobs and keys went.
 *
 * @example
 * await cleanStudyRedis('redis://127.0.0.1:6379', 'studies/a') // { id: '9f2c…', jobs: 3, keys: 7 }
 */
export async function cleanStudyRedis(
  url: string,
  dir: string,
): Promise<{ readonly id: string; readonly jobs: number; readonly keys: number }> {
  const id = studyId(await readStudy(dir), dir);
  const redis = await openRedis(url);
  const connection = redis.duplicate();
  const queue = new Queue(TRIAL_QUEUE, { connection });
  try {
    const holder = await redis.get(studyKeys(id).coordinator);
    if (holder !== null && !isDeadLocalClaim(holder))
      throw new StudyError(`${dir}: a coordinator is running this study (${holder}); stop it before cleaning its Redis keys`);
    return { id, ...(await removeStudyFromRedis(redis, queue, id)) };
  } finally {
    await queue.close();
    connection.disconnect();
    redis.disconnect();
  }
}
