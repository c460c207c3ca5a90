import { lastValueFrom, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backends/createBackend.js';
import type { Dense } from '../../src/model/dense.js';
import { createNetwork } from '../../src/model/network.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { predict } from '../../src/operators/predict.js';
import type { ExampleBlock } from '../../src/streams/records/examples.js';
import { block } from '../helpers/blocks.js';

describe('predict', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const network = createNetwork({ inputSize: 2, classes: 3, hidden: [4], seed: 9, backend: createBackend() });

  it('emits predictions per mini-batch, in input order, with rows of probabilities summing to 1', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-----|', { a: block(0, 5) });
      const check = map((p: { rows: number; probabilities: Float32Array; predicted: Int32Array; classes: number }) => {
        const sums = Array.from({ length: p.rows }, (_, i) => p.probabilities.subarray(i * 3, i * 3 + 3).reduce((a, b) => a + b));
        const argmaxOk = Array.from(p.predicted).every(
          (c, i) => p.probabilities[i * 3 + c] === Math.max(...p.probabilities.subarray(i * 3, i * 3 + 3)),
        );
        return `${p.rows}:${sums.every((s) => Math.abs(s - 1) < 1e-6)}:${argmaxOk}`;
      });
      expectObservable(source.pipe(predict(network, { batchSize: 2 }), check)).toBe('-(xx)--(y|)', { x: '2:true:true', y: '1:true:true' });
    });
  });

  it('ignores labels, so unlabelled blocks (label −1) work', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const unlabelled = { ...block(0, 2), labels: Int32Array.of(-1, -1) };
      expectObservable(
        cold('-a-|', { a: unlabelled }).pipe(
          predict(network),
          map((p) => p.rows),
        ),
      ).toBe('---(x|)', { x: 2 });
    });
  });

  it('passes errors on', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<ExampleBlock>('-#').pipe(predict(network))).toBe('-#');
    });
  });

  for (const [name, backend] of [
    ['typescript', typescriptBackend],
    ['default', createBackend()],
  ] as const) {
    it(`gives finite probabilities for logits of ±1e4 (${name} backend)`, async () => {
      // One dense layer whose logits are ±1e4·x: without the row maximum subtracted, e^10000 is Infinity.
      const net = createNetwork({ inputSize: 1, classes: 3, hidden: [], batchNorm: false, backend });
      const dense = net.layers[0] as Dense;
      dense.weight.value.set([1e4, -1e4, 1e4 - 1]);
      dense.bias!.value.fill(0);
      const rows = { features: Float32Array.of(1, -1), labels: Int32Array.of(-1, -1), rows: 2, cols: 1, firstRow: 0 };
      const p = await lastValueFrom(of(rows).pipe(predict(net)));
      expect(Array.from(p.predicted)).toEqual([0, 1]);
      expect(Array.from(p.probabilities).every(Number.isFinite)).toBe(true);
      expect(p.probabilities[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
      expect(p.probabilities[4]).toBe(1);
    });
  }
});
