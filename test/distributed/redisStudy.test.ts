import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { dataDigest } from '../../src/distributed/dataDigest.js';
import { studyKeys } from '../../src/distributed/keys.js';
import { decisionFollows } from '../../src/distributed/redisAsha.js';
import { redactRedisUrl } from '../../src/distributed/redisConnection.js';
import { RedisTrialPool } from '../../src/distributed/redisTrialPool.js';
import { objectiveOf } from '../../src/tuning/objective.js';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { ashaLogOf, studyRecords as records, startRedis, studyIdOf, until, useRedis } from '../helpers/redis.js';

const { redis: server, rxgrad } = useRedis();

describe('a study on Redis', () => {
  it('a coordinator and two worker processes finish a 24-trial ASHA study: every trial recorded once, every decision consistent with its logged scores', async () => {
    const study = path.join(tempDir(), 'study');
    const workers = [rxgrad(['worker', '--redis', server().url]), rxgrad(['worker', '--redis', server().url])];
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '24',
      '--epochs',
      '9',
      '--objective',
      'val-loss',
      '--redis',
      server().url,
      '--json',
    ]);
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    const done = records(study);
    expect(done.map((r) => r.id)).toEqual(Array.from({ length: 24 }, (_, i) => `r0-${String(i).padStart(3, '0')}`));
    expect(new Set(done.map((r) => r.worker)).size).toBe(2);
    const summary = JSON.parse(coordinator.out.stdout.trim().split('\n').at(-1)!) as { finished: number; pruned: number };
    expect(summary.finished).toBe(24);
    expect(summary.pruned).toBeGreaterThan(0);
    // The decisions, replayed from the log (moved to the study folder at the end), follow from the scores each saw; the records agree.
    const client = new Redis(server().url);
    const log = ashaLogOf(study);
    expect(log.length).toBeGreaterThanOrEqual(24);
    for (const entry of log) expect(decisionFollows(entry, 3)).toBe(true);
    // The workers scored by the study's objective (val-loss, minimized), as the objective module scores it.
    const scored = objectiveOf({ name: 'val-loss', direction: 'minimize' }, undefined);
    for (const entry of log)
      expect(entry.score).toBe(scored.score(done.find((r) => r.id === entry.trial)!.curve.find((p) => p.epoch === entry.epoch)!));
    for (const r of done) expect(r.status === 'pruned').toBe(log.some((e) => e.trial === r.id && e.decision === 'prune'));
    // A finished study leaves nothing in Redis: no key under its id, no job.
    const id = await studyIdOf(study);
    expect(await client.keys(studyKeys(id).all)).toEqual([]);
    expect((await client.keys('bull:rxgrad-trials:*')).filter((key) => key.includes(id))).toEqual([]);
    client.disconnect();
    // The study directory is what a local study writes: rxgrad study and report read it.
    expect(JSON.parse(readFileSync(path.join(study, 'data.json'), 'utf8'))).toEqual({
      file: DIGITS_TRAIN,
      ...(await dataDigest(DIGITS_TRAIN)),
    });
    for (const w of workers) w.child.kill('SIGINT');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  }, 180_000);

  it('a worker SIGKILLed mid-trial: another worker resumes its trial from the checkpoint in Redis', async () => {
    const study = path.join(tempDir(), 'study');
    const first = rxgrad(['worker', '--redis', server().url]);
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '2',
      '--epochs',
      '40',
      '--prune',
      'none',
      '--parallel',
      '1',
      '--redis',
      server().url,
      '--json',
    ]);
    const client = new Redis(server().url);
    const key = studyKeys(await studyIdOf(study)).checkpoint('r0-000');
    await until('a checkpoint of epoch 3 in Redis', async () => Number((await client.hget(key, 'epoch')) ?? 0) >= 3);
    first.child.kill('SIGKILL');
    const killedAt = Number(await client.hget(key, 'epoch'));
    const killTime = Date.now();
    const second = rxgrad(['worker', '--redis', server().url]);
    // With --stall-timeout 2, the lost worker's trial is taken over within a few seconds (30 s by default).
    await until('the trial resumed', () => /r0-000: resuming from the checkpoint/.test(second.out.stderr));
    expect((Date.now() - killTime) / 1000).toBeLessThan(10);
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    const [trial] = records(study);
    expect(trial!.id).toBe('r0-000');
    expect(trial!.status).toBe('completed');
    expect(trial!.epochs).toBe(40);
    // It went on from the checkpoint (at most an epoch lost), on the other worker, and says so.
    expect(trial!.resumedFromEpoch).toBeGreaterThanOrEqual(killedAt);
    expect(trial!.worker).toBe(/worker (\S+): taking trials/.exec(second.out.stderr)![1]);
    expect(second.out.stderr).toMatch(/r0-000: resuming from the checkpoint of epoch \d+/);
    client.disconnect();
    second.child.kill('SIGINT');
    await second.exited;
  }, 180_000);

  it('a worker whose training file differs leaves the trials to one that has it, says so once, and goes on', async () => {
    const study = path.join(tempDir(), 'study');
    const wrong = rxgrad(['worker', '--redis', server().url, '--data', DIGITS_TEST]);
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '3',
      '--epochs',
      '2',
      '--prune',
      'none',
      '--redis',
      server().url,
      '--json',
    ]);
    await until('the wrong worker to refuse', () => /is not the training file of study/.test(wrong.out.stderr));
    // Refusing a job does not stop the worker: a job that names another file is not its to end.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(wrong.child.exitCode).toBeNull();
    const right = rxgrad(['worker', '--redis', server().url]);
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    expect(records(study).map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    expect(records(study).every((r) => right.out.stderr.includes(`worker ${r.worker}: taking trials`))).toBe(true);
    expect(
      wrong.out.stderr.match(
        /digits-test\.arrow is not the training file of study \w+ .* this worker leaves its trials to workers that have it; give the right file with --data/g,
      ),
    ).toHaveLength(1);
    expect(wrong.child.exitCode).toBeNull();
    for (const worker of [wrong, right]) worker.child.kill('SIGINT');
    expect(await Promise.all([wrong.exited, right.exited])).toEqual([0, 0]);
  }, 180_000);

  it('one study, one coordinator: a second is refused while the first holds it', async () => {
    const study = path.join(tempDir(), 'study');
    const digest = await dataDigest(DIGITS_TRAIN);
    const options = { digest, objective: { name: 'val-accuracy', direction: 'maximize' as const } };
    const id = '0123456789abcdef';
    const pool = await RedisTrialPool.open(server().url, options);
    await pool.attach({ id, dir: study });
    const second = await RedisTrialPool.open(server().url, options);
    await expect(second.attach({ id, dir: study })).rejects.toThrow(/another coordinator is running this study .* one coordinator a study/);
    // Another study (another id, whatever its folder) is another claim.
    await second.attach({ id: 'fedcba9876543210', dir: study });
    await second.close();
    // A metric of this process's own cannot be scored by workers elsewhere: refused before anything is queued.
    await expect(RedisTrialPool.open(server().url, { digest, objective: { name: 'error-rate', direction: 'minimize' } })).rejects.toThrow(
      /objective 'error-rate' is a function of this process and cannot be scored by workers on other machines/,
    );
    await pool.close();
    const again = await RedisTrialPool.open(server().url, options);
    await again.attach({ id, dir: study });
    await again.close();
  });

  it('the same study on one machine and on Redis gives the same records, apart from timing and workers, without pruning', async () => {
    const [local, remote] = [path.join(tempDir(), 'local'), path.join(tempDir(), 'remote')];
    const args = ['--data', DIGITS_TRAIN, '--trials', '4', '--epochs', '2', '--prune', 'none', '--seed', '5', '--json'];
    const worker = rxgrad(['worker', '--redis', server().url, '--parallel', '2']);
    expect(await rxgrad(['tune', '--study', local, '--parallel', '2', ...args]).exited).toBe(0);
    expect(await rxgrad(['tune', '--study', remote, '--redis', server().url, ...args]).exited).toBe(0);
    const strip = (r: TrialRecord) => ({ ...r, seconds: 0, worker: undefined, curve: r.curve.map((p) => ({ ...p, seconds: 0 })) });
    expect(records(remote).map(strip)).toEqual(records(local).map(strip));
    worker.child.kill('SIGINT');
    await worker.exited;
  }, 180_000);
});

