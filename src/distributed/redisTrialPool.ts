import { hostname } from 'node:os';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { StudyError } from '../errors.js';
import { isProcessRunning } from '../files/atomicFiles.js';
import { portableObjective } from '../tuning/objective.js';
import type { TrialEvent, TrialRecord, TrialSpec } from '../tuning/trial.js';
import { type TrialJobData, trialProgressOf, trialResultOf } from './trialJobs.js';

export type { TrialJobData };
import { jobId, studyKey, studyKeys, TRIAL_QUEUE } from './keys.js';
import { openRedis, redactRedisUrl } from './redisConnection.js';
import { redisCheckpoints } from './redisCheckpoints.js';

/** Whether a claim names a process of this machine that has exited. */
function isDeadLocalClaim(holder: string): boolean {
  const match = /^(.*) pid (\d+)$/.exec(holder);
  return match !== null && match[1] === hostname() && !isProcessRunning(Number(match[2]));
}

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
 * const pool = await RedisTrialPool.open('redis://127.0.0.1:6379', 'studies/digits', { digest, objective });
 * runStudy({ ...options, pool });
 */
export class RedisTrialPool {
  private readonly listeners = new Map<string, { progress(data: unknown): void; completed(returnvalue: unknown): void; failed(reason: string): void }>();
  private renew: NodeJS.Timeout | undefined;

  private constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    readonly study: string,
    private readonly claim: string,
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
    this.renew = setInterval(() => void this.redis.set(studyKeys(study).coordinator, claim, 'PX', CLAIM_MS).catch(() => undefined), RENEW_MS);
    this.renew.unref();
  }

  /** The objective the workers score each epoch by (ASHA's decisions are theirs). */
  get objective(): TrialJobData['objective'] {
    return this.job.objective;
  }

  static async open(url: string, dir: string, job: Omit<TrialJobData, 'spec' | 'study'>): Promise<RedisTrialPool> {
    // Refused before connecting: the workers can only score an objective they know by name.
    portableObjective(job.objective);
    const redis = await openRedis(url);
    const study = studyKey(dir);
    const claim = `${hostname()} pid ${process.pid}`;
    let taken = await redis.set(studyKeys(study).coordinator, claim, 'PX', CLAIM_MS, 'NX');
    const holder = taken === 'OK' ? null : await redis.get(studyKeys(study).coordinator);
    // A claim left by a coordinator of this machine that is no longer running (killed) is taken over.
    if (holder !== null && isDeadLocalClaim(holder)) taken = await redis.set(studyKeys(study).coordinator, claim, 'PX', CLAIM_MS);
    if (taken !== 'OK') {
      redis.disconnect();
      throw new StudyError(`${dir}: another coordinator is running this study on ${redactRedisUrl(url)} (${holder ?? 'unknown'}); one coordinator a study`);
    }
    const connections = [redis.duplicate(), redis.duplicate()];
    const queue = new Queue(TRIAL_QUEUE, { connection: connections[0]! });
    const events = new QueueEvents(TRIAL_QUEUE, { connection: connections[1]! });
    await events.waitUntilReady();
    return new RedisTrialPool(redis, queue, events, study, claim, job, connections);
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
            .finally(() => subscriber.error(new StudyError(`${(error as Error).message}; nothing was written, and the trial stays pending: resume the study to run it again`)));
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
          subscriber.error(new StudyError(`trial ${spec.id} failed on every worker that took it (${reason}); it stays pending: resume the study to run it again`));
        },
      });
      (async () => {
        const existing = await Job.fromId(this.queue, id);
        if (existing) {
          const state = await existing.getState();
          if (state === 'completed') return finish(existing.returnvalue);
          if (state === 'failed') await existing.retry();
          return;
        }
        const data: TrialJobData = { ...this.job, study: this.study, spec };
        await this.queue.add('trial', data, { jobId: id, attempts: 5, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
      })().catch((error: unknown) => {
        if (!done) subscriber.error(error);
      });
      return () => this.listeners.delete(id);
    });
  }

  /** Forgets a recorded trial: its job and its checkpoint. */
  async forget(trial: string): Promise<void> {
    await redisCheckpoints(this.redis, this.study).remove(trial);
    await (await Job.fromId(this.queue, jobId(this.study, trial)))?.remove().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.renew);
    this.listeners.clear();
    await this.events.close();
    await this.queue.close();
    if ((await this.redis.get(studyKeys(this.study).coordinator).catch(() => null)) === this.claim) await this.redis.del(studyKeys(this.study).coordinator).catch(() => undefined);
    // BullMQ leaves connections it was given open: they are ours to close.
    for (const connection of this.connections) connection.disconnect();
    this.redis.disconnect();
  }
}
