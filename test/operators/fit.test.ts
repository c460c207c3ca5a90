import path from 'node:path';
import { from, lastValueFrom, map, Subject, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import { createWasmBackend } from '../../src/backends/wasmBackend.js';
import { loadModel, saveModel } from '../../src/files/serialization.js';
import { createNetwork, type Network } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import type { Optimizer } from '../../src/model/optimizers/optimizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { evaluate } from '../../src/operators/evaluate.js';
import { type EpochMetrics, type FitEvent, fit } from '../../src/operators/fit.js';
import { summarize } from '../../src/operators/summarize.js';
import { trainEpoch } from '../../src/operators/trainEpoch.js';
import { readArrow } from '../../src/streams/arrow/readArrow.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';

const summary = () => lastValueFrom(readArrow(DIGITS_TRAIN).pipe(summarize()));
const epochsOf = (events: FitEvent[]) => events.filter((e): e is FitEvent & { type: 'epoch' } => e.type === 'epoch');

function model(seed = 0) {
  const network = createNetwork({ inputSize: 64, classes: 10, hidden: [32, 16], seed, backend: createBackend() });
  return { network, optimizer: createOptimizer({ type: 'adam', learningRate: 0.01 }, network.backend) };
}

const weights = (network: Network) => network.params.map((p) => Array.from(p.value));

describe('trainEpoch', () => {
  it('emits one step per mini-batch, dropping a lone last example under batch norm', async () => {
    const { network, optimizer } = model();
    const steps = await lastValueFrom(
      readArrow(DIGITS_TRAIN).pipe(trainEpoch({ network, optimizer, epoch: 1, batchSize: 479 }), toArray()),
    );
    // 1438 = 3·479 + 1: the single leftover example is dropped.
    expect(steps.map((s) => s.size)).toEqual([479, 479, 479]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    const noBatchNorm = createNetwork({ inputSize: 64, classes: 10, batchNorm: false, backend: createBackend() });
    const kept = await lastValueFrom(
      readArrow(DIGITS_TRAIN).pipe(
        trainEpoch({
          network: noBatchNorm,
          optimizer: createOptimizer({ type: 'sgd', learningRate: 0.01 }, typescriptBackend),
          epoch: 1,
          batchSize: 479,
        }),
        toArray(),
      ),
    );
    expect(kept.map((s) => s.size)).toEqual([479, 479, 479, 1]);
  });
});

describe('fit', () => {
  it('reaches ≥ 0.95 test accuracy on the bundled digits, with batch and epoch events', async () => {
    const { standardizer } = await summary();
    const { network, optimizer } = model();
    const events = await lastValueFrom(
      fit(readArrow(DIGITS_TRAIN), { network, optimizer, standardizer, epochs: 8, batchSize: 64, validation: readArrow(DIGITS_TEST) }).pipe(
        toArray(),
      ),
    );
    const epochs = epochsOf(events);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.filter((e) => e.type === 'batch')).toHaveLength(8 * 23);
    expect(epochs[7]!.trainLoss).toBeLessThan(epochs[0]!.trainLoss);
    expect(epochs[7]!.validation!.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(epochs[7]!.validation!.examples).toBe(359);
    const evaluation = await lastValueFrom(readArrow(DIGITS_TEST).pipe(evaluate(network, { standardizer })));
    expect(evaluation.accuracy).toBe(epochs[7]!.validation!.accuracy);
    expect(evaluation.confusion.flat().reduce((a, b) => a + b)).toBe(359);
  });

  it('gives identical results for identical seeds, and different ones otherwise', async () => {
    const { standardizer } = await summary();
    const run = async (seed: number) => {
      const { network, optimizer } = model(seed);
      await lastValueFrom(fit(readArrow(DIGITS_TRAIN), { network, optimizer, standardizer, epochs: 2, seed }));
      return weights(network);
    };
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect(await run(4)).not.toEqual(a);
  });

  it('resumed from a saved checkpoint, ends exactly where an uninterrupted run does', async () => {
    const { standardizer } = await summary();
    const straight = model(5);
    await lastValueFrom(
      fit(readArrow(DIGITS_TRAIN), { ...straight, standardizer, epochs: 4, seed: 5, schedule: { type: 'inverse', decay: 0.5 } }),
    );

    const dir = path.join(tempDir(), 'checkpoint');
    const first = model(5);
    await lastValueFrom(
      fit(readArrow(DIGITS_TRAIN), {
        ...first,
        standardizer,
        epochs: 2,
        seed: 5,
        schedule: { type: 'inverse', decay: 0.5 },
        onEpochEnd: (m: EpochMetrics) =>
          saveModel(dir, {
            ...first,
            standardizer,
            progress: { epochsCompleted: m.epoch, seed: 5, batchSize: 64, schedule: { type: 'inverse', decay: 0.5 } },
          }),
      }),
    );
    const saved = await loadModel(dir);
    await lastValueFrom(
      fit(readArrow(DIGITS_TRAIN), {
        network: saved.network,
        optimizer: saved.optimizer as Optimizer,
        standardizer: saved.standardizer,
        epochs: 4,
        initialEpoch: saved.progress!.epochsCompleted,
        seed: 5,
        schedule: saved.progress!.schedule,
      }),
    );
    // Bit for bit: weights, moments, running statistics and the shuffle all resume exactly.
    expect(weights(saved.network)).toEqual(weights(straight.network));
    for (const [name, values] of straight.network.buffers) expect(Array.from(saved.network.buffers.get(name)!)).toEqual(Array.from(values));
  });

  it('trains on a live source as examples arrive, cut into batches by count', async () => {
    const network = createNetwork({ inputSize: 2, classes: 2, hidden: [4], seed: 1, backend: createBackend() });
    const live = new Subject<{ features: number[]; label: number }>();
    const seen: FitEvent[] = [];
    const done = lastValueFrom(
      fit(live, {
        network,
        optimizer: createOptimizer({ type: 'sgd', learningRate: 0.1 }, typescriptBackend),
        epochs: 1,
        batchSize: 4,
        shuffle: false,
      }).pipe(
        tap((e) => seen.push(e)),
        toArray(),
      ),
    );
    for (let i = 0; i < 10; i++) {
      live.next({ features: [i % 2, 1 - (i % 2)], label: i % 2 });
      if (i === 2) expect(seen).toEqual([]);
      if (i === 3) expect(seen.map((e) => e.type)).toEqual(['batch']);
    }
    expect(seen.filter((e) => e.type === 'batch')).toHaveLength(2);
    live.complete();
    const events = await done;
    expect(events.map((e) => (e.type === 'batch' ? e.size : 'epoch'))).toEqual([4, 4, 2, 'epoch']);
  });

  it('awaits onEpochEnd before the next epoch, and ends the run if it fails', async () => {
    const { network, optimizer } = model();
    const order: string[] = [];
    await lastValueFrom(
      fit(readArrow(DIGITS_TRAIN), {
        network,
        optimizer,
        epochs: 2,
        batchSize: 720,
        onEpochEnd: async (m) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          order.push(`saved ${m.epoch}`);
        },
      }).pipe(map((e) => order.push(e.type === 'batch' ? `step ${e.epoch}` : `epoch ${e.epoch}`))),
    );
    expect(order).toEqual(['step 1', 'step 1', 'saved 1', 'epoch 1', 'step 2', 'step 2', 'saved 2', 'epoch 2']);
    await expect(
      lastValueFrom(
        fit(readArrow(DIGITS_TRAIN), { network, optimizer, epochs: 2, onEpochEnd: () => Promise.reject(new Error('disk full')) }),
      ),
    ).rejects.toThrow('disk full');
  });

  it('passes data errors through and rejects bad options when built', async () => {
    const { network, optimizer } = model();
    await expect(lastValueFrom(fit(readArrow('/missing.arrow'), { network, optimizer, epochs: 1 }))).rejects.toThrow(
      /missing.arrow: cannot open the file/,
    );
    expect(() => fit(from([]), { network, optimizer, epochs: 0 })).toThrow(/epochs must be a positive integer, got 0/);
    expect(() => fit(from([]), { network, optimizer, epochs: 2, initialEpoch: 3 })).toThrow(
      /initialEpoch must be an integer in \[0, 2\], got 3/,
    );
  });

  it('reports epoch metrics that agree with its batch events', async () => {
    const { network, optimizer } = model();
    const events = await lastValueFrom(fit(readArrow(DIGITS_TRAIN), { network, optimizer, epochs: 1, batchSize: 100 }).pipe(toArray()));
    const batches = events.filter((e) => e.type === 'batch');
    const [epoch] = epochsOf(events);
    const weighted = batches.reduce((s, b) => s + (b.type === 'batch' ? b.loss * b.size : 0), 0) / 1438;
    expect(epoch!.trainLoss).toBeCloseTo(weighted, 10);
    expect(epoch!.examples).toBe(1438);
    expect(epoch!.steps).toBe(15);
    expect(events.filter((e) => e.type === 'epoch').map((e) => e.type)).toEqual(['epoch']);
  });
});

describe('workspaces on a WebAssembly backend', () => {
  it('are reused by runs that follow each other, so memory that cannot be freed does not grow', async () => {
    // Explicitly WebAssembly, also when RXGRAD_KERNELS=typescript makes it not the default.
    const network = createNetwork({
      inputSize: 64,
      classes: 10,
      hidden: [32],
      seed: 1,
      backend: createWasmBackend({ memoryBytes: 16 * 1024 * 1024 })!,
    });
    const used = () => network.backend.allocator.bytesUsed?.() ?? Number.NaN;
    const { standardizer } = await summary();
    const optimizer = createOptimizer({ type: 'adam', learningRate: 0.01 }, network.backend);
    await lastValueFrom(fit(readArrow(DIGITS_TRAIN), { network, optimizer, standardizer, epochs: 1, validation: readArrow(DIGITS_TEST) }));
    await lastValueFrom(readArrow(DIGITS_TEST).pipe(evaluate(network, { standardizer })));
    const afterFirst = used();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      await lastValueFrom(
        fit(readArrow(DIGITS_TRAIN), { network, optimizer, standardizer, epochs: 2, validation: readArrow(DIGITS_TEST) }),
      );
      await lastValueFrom(readArrow(DIGITS_TEST).pipe(evaluate(network, { standardizer })));
    }
    expect(used()).toBe(afterFirst);
  });
});

describe('training on bytes', () => {
  it('reaches exactly the weights it reaches on floats, with and without standardization', async () => {
    const { standardizer } = await summary();
    for (const withStandardizer of [true, false]) {
      const run = async (keepBytes: boolean) => {
        const { network, optimizer } = model(6);
        await lastValueFrom(
          fit(readArrow(DIGITS_TRAIN, { keepBytes, recycle: true }), {
            network,
            optimizer,
            standardizer: withStandardizer ? standardizer : undefined,
            epochs: 2,
            seed: 6,
          }),
        );
        return weights(network);
      };
      expect(await run(true)).toEqual(await run(false));
    }
  });
});
