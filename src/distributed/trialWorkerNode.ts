import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import { concatMap, lastValueFrom } from 'rxjs';
import { StudyError } from '../errors.js';
import { isProcessRunning } from '../files/atomicFiles.js';
import { pathInside } from '../files/safePaths.js';
import { portableObjective } from '../tuning/objective.js';
import type { CurvePoint, TrialRecord } from '../tuning/trial.js';
import { TrialWorkerPool } from '../tuning/trialWorkerPool.js';
import { type DataDigest, dataDigest } from './dataDigest.js';
import { studyKeys, TRIAL_QUEUE } from './keys.js';
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
  /** A worker that cannot reach Redis this long (ms) stops (`stopped` rejects with a `StudyError`). Default 300 s. */
  readonly redisTimeout?: number;
  readonly log?: (line: string) => void;
}

/** How long a forced stop waits for Redis (to hand trials back) before it lets go: a worker ends within about this. */
export const FORCED_STOP_MS = 3000;

/** A worker taking trials from Redis. */
export interface TrialWorkerHandle {
  readonly name: string;
  /**
   * Finishes the running trials, then stops; with `force` (also when Redis cannot be reached, and
   * on a second call with `force`), stops the trials at once and hands them back to the queue
   * (when Redis answers within `FORCED_STOP_MS`; else they come back when their lock expires).
   */
  close(force?: boolean): Promise<void>;
  /** Resolves when the worker has stopped; rejects with a `StudyError` when it stopped because Redis was out of reach for `redisTimeout`. */
  readonly stopped: Promise<void>;
}

/** How long a trial of a study without a coordinator waits before a worker looks at it again. */
const ORPHAN_RETRY_MS = 5000;

/** A worker's folder in the system's temporary folder: `rxgrad-worker-PID-XXXXXX`. */
const WORK_DIR = /^rxgrad-worker-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Removes the folders of workers of this machine that are no longer running (SIGKILLed, their
 * machine rebooted without clearing /tmp): each can hold a trial's checkpoints.
 */
