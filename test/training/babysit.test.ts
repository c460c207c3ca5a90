import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { filter, lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type BabysitControl, type BabysitEvent, babysit } from '../../src/training/babysit.js';
import { readRunHistory } from '../../src/training/runHistory.js';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../../src/training/trainingConfig.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, hidden: [16], epochs: 3, batchSize: 128, learningRate: 0.01 };
type Of<T extends BabysitEvent['type']> = Extract<BabysitEvent, { type: T }>;
const only = <T extends BabysitEvent['type']>(events: BabysitEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);

describe('babysit', () => {
  it('trains with a live curve, a checkpoint per epoch and validation', async () => {
    const dir = path.join(tempDir(), 'run');
    const events = await lastValueFrom(babysit({ data: DIGITS_TRAIN, validation: DIGITS_TEST, config, dir }).pipe(toArray()));
    const epochs = only(events, 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(epochs.map((e) => path.basename(e.checkpoint))).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
    expect(epochs[2]!.validation!.accuracy).toBeGreaterThan(0.8);
    expect(only(events, 'batch')).toHaveLength(3 * 12);
    expect(events.at(-1)).toEqual({ type: 'end', epochs: 3, stopped: false });
  });

  it('gives the same run on any number of kernel threads, fresh and resumed', async () => {
    const wide: TrainingConfig = { ...config, hidden: [256, 256], epochs: 2 };
    const metrics = async (threads: number | 'auto', resume = false, dir = path.join(tempDir(), 'run')) =>
      only(
        await lastValueFrom(babysit({ data: DIGITS_TRAIN, validation: DIGITS_TEST, config: wide, dir, threads, resume }).pipe(toArray())),
        'epoch',
      ).map((e) => [e.epoch, e.trainLoss, e.validation?.loss]);
    const one = await metrics(1);
    expect(one).toHaveLength(2);
    expect(await metrics(2)).toEqual(one);
    expect(await metrics('auto')).toEqual(one);
    // Resumed on two threads from a checkpoint written on one, epoch 3 matches a run resumed on one.
    const first = path.join(tempDir(), 'run');
    const second = path.join(tempDir(), 'run');
    await metrics(1, false, first);
    await metrics(1, false, second);
    const more: TrainingConfig = { ...wide, epochs: 3 };
    const resumed = async (threads: number, dir: string) =>
      only(
        await lastValueFrom(
          babysit({ data: DIGITS_TRAIN, validation: DIGITS_TEST, config: more, dir, threads, resume: true }).pipe(toArray()),
        ),
        'epoch',
      ).map((e) => [e.epoch, e.trainLoss]);
    const onOne = await resumed(1, first);
    expect(onOne.map(([epoch]) => epoch)).toEqual([3]);
    expect(await resumed(2, second)).toEqual(onOne);
  });

  it('weighs the classes and drops out as train does, and a resume goes on alike', async () => {
    const asked: TrainingConfig = { ...config, classWeight: { 3: 4 }, dropout: 0.2 };
    const losses = async (epochs: number, dir: string, resume = false) =>
      only(await lastValueFrom(babysit({ data: DIGITS_TRAIN, config: { ...asked, epochs }, dir, resume }).pipe(toArray())), 'epoch').map(
        (e) => e.trainLoss,
      );
    const straight = await losses(3, path.join(tempDir(), 'run'));
    const dir = path.join(tempDir(), 'run');
    await losses(2, dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'epoch-0002', 'model.json'), 'utf8')).progress.classWeight).toEqual({ 3: 4 });
    expect(await losses(3, dir, true)).toEqual(straight.slice(2));
    // Unweighted, the same run trains otherwise.
    const plain = only(
      await lastValueFrom(
        babysit({ data: DIGITS_TRAIN, config: { ...asked, classWeight: undefined }, dir: path.join(tempDir(), 'run') }).pipe(toArray()),
      ),
      'epoch',
    );
    expect(plain.map((e) => e.trainLoss)).not.toEqual(straight);
  });

  it('changes the learning rate at the step the control is sent', async () => {
    const controls = new Subject<BabysitControl>();
    const events = await lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config: { ...config, epochs: 1 }, dir: path.join(tempDir(), 'run'), controls }).pipe(
        tap((e) => e.type === 'batch' && e.step === 5 && controls.next({ type: 'learningRate', value: 0.123 })),
        toArray(),
      ),
    );
    const rates = only(events, 'batch').map((b) => b.learningRate);
    expect(rates.slice(0, 5)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01]);
    expect(rates.slice(5).every((r) => r === 0.123)).toBe(true);
    expect(only(events, 'control')).toEqual([{ type: 'control', control: { type: 'learningRate', value: 0.123 }, afterStep: 5 }]);
  });

  it('pauses before the next step until resumed, and stops when told', async () => {
    const controls = new Subject<BabysitControl>();
    const seen: BabysitEvent[] = [];
    const run = lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config, dir: path.join(tempDir(), 'run'), controls }).pipe(
        tap((e) => {
          seen.push(e);
          if (e.type === 'batch' && e.step === 2) controls.next({ type: 'pause' });
          if (e.type === 'batch' && e.step === 4) controls.next({ type: 'stop' });
        }),
        toArray(),
      ),
    );
    // Wait for the second step however slowly the machine starts (other test files run beside this
    // one), then give the run time it would need for more steps: the pause holds before step 3.
    const deadline = Date.now() + 20_000;
    while (only(seen, 'batch').length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(only(seen, 'batch').length).toBe(2);
    controls.next({ type: 'resume' });
    const events = await run;
    expect(only(events, 'batch').map((b) => b.step)).toEqual([1, 2, 3, 4]);
    expect(only(events, 'epoch')).toEqual([]);
    expect(events.at(-1)).toEqual({ type: 'end', epochs: 0, stopped: true });
  });

  it('rolls back to an epoch checkpoint and retrains exactly as before from there', async () => {
    const dir = path.join(tempDir(), 'run');
    const controls = new Subject<BabysitControl>();
    let rolled = false;
    const events = await lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config, dir, controls }).pipe(
        tap((e) => {
          if (!rolled && e.type === 'batch' && e.epoch === 3 && e.batch === 3) {
            rolled = true;
            controls.next({ type: 'rollback', epoch: 7 });
            controls.next({ type: 'rollback', epoch: 1 });
          }
        }),
        toArray(),
      ),
    );
    expect(only(events, 'rolled-back')).toEqual([{ type: 'rolled-back', epoch: 1, setAside: path.join(dir, 'abandoned-1') }]);
    // The abandoned epoch 2 is kept apart; the directory holds the chosen branch, which a resume continues.
    expect(readdirSync(dir).sort()).toEqual(['abandoned-1', 'epoch-0001', 'epoch-0002', 'epoch-0003', 'history.json']);
    expect(readdirSync(path.join(dir, 'abandoned-1'))).toEqual(['epoch-0002']);
    expect(only(events, 'refused')).toEqual([
      { type: 'refused', control: { type: 'rollback', epoch: 7 }, reason: `no checkpoint for epoch 7 in ${dir}` },
    ]);
    const epochs = only(events, 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 2, 3]);
    // Epoch 2 retrained from epoch 1's checkpoint reproduces the first epoch 2 bit for bit.
    expect(epochs[2]!.trainLoss).toBe(epochs[1]!.trainLoss);
    // The history keeps the abandoned epoch as a branch of its own, not overwritten.
    const history = await readRunHistory(dir);
    expect(history.kind).toBe('babysit');
    expect(history.branches).toEqual([
      { id: 0, from: 0 },
      { id: 1, from: 1, setAside: path.join(dir, 'abandoned-1') },
    ]);
    expect(history.epochs.map((e) => [e.branch, e.epoch])).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
      [1, 3],
    ]);
    expect(history.epochs.map((e) => e.trainLoss)).toEqual(epochs.map((e) => e.trainLoss));
    expect(history.controls.map((c) => [c.branch, c.epoch, c.control.type])).toEqual([[0, 3, 'rollback']]);
  });

  it('a learning rate sent to it that diverges rolls back to the last checkpoint and pauses, instead of ending the run', async () => {
    const dir = path.join(tempDir(), 'run');
    const controls = new Subject<BabysitControl>();
    const seen: BabysitEvent[] = [];
    let sent = false;
    const run = lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config: { ...config, batchNorm: false, optimizer: 'sgd' }, dir, controls }).pipe(
        tap((e) => {
          seen.push(e);
          if (!sent && e.type === 'batch' && e.epoch === 2 && e.batch === 2) {
            sent = true;
            controls.next({ type: 'learningRate', value: 1e30 });
          }
        }),
        toArray(),
      ),
    );
    const deadline = Date.now() + 20_000;
    while (!seen.some((e) => e.type === 'rolled-back') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const diverged = only(seen, 'diverged');
    expect(diverged).toHaveLength(1);
    expect(diverged[0]).toMatchObject({ epoch: 2, rollbackTo: 1 });
    expect(diverged[0]!.message).toMatch(
      /^training diverged: .* at epoch 2, step \d+: rolled back to epoch 1 and paused, the learning rate back on its schedule; set a lower learning rate, then resume$/,
    );
    expect(only(seen, 'rolled-back').map((e) => e.epoch)).toEqual([1]);
    // Paused: no step after the rollback until it is resumed.
    const after = seen.slice(seen.findIndex((e) => e.type === 'rolled-back'));
    expect(only(after, 'batch')).toEqual([]);
    controls.next({ type: 'resume' });
    const events = await run;
    expect(only(events, 'epoch').map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(only(events, 'epoch').every((e) => Number.isFinite(e.trainLoss) && e.learningRate === config.learningRate)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'end', epochs: 3, stopped: false });
  });

  it('resumes from its newest checkpoint exactly where an uninterrupted run would be', async () => {
    const straight = await lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config, dir: path.join(tempDir(), 'a') }).pipe(
        filter((e) => e.type === 'epoch'),
        toArray(),
      ),
    );
    const dir = path.join(tempDir(), 'b');
    await lastValueFrom(babysit({ data: DIGITS_TRAIN, config: { ...config, epochs: 1 }, dir }).pipe(toArray()));
    const resumed = await lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config, dir, resume: true }).pipe(
        filter((e) => e.type === 'epoch'),
        toArray(),
      ),
    );
    expect(resumed.map((e) => (e as Of<'epoch'>).epoch)).toEqual([2, 3]);
    expect((resumed.at(-1) as Of<'epoch'>).trainLoss).toBe((straight.at(-1) as Of<'epoch'>).trainLoss);
    // The resumed run continues the history: epochs 1, 2, 3, as an uninterrupted run records them.
    const [one, two] = [await readRunHistory(path.join(tempDir(), 'none')).catch(() => undefined), await readRunHistory(dir)];
    expect(one).toBeUndefined();
    expect(two.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(two.epochs.at(-1)!.trainLoss).toBe((straight.at(-1) as Of<'epoch'>).trainLoss);
  });
  it('trains any schedule a configuration names, and records it', async () => {
    const dir = path.join(tempDir(), 'step');
    const schedule = { type: 'step', every: 1, gamma: 0.5 } as const;
    const epochs = only(
      await lastValueFrom(babysit({ data: DIGITS_TRAIN, config: { ...config, lrDecay: schedule }, dir }).pipe(toArray())),
      'epoch',
    );
    expect(epochs.map((e) => e.learningRate)).toEqual([0.01, 0.005, 0.0025]);
    expect((await readRunHistory(dir)).config.lrDecay).toEqual(schedule);
  });
  it('keeps the newest checkpoints, the best epoch and every epoch rolled back to (keep)', async () => {
    const dir = path.join(tempDir(), 'run');
    const events = await lastValueFrom(
      babysit({ data: DIGITS_TRAIN, validation: DIGITS_TEST, config: { ...config, epochs: 6, learningRate: 0.5 }, dir, keep: 2 }).pipe(
        toArray(),
      ),
    );
    const epochs = only(events, 'epoch');
    const best = epochs.reduce((a, b) => (b.validation!.loss < a.validation!.loss ? b : a));
    const expected = new Set([best.epoch, 5, 6]);
    expect(readdirSync(dir).sort()).toEqual([...[...expected].sort().map((e) => `epoch-000${e}`), 'history.json']);

    const steered = path.join(tempDir(), 'steered');
    const controls = new Subject<BabysitControl>();
    let rolled = false;
    let late = false;
    const steps = await lastValueFrom(
      babysit({ data: DIGITS_TRAIN, config: { ...config, epochs: 5 }, dir: steered, keep: 2, controls }).pipe(
        tap((e) => {
          if (!rolled && e.type === 'batch' && e.epoch === 3 && e.batch === 3) {
            rolled = true;
            controls.next({ type: 'rollback', epoch: 2 });
          }
          if (rolled && !late && e.type === 'batch' && e.epoch === 5) {
            late = true;
            controls.next({ type: 'rollback', epoch: 1 });
          }
        }),
        toArray(),
      ),
    );
    expect(only(steps, 'rolled-back').map((e) => e.epoch)).toEqual([2]);
    expect(only(steps, 'refused').map((e) => e.control)).toEqual([{ type: 'rollback', epoch: 1 }]);
    expect(readdirSync(steered).sort()).toEqual(['epoch-0002', 'epoch-0004', 'epoch-0005', 'history.json']);
  });
});
