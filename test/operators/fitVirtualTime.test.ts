import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { float64Backend } from '../../src/model/typescriptBackend.js';
import { type FitEvent, fit } from '../../src/operators/fit.js';
import { block } from '../helpers/blocks.js';

describe('fit on virtual time', () => {
  it('runs a 3-epoch fit with validation and a checkpoint hook entirely inside a TestScheduler', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const network = createNetwork({ inputSize: 2, classes: 12, hidden: [4], seed: 1, backend: float64Backend });
    const optimizer = createOptimizer({ type: 'sgd', learningRate: 0.1 }, float64Backend);
    const saved: number[] = [];
    const started = performance.now();
    scheduler.run(({ cold, expectObservable }) => {
      const train = cold('-a-b|', { a: block(0, 4), b: block(4, 4) });
      const validation = cold('-v|', { v: block(8, 4) });
      const events = fit(train, {
        network,
        optimizer,
        epochs: 3,
        batchSize: 4,
        shuffle: false,
        validation,
        onEpochEnd: (m) => void saved.push(m.epoch),
      }).pipe(map((e: FitEvent) => (e.type === 'batch' ? 'b' : ['x', 'y', 'z'][e.epoch - 1]!)));
      // Each epoch replays the training source (batches at frames 1 and 3 of it), then the
      // validation source (two frames), then emits its epoch event and starts the next.
      expectObservable(events).toBe('-b-b--xb-b--yb-b--(z|)');
    });
    expect(saved).toEqual([1, 2, 3]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
