import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { writeModelDirectory } from '../files/modelDirectory.js';
import { MODEL_FILES, modelIndexFile } from '../files/modelLayout.js';
import { checkpointPath, latestCheckpoint } from '../training/checkpoints.js';
import { studyKeys } from './keys.js';

/**
 * Writes a checkpoint unless a newer attempt of the trial has begun (the trial's attempt counter,
 * KEYS[2], is past ARGV[1]) or written one: from the moment a new attempt starts, a stalled
 * worker that wakes up cannot overwrite its successor's checkpoint.
 */
const PUT = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local stored = tonumber(redis.call('HGET', KEYS[1], 'attempt') or '0')
if tonumber(ARGV[1]) < current or tonumber(ARGV[1]) < stored then return 0 end
redis.call('HSET', KEYS[1], 'attempt', ARGV[1], 'epoch', ARGV[2], 'model', ARGV[3], 'weightsName', ARGV[4], 'weights', ARGV[5])
return 1
`;

/** Whether an error is a file that went away: a checkpoint rotated out while it was read. */
const isMissingFile = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Running trials' checkpoints in Redis (a model is about a megabyte), so that a trial whose
 * worker is lost resumes on another machine from its last epoch. Each is written with the
 * attempt number of the run that made it.
 *
 * @example
 * const store = redisCheckpoints(redis, study);
 * const attempt = await store.begin('r0-003');
 */
export function redisCheckpoints(redis: Redis, study: string) {
  const keys = studyKeys(study);
  return {
    /** A new attempt at a trial: its number, higher than any before. */
    begin: async (trial: string): Promise<number> => redis.incr(keys.attempt(trial)),
    /**
     * Copies the newest local checkpoint of a trial to Redis; false when a newer attempt owns the
     * trial. The trial goes on training meanwhile and keeps only its newest checkpoints, so the one
     * being read may be rotated out: the read then starts again on the newest (what is uploaded is
     * always one whole checkpoint).
     */
    async upload(trial: string, attempt: number, localDir: string): Promise<boolean> {
      for (let tries = 1; ; tries++) {
        const latest = await latestCheckpoint(localDir);
        if (!latest) return true;
        let model: string;
        let weights: Buffer;
        let weightsName: string;
        try {
          model = await fs.readFile(modelIndexFile(latest.path), 'utf8');
          weightsName = (JSON.parse(model) as { weights?: string }).weights ?? MODEL_FILES.legacyWeights;
          weights = await fs.readFile(path.join(latest.path, weightsName));
        } catch (error) {
          if (isMissingFile(error) && tries < 10) continue;
          throw error;
        }
        return (
          (await redis.eval(
            PUT,
            2,
            keys.checkpoint(trial),
            keys.attempt(trial),
            String(attempt),
            String(latest.epoch),
            model,
            weightsName,
            weights,
          )) === 1
        );
      }
    },
    /** Writes a trial's checkpoint from Redis into `localDir` (as `epoch-NNNN/`); its epoch, or 0 when there is none. */
    async download(trial: string, localDir: string): Promise<number> {
      // One command reads the whole hash, so a checkpoint written meanwhile cannot mix with this one.
      const [epochField, model, weights] = await redis.hmgetBuffer(keys.checkpoint(trial), 'epoch', 'model', 'weights');
      if (!epochField || !model || !weights) return 0;
      const epoch = Number(epochField.toString('utf8'));
      let document: unknown;
      try {
        document = JSON.parse(model.toString('utf8'));
      } catch {
        document = undefined;
      }
      if (!Number.isInteger(epoch) || epoch < 1 || typeof document !== 'object' || document === null) {
        throw new Error(`trial ${trial}: the checkpoint in Redis (${keys.checkpoint(trial)}) is damaged`);
      }
      // Written as a model directory is (weights, then the model.json naming them, each renamed
      // into place), under a weights name of its own, never one read from Redis.
      await writeModelDirectory(
        checkpointPath(localDir, epoch),
        (file) => `${JSON.stringify({ ...document, weights: file }, null, 2)}\n`,
        weights,
      );
      return epoch;
    },
    /** Removes a finished trial's checkpoint and attempt count. */
    remove: async (trial: string): Promise<void> => {
      await redis.del(keys.checkpoint(trial), keys.attempt(trial));
    },
  };
}
