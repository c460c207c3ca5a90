import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../src/tuning/trial.js';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

/**
 * Epochs completed by the newest complete checkpoint in a trial's checkpoint directory (0 if none).
 * The trial runs on while this reads: a checkpoint listed may be rotated out before it is read, and
 * the next newest then answers.
 */
function checkpointEpochs(dir: string): number {
  const listed = existsSync(dir) ? readdirSync(dir).filter((name) => /^epoch-\d{4}$/.test(name)) : [];
  for (const name of listed.sort().reverse()) {
    try {
      return (JSON.parse(readFileSync(path.join(dir, name, 'model.json'), 'utf8')) as { progress: { epochsCompleted: number } }).progress
        .epochsCompleted;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return 0;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const run = (...argv: string[]) => cli(argv);

describe('rxgrad tune', () => {
  it('tunes, shows the study, and trains from the best configuration', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const space = path.join(dir, 'space.json');
    writeFileSync(space, JSON.stringify({ learningRate: { logUniform: [1e-3, 1e-1] }, hiddenUnits: { intLogUniform: [16, 64] } }));
    const tuned = await run(
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--space',
      space,
      '--study',
      study,
      '--trials',
      '6',
      '--parallel',
      '1',
      '--epochs',
      '3',
      '--json',
    );
    expect(tuned.code).toBe(0);
    const result = lastJson(tuned.stdout);
    expect(result).toMatchObject({ finished: 6, failed: 0 });
    expect((result.completed as number) + (result.pruned as number)).toBe(6);
    expect((result.best as { validationAccuracy: number }).validationAccuracy).toBeGreaterThan(0.8);
    expect(tuned.stderr).toMatch(/round 1: 6 trials, 6 to run/);

    const shown = await run('study', study, '--json');
    expect(lastJson(shown.stdout)).toMatchObject({ finished: 6, best: result.best });
    expect((await run('study', study)).stdout).toMatch(/rank {2}trial/);

    const trained = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--test',
      DIGITS_TEST,
      '--config',
      path.join(study, 'best.json'),
      '--epochs',
      '2',
      '--json',
    );
    expect(trained.code).toBe(0);
    expect(lastJson(trained.stdout).epochs).toBe(2);
  });

  it('--sampler tpe --objective val-loss: the study minimizes validation loss, and best.json trains what was measured', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const tuned = await run(
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '12',
      '--parallel',
      '2',
      '--epochs',
      '3',
      '--sampler',
      'tpe',
      '--objective',
      'val-loss',
      '--json',
    );
    expect(tuned.code).toBe(0);
    const result = lastJson(tuned.stdout) as {
      best: { id: string; epochs: number; objective: { name: string; direction: string; value: number } };
    };
    expect(result.best.objective).toMatchObject({ name: 'val-loss', direction: 'minimize' });
    const records = readdirSync(path.join(study, 'trials')).map(
      (n) => JSON.parse(readFileSync(path.join(study, 'trials', n), 'utf8')) as TrialRecord,
    );
    expect(records).toHaveLength(12);
    // The best is the lowest validation loss among the trials that trained the most epochs.
    const most = Math.max(...records.map((r) => r.epochs));
    expect(result.best.epochs).toBe(most);
    expect(result.best.objective.value).toBe(Math.min(...records.filter((r) => r.epochs === most).map((r) => r.validationLoss!)));
    const settings = JSON.parse(readFileSync(path.join(study, 'study.json'), 'utf8')).settings;
    expect(settings).toMatchObject({ sampler: 'tpe', objective: { name: 'val-loss', direction: 'minimize' } });
    const best = JSON.parse(readFileSync(path.join(study, 'best.json'), 'utf8'));
    expect(best).toMatchObject({ epochs: most, measured: { trial: result.best.id, epochs: most, objective: 'val-loss' } });
    const trained = await run('train', '--data', DIGITS_TRAIN, '--config', path.join(study, 'best.json'), '--json');
    expect(trained.code).toBe(0);
    expect(lastJson(trained.stdout).epochs).toBe(most);
    expect((await run('study', study)).stdout).toMatch(/tpe sampler, .* minimizing val-loss/);
  });

  it('explains a bad space file and leaves no study behind', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const space = path.join(dir, 'space.json');
    writeFileSync(space, '{"learningRate": {"logUniform": [0, 1]}}');
    const bad = await run('tune', '--data', DIGITS_TRAIN, '--space', space, '--study', study);
    // A bad space is a bad command line, exit 2, whether the file is not JSON or its bounds are wrong.
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/space.json: 'learningRate': logUniform: a log scale needs positive bounds/);
    writeFileSync(space, '{"learningRate": ');
    expect(await run('tune', '--data', DIGITS_TRAIN, '--space', space, '--study', study)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/space.json: not valid JSON/),
    });
    expect(existsSync(study)).toBe(false);
    expect(await run('study', path.join(dir, 'nothing'))).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/not a study directory/),
    });
  });

  it('after SIGKILL, --resume repeats no finished trial, loses none, and continues the interrupted ones from their checkpoints', async () => {
    const dir = tempDir();
    const study = path.join(dir, 'study');
    const args = [
      'tune',
      '--data',
      DIGITS_TRAIN,
      '--study',
      study,
      '--trials',
      '6',
      '--parallel',
      '2',
      '--prune',
      'none',
      '--epochs',
      '8',
      '--seed',
      '4',
    ];
    const child = spawn(process.execPath, [path.resolve('dist/cli/main.js'), ...args], { stdio: 'ignore' });
    const trialsDir = path.join(study, 'trials');
    const checkpoints = path.join(study, 'checkpoints');
    // Kill once one trial is recorded and another is mid-way (checkpointed, with epochs to go).
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      // Records only: a temporary being written is not a finished trial yet.
      const finished = existsSync(trialsDir) ? readdirSync(trialsDir).filter((name) => name.endsWith('.json')).length : 0;
      const running = existsSync(checkpoints)
        ? readdirSync(checkpoints).filter((id) => [1, 2, 3, 4, 5].includes(checkpointEpochs(path.join(checkpoints, id))))
        : [];
      if (finished >= 1 && running.length >= 1) break;
      await sleep(20);
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));

    // Finished records only: a write the kill interrupted leaves a temporary, which the resume removes.
    const before = new Map(
      readdirSync(trialsDir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => [name, readFileSync(path.join(trialsDir, name), 'utf8')]),
    );
    expect(before.size).toBeGreaterThanOrEqual(1);
    expect(before.size).toBeLessThan(6);
    const interrupted = new Map(
      readdirSync(checkpoints)
        .map((id): [string, number] => [id, checkpointEpochs(path.join(checkpoints, id))])
        // A trial killed after writing its record but before removing its checkpoint is finished.
        .filter(([id, epochs]) => epochs > 0 && !before.has(`${id}.json`)),
    );
    expect(interrupted.size).toBeGreaterThanOrEqual(1);

    const resumed = await run(...args.slice(0, 3), ...args.slice(3), '--resume', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lastJson(resumed.stdout)).toMatchObject({ finished: 6, completed: 6, failed: 0 });
    const after = readdirSync(trialsDir);
    expect(after).toHaveLength(6);
    for (const [name, text] of before) expect(readFileSync(path.join(trialsDir, name), 'utf8')).toBe(text);
    expect(resumed.stderr).not.toMatch(
      new RegExp([...before.keys()].map((n) => `${n.replace('.json', '')}  (starting|completed)`).join('|')),
    );
    for (const [id, epochs] of interrupted) {
      const record = JSON.parse(readFileSync(path.join(trialsDir, `${id}.json`), 'utf8')) as TrialRecord;
      expect(record.resumedFromEpoch, `${id}: ${JSON.stringify(record)}`).toBe(epochs);
      expect(record.curve.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
    expect(existsSync(checkpoints) ? readdirSync(checkpoints) : []).toEqual([]);
  });

  it('refuses a second process on a running study, naming the one that holds it', async () => {
    const study = path.join(tempDir(), 'study');
    const args = ['tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '4', '--prune', 'none', '--epochs', '30', '--seed', '2'];
    const child = spawn(process.execPath, [path.resolve('dist/cli/main.js'), ...args], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 30_000;
      while (!existsSync(path.join(study, 'study.json')) && Date.now() < deadline) await sleep(10);
      const second = await run(...args, '--resume');
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`the study is in use by process ${child.pid} on `));
      expect(readdirSync(path.join(study, 'trials'))).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
    }
    // Once its holder is gone (killed: a stale lock), the study resumes.
    const resumed = await run(...args, '--resume', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lastJson(resumed.stdout)).toMatchObject({ finished: 4 });
    expect(existsSync(path.join(study, 'study.lock'))).toBe(false);
  });
});