async function removeStaleWorkDirs(log: (line: string) => void): Promise<void> {
  const root = tmpdir();
  const stale = (await fs.readdir(root).catch(() => [])).filter((name) => {
    const pid = WORK_DIR.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && !isProcessRunning(Number(pid));
  });
  for (const name of stale) await fs.rm(path.join(root, name), { recursive: true, force: true }).catch(() => undefined);
  if (stale.length > 0)
    log(`rxgrad worker: removed ${stale.length} folder${stale.length === 1 ? '' : 's'} of workers no longer running from ${root}`);
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
  await removeStaleWorkDirs(log);
  const workDir = await fs.mkdtemp(path.join(tmpdir(), `rxgrad-worker-${process.pid}-`));
  const digests = new Map<string, Promise<DataDigest>>();
  let settle: { resolve: () => void; reject: (error: Error) => void } = { resolve: () => undefined, reject: () => undefined };
  const stopped = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;
  // A forced stop: the trials end now and go back to the queue; the stop waits for Redis no longer than FORCED_STOP_MS.
  let handingBack = false;
  let letGo: () => void = () => undefined;
  const forcedDeadline = new Promise<void>((resolve) => (letGo = resolve));
  let outage: StudyError | undefined;
  const force = () => {
    if (handingBack) return;
    handingBack = true;
    setTimeout(letGo, FORCED_STOP_MS).unref();
    void pool.close();
  };
  const reachable = () => redis.status === 'ready';

  const close = (forced = false): Promise<void> => {
    if (forced || !reachable()) force();
    return (closing ??= (async () => {
      // Finishing the running trials waits for them; once forced, for FORCED_STOP_MS at most.
      // BullMQ's close waits for the running jobs (which, once forced, hand themselves back at
      // once); with Redis out of reach it is forced too, since its graceful one would wait on Redis.
      await Promise.race([worker?.close(!reachable()).catch(() => undefined), forcedDeadline]);
      clearInterval(watch);
      // Whatever is left of BullMQ's connections (a close stuck on a Redis that is gone) is cut.
      await Promise.race([worker?.disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
      await pool.close();
      // BullMQ leaves the connection it was given open: it is ours to close.
      workerConnection.disconnect();
      redis.disconnect();
      await fs.rm(workDir, { recursive: true, force: true });
      if (outage) settle.reject(outage);
      else settle.resolve();
    })());
  };

  // Redis out of reach: one line when it goes and one when it comes back, never one per retry;
  // out of reach for redisTimeout, the worker stops.
  const redisTimeout = options.redisTimeout ?? 300_000;
  let downSince: number | undefined;
  const onLost = (error?: Error) => {
    if (downSince !== undefined || closing) return;
    downSince = Date.now();
    log(
      `rxgrad worker: lost Redis at ${redactRedisUrl(options.url)}${error ? ` (${withoutSecrets(error.message, options.url)})` : ''}; retrying for up to ${Math.round(redisTimeout / 1000)} s`,
    );
  };
  const onBack = () => {
    if (downSince === undefined) return;
    log(`rxgrad worker: Redis is back after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
    downSince = undefined;
  };
  const watch = setInterval(() => {
    if (downSince === undefined && !reachable()) onLost();
    if (downSince !== undefined && reachable()) onBack();
    if (downSince !== undefined && Date.now() - downSince >= redisTimeout && !closing) {
      outage = new StudyError(
        `cannot reach Redis at ${redactRedisUrl(options.url)} for ${Math.round((Date.now() - downSince) / 1000)} s (--redis-timeout): this worker stops`,
      );
      void close(true);
    }
  }, 250);
  watch.unref();

  const refused = new Set<string>();
  const orphaned = new Set<string>();
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
    // A study nobody coordinates (its coordinator killed, its folder perhaps deleted) is not
    // trained: its trials wait, without using an attempt, for a coordinator to come back.
    if ((await redis.exists(studyKeys(study).coordinator)) === 0) {
      if (!orphaned.has(study)) {
        orphaned.add(study);
        log(
          `rxgrad worker: study ${study} has no coordinator running: its trials wait for one (rxgrad tune --resume), or rxgrad study DIR --clean-redis URL removes them`,
        );
      }
      await job.moveToDelayed(Date.now() + ORPHAN_RETRY_MS, token);
      throw new DelayedError();
    }
    orphaned.delete(study);
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
        log(
          `rxgrad worker: ${file} is not the training file of study ${study} (${actual.size} bytes, SHA-256 ${actual.sha256.slice(0, 12)}…; the study's has ${digest.size} bytes, SHA-256 ${digest.sha256.slice(0, 12)}…): this worker leaves its trials to workers that have it; give the right file with --data`,
        );
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
    let stale = false;
    const decide = async (trial: string, point: CurvePoint) => {
      if (!pruner) return true;
      const decision = await pruner.decide(trial, point.epoch, scored.score(point), attempt);
      // A newer attempt has the trial: this run's score is not counted, and the run stops.
      if (decision === 'stale') stale = true;
      return decision === 'continue';
    };
    let record: TrialRecord | undefined;
    let epochs = restored;
    try {
      await lastValueFrom(
        pool.run({ ...spec, data: { ...spec.data, file }, checkpointDir: localDir }, decide).pipe(
          concatMap(async (event) => {
            if (event.type === 'epoch') {
              if (stale || !(await checkpoints.upload(spec.id, attempt, localDir))) {
                log(`${spec.id}: a newer attempt has taken it over; this one (attempt ${attempt}) stops`);
                throw new Error(`trial ${spec.id}: a newer attempt has taken it over; this one stops`);
              }
              const { type: _type, trial: _trial, ...point } = event;
              await reportTrialProgress(job, point);
              epochs = event.epoch;
            } else if (stale) {
              log(`${spec.id}: a newer attempt has taken it over; this one (attempt ${attempt}) stops`);
              throw new Error(`trial ${spec.id}: a newer attempt has taken it over; this one stops`);
            } else record = { ...event.record, worker: name };
          }),
        ),
        { defaultValue: undefined },
      );
    } catch (error) {
      if (!handingBack) throw error;
      // Stopped by a forced close: back to the queue now, without using an attempt, for another
      // worker to resume from the checkpoint of its last epoch (if Redis does not answer in time,
      // its lock expires and it comes back as stalled).
      const handedBack = await Promise.race([
        job.moveToDelayed(Date.now(), token).then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), FORCED_STOP_MS - 500).unref()),
      ]);
      log(`${spec.id}: ${handedBack ? 'handed back' : 'left for its lock to expire'} after epoch ${epochs}`);
      throw new DelayedError();
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
  // Every failed attempt is said, with its reason: each uses up one of the job's five.
  worker.on('failed', (job, error) => {
    if (!job || error instanceof DelayedError || error?.name === 'DelayedError') return;
    log(
      `${String(job.id).split('.').slice(1).join('.').slice(0, 80)}: attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed: ${withoutSecrets(error.message, options.url)}`,
    );
  });
  // Connection errors are told once per outage (onLost); other errors as they come.
  const connectionError = (error: Error) =>
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|connect/i.test(error.message);
  worker.on('error', (error) =>
    connectionError(error) ? onLost(error) : log(`rxgrad worker: ${withoutSecrets(error.message, options.url)}`),
  );
  redis.on('error', (error: Error) => (connectionError(error) ? onLost(error) : undefined));
  workerConnection.on('error', (error: Error) => (connectionError(error) ? onLost(error) : undefined));
  await worker.waitUntilReady();
  log(`worker ${name}: taking trials from ${redactRedisUrl(options.url)}, ${parallel} at a time`);
  return { name, close, stopped };
}
