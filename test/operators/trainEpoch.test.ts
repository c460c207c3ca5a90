import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { trainEpoch } from '../../src/operators/trainEpoch.js';
import type { ExampleBlock } from '../../src/streams/records/examples.js';
import { block } from '../helpers/blocks.js';

describe('trainEpoch', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const setup = () => ({
    network: createNetwork({ inputSize: 2, classes: 10, hidden: [4], seed: 1, backend: createBackend() }),
    optimizer: createOptimizer({ type: 'sgd', learningRate: 0.01 }, typescriptBackend),
  });

  it('emits one step per batch as blocks arrive; under batch norm a lone last example is dropped', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--|', { a: block(0, 5), b: block(5, 4) });
      const op = trainEpoch({ ...setup(), epoch: 2, batchSize: 4, shuffle: false });
      expectObservable(
        source.pipe(
          op,
          map((s) => `${s.epoch}:${s.batch}:${s.step}:${s.size}`),
        ),
      ).toBe('-x--y--|', { x: '2:0:1:4', y: '2:1:2:4' });
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('passes upstream errors on and stops training when unsubscribed', () => {
    const model = setup();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<ExampleBlock>('-#').pipe(trainEpoch({ ...model, epoch: 1 }))).toBe('-#');
      const source = cold('-a-a-a-|', { a: block(0, 4) });
      expectObservable(
        source.pipe(
          trainEpoch({ ...model, epoch: 1, batchSize: 4, shuffle: false }),
          map((s) => s.step),
        ),
        '^--!',
      ).toBe('-x-', { x: 1 });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(model.optimizer.steps).toBe(1);
  });
});