describe('a trial that fails on Redis', () => {
  it('for its own reasons (divergence) is recorded as failed once, not retried', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const space = path.join(dir, 'space.json');
    writeFileSync(space, JSON.stringify({ learningRate: { logUniform: [1e4, 1e6] }, batchNorm: { choice: [false] } }));
    const worker = rxgrad(['worker', '--redis', server().url]);
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--space',
      space,
      '--trials',
      '2',
      '--epochs',
      '3',
      '--prune',
      'none',
      '--redis',
      server().url,
      '--json',
    ]);
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    const done = records(study);
    expect(done.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(done[0]!.error).toMatch(/Diverged/);
    // Each trial was taken once: attempt 1, no retry.
    expect(worker.out.stderr.match(/r0-00\d: starting \(attempt \d+\)/g)!.sort()).toEqual([
      'r0-000: starting (attempt 1)',
      'r0-001: starting (attempt 1)',
    ]);
    worker.child.kill('SIGINT');
    await worker.exited;
  }, 120_000);
});

describe('Redis connections', () => {
  it('rediss:// (TLS) works for the coordinator and the workers', async () => {
    const secure = await startRedis({ tls: true });
    try {
      const env = { NODE_EXTRA_CA_CERTS: secure.certificate };
      const study = path.join(tempDir(), 'study');
      const worker = rxgrad(['worker', '--redis', secure.url], env);
      const coordinator = rxgrad(
        [
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
          secure.url,
          '--json',
        ],
        env,
      );
      expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
      expect(records(study).map((r) => r.status)).toEqual(['completed', 'completed']);
      expect(worker.out.stderr).toMatch(/taking trials from rediss:\/\/127\.0\.0\.1:\d+/);
      worker.child.kill('SIGINT');
      expect(await worker.exited).toBe(0);
    } finally {
      await secure.stop();
    }
  }, 60_000);

  it('a wrong password is a clear error that never shows the password', async () => {
    const locked = await startRedis({ password: 'right-horse-battery' });
    try {
      const url = locked.url.replace('right-horse-battery', 'hunter2-wrong');
      const coordinator = rxgrad([
        'tune',
        '--data',
        DIGITS_TRAIN,
        '--study',
        path.join(tempDir(), 'study'),
        '--trials',
        '2',
        '--redis',
        url,
      ]);
      expect(await coordinator.exited).toBe(1);
      expect(coordinator.out.stderr).toMatch(
        /redis redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: cannot connect: .*(WRONGPASS|invalid).*check the password/,
      );
      expect(coordinator.out.stderr).not.toContain('hunter2-wrong');
      const worker = rxgrad(['worker', '--redis', url]);
      expect(await worker.exited).toBe(1);
      expect(worker.out.stderr).not.toContain('hunter2-wrong');
    } finally {
      await locked.stop();
    }
    expect(redactRedisUrl('rediss://user:p%40ss@db.example:6380/2')).toBe('rediss://user:***@db.example:6380/2');
  }, 60_000);
});

