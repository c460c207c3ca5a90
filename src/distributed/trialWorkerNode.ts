import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DelayedError, Worker } from 'bullmq';
import { concatMap, lastValueFrom } from 'rxjs';
import type { CurvePoint, TrialRecord } from '../tuning/trial.js';
import { TrialWorkerPool } from '../tuning/trialWorkerPool.js';
import { portableObjective } from '../tuning/objective.js';
import { type DataDigest, dataDigest } from './dataDigest.js';
import { TRIAL_QUEUE } from './keys.js';
import { redisAsha } from './redisAsha.js';
import { redisCheckpoints } from './redisCheckpoints.js';
import { openRedis, redactRedisUrl, withoutSecrets } from './redisConnection.js';
import { reportTrialProgress, type TrialJob, type TrialJobData } from './trialJobs.js';

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
  /** Resolves when the worker has stopped: undefined, or why it refused to go on. */
  readonly stopped: Promise<string | undefined>;
}

/**
 * `rxgrad worker`: takes trials from any study on the Redis server and trains each on a worker
 * thread. Before each trial it checks that its training file is the study's (size and SHA-256);
 * a different file is refused (the trial goes back to the queue, the worker stops with the
 * reason). A trial restarts from the newest checkpoint in Redis (left by a worker that was lost),
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
  let refusal: string | undefined;
  let resolveStopped: (why: string | undefined) => void = () => undefined;
  const stopped = new Promise<string | undefined>((resolve) => (resolveStopped = resolve));
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
      resolveStopped(refusal);
    })());

  const processor = async (job: TrialJob, token?: string): Promise<TrialRecord> => {
    const { study, spec, digest, objective, asha } = job.data;
    const file = path.resolve(options.data ?? spec.data.file);
    let mine = digests.get(file);
    if (!mine) digests.set(file, (mine = dataDigest(file)));
    const actual = await mine.catch((error: unknown) => {
      digests.delete(file);
      throw error;
    });
    if (actual.size !== digest.size || actual.sha256 !== digest.sha256) {
      refusal = `${file} is not the study's training file (${actual.size} bytes, SHA-256 ${actual.sha256.slice(0, 12)}…; the study's has ${digest.size} bytes, SHA-256 ${digest.sha256.slice(0, 12)}…): this worker refuses its trials; give the right file with --data`;
      log(`rxgrad worker: ${refusal}`);
      // Back to the queue for a worker that has the file, without using up an attempt.
      await job.moveToDelayed(Date.now() + 1000, token);
      void close();
      throw new DelayedError();
    }
    const checkpoints = redisCheckpoints(redis, study);
    const attempt = await checkpoints.begin(spec.id);
    const localDir = path.join(workDir, study, spec.id);
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
