import type { TrainingConfig } from '../training/trainingConfig.js';
import { DEFAULT_OBJECTIVE, type ObjectiveRecord, scoreOf } from './objective.js';
import type { Params } from './space.js';
import type { TrialRecord } from './trial.js';

// The summary of a study's records, apart from the study runner: it reads no data, so the root
// import can offer it without loading the data readers.

/** A study's state: counts and the best trial. */
export interface StudySummary {
  readonly finished: number;
  readonly completed: number;
  readonly pruned: number;
  readonly failed: number;
  /**
   * The best trial by the study's rule: among the trials that trained the most epochs (the highest
   * rung reached: a pruned 3-epoch trial is not compared with 9-epoch ones), the best objective at
   * its last epoch; ties go to the lower id.
   */
  readonly best: {
    readonly id: string;
    readonly params: Params;
    readonly validationAccuracy: number;
    readonly config: TrainingConfig;
    /** Epochs the trial trained: where its objective was measured. */
    readonly epochs: number;
    readonly objective: ObjectiveRecord;
  } | null;
  /** Non-failed trials, best first by the same rule: most epochs, then objective. */
  readonly leaderboard: readonly TrialRecord[];
}

/**
 * A summary as `rxgrad tune --json` and `rxgrad study --json` print it: the counts, and the best
 * trial's id, parameters, validation accuracy, epochs and objective (null without one).
 *
 * @example
 * console.log(JSON.stringify(summaryJson(summarizeStudy(records))));
 */
export function summaryJson(summary: StudySummary) {
  const { best } = summary;
  return {
    finished: summary.finished,
    completed: summary.completed,
    pruned: summary.pruned,
    failed: summary.failed,
    best: best
      ? { id: best.id, params: best.params, validationAccuracy: best.validationAccuracy, epochs: best.epochs, objective: best.objective }
      : null,
  };
}

/**
 * Summarizes records: counts by status, and a leaderboard by the study's rule (see `best`). A
 * record without an objective (from an older study) is scored by validation accuracy.
 *
 * @example
 * summarizeStudy(await readTrialRecords('studies/digits')).best?.epochs
 */
export function summarizeStudy(records: readonly TrialRecord[]): StudySummary {
  const leaderboard = records
    .filter((r) => r.status !== 'failed' && scoreOf(r) !== null)
    .sort((a, b) => b.epochs - a.epochs || scoreOf(b)! - scoreOf(a)! || a.id.localeCompare(b.id));
  const top = leaderboard[0];
  return {
    finished: records.length,
    completed: records.filter((r) => r.status === 'completed').length,
    pruned: records.filter((r) => r.status === 'pruned').length,
    failed: records.filter((r) => r.status === 'failed').length,
    best: top
      ? {
          id: top.id,
          params: top.params,
          validationAccuracy: top.validationAccuracy!,
          config: top.config,
          epochs: top.epochs,
          objective: top.objective ?? { ...DEFAULT_OBJECTIVE, value: top.validationAccuracy! },
        }
      : null,
    leaderboard,
  };
}
