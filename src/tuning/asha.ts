import { defer, map, type OperatorFunction } from 'rxjs';

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
 * The score ASHA records for a report: the score itself, or the lowest finite number when it is
 * NaN or infinite (a diverged trial), so that it ranks below every real score without raising or
 * lowering anyone's cutoff. Redis stores it as it is.
 *
 * @example
 * ashaRecordedScore(Number.NaN) // -Number.MAX_VALUE
 */
export function ashaRecordedScore(score: number): number {
  return Number.isFinite(score) ? score : -Number.MAX_VALUE;
}

/**
 * ASHA's rule at one rung, the one both pruners follow (the local `AshaPruner` and the Lua script
 * of Redis studies, which a property test holds to it): given every score recorded at the rung
 * (one per trial, the reporting trial's included, as `ashaRecordedScore` gives them), the trial
 * goes on when its score is at least the keep-th best, keep = max(1, ⌊n/η⌋), where n counts the
 * finite scores only (as Optuna leaves NaNs out of the competition). A trial whose score is not
 * finite is pruned, as Optuna prunes a NaN.
 *
 * @example
 * ashaDecision([0.9, 0.7, 0.8], 0.8, 3) // { decision: 'prune', keep: 1 }
 */
export function ashaDecision(
  recorded: readonly number[],
  score: number,
  eta: number,
): { readonly decision: 'continue' | 'prune'; readonly keep: number } {
  // Diverged trials (recorded as -MAX_VALUE) do not count in n: four NaNs must not let a poor score through.
  const sorted = recorded.filter((s) => Number.isFinite(s) && s > -Number.MAX_VALUE).sort((a, b) => b - a);
  const keep = Math.max(1, Math.floor(sorted.length / eta));
  return { decision: Number.isFinite(score) && sorted.length > 0 && score >= sorted[keep - 1]! ? 'continue' : 'prune', keep };
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2018), stopping variant: when a trial finishes a
 * rung epoch, it goes on only if its score is in the top 1/η of the scores recorded at that rung
 * so far (at least the best one); otherwise it is pruned (`ashaDecision`). Each trial has one
 * score per rung: a trial that reports a rung again (after a resume) replaces its score. Trials are
 * never made to wait for each other, so parallel workers stay busy. Holds its rung records itself:
 * one per study.
 *
 * @example
 * const asha = new AshaPruner({ maxEpochs: 27 });
 * asha.report({ trial: 't1', epoch: 1, score: 0.8 }).decision // 'continue'
 */
export class AshaPruner {
  readonly rungs: readonly number[];
  private readonly eta: number;
  private readonly recorded = new Map<number, Map<string, number>>();

  constructor(options: AshaOptions) {
    this.rungs = ashaRungs(options);
    this.eta = options.eta ?? 3;
  }

  /** Records a report and decides; epochs that are not rungs always continue. */
  report(report: EpochReport): PruneDecision {
    const rung = this.record(report);
    if (rung === undefined) return { ...report, rung: undefined, decision: 'continue' };
    const { decision } = ashaDecision([...this.recorded.get(rung)!.values()], report.score, this.eta);
    return { ...report, rung, decision };
  }

  /** Records a result without deciding, e.g. from trials finished before a resume. */
  replay(report: EpochReport): void {
    this.record(report);
  }

  private record(report: EpochReport): number | undefined {
    const rung = this.rungs.indexOf(report.epoch);
    if (rung < 0) return undefined;
    const scores = this.recorded.get(rung) ?? new Map<string, number>();
    scores.set(report.trial, ashaRecordedScore(report.score));
    this.recorded.set(rung, scores);
    return rung;
  }
}

/**
 * ASHA as an operator over the merged stream of every trial's epoch reports: emits one decision per
 * report. Each subscription has its own rung records.
 *
 * @example
 * const reports = new Subject<EpochReport>();
 * reports.pipe(ashaPrune({ maxEpochs: 27 }), filter((d) => d.decision === 'prune')).subscribe(console.log);
 */
export function ashaPrune(options: AshaOptions): OperatorFunction<EpochReport, PruneDecision> {
  ashaRungs(options);
  return (source) =>
    defer(() => {
      const pruner = new AshaPruner(options);
      return source.pipe(map((report) => pruner.report(report)));
    });
}
