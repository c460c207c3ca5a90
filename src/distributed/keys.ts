import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** The one BullMQ queue of trials; a job's id is `<study>.<trial>`. */
export const TRIAL_QUEUE = 'rxgrad-trials';

/** The Redis keys of one study, by its id (`study.json`'s). */
export function studyKeys(study: string) {
  const base = `rxgrad:study:${study}`;
  return {
    coordinator: `${base}:coordinator`,
    checkpoint: (trial: string) => `${base}:checkpoint:${trial}`,
    attempt: (trial: string) => `${base}:attempt:${trial}`,
    rung: (epoch: number) => `${base}:rung:${epoch}`,
    ashaLog: `${base}:asha-log`,
    /** Every key of the study, for SCAN. */
    all: `${base}:*`,
  };
}

/** A trial's job id. */
export const jobId = (study: string, trial: string) => `${study}.${trial}`;

/**
 * Removes a study from Redis: its jobs (in every state) and every key under its name (rungs,
 * decision log, checkpoints, attempts, the coordinator's claim unless kept). Resolves to how many
 * jobs and keys went.
 *
 * @example
 * import { Queue } from 'bullmq';
 * await removeStudyFromRedis(redis, new Queue(TRIAL_QUEUE, { connection: redis }), '9f2c61d0b8e4a7f3');
 */
export async function removeStudyFromRedis(
  redis: Redis,
  queue: Queue,
  study: string,
  options: { readonly keep?: readonly string[] } = {},
): Promise<{ readonly jobs: number; readonly keys: number }> {
  let jobs = 0;
  const prefix = `${study}.`;
  for (const state of ['completed', 'failed', 'wait', 'delayed', 'prioritized', 'waiting-children'] as const) {
    for (let start = 0; ; start += 1000) {
      const page = await queue.getJobs([state], start, start + 999, true);
      const ours = page.filter((job) => job?.id?.startsWith(prefix));
      for (const job of ours) {
        await job.remove().catch(() => undefined);
        jobs++;
      }
      if (page.length < 1000) break;
      // What was removed no longer takes a place in the list.
      start -= ours.length;
    }
  }
  let keys = 0;
  const keep = new Set(options.keep ?? []);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', studyKeys(study).all, 'COUNT', 500);
    cursor = next;
    const doomed = found.filter((key) => !keep.has(key));
    if (doomed.length > 0) keys += await redis.del(...doomed);
  } while (cursor !== '0');
  return { jobs, keys };
}
