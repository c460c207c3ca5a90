import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { childProcesses, startRedis, studyIdOf, studyRecords, until } from '../helpers/redis.js';

// What clusters do to a study on Redis, all in one run (issue 34): a 24-trial study on workers
// that are SIGKILLed and SIGSTOPped past their lock, a Redis that restarts empty, and beside it a
// study killed, deleted and made again in the same folder with another space. Every trial is
// recorded once, in its own study's space, none is left stuck, and every worker ends within 5 s
// of SIGTERM.

const processes = childProcesses();
afterAll(() => processes.killAll());
const count = (dir: string) => {
  try {
    return studyRecords(dir).length;
  } catch {
    return 0;
  }
};
const DEFAULT_PARAMS = ['batchSize', 'hiddenUnits', 'layers', 'learningRate', 'lrDecay', 'momentum'];

describe('a study on Redis under faults', () => {
  it('a worker SIGKILLed, one SIGSTOPped past its lock, Redis restarted empty, a study deleted and made again: every trial once, in its own space', async () => {
    const redis = await startRedis({ persistence: false });
    try {
      const url = redis.url;
      const root = tempDir();
      const workers = [processes.rxgrad(['worker', '--redis', url]), processes.rxgrad(['worker', '--redis', url])];
      const big = path.join(root, 'big');
      const main = processes.rxgrad([
        'tune',
        '--data',
        DIGITS_TRAIN,
        '--study',
        big,
        '--trials',
        '24',
        '--epochs',
        '6',
        '--prune',
        'none',
        '--parallel',
        '2',
        '--seed',
        '1',
        '--redis',
        url,
        '--json',
      ]);

      // Beside it, a study killed mid-trial, deleted, and made again with another space.
      const other = path.join(root, 'other');
      const doomed = processes.rxgrad([
        'tune',
        '--data',
        DIGITS_TRAIN,
        '--study',
        other,
        '--trials',
        '4',
        '--epochs',
        '40',
        '--prune',
        'none',
        '--parallel',
        '2',
        '--seed',
        '7',
        '--redis',
        url,
      ]);
      const doomedId = await studyIdOf(other);

      await until('2 records', () => count(big) >= 2);
      workers[0]!.child.kill('SIGKILL');
      workers.push(processes.rxgrad(['worker', '--redis', url]));
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      rmSync(other, { recursive: true, force: true });
      const space = path.join(root, 'space.json');
      writeFileSync(space, JSON.stringify({ learningRate: { logUniform: [0.002, 0.02] }, batchSize: { choice: [32, 64] } }));
      const again = processes.rxgrad([
        'tune',
        '--data',
        DIGITS_TRAIN,
        '--study',
        other,
        '--space',
        space,
        '--trials',
        '4',
        '--epochs',
        '3',
        '--prune',
        'none',
        '--seed',
        '8',
        '--redis',
        url,
        '--json',
      ]);

      await until('6 records', () => count(big) >= 6);
      // Stopped for longer than its 2 s lock: its trials go to others; woken, it cannot write over them.
      workers[1]!.child.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 4500));
      workers[1]!.child.kill('SIGCONT');

      await until('10 records', () => count(big) >= 10);
      await redis.restart();

      expect(await main.exited, main.out.stderr).toBe(0);
      expect(await again.exited, again.out.stderr).toBe(0);
      const records = studyRecords(big);
      expect(records.map((r) => r.id)).toEqual(Array.from({ length: 24 }, (_, i) => `r0-${String(i).padStart(3, '0')}`));
      for (const record of records) {
        expect([record.status, record.epochs, record.curve.map((p) => p.epoch)]).toEqual(['completed', 6, [1, 2, 3, 4, 5, 6]]);
        expect(Object.keys(record.params).sort()).toEqual(DEFAULT_PARAMS);
      }
      // The study made again trained its own trials: 3 epochs each, in its own space, under a new id.
      expect(await studyIdOf(other)).not.toBe(doomedId);
      const remade = studyRecords(other);
      expect(remade).toHaveLength(4);
      for (const record of remade) {
        expect(record.epochs).toBe(3);
        expect(Object.keys(record.params).sort()).toEqual(['batchSize', 'learningRate']);
        expect(record.params.learningRate).toBeGreaterThanOrEqual(0.002);
        expect(record.params.learningRate).toBeLessThanOrEqual(0.02);
      }
      // (Whether a trial resumed from a checkpoint depends on where each fault falls, and an empty
      // Redis loses checkpoints; the SIGKILL test of redisStudy.test.ts checks resuming exactly.)

      // Every worker still running ends within 5 s of SIGTERM.
      for (const worker of workers.slice(1)) {
        const stoppedAt = Date.now();
        worker.child.kill('SIGTERM');
        expect(await worker.exited).toBe(0);
        expect((Date.now() - stoppedAt) / 1000).toBeLessThan(5);
      }
    } finally {
      await redis.stop();
    }
  }, 240_000);
});