describe('a study on Redis, interrupted', () => {
  it('the coordinator SIGKILLed and resumed: finished trials are collected, none is run or sampled twice', async () => {
    const study = path.join(tempDir(), 'study');
    const workers = [rxgrad(['worker', '--redis', server().url]), rxgrad(['worker', '--redis', server().url])];
    const args = [
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '12',
      '--epochs',
      '9',
      '--parallel',
      '4',
      '--redis',
      server().url,
      '--json',
    ];
    const first = rxgrad(args);
    await until('three finished trials', () => {
      try {
        return records(study).length >= 3;
      } catch {
        return false;
      }
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const resumed = rxgrad([...args, '--resume']);
    expect(await resumed.exited, resumed.out.stderr).toBe(0);
    const done = records(study);
    expect(done.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => `r0-${String(i).padStart(3, '0')}`));
    expect(new Set(done.map((r) => JSON.stringify(r.params))).size).toBe(12);
    // Every ASHA decision still follows from the scores it saw, each trial deciding a rung once.
    const log = ashaLogOf(study);
    expect(log.length).toBeGreaterThan(0);
    for (const entry of log) expect(decisionFollows(entry, 3)).toBe(true);
    for (const w of workers) w.child.kill('SIGINT');
    await Promise.all(workers.map((w) => w.exited));
  }, 180_000);

  it('Redis stopped and restarted mid-study (append-only persistence): the study finishes, every trial recorded once', async () => {
    const study = path.join(tempDir(), 'study');
    const workers = [rxgrad(['worker', '--redis', server().url]), rxgrad(['worker', '--redis', server().url])];
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '8',
      '--epochs',
      '12',
      '--prune',
      'none',
      '--parallel',
      '2',
      '--redis',
      server().url,
      '--json',
    ]);
    await until('a finished trial', () => {
      try {
        return records(study).length >= 1;
      } catch {
        return false;
      }
    });
    await server().stop();
    // Down long enough for many retries.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await server().restart();
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    const done = records(study);
    expect(done.map((r) => r.id)).toEqual(Array.from({ length: 8 }, (_, i) => `r0-${String(i).padStart(3, '0')}`));
    expect(done.every((r) => r.status === 'completed' && r.epochs === 12)).toBe(true);
    // The outage, told once each way by the coordinator and each worker; no ioredis dumps.
    const lines = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line)).length;
    expect([lines(coordinator.out.stderr, /lost Redis at/), lines(coordinator.out.stderr, /Redis is back after/)]).toEqual([1, 1]);
    for (const w of workers) expect([lines(w.out.stderr, /lost Redis at/), lines(w.out.stderr, /Redis is back after/)]).toEqual([1, 1]);
    for (const text of [coordinator.out.stderr, ...workers.map((w) => w.out.stderr)])
      expect(text).not.toMatch(/ioredis|Unhandled error|ECONNREFUSED.*\n.*ECONNREFUSED/);
    for (const w of workers) w.child.kill('SIGINT');
    await Promise.all(workers.map((w) => w.exited));
  }, 180_000);
});

