import { createHash } from 'node:crypto';
import path from 'node:path';

/** The one BullMQ queue of trials; a job's id is `<study>.<trial>`. */
export const TRIAL_QUEUE = 'rxgrad-trials';

/**
 * A study's name in Redis: a hash of its directory's absolute path, so every coordinator run of a
 * study finds the same jobs, checkpoints and rungs.
 *
 * @example
 * studyKey('studies/digits') // "3f1c…" (16 hex digits)
 */
export function studyKey(dir: string): string {
  return createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
}

/** The Redis keys of one study. */
export function studyKeys(study: string) {
  const base = `rxgrad:study:${study}`;
  return {
    coordinator: `${base}:coordinator`,
    checkpoint: (trial: string) => `${base}:checkpoint:${trial}`,
    attempt: (trial: string) => `${base}:attempt:${trial}`,
    rung: (epoch: number) => `${base}:rung:${epoch}`,
    ashaLog: `${base}:asha-log`,
  };
}

/** A trial's job id. */
export const jobId = (study: string, trial: string) => `${study}.${trial}`;
