import { SearchSpaceError } from '../errors.js';
import type { CurvePoint, TrialRecord } from './trial.js';

/** What a study optimizes: a metric of each epoch's validation result, and which way is better. */
export interface StudyObjective {
  readonly name: string;
  readonly direction: 'maximize' | 'minimize';
  /** The metric, from the validation set's mean loss and accuracy after an epoch. */
  readonly value: (validation: { readonly loss: number; readonly accuracy: number }) => number;
}

/** The objective a record was scored by, and its value at the trial's last epoch. */
export interface ObjectiveRecord {
  readonly name: string;
  readonly direction: 'maximize' | 'minimize';
  readonly value: number;
}

/** A study's objective when its settings name none (and in studies from before objectives were recorded). */
export const DEFAULT_OBJECTIVE = { name: 'val-accuracy', direction: 'maximize' } as const;

/**
 * The name and direction a study is scored by: its settings', or the default.
 *
 * @example
 * objectiveSetting(settings).direction // 'maximize'
 */
export function objectiveSetting(settings: {
  readonly objective?: { readonly name: string; readonly direction: 'maximize' | 'minimize' } | undefined;
}): { readonly name: string; readonly direction: 'maximize' | 'minimize' } {
  return settings.objective ?? DEFAULT_OBJECTIVE;
}

/**
 * The built-in objectives, by their command-line names: `val-accuracy` (maximized, the default)
 * and `val-loss` (the validation cross-entropy, minimized).
 *
 * @example
 * runStudy({ dir: 'studies/a', space, trials: 40, settings: { ...settings, objective: { name: 'val-loss', direction: 'minimize' } } });
 */
export const OBJECTIVES: Readonly<Record<'val-accuracy' | 'val-loss', StudyObjective>> = {
  'val-accuracy': { name: 'val-accuracy', direction: 'maximize', value: (v) => v.accuracy },
  'val-loss': { name: 'val-loss', direction: 'minimize', value: (v) => v.loss },
};

/** An objective at work: its score (higher is better, whatever the direction) and its record. @internal */
export interface ScoredObjective {
  readonly name: string;
  readonly direction: 'maximize' | 'minimize';
  /** Whether it is one of `OBJECTIVES`: only those can be scored on another machine (a worker on Redis). */
  readonly builtIn: boolean;
  score(point: CurvePoint): number;
  record(point: CurvePoint): ObjectiveRecord;
  /** A finished trial's record with the objective at its last epoch, and a custom objective's value at every epoch (for the report). */
  finish(record: TrialRecord): TrialRecord;
}

const isBuiltIn = (name: string): name is keyof typeof OBJECTIVES => Object.hasOwn(OBJECTIVES, name);

/**
 * The objective of a study from its settings (name and direction) and, for a metric of the user's
 * own, its function, which must carry the same name and direction.
 * @internal
 */
export function objectiveOf(
  setting: { readonly name: string; readonly direction: 'maximize' | 'minimize' } | undefined,
  custom: StudyObjective | undefined,
): ScoredObjective {
  const name = setting?.name ?? custom?.name ?? DEFAULT_OBJECTIVE.name;
  const known = (OBJECTIVES as Record<string, StudyObjective | undefined>)[name];
  const chosen = custom ?? known;
  if (!chosen)
    throw new SearchSpaceError(
      `objective '${name}': not a built-in objective (val-accuracy, val-loss); pass its function as the objective option`,
    );
  const direction = setting?.direction ?? chosen.direction;
  if (chosen.name !== name || chosen.direction !== direction) {
    throw new SearchSpaceError(
      `objective: the settings name '${name}' (${direction}) but the function given is '${chosen.name}' (${chosen.direction})`,
    );
  }
  if (direction !== 'maximize' && direction !== 'minimize')
    throw new SearchSpaceError(`objective '${name}': direction must be 'maximize' or 'minimize', got '${String(direction)}'`);
  const value = (point: CurvePoint) => chosen.value({ loss: point.validationLoss, accuracy: point.validationAccuracy });
  const builtIn = isBuiltIn(name) && chosen.value === OBJECTIVES[name].value;
  const record = (point: CurvePoint): ObjectiveRecord => ({ name, direction, value: value(point) });
  return {
    name,
    direction,
    builtIn,
    // A metric that is not a number (NaN) is the worst score there is.
    score: (point) => {
      const v = value(point);
      return Number.isFinite(v) ? (direction === 'maximize' ? v : -v) : -Infinity;
    },
    record,
    finish: (trial) => {
      const last = trial.curve.at(-1);
      if (!last) return trial;
      return { ...trial, ...(builtIn ? {} : { curve: trial.curve.map((p) => ({ ...p, objective: value(p) })) }), objective: record(last) };
    },
  };
}

/**
 * A built-in objective by its setting, for a scorer that has no function of the user's: a worker
 * on another machine. A custom objective cannot cross machines, so it is an error here.
 * @internal
 */
export function portableObjective(setting: { readonly name: string; readonly direction: 'maximize' | 'minimize' }): ScoredObjective {
  if (!isBuiltIn(setting.name)) {
    throw new SearchSpaceError(
      `objective '${setting.name}' is a function of this process and cannot be scored by workers on other machines: a study on Redis is scored by val-accuracy or val-loss`,
    );
  }
  return objectiveOf(setting, undefined);
}

/**
 * The objective's value at one epoch of a trial's curve, as a report draws it: a built-in metric,
 * or what the study recorded for a custom objective (undefined where it recorded none).
 *
 * @example
 * curveValue({ name: 'val-loss', direction: 'minimize' })(record.curve[0]!) // 0.41
 */
export function curveValue(setting: {
  readonly name: string;
  readonly direction: 'maximize' | 'minimize';
}): (point: CurvePoint) => number | undefined {
  if (isBuiltIn(setting.name)) {
    const metric = OBJECTIVES[setting.name].value;
    return (p) => metric({ loss: p.validationLoss, accuracy: p.validationAccuracy });
  }
  return (p) => p.objective;
}

/**
 * A finished trial's score, higher is better: its objective at its last epoch, or its validation
 * accuracy when the record has no objective (older studies); null for a trial without one.
 *
 * @example
 * scoreOf(record) // 0.97, or −0.08 for a val-loss of 0.08
 */
export function scoreOf(record: TrialRecord): number | null {
  if (record.objective) {
    const v = record.objective.value;
    if (!Number.isFinite(v)) return -Infinity;
    return record.objective.direction === 'maximize' ? v : -v;
  }
  return record.validationAccuracy;
}

/**
 * What an objective is called on a chart or in a table.
 *
 * @example
 * objectiveLabel({ name: 'val-loss' }) // 'validation loss'
 */
export function objectiveLabel(setting: { readonly name: string }): string {
  return setting.name === 'val-loss' ? 'validation loss' : setting.name === 'val-accuracy' ? 'validation accuracy' : setting.name;
}
