import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studyKeys } from '../../src/distributed/keys.js';
import { decisionFollows, redisAsha } from '../../src/distributed/redisAsha.js';
import { redisCheckpoints } from '../../src/distributed/redisCheckpoints.js';
import { loadModel, saveModel } from '../../src/files/serialization.js';
import { createNetwork } from '../../src/model/network.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/training/trainingConfig.js';
import { AshaPruner, ashaDecision, type EpochReport } from '../../src/tuning/asha.js';
import { studyAsha } from '../../src/tuning/study.js';
import { tempDir } from '../helpers/files.js';
import { startRedis } from '../helpers/redis.js';

let server: Awaited<ReturnType<typeof startRedis>>;
let client: Redis;
beforeAll(async () => {
  server = await startRedis();
  client = new Redis(server.url);
}, 30_000);
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

/**
 * A random sequence of reports as trials running in parallel send them: a few trials, epochs on
 * and off the rungs, scores from a small set (so that ties happen), some NaN or infinite, and some
 * rungs reported again (a trial resumed from an earlier checkpoint).
 */
function randomReports(seed: string, rungs: readonly number[]): EpochReport[] {
  const random = seedrandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const trials = Array.from({ length: 2 + Math.floor(random() * 8) }, (_, i) => `t${i}`);
  const scores = [0.1, 0.25, 0.5, 0.5, 0.75, 0.9, -0.3, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const epochs = [...rungs, ...rungs, 2, 5, 7];
  return Array.from({ length: 5 + Math.floor(random() * 40) }, () => ({
    trial: pick(trials),
    epoch: pick(epochs),
    score: random() < 0.3 ? pick(scores) : Math.round(random() * 1000) / 1000,
  }));
}

describe('one ASHA rule', () => {
  const settings = { prune: 'asha', eta: 3, minEpochs: 1, base: { ...DEFAULT_TRAINING_CONFIG, epochs: 12 } } as const;
  const asha = studyAsha(settings)!;

  it('derives a study’s rungs in one place', () => {
    expect(asha.rungs).toEqual([1, 3, 9]);
    expect(studyAsha({ ...settings, prune: 'none' })).toBeUndefined();
    expect(studyAsha({ ...settings, eta: 2, minEpochs: 2 })?.rungs).toEqual([2, 4, 8]);
  });

  it('the rule: the top ⌊n/η⌋ (at least one) go on; a score that is not finite never does', () => {
    expect(ashaDecision([0.9, 0.7, 0.8], 0.8, 3)).toEqual({ decision: 'prune', keep: 1 });
    expect(ashaDecision([0.9, 0.7, 0.8], 0.9, 3)).toEqual({ decision: 'continue', keep: 1 });
    expect(ashaDecision([0.5, 0.5, 0.1, 0.2, 0.3, 0.4], 0.5, 3)).toEqual({ decision: 'continue', keep: 2 });
    expect(ashaDecision([-Number.MAX_VALUE], Number.NaN, 3).decision).toBe('prune');
    expect(ashaDecision([-Number.MAX_VALUE, 0.2], 0.2, 3).decision).toBe('continue');
  });

  it('the Redis script and the local pruner take the same decision on every report of 300 random sequences, and every logged decision follows the rule', async () => {
    let compared = 0;
    let pruned = 0;
    for (let s = 0; s < 300; s++) {
      const study = `property-${s}`;
      const reports = randomReports(`asha:${s}`, asha.rungs);
      const local = new AshaPruner(asha);
      const remote = redisAsha(client, study, asha);
      for (const [i, report] of reports.entries()) {
        const expected = local.report(report).decision;
        const actual = await remote.decide(report.trial, report.epoch, report.score);
        if (actual !== expected)
          throw new Error(`sequence ${s}, report ${i} (${JSON.stringify(report)}): Redis says ${actual}, the local pruner ${expected}`);
        compared++;
        if (expected === 'prune') pruned++;
      }
      const log = await remote.log();
      expect(log).toHaveLength(reports.filter((r) => asha.rungs.includes(r.epoch)).length);
      for (const entry of log) expect(decisionFollows(entry, asha.eta), JSON.stringify(entry)).toBe(true);
      // One score per trial and rung, however often the rung was reported.
      for (const rung of asha.rungs) {
        const trials = new Set(reports.filter((r) => r.epoch === rung).map((r) => r.trial));
        expect(await client.zcard(studyKeys(study).rung(rung))).toBe(trials.size);
      }
    }
    // Enough of both decisions for the comparison to mean something.
    expect(compared).toBeGreaterThan(3000);
    expect(pruned).toBeGreaterThan(500);
    expect(compared - pruned).toBeGreaterThan(500);
  }, 120_000);

  it('a rung reported again replaces the trial’s score in both, so a trial cannot outvote itself', async () => {
    const local = new AshaPruner(asha);
    const remote = redisAsha(client, 'again', asha);
    // b reports rung 1 three times (resumed twice). Counted once, four trials are on record when d
    // reports: keep ⌊4/3⌋ = 1, and d's 0.8 is below a's 0.9. Counted three times, there would be
    // six scores, keep 2, and d would go on.
    const reports: EpochReport[] = [
      { trial: 'a', epoch: 1, score: 0.9 },
      { trial: 'b', epoch: 1, score: 0.5 },
      { trial: 'b', epoch: 1, score: 0.5 },
      { trial: 'b', epoch: 1, score: 0.5 },
      { trial: 'c', epoch: 1, score: 0.3 },
      { trial: 'd', epoch: 1, score: 0.8 },
    ];
    const decisions = [];
    for (const r of reports) {
      const expected = local.report(r).decision;
      expect(await remote.decide(r.trial, r.epoch, r.score)).toBe(expected);
      decisions.push(expected);
    }
    expect(decisions.at(-1)).toBe('prune');
    expect(await client.zcard(studyKeys('again').rung(1))).toBe(4);
  });
});

describe('checkpoints in Redis', () => {
  it('a download is written as a model directory, under a weights name of its own', async () => {
    const store = redisCheckpoints(client, 'downloads');
    const from = tempDir();
    await saveModel(path.join(from, 'epoch-0002'), {
      network: createNetwork({ inputSize: 4, classes: 3, hidden: [5], seed: 1, backend: typescriptBackend }),
    });
    const attempt = await store.begin('t0');
    expect(await store.upload('t0', attempt, from)).toBe(true);
    // A weights name in Redis that points elsewhere is not followed.
    await client.hset(studyKeys('downloads').checkpoint('t0'), 'weightsName', '../../outside.bin');
    const to = path.join(tempDir(), 'trial');
    expect(await store.download('t0', to)).toBe(2);
    const files = await fs.readdir(path.join(to, 'epoch-0002'));
    expect(files).toHaveLength(2);
    expect(files).toContain('model.json');
    expect(files.find((f) => f !== 'model.json')).toMatch(/^weights-[0-9a-f]{12}\.bin$/);
    expect(await fs.readdir(path.dirname(to))).toEqual(['trial']);
    const restored = await loadModel(path.join(to, 'epoch-0002'), typescriptBackend);
    const original = await loadModel(path.join(from, 'epoch-0002'), typescriptBackend);
    expect(Array.from(restored.network.params[0]!.value)).toEqual(Array.from(original.network.params[0]!.value));
  });

  it('a damaged checkpoint in Redis is an error naming the trial, and writes nothing', async () => {
    const store = redisCheckpoints(client, 'damaged');
    await client.hset(
      studyKeys('damaged').checkpoint('t1'),
      'epoch',
      '3',
      'model',
      '{not json',
      'weightsName',
      'weights.bin',
      'weights',
      Buffer.alloc(8),
    );
    const to = path.join(tempDir(), 'trial');
    await expect(store.download('t1', to)).rejects.toThrow(/trial t1: the checkpoint in Redis .* is damaged/);
    await expect(fs.readdir(to)).rejects.toThrow(/ENOENT/);
  });
});
