import { parseDecimal } from './decimal.js';
/**
 * How the learning rate changes from epoch to epoch, as a function of t, the epochs completed
 * before the step (0 throughout the first epoch, 1 throughout the second):
 * - `constant`: α₀
 * - `inverse`: α₀/(1 + decay·t)
 * - `exponential`: rate^t · α₀
 * - `step`: α₀ · gamma^⌊t/every⌋
 */
export type Schedule =
  | { readonly type: 'constant' }
  | { readonly type: 'inverse'; readonly decay: number }
  | { readonly type: 'exponential'; readonly rate: number }
  | { readonly type: 'step'; readonly every: number; readonly gamma: number };

/**
 * A schedule, or any function of the epochs completed before the step (and the optimizer's step
 * count) giving the learning rate: what `optimizerStep` accepts, e.g. for changing the rate by hand
 * while a run goes on.
 */
export type LearningRate = Schedule | ((epochsCompleted: number, step: number) => number);

/**
 * The learning rate for an epoch.
 *
 * @example
 * learningRateAt(0.1, { type: 'inverse', decay: 1 }, 1); // 0.05
 */
export function learningRateAt(initial: number, schedule: Schedule, epoch: number): number {
  switch (schedule.type) {
    case 'constant':
      return initial;
    case 'inverse':
      return initial / (1 + schedule.decay * epoch);
    case 'exponential':
      return initial * schedule.rate ** epoch;
    case 'step':
      return initial * schedule.gamma ** Math.floor(epoch / schedule.every);
  }
}

/**
 * The learning rate of a step under a schedule or function.
 *
 * @example
 * learningRateFor(0.1, (done) => 0.1 / (done + 1), 2, 40); // 0.0333…, in the third epoch
 */
export function learningRateFor(initial: number, rate: LearningRate, epochsCompleted: number, step: number): number {
  return typeof rate === 'function' ? rate(epochsCompleted, step) : learningRateAt(initial, rate, epochsCompleted);
}

/**
 * Parses the CLI's `--lr-decay` forms: `inverse:0.1` (or a bare `0.1`), `exponential:0.95`,
 * `step:10:0.5`, `none`.
 *
 * @example
 * parseSchedule('step:10:0.5'); // { type: 'step', every: 10, gamma: 0.5 }
 */
export function parseSchedule(text: string): Schedule {
  const parts = text.split(':');
  const numbers = parts.slice(1).map(parseDecimal);
  const bad = (expected: string): never => {
    throw new RangeError(`learning-rate decay '${text}': expected ${expected}`);
  };
  const kind = parts[0];
  if (kind === 'none' || kind === 'constant') return { type: 'constant' };
  const decay = parts.length === 1 ? parseDecimal(kind!) : Number.NaN;
  if (Number.isFinite(decay)) return checked({ type: 'inverse', decay });
  if (kind === 'inverse' && numbers.length === 1) return checked({ type: 'inverse', decay: numbers[0]! });
  if (kind === 'exponential' && numbers.length === 1) return checked({ type: 'exponential', rate: numbers[0]! });
  if (kind === 'step' && numbers.length === 2) return checked({ type: 'step', every: numbers[0]!, gamma: numbers[1]! });
  return bad('inverse:DECAY, exponential:RATE, step:EVERY:GAMMA or none');
}

/**
 * A schedule in the words `parseSchedule` reads back.
 *
 * @example
 * scheduleText({ type: 'step', every: 10, gamma: 0.5 }); // 'step:10:0.5'
 */
export function scheduleText(schedule: Schedule): string {
  switch (schedule.type) {
    case 'constant':
      return 'none';
    case 'inverse':
      return `inverse:${schedule.decay}`;
    case 'exponential':
      return `exponential:${schedule.rate}`;
    case 'step':
      return `step:${schedule.every}:${schedule.gamma}`;
  }
}

/**
 * Throws a RangeError naming the bad value if a schedule's numbers are out of range.
 *
 * @example
 * checked({ type: 'exponential', rate: 0.95 });
 */
export function checked(schedule: Schedule): Schedule {
  const fail = (what: string, value: number) => {
    throw new RangeError(`learning-rate schedule '${schedule.type}': ${what}, got ${value}`);
  };
  switch (schedule.type) {
    case 'inverse':
      if (!(schedule.decay >= 0)) fail('decay must be ≥ 0', schedule.decay);
      break;
    case 'exponential':
      if (!(schedule.rate > 0 && schedule.rate <= 1)) fail('rate must be in (0, 1]', schedule.rate);
      break;
    case 'step':
      if (!(Number.isInteger(schedule.every) && schedule.every >= 1)) fail('every must be a positive integer', schedule.every);
      if (!(schedule.gamma > 0 && schedule.gamma <= 1)) fail('gamma must be in (0, 1]', schedule.gamma);
      break;
    case 'constant':
      break;
  }
  return schedule;
}

/**
 * The `lrDecay` setting of a schedule, as a study writes it: inverse-time decay as its number, no
 * decay as 0, any other schedule whole (`scheduleOf`'s inverse).
 *
 * @example
 * lrDecayOf({ type: 'inverse', decay: 0.1 }) // 0.1
 */
export function lrDecayOf(schedule: Schedule | undefined): number | Schedule {
  if (schedule === undefined || schedule.type === 'constant') return 0;
  return schedule.type === 'inverse' ? schedule.decay : schedule;
}
