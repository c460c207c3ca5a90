import { Observable, type OperatorFunction } from 'rxjs';
import type { Network } from '../model/network.js';
import { argmaxRows } from '../model/softmaxCrossEntropy.js';
import type { Standardizer } from '../model/standardizer.js';
import type { Example, ExampleBlock } from '../streams/records/examples.js';
import { inferencePasses } from './inferencePasses.js';
import { loss, type ScoredPass } from './loss.js';

/** How a model did on a dataset. */
export interface Evaluation {
  readonly examples: number;
  /** Mean softmax cross-entropy. */
  readonly loss: number;
  readonly accuracy: number;
  /** confusion[actual][predicted] counts. */
  readonly confusion: readonly (readonly number[])[];
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  readonly standardizer?: Standardizer | undefined;
  /** Rows per forward pass; does not change the result. Default 256. */
  readonly batchSize?: number;
}

/**
 * Evaluates a network in inference mode (batch norm uses its running statistics) over a whole
 * dataset and emits one `Evaluation` when the data completes.
 *
 * @example
 * const { accuracy } = await lastValueFrom(readArrow('test.arrow').pipe(evaluate(network, { standardizer })));
 */
export function evaluate(network: Network, options: EvaluateOptions = {}): OperatorFunction<ExampleBlock | Example, Evaluation> {
  return (source) =>
    new Observable<Evaluation>((subscriber) => {
      const classes = network.classes;
      const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
      let examples = 0;
      let totalLoss = 0;
      let correct = 0;
      let predicted = new Int32Array(0);
      const tally = (pass: ScoredPass) => {
        const { size, labels } = pass.batch;
        if (predicted.length < size) predicted = new Int32Array(size);
        argmaxRows(pass.probabilities, predicted);
        for (let i = 0; i < size; i++) confusion[labels[i]!]![predicted[i]!]!++;
        examples += size;
        totalLoss += pass.loss * size;
        correct += pass.correct;
      };
      return source.pipe(inferencePasses(network, options), loss()).subscribe({
        next: tally,
        error: (error: unknown) => subscriber.error(error),
        complete() {
          subscriber.next({ examples, loss: totalLoss / examples, accuracy: correct / examples, confusion });
          subscriber.complete();
        },
      });
    });
}
