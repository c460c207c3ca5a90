import { hostname } from 'node:os';
import path from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { StudyError } from '../errors.js';
import { isProcessRunning, writeFileAtomic } from '../files/atomicFiles.js';
import { portableObjective } from '../tuning/objective.js';
import type { TrialEvent, TrialRecord, TrialSpec } from '../tuning/trial.js';
import { redisAsha } from './redisAsha.js';
import { type TrialJobData, trialProgressOf, trialResultOf } from './trialJobs.js';

export type { TrialJobData };

import { STUDY_FILES } from '../files/studyLayout.js';
import { jobId, removeStudyFromRedis, studyKeys, TRIAL_QUEUE } from './keys.js';
import { redisCheckpoints } from './redisCheckpoints.js';
import { openRedis, redactRedisUrl, withoutSecrets } from './redisConnection.js';

/** Where a finished study on Redis keeps ASHA's decision log (`AshaLogEntry[]`), in its folder. */
export const ASHA_LOG_FILE = STUDY_FILES.ashaLog;

/**
 * Redis lost and found again, told in one line each (ioredis would print every failed retry, with
 * its stack): errors of the connections are taken here, and the state of `redis` is watched.
 */
function outageLog(redis: Redis, url: string, log: (line: string) => void) {
  let since: number | undefined;
  const lost = (why?: string) => {
    if (since !== undefined) return;
    since = Date.now();
    log(`rxgrad: lost Redis at ${redactRedisUrl(url)}${why ? ` (${why})` : ''}; the study waits for it`);
  };
  const watch = setInterval(() => {
    if (since === undefined && redis.status !== 'ready') lost();
    if (since !== undefined && redis.status === 'ready') {
      log(`rxgrad: Redis is back after ${((Date.now() - since) / 1000).toFixed(1)} s`);
      since = undefined;
    }
  }, 250);
  watch.unref();
  return {
    error: (error: Error) => lost(withoutSecrets(error.message, url)),
    stop: () => clearInterval(watch),
  };
}

/** Whether a claim names a process of this machine that has exited. */
export function isDeadLocalClaim(holder: string): boolean {
  const match = /^(.*) pid (\d+)$/.exec(holder);
  return match !== null && match[1] === hostname() && !isProcessRunning(Number(match[2]));
}

/** How a trial's job is queued: five attempts a second apart, kept after it ends until the coordinator collects it. */
const JOB_OPTIONS = { attempts: 5, backoff: { type: 'fixed' as const, delay: 1000 }, removeOnComplete: false, removeOnFail: false };

/** How often the coordinator renews its claim on a study, and how long the claim outlives it. */
const CLAIM_MS = 15_000;
const RENEW_MS = 3_000;

/**
 * The coordinator's side of a study on Redis: each trial becomes one BullMQ job (its id is the
 * trial's, so it cannot be queued twice; re-adding after a restart finds the same job), each
 * epoch a job progress report, and each finished trial the job's result; a trial that finished
 * while the coordinator was down is collected when it asks again. It claims the study in Redis
 * for as long as it runs, so a second coordinator of the same study is refused.
 *
 * @example
 * const pool = await RedisTrialPool.open('redis://127.0.0.1:6379', { digest, objective: OBJECTIVES['val-accuracy'] });
 * runStudy({ dir: 'studies/a', space: defaultSearchSpace(), settings, trials: 40, pool });
 */
export class RedisTrialPool {
  private readonly listeners = new Map<
    string,
    { progress(data: unknown): void; completed(returnvalue: unknown): void; failed(reason: string): void }
  >();
  /** What each awaited job was queued with, to queue it again if Redis loses it. */
  private readonly queued = new Map<string, TrialJobData>();
  private log: (line: string) => void = () => undefined;
  private renew: NodeJS.Timeout | undefined;
  private attached: string | undefined;
  private dir: string | undefined;
  private readonly claim = `${hostname()} pid ${process.pid}`;

