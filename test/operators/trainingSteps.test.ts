import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import { DivergedError } from '../../src/errors.js';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { backward } from '../../src/operators/backward.js';
import { forward } from '../../src/operators/forward.js';
import { loss } from '../../src/operators/loss.js';
import type { MiniBatch } from '../../src/operators/miniBatches.js';
import { optimizerStep } from '../../src/operators/optimizerStep.js';
import { batchOf } from '../helpers/blocks.js';

// forward, loss, backward and optimizerStep: one spec each, sharing their fixtures.
const net = () => createNetwork({ inputSize: 2, classes: 3, hidden: [4], seed: 1, backend: createBackend() });
const a = batchOf(
  [
    [1, 2],
    [3, -1],
    [0, 0],
  ],
  [0, 2, 1],
  1,
  0,
);
const b = batchOf(
  [
    [2, 2],
    [-3, 1],
  ],
  [1, 1],
  1,
  1,
);

let scheduler: TestScheduler;
beforeEach(() => {
  scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

describe('forward', () => {
  it('emits one pass per batch with logits of batch × classes', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|', { a, b });
      expectObservable(
        source.pipe(
          forward(net()),
          map((p) => `${p.logits.rows}x${p.logits.cols}`),
        ),
      ).toBe('-x-y-|', { x: '3x3', y: '2x3' });
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('passes on errors, completes on empty, stops when unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<MiniBatch>('|').pipe(forward(net()))).toBe('|');
      expectObservable(cold<MiniBatch>('-').pipe(forward(net()))).toBe('-');
      expectObservable(
        cold('-a-#', { a }).pipe(
          forward(net()),
          map(() => 'p'),
        ),
      ).toBe('-p-#');
      const source = cold('-a-a-a-|', { a });
      expectObservable(
        source.pipe(
          forward(net()),
          map(() => 'p'),
        ),
        '^--!',
      ).toBe('-p-');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('raises an error for a batch of the wrong width, and for a bad mode when built', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const wide = batchOf([[1, 2, 3]], [0]);
      expectObservable(cold('-a-|', { a: wide }).pipe(forward(net()))).toBe(
        '-#',
        undefined,
        new RangeError('Dense: expected 2 input columns, got 3'),
      );
    });
    expect(() => forward(net(), { mode: 'eval' as never })).toThrow(/mode must be 'train' or 'inference', got 'eval'/);
  });

  it('gives each subscription its own workspace', () => {
    const network = net();
    const op = forward(network);
    const contexts: unknown[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a|', { a });
      expectObservable(
        source.pipe(
          op,
          map((p) => contexts.push(p.context.workspace)),
        ),
      ).toBe('-x|', { x: 1 });
      expectObservable(
        source.pipe(
          op,
          map((p) => contexts.push(p.context.workspace)),
        ),
      ).toBe('-x|', { x: 2 });
    });
    expect(contexts[0]).not.toBe(contexts[1]);
  });
});

describe('loss', () => {
  it('scores each pass: mean cross-entropy near log(classes) at initialisation, a gradient in train mode only', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a, b });
      expectObservable(
        source.pipe(
          forward(net()),
          loss(),
          map((s) => s.loss > 0.3 && s.loss < 3 && s.dLogits !== undefined),
        ),
      ).toBe('-t-t-|', { t: true });
      expectObservable(
        source.pipe(
          forward(net(), { mode: 'inference' }),
          loss(),
          map((s) => s.dLogits === undefined),
        ),
      ).toBe('-t-t-|', { t: true });
    });
  });

  it('errors on a label that is not a class index', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const bad = batchOf(
        [
          [1, 2],
          [0, 1],
        ],
        [5, 0],
      );
      expectObservable(cold('-a-|', { a: bad }).pipe(forward(net()), loss())).toBe(
        '-#',
        undefined,
        new RangeError('softmaxCrossEntropy: label 5 at row 0 is not a class index in [0, 3)'),
      );
      expectObservable(cold<MiniBatch>('-#').pipe(forward(net()), loss())).toBe('-#');
    });
  });
});

describe('backward', () => {
  it('fills every gradient after each pass', () => {
    const network = net();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-|', { a });
      expectObservable(
        source.pipe(
          forward(network),
          loss(),
          backward(),
          map(() => network.params.every((p) => p.grad.some((g) => g !== 0))),
        ),
      ).toBe('-t-|', { t: true });
    });
  });

  it('refuses a pass made in inference mode', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|', { a }).pipe(forward(net(), { mode: 'inference' }), loss(), backward())).toBe(
        '-#',
        undefined,
        new Error('backward: the pass has no gradient; run forward in train mode'),
      );
    });
  });
});

describe('optimizerStep', () => {
  it('runs forward, backward and step in that order, once per batch', () => {
    const network = net();
    const optimizer = createOptimizer({ type: 'sgd', learningRate: 0.1 }, typescriptBackend);
    const calls: string[] = [];
    const spy = <T extends object>(target: T, name: keyof T & string, label: string) => {
      const original = (target[name] as (...args: unknown[]) => unknown).bind(target);
      (target as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(label);
        return original(...args);
      };
    };
    spy(network, 'forward', 'F');
    spy(network, 'backward', 'B');
    spy(optimizer, 'step', 'S');
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a, b });
      expectObservable(
        source.pipe(
          forward(network),
          loss(),
          backward(),
          optimizerStep(optimizer),
          map((m) => `${m.batch}:${m.step}:${m.size}`),
        ),
      ).toBe('-x-y-|', { x: '0:1:3', y: '1:2:2' });
    });
    expect(calls.join('')).toBe('FBSFBS');
  });

  it('applies the scheduled learning rate of the batch epoch', () => {
    const network = net();
    const optimizer = createOptimizer({ type: 'sgd', learningRate: 0.2 }, typescriptBackend);
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', {
        a,
        b: batchOf(
          [
            [1, 1],
            [2, 2],
          ],
          [0, 1],
          4,
          0,
        ),
      });
      expectObservable(
        source.pipe(
          forward(network),
          loss(),
          backward(),
          optimizerStep(optimizer, { type: 'inverse', decay: 1 }),
          map((m) => m.learningRate),
        ),
      ).toBe('-x-y-|', { x: 0.2, y: 0.05 });
    });
  });

  it('errors with DivergedError on a non-finite loss, before touching the weights', () => {
    const network = net();
    const before = Array.from(network.params[0]!.value);
    const nanBatch = batchOf(
      [
        [Number.NaN, 1],
        [1, 1],
      ],
      [0, 1],
      2,
      4,
    );
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(
        cold('-a-|', { a: nanBatch }).pipe(
          forward(network),
          loss(),
          backward(),
          optimizerStep(createOptimizer({ type: 'adam', learningRate: 0.1 }, typescriptBackend)),
        ),
      ).toBe('-#', undefined, new DivergedError(Number.NaN, 2, 4, 100 * Math.log(3)));
    });
    expect(Array.from(network.params[0]!.value)).toEqual(before);
    expect(new DivergedError(Number.NaN, 3, 4).message).toBe(
      'training diverged: the loss became NaN at epoch 3, step 5; lower the learning rate',
    );
  });
});
