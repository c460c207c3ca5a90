import { defer, map, type OperatorFunction, tap } from 'rxjs';
import type { Network } from '../model/network.js';
import { argmaxRows } from '../model/softmaxCrossEntropy.js';
import type { Standardizer } from '../model/standardizer.js';
import { type Example, type ExampleBlock, isExampleBlock } from '../streams/records/examples.js';
import type { Predictions } from '../streams/records/predictions.js';
import { inferencePasses } from './inferencePasses.js';

/** Options of `predict`. */
export interface PredictOptions {
  readonly standardizer?: Standardizer | undefined;
  /** Rows per forward pass. Default 256. */
  readonly batchSize?: number;
}

/**
 * Predicts classes and per-class probabilities in inference mode, in input order, one
 * `Predictions` per mini-batch. Labels are ignored, so unlabelled data works. Columns a source
 * kept (`readCsv(file, { keep: ['id'] })`) come along, row for row.
 *
 * @example
 * readArrow('new.arrow', { unlabelled: true }).pipe(predict(network, { standardizer }), writePredictions('pred.arrow'));
 */
export function predict(network: Network, options: PredictOptions = {}): OperatorFunction<ExampleBlock | Example, Predictions> {
  return (source) =>
    defer(() => {
      // Kept values wait here, in input order, until the batch holding their rows is predicted.
      let pending: string[][] | undefined;
      let start = 0;
      const take = (rows: number): string[][] | undefined => {
        if (!pending) return undefined;
        const taken = pending.map((column) => column.slice(start, start + rows));
        start += rows;
        if (start > 65_536) {
          pending = pending.map((column) => column.slice(start));
          start = 0;
        }
        return taken;
      };
      return source.pipe(
        tap((item) => {
          if (!isExampleBlock(item) || !item.kept) return;
          pending ??= item.kept.map(() => []);
          item.kept.forEach((column, k) => {
            const queue = pending![k]!;
            for (const value of column) queue.push(value);
          });
        }),
        inferencePasses(network, options),
        map(({ logits }): Predictions => {
          const probabilities = new Float32Array(logits.rows * logits.cols);
          network.backend.softmax(logits, probabilities);
          const predicted = argmaxRows({ rows: logits.rows, cols: logits.cols, data: probabilities }, new Int32Array(logits.rows));
          const kept = take(logits.rows);
          return { rows: logits.rows, classes: logits.cols, predicted, probabilities, ...(kept ? { kept } : {}) };
        }),
      );
    });
}
