import { map, type OperatorFunction, defer } from 'rxjs';

/** Options of the asynchronous successive-halving pruner. */
export interface AshaOptions {
  /** Epochs at the first rung. Default 1. */
  readonly minEpochs?: number;
  /** A trial that passes every rung trains this long. */
  readonly maxEpochs: number;
  /** Keep the top 1/η at each rung; rungs are at minEpochs·η^k. Default 3. */
  readonly eta?: number;
}

/** One epoch's result of one trial. Higher scores are better (validation accuracy). */
export interface EpochReport {
  readonly trial: string;
  readonly epoch: number;
  readonly score: number;
}

/** What the pruner decided for a report. */
export interface PruneDecision extends EpochReport {
  readonly rung: number | undefined;
  readonly decision: 'continue' | 'prune';
}

/**
 * The epochs at which ASHA compares trials: minEpochs·η^k below maxEpochs.
 *
 * @example
 * ashaRungs({ minEpochs: 1, maxEpochs: 20, eta: 3 }) // [1, 3, 9]
 */
export function ashaRungs(options: AshaOptions): number[] {
  const { minEpochs = 1, maxEpochs, eta = 3 } = options;
  if (!Number.isInteger(minEpochs) || minEpochs < 1) throw new RangeError(`asha: minEpochs must be a positive integer, got ${minEpochs}`);
  if (!(eta > 1)) throw new RangeError(`asha: eta must be above 1, got ${eta}`);
  const rungs: number[] = [];
  for (let r = minEpochs; r < maxEpochs; r *= eta) rungs.push(Math.round(r));
  return rungs;
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2018), stopping variant: when a trial finishes a
 * rung epoch, it goes on only if its score is in the top 1/η of all scores recorded at that rung
 * so far (at least the best one); otherwise it is pruned. Trials are never made to wait for each
 * other, so parallel workers stay busy. Holds its rung records itself: one per study.
 *
 * @example
 * const asha = new AshaPruner({ maxEpochs: 27 });
 * asha.report({ trial: 't1', epoch: 1, score: 0.8 }).decision // 'continue'
 */
export class AshaPruner {
  readonly rungs: readonly number[];
  private readonly eta: number;
  private readonly recorded = new Map<number, number[]>();

  constructor(options: AshaOptions) {
    this.rungs = ashaRungs(options);
    this.eta = options.eta ?? 3;
  }

  /** Records a report and decides; epochs that are not rungs always continue. */
  report(report: EpochReport): PruneDecision {
    const rung = this.rungs.indexOf(report.epoch);
    if (rung < 0) return { ...report, rung: undefined, decision: 'continue' };
    const scores = this.recorded.get(rung) ?? [];
    scores.push(Number.isFinite(report.score) ? report.score : -Infinity);
    this.recorded.set(rung, scores);
    const sorted = [...scores].sort((a, b) => b - a);
    const keep = Math.max(1, Math.floor(sorted.length / this.eta));
    const cutoff = sorted[keep - 1]!;
    return { ...report, rung, decision: report.score >= cutoff ? 'continue' : 'prune' };
  }

  /** Records a result without deciding, e.g. from trials finished before a resume. */
  replay(report: EpochReport): void {
    const rung = this.rungs.indexOf(report.epoch);
    if (rung < 0) return;
    const scores = this.recorded.get(rung) ?? [];
    scores.push(report.score);
    this.recorded.set(rung, scores);
  }
}

/**
 * ASHA as an operator over the merged stream of every trial's epoch reports: emits one decision per
 * report. Each subscription has its own rung records.
 *
 * @example
 * merge(...trialCurves).pipe(ashaPrune({ maxEpochs: 27 }), filter((d) => d.decision === 'prune'))
 */
export function ashaPrune(options: AshaOptions): OperatorFunction<EpochReport, PruneDecision> {
  ashaRungs(options);
  return (source) =>
    defer(() => {
      const pruner = new AshaPruner(options);
      return source.pipe(map((report) => pruner.report(report)));
    });
}
