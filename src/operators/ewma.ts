import { Observable, type OperatorFunction } from 'rxjs';
import { ewaUpdate } from '../model/ewa.js';

/** A smoothed value of a numeric stream. */
export interface EwmaValue {
  /** The raw value just received. */
  readonly value: number;
  /** The exponentially weighted mean, bias-corrected unless asked otherwise. */
  readonly mean: number;
  /** The exponentially weighted mean of squared deviations from the previous smoothed mean. */
  readonly variance: number;
  /** Values seen so far. */
  readonly count: number;
}

/** Options of `ewma`. */
export interface EwmaOptions {
  /** β: each value weighs (1 − β); the mean spans about 1/(1 − β) values. Default 0.9. */
  readonly beta?: number;
  /**
   * Divide by (1 − βᵗ) so that early means are not pulled towards the zero they start from.
   * Default true.
   */
  readonly biasCorrection?: boolean;
}

/**
 * Smooths a numeric stream (a learning curve, say) with exponentially weighted averages of the
 * value and of its squared deviation, v ← β·v + (1 − β)·x, emitting one `EwmaValue` per input.
 * Non-finite values pass through into the mean, so a diverging curve stays visible.
 *
 * @example
 * fit$.pipe(filter((e) => e.type === 'batch'), map((e) => e.loss), ewma({ beta: 0.98 })).subscribe((s) => console.log(s.mean.toFixed(4)));
 */
export function ewma(options: EwmaOptions = {}): OperatorFunction<number, EwmaValue> {
  const beta = options.beta ?? 0.9;
  const biasCorrection = options.biasCorrection ?? true;
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`ewma: beta must be in [0, 1), got ${beta}`);
  return (source) =>
    new Observable<EwmaValue>((subscriber) => {
      let mean = 0;
      let squares = 0;
      let count = 0;
      let previous: number | undefined;
      return source.subscribe({
        next(value) {
          count++;
          const deviation = previous === undefined ? 0 : value - previous;
          mean = ewaUpdate(mean, value, beta);
          squares = ewaUpdate(squares, deviation * deviation, beta);
          const correction = biasCorrection ? 1 - beta ** count : 1;
          const smoothed = mean / correction;
          previous = smoothed;
          subscriber.next({ value, mean: smoothed, variance: squares / correction, count });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
