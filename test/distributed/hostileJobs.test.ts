import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { dataDigest } from '../../src/distributed/dataDigest.js';
import { TRIAL_QUEUE } from '../../src/distributed/keys.js';
import type { TrialJobData } from '../../src/distributed/trialJobs.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { studyRecords, until, useRedis } from '../helpers/redis.js';

// What crosses the Redis boundary is checked before it names a path: a hand-made job (anyone who
// can write to the Redis the workers read) and a rogue worker's result (anyone who can take jobs).

const { redis: server, rxgrad } = useRedis();

/** A directory with a file in it, that nothing may delete. */
function victim(parent = tempDir()): string {
  const dir = path.join(parent, 'victim');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'keep.txt'), 'mine');
  return dir;
}

/** A job as a coordinator would write it for the digits file, but for `study` and trial `id`. */
async function handMadeJob(study: string, id: string): Promise<TrialJobData> {
  return {
    study,
    spec: {
      id,
      round: 0,
      params: {},
      unit: [],
      config: { ...DEFAULT_TRAINING_CONFIG, hidden: [8], epochs: 1 },
      data: { file: DIGITS_TRAIN, label: 'label', features: ['pixels'] },
      validation: { fraction: 0.2, seed: 0 },
      standardizer: undefined,
      inputSize: 64,
      classes: 10,
      checkpointDir: '/nowhere',
    },
    // The real file's digest: the worker would go past its data check to the folder it clears.
    digest: await dataDigest(DIGITS_TRAIN),
    objective: { name: 'val-accuracy', direction: 'maximize' },
  };
}

describe('a queued job that names paths outside the worker’s folder', () => {
  it('is refused and logged before anything is read, written or deleted, and the worker goes on to train a real study', async () => {
    const target = victim();
    const worker = rxgrad(['worker', '--redis', server().url]);
    await until('the worker to start', () => /taking trials/.test(worker.out.stderr));
    const connection = new Redis(server().url, { maxRetriesPerRequest: null });
    const queue = new Queue(TRIAL_QUEUE, { connection });
    const up = '../'.repeat(12);
    const jobs = [
      await queue.add('trial', await handMadeJob(`${up}${path.dirname(target).slice(1)}`, 'victim'), {
        jobId: 'attack-study',
        attempts: 5,
      }),
      await queue.add('trial', await handMadeJob('3f1c9a0b2d4e6f70', `${up}${target.slice(1)}`), { jobId: 'attack-trial', attempts: 5 }),
    ];
    for (const job of jobs)
      await until(`job ${job.id} to be refused`, async () => (await Job.fromId(queue, job.id!))?.failedReason !== undefined);
    for (const job of jobs) {
      const failed = (await Job.fromId(queue, job.id!))!;
      expect(failed.failedReason).toMatch(/^refused (study name|trial id) in a trial job "(\.\.\/)+/);
      // Refused once, not retried: no attempt is spent on it again.
      expect(failed.attemptsMade).toBe(1);
    }
    expect(readdirSync(target)).toEqual(['keep.txt']);
    expect(worker.out.stderr).toMatch(
      /rxgrad worker: job attack-study: refused study name in a trial job ".*": expected .*; this worker goes on/,
    );
    expect(worker.out.stderr).toMatch(
      /rxgrad worker: job attack-trial: refused trial id in a trial job ".*": expected .*; this worker goes on/,
    );
    expect(worker.child.exitCode).toBeNull();
    // The same worker then trains a study's trials.
    const study = path.join(tempDir(), 'study');
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '2',
      '--epochs',
      '1',
      '--prune',
      'none',
      '--redis',
      server().url,
      '--json',
    ]);
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    expect(studyRecords(study).map((r) => r.status)).toEqual(['completed', 'completed']);
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
    await queue.close();
    connection.disconnect();
  }, 120_000);
});

describe('a rogue worker’s result', () => {
  it('that names another trial is refused by the coordinator: nothing written or deleted, and a resume runs the trial on an honest worker', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const target = victim(dir);
    // The coordinator would write trials/<id>.json and remove checkpoints/<id>: ../../victim is the victim.
    const connection = new Redis(server().url, { maxRetriesPerRequest: null });
    const rogue = new Worker<TrialJobData, TrialRecord>(
      TRIAL_QUEUE,
      async (job) => ({
        id: '../../victim',
        round: 0,
        params: {},
        unit: [],
        config: job.data.spec.config,
        status: 'completed',
        curve: [],
        epochs: 0,
        validationAccuracy: 1,
        validationLoss: 0,
        resumedFromEpoch: 0,
        seconds: 0,
      }),
      { connection },
    );
    await rogue.waitUntilReady();
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '1',
      '--epochs',
      '1',
      '--prune',
      'none',
      '--redis',
      server().url,
    ]);
    expect(await coordinator.exited, coordinator.out.stderr + coordinator.out.stdout).toBe(1);
    const lines = coordinator.out.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /refused the result of trial r0-000: it is the record of "\.\.\/\.\.\/victim"; nothing was written, and the trial stays pending: resume the study to run it again/,
    );
    expect(coordinator.out.stderr).not.toMatch(/\n\s+at /);
    await rogue.close();
    connection.disconnect();
    expect(readdirSync(target)).toEqual(['keep.txt']);
    expect(readdirSync(path.join(study, 'trials'))).toEqual([]);
    expect(existsSync(path.join(dir, 'victim.json'))).toBe(false);
    const honest = rxgrad(['worker', '--redis', server().url]);
    const resumed = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '1',
      '--epochs',
      '1',
      '--prune',
      'none',
      '--redis',
      server().url,
      '--resume',
    ]);
    expect(await resumed.exited, resumed.out.stderr).toBe(0);
    expect(studyRecords(study).map((r) => [r.id, r.status])).toEqual([['r0-000', 'completed']]);
    honest.child.kill('SIGINT');
    await honest.exited;
  }, 120_000);
});