describe('a Redis that restarts empty', () => {
  it('the coordinator queues the lost trials again, says so, and the study finishes, every trial recorded once', async () => {
    const empty = await startRedis({ persistence: false });
    try {
      const study = path.join(tempDir(), 'study');
      const workers = [rxgrad(['worker', '--redis', empty.url]), rxgrad(['worker', '--redis', empty.url])];
      const coordinator = rxgrad([
        'tune',
        '--data',
        DIGITS_TRAIN,
        '--study',
        study,
        '--trials',
        '6',
        '--epochs',
        '12',
        '--prune',
        'none',
        '--parallel',
        '2',
        '--redis',
        empty.url,
        '--json',
      ]);
      await until('a finished trial', () => {
        try {
          return records(study).length >= 1;
        } catch {
          return false;
        }
      });
      await empty.restart();
      const restartedAt = Date.now();
      expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
      // It hung before, with no record for 90 s and no word.
      expect((Date.now() - restartedAt) / 1000).toBeLessThan(60);
      expect(coordinator.out.stderr).toMatch(/Redis had lost \d+ waited-for trials? \(restarted without persistence\?\): queued again/);
      const done = records(study);
      expect(done.map((r) => r.id)).toEqual(Array.from({ length: 6 }, (_, i) => `r0-${String(i).padStart(3, '0')}`));
      expect(done.every((r) => r.status === 'completed' && r.epochs === 12)).toBe(true);
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    } finally {
      await empty.stop();
    }
  }, 180_000);
});

/** A small model's checkpoint of `epoch` in `dir`, keeping the newest 2, as a running trial saves one. */
async function saveLocalCheckpoint(dir: string, epoch: number, seed = 1): Promise<void> {
  const { saveCheckpoint } = await import('../../src/training/checkpoints.js');
  const { createNetwork } = await import('../../src/model/network.js');
  const { float64Backend } = await import('../../src/model/typescriptBackend.js');
  const network = createNetwork({ inputSize: 2, classes: 2, hidden: [2], seed, backend: float64Backend });
  await saveCheckpoint(
    dir,
    epoch,
    { network, progress: { epochsCompleted: epoch, seed: 0, batchSize: 4, schedule: { type: 'constant' } } },
    { keep: 2 },
  );
}

