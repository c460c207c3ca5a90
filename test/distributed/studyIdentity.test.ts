import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { studyKeys } from '../../src/distributed/keys.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { studyIdOf, studyRecords, until, useRedis } from '../helpers/redis.js';

// A study's Redis state is named by the random id in its study.json (issue 34, item 1): a new
// study in the folder of a killed one never meets its jobs, checkpoints or rungs; a finished study
// leaves nothing in Redis; `rxgrad study DIR --clean-redis URL` removes what a crashed one left.

const { redis: server, rxgrad } = useRedis();

describe("a study's identity on Redis", () => {
  it('a new study in the folder of a killed one trains only its own trials, in its own space', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const worker = rxgrad(['worker', '--redis', server().url]);
    const client = new Redis(server().url);
    // The old study: 30-epoch trials, killed while its first runs and another waits in the queue.
    const old = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '4',
      '--epochs',
      '30',
      '--prune',
      'none',
      '--parallel',
      '2',
      '--seed',
      '1',
      '--redis',
      server().url,
    ]);
    const oldId = await studyIdOf(study);
    await until(
      'an old trial at epoch 2',
      async () => Number((await client.hget(studyKeys(oldId).checkpoint('r0-000'), 'epoch')) ?? 0) >= 2,
    );
    old.child.kill('SIGKILL');
    await old.exited;
    rmSync(study, { recursive: true, force: true });
    // The new one, at the same path: another space, another seed, 3 epochs a trial.
    const space = path.join(dir, 'space.json');
    writeFileSync(space, JSON.stringify({ learningRate: { logUniform: [0.001, 0.01] }, layers: { intUniform: [1, 2] } }));
    const fresh = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--space',
      space,
      '--trials',
      '4',
      '--epochs',
      '3',
      '--prune',
      'none',
      '--seed',
      '2',
      '--redis',
      server().url,
      '--json',
    ]);
    expect(await fresh.exited, fresh.out.stderr).toBe(0);
    const newId = await studyIdOf(study);
    expect(newId).toMatch(/^[0-9a-f]{16}$/);
    expect(newId).not.toBe(oldId);
    const records = studyRecords(study);
    expect(records).toHaveLength(4);
    for (const record of records) {
      // Each trained the new study's 3 epochs (an old 30-epoch job's result would say so), in the new space.
      expect([record.epochs, record.curve.length, record.config.epochs]).toEqual([3, 3, 3]);
      expect(Object.keys(record.params).sort()).toEqual(['layers', 'learningRate']);
      expect(record.params.learningRate).toBeGreaterThanOrEqual(0.001);
      expect(record.params.learningRate).toBeLessThanOrEqual(0.01);
    }
    // The finished study left nothing in Redis; the killed one's state is still there, under its own id.
    expect(await client.keys(studyKeys(newId).all)).toEqual([]);
    expect((await client.keys(studyKeys(oldId).all)).length).toBeGreaterThan(0);
    client.disconnect();
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 180_000);

  it('rxgrad study DIR --clean-redis removes what a killed coordinator left, and refuses while one runs', async () => {
    const study = path.join(tempDir(), 'study');
    // No worker of its own: the jobs wait in the queue until the coordinator is killed (long
    // trials, so that a worker left by another test could not finish the study meanwhile).
    const coordinator = rxgrad([
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '6',
      '--epochs',
      '300',
      '--parallel',
      '3',
      '--redis',
      server().url,
    ]);
    const id = await studyIdOf(study);
    const client = new Redis(server().url);
    const jobs = async () => (await client.keys(`bull:rxgrad-trials:${id}.*`)).length;
    await until('three jobs queued', async () => (await jobs()) >= 3);
    const refused = rxgrad(['study', study, '--clean-redis', server().url]);
    expect(await refused.exited, refused.out.stdout + refused.out.stderr).toBe(1);
    expect(refused.out.stderr).toMatch(
      new RegExp(
        `${study}: a coordinator is running this study \\(.* pid ${coordinator.child.pid}\\); stop it before cleaning its Redis keys`,
      ),
    );
    coordinator.child.kill('SIGKILL');
    await coordinator.exited;
    // Its claim lapses (15 s; here at once): a worker leaves the orphaned trials waiting, and says why.
    await client.del(studyKeys(id).coordinator);
    const worker = rxgrad(['worker', '--redis', server().url]);
    await until('the worker says the study has no coordinator', () =>
      worker.out.stderr.includes(`study ${id} has no coordinator running: its trials wait for one`),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(worker.out.stderr).not.toMatch(/r0-\d{3}: (starting|resuming)/);
    worker.child.kill('SIGTERM');
    await worker.exited;
    const cleaned = rxgrad(['study', study, '--clean-redis', server().url, '--json']);
    expect(await cleaned.exited, cleaned.out.stderr).toBe(0);
    const result = JSON.parse(cleaned.out.stdout.trim()) as { id: string; jobs: number; keys: number };
    expect(result.id).toBe(id);
    expect(result.jobs).toBeGreaterThanOrEqual(3);
    expect(await jobs()).toBe(0);
    expect(await client.keys(studyKeys(id).all)).toEqual([]);
    client.disconnect();
  }, 120_000);
});
