import { map, type OperatorFunction, pipe } from 'rxjs';
import type { Network } from '../model/network.js';
import { argmaxRows } from '../model/softmaxCrossEntropy.js';
import type { Standardizer } from '../model/standardizer.js';
import type { Example, ExampleBlock } from '../streams/examples.js';
import type { Predictions } from '../streams/predictions.js';
import { inferencePasses } from './inferencePasses.js';

/** Options of `predict`. */
export interface PredictOptions {
  readonly standardizer?: Standardizer | undefined;
  /** Rows per forward pass. Default 256. */
  readonly batchSize?: number;
}

/**
 * Predicts classes and per-class probabilities in inference mode, in input order, one
 * `Predictions` per mini-batch. Labels are ignored, so unlabelled data works.
 *
 * @example
 * readArrow('new.arrow', { unlabelled: true }).pipe(predict(network, { standardizer }), writePredictions('pred.arrow'));
 */
export function predict(network: Network, options: PredictOptions = {}): OperatorFunction<ExampleBlock | Example, Predictions> {
  return pipe(
    inferencePasses(network, options),
    map(({ logits }): Predictions => {
      const probabilities = new Float32Array(logits.rows * logits.cols);
      network.backend.softmax(logits, probabilities);
      const predicted = argmaxRows({ rows: logits.rows, cols: logits.cols, data: probabilities }, new Int32Array(logits.rows));
      return { rows: logits.rows, classes: logits.cols, predicted, probabilities };
    }),
  );
}
