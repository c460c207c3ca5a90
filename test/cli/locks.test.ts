import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/files/serialization.js';
import { DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { childProcesses, until } from '../helpers/redis.js';

// One process works in a directory at a time, and its lock goes with it however it ends.

const { rxgrad, killAll } = childProcesses();
afterAll(killAll);

describe('train --save DIR', () => {
  it('two runs at once: the second is refused (exit 2, naming the holder), the first saves a whole model', async () => {
    const dir = path.join(tempDir(), 'model');
    const first = rxgrad(['train', '--data', DIGITS_TRAIN, '--epochs', '60', '--save', dir]);
    await until('the first run to hold the directory', () => existsSync(path.join(dir, 'save.lock')));
    const second = rxgrad(['train', '--data', DIGITS_TRAIN, '--epochs', '2', '--save', dir]);
    expect(await second.exited).toBe(2);
    expect(second.out.stderr.trim()).toMatch(
      new RegExp(
        `^rxgrad: --save ${dir}: the model directory is in use by process ${first.child.pid} on \\S+ \\(since [^)]+\\); one process saves to a directory at a time$`,
      ),
    );
    expect(await first.exited, first.out.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'save.lock'))).toBe(false);
    const saved = await loadModel(dir);
    expect(saved.progress?.epochsCompleted).toBe(60);
    const weights = readdirSync(dir).filter((n) => n.endsWith('.bin'));
    expect(weights).toEqual([JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).weights]);
  }, 120_000);

  it('a directory holding a history.json of the user’s is not a model directory', async () => {
    const dir = path.join(tempDir(), 'notes');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'history.json'), '{"my": "notes"}');
    const run = rxgrad(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', dir]);
    expect(await run.exited).toBe(2);
    expect(run.out.stderr).toMatch(/holds files that are not part of an rxgrad model \(history\.json \(not an rxgrad run history\)\)/);
    expect(readFileSync(path.join(dir, 'history.json'), 'utf8')).toBe('{"my": "notes"}');
  });
});

describe('a study lock', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`is released when tune is stopped with ${signal}, which still ends the process as that signal does`, async () => {
      const study = path.join(tempDir(), 'study');
      const tune = rxgrad(['tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '40', '--epochs', '30']);
      await until('the study to start', () => existsSync(path.join(study, 'trials')) && existsSync(path.join(study, 'study.lock')));
      tune.child.kill(signal);
      await tune.exited;
      expect(tune.child.signalCode).toBe(signal);
      expect(existsSync(path.join(study, 'study.lock'))).toBe(false);
    }, 60_000);
  }
});
