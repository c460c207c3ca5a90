import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import { concatMap, lastValueFrom } from 'rxjs';
import type { CurvePoint, TrialRecord } from '../tuning/trial.js';
import { TrialWorkerPool } from '../tuning/trialWorkerPool.js';
import { portableObjective } from '../tuning/objective.js';
import { pathInside } from '../files/safePaths.js';
import { type DataDigest, dataDigest } from './dataDigest.js';
import { TRIAL_QUEUE } from './keys.js';
import { redisAsha } from './redisAsha.js';
import { redisCheckpoints } from './redisCheckpoints.js';
import { openRedis, redactRedisUrl, withoutSecrets } from './redisConnection.js';
import { reportTrialProgress, type TrialJob, type TrialJobData, trialJobOf } from './trialJobs.js';

/** Options of `startTrialWorker`. */
export interface TrialWorkerOptions {
  readonly url: string;
  /** Trials at once, each on a worker thread. Default 1. */
  readonly parallel?: number;
  /** The training file on this machine, instead of the path the study names. */
  readonly data?: string | undefined;
  /** How this worker is named in records. Default host and pid. */
  readonly name?: string;
  /** BullMQ's lock: a worker silent this long (killed, its machine lost) has its trial taken by another. Default 30 s. */
  readonly lockDuration?: number;
  readonly log?: (line: string) => void;
}

/** A worker taking trials from Redis. */
export interface TrialWorkerHandle {
  readonly name: string;
  /** Finishes the running trials, then stops (or, with `force`, hands them back at once). */
  close(force?: boolean): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly stopped: Promise<void>;
}

/**
 * `rxgrad worker`: takes trials from any study on the Redis server and trains each on a worker
 * thread. Every job is checked before it names a path or runs (`trialJobOf`): one that is not
 * what a coordinator writes (a study or trial id that would leave the worker's folder, a bad
 * configuration) is refused and logged, and the worker goes on. Before each trial it checks that
 * its training file is the study's (size and SHA-256); on a different file the trial goes back to
 * the queue for a worker that has the study's, and this one goes on. A trial restarts from the newest checkpoint in Redis (left by a worker that was lost),
 * uploads a checkpoint after every epoch (stamped with its attempt, so a stalled worker that
 * wakes up cannot overwrite a newer one), takes ASHA's decisions atomically in Redis, and
 * returns its record as the job's result. A trial that fails for its own reasons (divergence)
 * returns a failed record and is not retried.
 *
 * @example
 * const worker = await startTrialWorker({ url: 'redis://10.0.0.5:6379', parallel: 2 });
 * process.on('SIGINT', () => worker.close());
 */
export async function startTrialWorker(options: TrialWorkerOptions): Promise<TrialWorkerHandle> {
  const redis = await openRedis(options.url);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.log ?? (() => undefined);
  const parallel = options.parallel ?? 1;
  const pool = new TrialWorkerPool(parallel);
  const workDir = await fs.mkdtemp(path.join(tmpdir(), 'rxgrad-worker-'));
  const digests = new Map<string, Promise<DataDigest>>();
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;

  const close = (force = false): Promise<void> =>
    (closing ??= (async () => {
      await worker?.close(force).catch(() => undefined);
      await pool.close();
      // BullMQ leaves the connection it was given open: it is ours to close.
      workerConnection.disconnect();
      redis.disconnect();
      await fs.rm(workDir, { recursive: true, force: true });
      resolveStopped();
    })());

  const refused = new Set<string>();
  const processor = async (job: TrialJob, token?: string): Promise<TrialRecord> => {
    // A job crossed a machine boundary: it is checked whole before it names any path, and one
    // that fails is refused (failed at once, never retried) while the worker goes on.
    let data: TrialJobData;
    try {
      data = trialJobOf(job.data);
    } catch (error) {
      const why = withoutSecrets((error as Error).message, options.url);
      log(`rxgrad worker: job ${String(job.id).slice(0, 80)}: ${why}; this worker goes on`);
      throw new UnrecoverableError(why);
    }
    const { study, spec, digest, objective, asha } = data;
    const localDir = pathInside(workDir, [study, spec.id], 'trial job');
    const file = path.resolve(options.data ?? spec.data.file);
    let mine = digests.get(file);
    if (!mine) digests.set(file, (mine = dataDigest(file)));
    const actual = await mine.catch((error: unknown) => {
      digests.delete(file);
      throw error;
    });
    if (actual.size !== digest.size || actual.sha256 !== digest.sha256) {
      // Only this job is refused: back to the queue for a worker that has its file, without
      // using up an attempt. Said once per study and file, however often the job comes back.
      const said = `${study} ${file}`;
      if (!refused.has(said)) {
        refused.add(said);
        log(`rxgrad worker: ${file} is not the training file of study ${study} (${actual.size} bytes, SHA-256 ${actual.sha256.slice(0, 12)}…; the study's has ${digest.size} bytes, SHA-256 ${digest.sha256.slice(0, 12)}…): this worker leaves its trials to workers that have it; give the right file with --data`);
      }
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const checkpoints = redisCheckpoints(redis, study);
    const attempt = await checkpoints.begin(spec.id);
    await fs.rm(localDir, { recursive: true, force: true });
    const restored = await checkpoints.download(spec.id, localDir);
    log(`${spec.id}: ${restored > 0 ? `resuming from the checkpoint of epoch ${restored}` : 'starting'} (attempt ${attempt})`);
    const scored = portableObjective(objective);
    const pruner = asha ? redisAsha(redis, study, asha) : undefined;
    const decide = async (trial: string, point: CurvePoint) => (pruner ? (await pruner.decide(trial, point.epoch, scored.score(point))) === 'continue' : true);
    let record: TrialRecord | undefined;
    try {
      await lastValueFrom(
        pool.run({ ...spec, data: { ...spec.data, file }, checkpointDir: localDir }, decide).pipe(
          concatMap(async (event) => {
            if (event.type === 'epoch') {
              if (!(await checkpoints.upload(spec.id, attempt, localDir))) {
                log(`${spec.id}: a newer attempt has taken it over; this one (attempt ${attempt}) stops`);
                throw new Error(`trial ${spec.id}: a newer attempt has taken it over; this one stops`);
              }
              const { type: _type, trial: _trial, ...point } = event;
              await reportTrialProgress(job, point);
            } else record = { ...event.record, worker: name };
          }),
        ),
        { defaultValue: undefined },
      );
    } finally {
      await fs.rm(localDir, { recursive: true, force: true });
    }
    log(`${spec.id}: ${record!.status} after ${record!.epochs} epochs`);
    return record!;
  };

  const workerConnection = redis.duplicate();
  worker = new Worker<TrialJobData, TrialRecord>(TRIAL_QUEUE, processor, {
    connection: workerConnection,
    concurrency: parallel,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: Math.max(500, Math.floor((options.lockDuration ?? 30_000) / 2)),
    maxStalledCount: 10,
  });
  worker.on('error', (error) => log(`rxgrad worker: ${withoutSecrets(error.message, options.url)}`));
  await worker.waitUntilReady();
  log(`worker ${name}: taking trials from ${redactRedisUrl(options.url)}, ${parallel} at a time`);
  return { name, close, stopped };
}
