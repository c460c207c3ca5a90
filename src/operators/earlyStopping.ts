import { defer, type OperatorFunction, takeWhile, tap } from 'rxjs';
import type { EpochMetrics, FitEvent } from './fit.js';

/** Which validation metric decides "better": the loss (lower) or the accuracy (higher). */
export type Monitor = 'loss' | 'accuracy';

/**
 * Keeps the best epoch of a run by a validation metric, and how many epochs have passed since.
 *
 * @example
 * const monitor = new EpochMonitor('loss');
 * if (monitor.observe(metrics)) console.log(`best so far: epoch ${monitor.bestEpoch}`);
 */
export class EpochMonitor {
  best = Number.NaN;
  bestEpoch = 0;
  sinceBest = 0;

  constructor(readonly monitor: Monitor = 'loss') {
    if (monitor !== 'loss' && monitor !== 'accuracy')
      throw new RangeError(`EpochMonitor: monitor must be 'loss' or 'accuracy', got '${String(monitor)}'`);
  }

  /** Takes an epoch's metrics; true when it is the best so far. Needs validation metrics. */
  observe(metrics: EpochMetrics): boolean {
    if (!metrics.validation) throw new RangeError('EpochMonitor: the epoch has no validation metrics; give fit a validation source');
    const value = this.monitor === 'loss' ? metrics.validation.loss : metrics.validation.accuracy;
    const better = Number.isNaN(this.best) || (this.monitor === 'loss' ? value < this.best : value > this.best);
    if (better) {
      this.best = value;
      this.bestEpoch = metrics.epoch;
      this.sinceBest = 0;
    } else {
      this.sinceBest++;
    }
    return better;
  }
}

/**
 * Ends a `fit` run once its validation `monitor` (loss by default) has not improved for `patience`
 * epochs: the epoch event that exhausts the patience is the last one emitted, and unsubscribing
 * stops training. Each subscription keeps its own record of the best epoch.
 *
 * @example
 * fit(train$, { ...options, validation: validation$ }).pipe(earlyStopping({ patience: 3 }));
 */
export function earlyStopping(options: { readonly patience: number; readonly monitor?: Monitor }): OperatorFunction<FitEvent, FitEvent> {
  const { patience, monitor = 'loss' } = options;
  if (!Number.isInteger(patience) || patience < 1)
    throw new RangeError(`earlyStopping: patience must be a positive integer, got ${patience}`);
  return (source) =>
    defer(() => {
      const best = new EpochMonitor(monitor);
      return source.pipe(
        tap((event) => event.type === 'epoch' && best.observe(event)),
        takeWhile((event) => event.type !== 'epoch' || best.sinceBest < patience, true),
      );
    });
}
