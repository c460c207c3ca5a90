import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/model/layer.js';
import { createNetwork } from '../../src/model/network.js';
import { softmaxCrossEntropy } from '../../src/model/softmaxCrossEntropy.js';
import { float64Backend } from '../../src/model/typescriptBackend.js';
import { evaluate } from '../../src/operators/evaluate.js';
import { block } from '../helpers/blocks.js';

describe('evaluate', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const network = createNetwork({ inputSize: 2, classes: 5, hidden: [3], batchNorm: false, backend: float64Backend, seed: 4 });

  it('emits one evaluation on completion, equal to a direct computation, whatever the batch size', () => {
    const data = block(0, 5);
    const probs = new Float64Array(25);
    const direct = softmaxCrossEntropy(
      network.forward(
        { rows: 5, cols: 2, data: Float64Array.from(data.features) },
        { mode: 'inference', workspace: new Workspace(float64Backend) },
      ),
      data.labels,
      probs,
    );
    scheduler.run(({ cold, expectObservable }) => {
      for (const batchSize of [1, 2, 256]) {
        const source = cold('-a-b-|', { a: block(0, 2), b: block(2, 3) });
        expectObservable(
          source.pipe(
            evaluate(network, { batchSize }),
            map((e) => [e.examples, Math.round(e.loss * 1e9), e.accuracy]),
          ),
        ).toBe('-----(x|)', {
          x: [5, Math.round(direct.loss * 1e9), direct.correct / 5],
        });
      }
    });
  });

  it('counts a confusion matrix of actual × predicted', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-|', { a: block(0, 5) });
      expectObservable(
        source.pipe(
          evaluate(network),
          map((e) => e.confusion.map((row) => row.reduce((a, b) => a + b))),
        ),
      ).toBe('---(x|)', { x: [1, 1, 1, 1, 1] });
    });
  });

  it('passes errors on and stops when unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('-a-#', { a: block(0, 2) }).pipe(evaluate(network))).toBe('---#');
      const source = cold('-a-a-|', { a: block(0, 2) });
      expectObservable(source.pipe(evaluate(network)), '^-!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });
});