describe('checkpoints in Redis', () => {
  it('a worker whose checkpoint is refused (a newer attempt owns the trial) stops that run: the trial goes on from the newer attempt’s checkpoint', async () => {
    const { redisCheckpoints } = await import('../../src/distributed/redisCheckpoints.js');
    const study = path.join(tempDir(), 'study');
    const worker = rxgrad(['worker', '--redis', server().url]);
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '1',
      '--epochs',
      '60',
      '--prune',
      'none',
      '--redis',
      server().url,
      '--json',
    ]);
    const client = new Redis(server().url);
    const id = await studyIdOf(study);
    const store = redisCheckpoints(client, id);
    const key = studyKeys(id).checkpoint('r0-000');
    await until('the first checkpoint in Redis', async () => Number(await client.hget(key, 'epoch')) >= 1);
    // Another attempt takes the trial over and writes its own checkpoint (here: a copy of the newest).
    const copy = path.join(tempDir(), 'copy');
    const taken = await store.download('r0-000', copy);
    expect(await store.upload('r0-000', await store.begin('r0-000'), copy)).toBe(true);
    expect(await coordinator.exited, coordinator.out.stderr).toBe(0);
    const [record] = records(study);
    // The stale run did not finish the trial: a later attempt resumed it from the checkpoint it found.
    expect(record).toMatchObject({ status: 'completed', epochs: 60 });
    expect(record!.resumedFromEpoch).toBeGreaterThanOrEqual(taken);
    expect(record!.resumedFromEpoch).toBeGreaterThan(0);
    expect(worker.out.stderr).toMatch(/r0-000: a newer attempt has taken it over; this one \(attempt 1\) stops/);
    // Each failed attempt is said, with its reason (it uses up one of the job's five).
    expect(worker.out.stderr).toMatch(/r0-000: attempt 1 of 5 failed: trial r0-000: a newer attempt has taken it over; this one stops/);
    client.disconnect();
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
  }, 120_000);

  it('are stamped with their attempt: a stalled worker that wakes up cannot overwrite a newer attempt’s', async () => {
    const { redisCheckpoints } = await import('../../src/distributed/redisCheckpoints.js');
    const client = new Redis(server().url);
    const store = redisCheckpoints(client, 'fencing-test');
    const local = async (epoch: number) => {
      const dir = path.join(tempDir(), 'local');
      await saveLocalCheckpoint(dir, epoch, epoch);
      return dir;
    };
    const old = await store.begin('t');
    const fresh = await store.begin('t');
    expect(fresh).toBe(old + 1);
    expect(await store.upload('t', fresh, await local(5))).toBe(true);
    // The older attempt, waking up, tries to write its epoch 3 over the newer attempt's epoch 5.
    expect(await store.upload('t', old, await local(3))).toBe(false);
    const restored = path.join(tempDir(), 'restored');
    expect(await store.download('t', restored)).toBe(5);
    expect(readdirSync(path.join(restored, 'epoch-0005')).sort()[0]).toBe('model.json');
    await store.remove('t');
    expect(await store.download('t', path.join(tempDir(), 'none'))).toBe(0);
    client.disconnect();
  });

  it('are fenced on the trial’s newest attempt from the moment it begins, as are ASHA reports', async () => {
    const { redisCheckpoints } = await import('../../src/distributed/redisCheckpoints.js');
    const { redisAsha } = await import('../../src/distributed/redisAsha.js');
    const client = new Redis(server().url);
    const store = redisCheckpoints(client, 'fencing-begun');
    const dir = path.join(tempDir(), 'local');
    await saveLocalCheckpoint(dir, 4);
    const stalled = await store.begin('t');
    expect(await store.upload('t', stalled, dir)).toBe(true);
    // A new attempt begins (another worker took the job) and has written nothing yet: the stalled
    // run's next checkpoint is refused all the same, and its ASHA report is not counted.
    const newer = await store.begin('t');
    expect(await store.upload('t', stalled, dir)).toBe(false);
    const asha = redisAsha(client, 'fencing-begun', { rungs: [1], eta: 3 });
    expect(await asha.decide('t', 1, 0.5, stalled)).toBe('stale');
    expect(await asha.log()).toEqual([]);
    expect(await asha.decide('t', 1, 0.5, newer)).toBe('continue');
    expect(await store.upload('t', newer, dir)).toBe(true);
    client.disconnect();
  });

  it('an upload whose checkpoint is rotated out while it is read starts again on the newest, and never fails for it', async () => {
    const { redisCheckpoints } = await import('../../src/distributed/redisCheckpoints.js');
    const { promises } = await import('node:fs');
    const client = new Redis(server().url);
    const store = redisCheckpoints(client, 'rotation');
    const dir = path.join(tempDir(), 'local');
    const save = (epoch: number) => saveLocalCheckpoint(dir, epoch);
    await save(1);
    await save(2);
    const attempt = await store.begin('t');
    // The trial trains on while the upload reads epoch 2: just as its weights are read, epochs 3
    // and 4 are saved, and epoch 2 (keep 2) is rotated out from under the read.
    const readFile = promises.readFile;
    let rotated = false;
    promises.readFile = (async (file: Parameters<typeof readFile>[0], ...rest: unknown[]) => {
      if (!rotated && String(file).includes('epoch-0002') && String(file).endsWith('.bin')) {
        rotated = true;
        await save(3);
        await save(4);
      }
      return (readFile as (...args: unknown[]) => Promise<unknown>)(file, ...rest);
    }) as typeof readFile;
    try {
      expect(await store.upload('t', attempt, dir)).toBe(true);
    } finally {
      promises.readFile = readFile;
    }
    expect(rotated).toBe(true);
    expect(await store.download('t', path.join(tempDir(), 'restored'))).toBe(4);
    client.disconnect();
  });
});
