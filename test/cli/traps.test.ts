import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, lastJson } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, leftovers, tempDir } from '../helpers/files.js';

const run = (...argv: string[]) => cli(argv);

describe('the command line has no traps', () => {
  it('rxgrad --version and rxgrad help COMMAND', async () => {
    const version = await run('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    const help = await run('help', 'predict');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: rxgrad predict \[options\]/);
  });

  it('flag values outside their range name the flag (exit 2)', async () => {
    expect(await run('train', '--data', DIGITS_TRAIN, '--momentum', '1.5')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--momentum must be in [0, 1), got '1.5'"),
    });
    expect(await run('tune', '--data', DIGITS_TRAIN, '--study', path.join(tempDir(), 's'), '--validation', '1.5')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--validation must be in (0, 1), got '1.5'"),
    });
  });

  it('--resume DIR keeps saving into DIR, refuses flags that would change the model, and says when it has nothing left to train', async () => {
    const model = path.join(tempDir(), 'model');
    expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '2', '--save', model)).code).toBe(0);
    const index = () => JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { progress: { epochsCompleted: number } };
    const resumed = await run('train', '--data', DIGITS_TRAIN, '--epochs', '3', '--resume', model, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lastJson(resumed.stdout).model).toBe(model);
    expect(index().progress.epochsCompleted).toBe(3);
    expect(await run('train', '--data', DIGITS_TRAIN, '--epochs', '5', '--resume', model, '--hidden', '128')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `--hidden cannot change when resuming: the model in ${model} has hidden [64,32], this run asks for [128]`,
      ),
    });
    expect(await run('train', '--data', DIGITS_TRAIN, '--epochs', '5', '--resume', model, '--optimizer', 'sgd')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--optimizer cannot change when resuming'),
    });
    // Every setting of the network's shape is checked, not only --hidden: the activation too.
    expect(await run('train', '--data', DIGITS_TRAIN, '--epochs', '5', '--resume', model, '--activation', 'tanh')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `--activation cannot change when resuming: the model in ${model} has activation relu, this run asks for tanh`,
      ),
    });
    expect(await run('train', '--data', DIGITS_TRAIN, '--epochs', '3', '--resume', model)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `--resume ${model}: the model has already trained 3 epochs and --epochs asks for 3 in all; give --epochs above 3 to train more`,
      ),
    });
    expect(index().progress.epochsCompleted).toBe(3);
  });

  it('--resume with --lr trains at the new rate and records the change at that epoch; every other setting of the run is refused, all named at once', async () => {
    const model = path.join(tempDir(), 'model');
    expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '2', '--save', model)).code).toBe(0);
    const resumed = await run('train', '--data', DIGITS_TRAIN, '--epochs', '3', '--resume', model, '--lr', '0.005');
    expect(resumed.code, resumed.stderr).toBe(0);
    const history = JSON.parse(readFileSync(path.join(model, 'history.json'), 'utf8')) as {
      config: { learningRate: number };
      epochs: { epoch: number; learningRate: number }[];
      controls: { epoch: number; afterStep: number; control: Record<string, unknown> }[];
    };
    expect(history.config.learningRate).toBe(0.001);
    expect(history.epochs.map((e) => e.learningRate)).toEqual([0.001, 0.001, 0.005]);
    expect(history.controls).toEqual([
      { branch: 0, epoch: 3, afterStep: 0, control: { type: 'learningRate', value: 0.005, resumed: true } },
    ]);
    const saved = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')) as { optimizer: { config: { learningRate: number } } };
    expect(saved.optimizer.config.learningRate).toBe(0.005);
    // Resumed again without --lr, it goes on at 0.005 and records no new change.
    expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '4', '--resume', model)).code).toBe(0);
    const again = JSON.parse(readFileSync(path.join(model, 'history.json'), 'utf8')) as typeof history;
    expect(again.epochs.map((e) => e.learningRate)).toEqual([0.001, 0.001, 0.005, 0.005]);
    expect(again.controls).toHaveLength(1);

    const refused = await run(
      'train',
      '--data',
      DIGITS_TRAIN,
      '--epochs',
      '6',
      '--resume',
      model,
      '--batch-size',
      '32',
      '--seed',
      '3',
      '--lr-decay',
      'step:1:0.5',
      '--weight-decay',
      '0.01',
      '--no-normalize',
    );
    expect(refused.code).toBe(2);
    for (const line of [
      `--batch-size cannot change when resuming: the model in ${model} has batchSize 64, this run asks for 32`,
      'seed 0, this run asks for 3',
      'lrDecay none, this run asks for step:1:0.5',
      'weightDecay 0, this run asks for 0.01',
      'normalize true, this run asks for false',
    ])
      expect(refused.stderr).toContain(line);
    // Settings equal to the saved ones are no change.
    expect(
      (
        await run(
          'train',
          '--data',
          DIGITS_TRAIN,
          '--epochs',
          '5',
          '--resume',
          model,
          '--batch-size',
          '64',
          '--seed',
          '0',
          '--lr-decay',
          'none',
        )
      ).code,
    ).toBe(0);
    const config = path.join(tempDir(), 'best.json');
    writeFileSync(config, JSON.stringify({ learningRate: 0.01 }));
    expect(await run('train', '--data', DIGITS_TRAIN, '--epochs', '6', '--resume', model, '--config', config)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--config cannot be given with --resume'),
    });
    expect(JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8')).progress.epochsCompleted).toBe(5);
  });

  it('--lr-decay step:1:0.5 is the schedule trained, recorded in the history and shown in the report', async () => {
    const model = path.join(tempDir(), 'model');
    expect(
      (await run('train', '--data', DIGITS_TRAIN, '--epochs', '3', '--lr', '0.01', '--lr-decay', 'step:1:0.5', '--save', model)).code,
    ).toBe(0);
    const history = JSON.parse(readFileSync(path.join(model, 'history.json'), 'utf8')) as {
      config: { lrDecay: unknown };
      epochs: { learningRate: number }[];
    };
    expect(history.config.lrDecay).toEqual({ type: 'step', every: 1, gamma: 0.5 });
    expect(history.epochs.map((e) => e.learningRate)).toEqual([0.01, 0.005, 0.0025]);
    expect((await run('report', model)).code).toBe(0);
    expect(readFileSync(path.join(model, 'report.html'), 'utf8')).toMatch(/<th>lrDecay<\/th><td>step:1:0\.5<\/td>/);
    // The configuration a run records trains the same schedule again through --config.
    const config = path.join(tempDir(), 'config.json');
    writeFileSync(config, JSON.stringify({ lrDecay: history.config.lrDecay, learningRate: 0.01, epochs: 3 }));
    const again = path.join(tempDir(), 'again');
    expect((await run('train', '--data', DIGITS_TRAIN, '--config', config, '--save', again)).code).toBe(0);
    expect(
      (JSON.parse(readFileSync(path.join(again, 'history.json'), 'utf8')) as typeof history).epochs.map((e) => e.learningRate),
    ).toEqual([0.01, 0.005, 0.0025]);
  });

  it('babysit into a directory holding a run, without --resume, is refused', async () => {
    const dir = path.join(tempDir(), 'run');
    expect((await cli(['babysit', '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '1'])).code).toBe(0);
    expect(await run('babysit', '--data', DIGITS_TRAIN, '--dir', dir, '--epochs', '2')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`--dir ${dir} already holds a run (checkpoints of epochs 1 to 1); pass --resume to continue it`),
    });
  });

  it('predict --out to a directory or into a missing folder: one clear line, before any work, nothing left', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model)).code).toBe(0);
    mkdirSync(path.join(dir, 'out'));
    const intoDir = await run('predict', '--model', model, '--data', DIGITS_TEST, '--out', path.join(dir, 'out'));
    expect(intoDir).toMatchObject({
      code: 2,
      stderr: `rxgrad: --out ${path.join(dir, 'out')}: is a directory; give the path of a file to write\n`,
    });
    const missing = path.join(dir, 'nowhere', 'p.arrow');
    expect(await run('predict', '--model', model, '--data', DIGITS_TEST, '--out', missing)).toMatchObject({
      code: 2,
      stderr: `rxgrad: --out ${missing}: the folder ${path.dirname(missing)} does not exist\n`,
    });
    expect(leftovers(dir)).toEqual([]);
  });

  it('--threads beyond the cores is cut to the cores, with a note', async () => {
    const result = await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--threads', '999', '--json');
    expect(result.code).toBe(0);
    const cores = availableParallelism();
    expect(result.stderr).toMatch(new RegExp(`rxgrad: note: --threads 999: this machine has ${cores} cores; using ${cores}`));
    // The TypeScript kernels (RXGRAD_KERNELS=typescript, CI's second run) have no threads at all.
    expect(lastJson(result.stdout).threads).toBe(process.env.RXGRAD_KERNELS === 'typescript' ? 1 : cores);
  });

  it('a study larger than one can plan is refused before anything is read or written', async () => {
    const study = path.join(tempDir(), 'study');
    expect(await run('tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '1000000000')).toMatchObject({
      code: 2,
      stderr: "rxgrad: --trials must be a whole number from 1 to 100,000, got '1000000000'\n",
    });
    expect(existsSync(study)).toBe(false);
  });

  it('a reader that closes the pipe early ends the command quietly', async () => {
    const child = spawn(process.execPath, [path.resolve('dist/cli/main.js'), 'train', '--data', DIGITS_TRAIN, '--epochs', '3', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The reader goes away before the command writes anything, as `| head` does once it has enough.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('--config FILE', () => {
  const config = (settings: Record<string, unknown>) => {
    const file = path.join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify(settings));
    return file;
  };

  it('refuses a setting of the wrong type, naming it', async () => {
    for (const [settings, message] of [
      [{ learningRate: '0.01' }, `'learningRate' must be a positive number, got "0.01"`],
      [{ batchNorm: 'yes' }, `'batchNorm' must be true or false, got "yes"`],
      [{ hidden: [64, -1] }, `'hidden' must be a list of positive integers`],
      [{ momentum: 1.5 }, `'momentum' must be a number in [0, 1), got 1.5`],
      [{ hidden: [8], hiddenUnits: 16 }, `give either 'hidden' or 'hiddenUnits' and 'layers', not both`],
    ] as const) {
      const result = await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--config', config(settings));
      expect(result.code, JSON.stringify(settings)).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });

  it('takes hidden as the flag writes it, and the names a search space uses', async () => {
    const save = path.join(tempDir(), 'model');
    expect((await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', save, '--config', config({ hidden: '16,8' }))).code).toBe(
      0,
    );
    const units = () =>
      (
        JSON.parse(readFileSync(path.join(save, 'model.json'), 'utf8')) as { network: { layers: { type: string; units?: number }[] } }
      ).network.layers
        .filter((l) => l.type === 'dense')
        .map((l) => l.units);
    expect(units()).toEqual([16, 8, 10]);
    expect(
      (await run('train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', save, '--config', config({ hiddenUnits: 12, layers: 3 })))
        .code,
    ).toBe(0);
    expect(units()).toEqual([12, 12, 12, 10]);
  });
});