  private constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly job: Omit<TrialJobData, 'spec' | 'study'>,
    private readonly connections: readonly Redis[],
  ) {
    events.on('progress', ({ jobId: id, data }) => this.listeners.get(id)?.progress(data));
    events.on('completed', ({ jobId: id, returnvalue }) => this.listeners.get(id)?.completed(returnvalue));
    events.on('failed', ({ jobId: id, failedReason }) => {
      void Job.fromId(this.queue, id).then(async (found) => {
        if (found && (await found.getState()) === 'failed') this.listeners.get(id)?.failed(failedReason);
      });
    });
  }

  /** The study's id (`study.json`'s), which names its jobs and keys; set by `attach`. */
  get study(): string {
    if (this.attached === undefined) throw new StudyError('RedisTrialPool: attach the study (runStudy does) before running its trials');
    return this.attached;
  }

  /** The objective the workers score each epoch by (ASHA's decisions are theirs). */
  get objective(): TrialJobData['objective'] {
    return this.job.objective;
  }

  /**
   * Connects to Redis; the study it runs trials of is named by `attach` (runStudy calls it once
   * the study is open). `log` hears one line when Redis is lost and one when it is back.
   */
  static async open(
    url: string,
    job: Omit<TrialJobData, 'spec' | 'study'>,
    options: { readonly log?: (line: string) => void } = {},
  ): Promise<RedisTrialPool> {
    // Refused before connecting: the workers can only score an objective they know by name.
    portableObjective(job.objective);
    const redis = await openRedis(url);
    const connections = [redis.duplicate(), redis.duplicate()];
    const queue = new Queue(TRIAL_QUEUE, { connection: connections[0]! });
    const events = new QueueEvents(TRIAL_QUEUE, { connection: connections[1]! });
    const outages = outageLog(redis, url, options.log ?? (() => undefined));
    for (const connection of [redis, ...connections]) connection.on('error', outages.error);
    queue.on('error', outages.error);
    events.on('error', outages.error);
    await events.waitUntilReady();
    const pool = new RedisTrialPool(redis, url, queue, events, job, connections);
    pool.stopWatching = outages.stop;
    pool.log = options.log ?? (() => undefined);
    // Back after an outage: a Redis restarted without persistence has lost the jobs.
    redis.on('ready', () => void pool.requeueLost().catch(() => undefined));
    return pool;
  }

  /**
   * Queues again the awaited trials whose jobs Redis no longer has (it restarted without
   * persistence): the study folder is the source of truth. A trial resumes from its checkpoint
   * where Redis still has it, else from the start. Resolves to how many were queued.
   */
  async requeueLost(): Promise<number> {
    let again = 0;
    for (const [id, data] of this.queued) {
      if (!this.listeners.has(id) || (await Job.fromId(this.queue, id))) continue;
      await this.queue.add('trial', data, { ...JOB_OPTIONS, jobId: id });
      again++;
    }
    if (again > 0)
      this.log(
        `rxgrad: Redis had lost ${again} waited-for trial${again === 1 ? '' : 's'} (restarted without persistence?): queued again, each from its checkpoint where Redis still has one, else from the start`,
      );
    return again;
  }

  private stopWatching: () => void = () => undefined;

  /**
   * Takes the study by its id (`study.json`'s, random, made with the study): its jobs are
   * `ID.TRIAL` and its keys `rxgrad:study:ID:…`, so a new study in the same folder never meets an
   * old one's jobs, checkpoints or rungs. Claims it in Redis while it runs: a second coordinator
   * of the same study is refused.
   */
  async attach({ id, dir }: { readonly id: string; readonly dir: string }): Promise<void> {
    if (this.attached !== undefined) throw new StudyError(`RedisTrialPool: already running study ${this.attached}`);
    const key = studyKeys(id).coordinator;
    let taken = await this.redis.set(key, this.claim, 'PX', CLAIM_MS, 'NX');
    const holder = taken === 'OK' ? null : await this.redis.get(key);
    // A claim left by a coordinator of this machine that is no longer running (killed) is taken over.
    if (holder !== null && isDeadLocalClaim(holder)) taken = await this.redis.set(key, this.claim, 'PX', CLAIM_MS);
    if (taken !== 'OK')
      throw new StudyError(
        `${dir}: another coordinator is running this study on ${redactRedisUrl(this.url)} (${holder ?? 'unknown'}); one coordinator a study`,
      );
    this.attached = id;
    this.dir = dir;
    this.renew = setInterval(() => void this.redis.set(key, this.claim, 'PX', CLAIM_MS).catch(() => undefined), RENEW_MS);
    this.renew.unref();
  }

  /** Queues a trial (or finds its job) and streams its epochs and its record. */
  run(spec: TrialSpec): Observable<TrialEvent> {
    return new Observable<TrialEvent>((subscriber) => {
      const id = jobId(this.study, spec.id);
      let done = false;
      const finish = (returnvalue: unknown) => {
        if (done) return;
        done = true;
        let record: TrialRecord;
        try {
          // What a worker returns crossed a machine boundary: it must be this trial's record, and
          // what the coordinator chose (the trial's id, point and configuration) is kept as chosen.
          const returned = trialResultOf(returnvalue, spec.id);
          record = { ...returned, id: spec.id, round: spec.round, params: spec.params, unit: spec.unit, config: spec.config };
        } catch (error) {
          // Refused: nothing is written, and the job goes, so that a resume runs the trial again.
          void Job.fromId(this.queue, id)
            .then((job) => job?.remove())
            .catch(() => undefined)
            .finally(() =>
              subscriber.error(
                new StudyError(
                  `${(error as Error).message}; nothing was written, and the trial stays pending: resume the study to run it again`,
                ),
              ),
            );
          return;
        }
        subscriber.next({ type: 'end', record });
        subscriber.complete();
      };
      this.listeners.set(id, {
        progress: (data) => {
          const point = trialProgressOf(data);
          if (!done && point) subscriber.next({ type: 'epoch', trial: spec.id, ...point });
        },
        completed: finish,
        failed: (reason) => {
          if (done) return;
          done = true;
          subscriber.error(
            new StudyError(
              `trial ${spec.id} failed on every worker that took it (${reason}); it stays pending: resume the study to run it again`,
            ),
          );
        },
      });
      (async () => {
        const data: TrialJobData = { ...this.job, study: this.study, spec };
        this.queued.set(id, data);
        const existing = await Job.fromId(this.queue, id);
        if (existing) {
          const state = await existing.getState();
          if (state === 'completed') return finish(existing.returnvalue);
          if (state === 'failed') await existing.retry();
          return;
        }
        await this.queue.add('trial', data, { ...JOB_OPTIONS, jobId: id });
      })().catch((error: unknown) => {
        if (!done) subscriber.error(error);
      });
      return () => {
        this.listeners.delete(id);
        this.queued.delete(id);
      };
    });
  }

  /** Forgets a recorded trial: its job and its checkpoint. */
  async forget(trial: string): Promise<void> {
    await redisCheckpoints(this.redis, this.study).remove(trial);
    await (await Job.fromId(this.queue, jobId(this.study, trial)))?.remove().catch(() => undefined);
  }

  /**
   * The study has every record: ASHA's decision log goes to the study folder (`asha-log.json`,
   * each decision with the scores it saw), then its jobs and keys leave Redis.
   */
  async finished(): Promise<void> {
    if (this.job.asha && this.dir !== undefined) {
      const log = await redisAsha(this.redis, this.study, this.job.asha).log();
      await writeFileAtomic(path.join(this.dir, ASHA_LOG_FILE), `${JSON.stringify(log, null, 2)}\n`);
    }
    await removeStudyFromRedis(this.redis, this.queue, this.study, { keep: [studyKeys(this.study).coordinator] });
  }

  async close(): Promise<void> {
    this.stopWatching();
    clearInterval(this.renew);
    this.listeners.clear();
    await this.events.close();
    await this.queue.close();
    const key = this.attached !== undefined ? studyKeys(this.attached).coordinator : undefined;
    if (key !== undefined && (await this.redis.get(key).catch(() => null)) === this.claim) await this.redis.del(key).catch(() => undefined);
    // BullMQ leaves connections it was given open: they are ours to close.
    for (const connection of this.connections) connection.disconnect();
    this.redis.disconnect();
  }
}
