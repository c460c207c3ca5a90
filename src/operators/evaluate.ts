import { Observable, type OperatorFunction } from 'rxjs';
import { rocAuc } from '../model/metrics.js';
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
  /** confusion[actual][predicted] counts (per-class precision, recall and F1: `classificationScores(confusion)`). */
  readonly confusion: readonly (readonly number[])[];
  /** With two classes, the area under the ROC curve of the second class's probability (NaN if a class is absent). */
  readonly rocAuc?: number;
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  readonly standardizer?: Standardizer | undefined;
  /** Rows per forward pass; does not change the result. Default 256. */
  readonly batchSize?: number;
}

/**
 * Evaluates a network in inference mode (batch norm uses its running statistics) over a whole
 * dataset and emits one `Evaluation` when the data completes. With two classes it keeps each
 * example's probability of the second (8 bytes an example) for the ROC-AUC.
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
      const binary = classes === 2;
      let scores = new Float64Array(binary ? 1024 : 0);
      let positives = new Uint8Array(scores.length);
      const tally = (pass: ScoredPass) => {
        const { size, labels } = pass.batch;
        if (predicted.length < size) predicted = new Int32Array(size);
        argmaxRows(pass.probabilities, predicted);
        for (let i = 0; i < size; i++) confusion[labels[i]!]![predicted[i]!]!++;
        if (binary) {
          if (scores.length < examples + size) {
            const length = Math.max(2 * scores.length, examples + size);
            scores = grown(scores, new Float64Array(length));
            positives = grown(positives, new Uint8Array(length));
          }
          for (let i = 0; i < size; i++) {
            scores[examples + i] = pass.probabilities.data[2 * i + 1]!;
            positives[examples + i] = labels[i]!;
          }
        }
        examples += size;
        totalLoss += pass.loss * size;
        correct += pass.correct;
      };
      return source.pipe(inferencePasses(network, options), loss()).subscribe({
        next: tally,
        error: (error: unknown) => subscriber.error(error),
        complete() {
          const auc = binary ? { rocAuc: rocAuc(scores, positives, examples) } : {};
          subscriber.next({ examples, loss: totalLoss / examples, accuracy: correct / examples, confusion, ...auc });
          subscriber.complete();
        },
      });
    });
}

function grown<T extends Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
