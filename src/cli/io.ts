import type { Readable, Writable } from 'node:stream';
import { parseDecimal } from '../model/decimal.js';
import type { ActivationName } from '../model/layer.js';
import type { OptimizerName } from '../model/optimizers/optimizer.js';
import type { Schedule } from '../model/schedule.js';
import { leftOutColumns } from '../streams/leftOutColumns.js';
import { DEFAULT_TRAINING_CONFIG, lrDecayOf, type TrainingConfig } from '../training/trainingConfig.js';

/** The data, model and optimizer flags that train and babysit share (see addTrainingOptions). */
export interface TrainingFlags {
  readonly label: string;
  readonly features?: string[];
  readonly delimiter?: string;
  readonly decimal?: '.' | ',';
  readonly hidden: number[];
  readonly activation: ActivationName;
  readonly batchNorm: boolean;
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly lrDecay?: Schedule;
  readonly momentum?: number;
  readonly momentumConvention: 'ewa' | 'pytorch';
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  readonly normalize: boolean;
}

/** Where a command writes: stdout for results, stderr for progress and errors; stdin for babysit's commands. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin?: Readable;
}

const OPTIMIZERS = ['sgd', 'momentum', 'rmsprop', 'adam'];

/**
 * The training configuration the shared flags describe (an inverse-time --lr-decay is the number
 * `lrDecay`, as a study writes it; any other schedule is kept whole).
 */
export function configFromFlags(flags: TrainingFlags): TrainingConfig {
  if (!OPTIMIZERS.includes(flags.optimizer))
    throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}; got '${String(flags.optimizer)}'`);
  return {
    ...DEFAULT_TRAINING_CONFIG,
    hidden: flags.hidden,
    activation: flags.activation,
    batchNorm: flags.batchNorm,
    optimizer: flags.optimizer,
    learningRate: flags.lr,
    momentum: flags.momentum,
    momentumConvention: flags.momentumConvention,
    weightDecay: flags.weightDecay,
    lrDecay: lrDecayOf(flags.lrDecay),
    batchSize: flags.batchSize,
    epochs: flags.epochs,
    seed: flags.seed,
  };
}

/**
 * Which settings the command line gave, by their `TrainingConfig` names (the flag of
 * `learningRate` is --lr), from commander's "was this option given" test.
 *
 * @example
 * const given = settingGiven((name) => command.getOptionValueSource(name) === 'cli');
 */
export function settingGiven(fromCommandLine: (option: string) => boolean): (setting: string) => boolean {
  return (setting) => fromCommandLine(setting === 'learningRate' ? 'lr' : setting);
}

import { UsageError } from '../errors.js';

export { UsageError };

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

/**
 * Says which columns a file's default features leave out, and why: one line for columns that are
 * not numbers, one for pandas' row index.
 *
 * @example
 * writeLeftOutColumns(io.stderr, await inspectData('train.csv', { label: 'label' }));
 */
export function writeLeftOutColumns(
  stream: Writable,
  layout: { readonly ignored?: readonly string[] | undefined; readonly indexColumns?: readonly string[] | undefined },
): void {
  for (const line of leftOutColumns(layout)) writeLine(stream, `rxgrad: ${line}`);
}

/** Prints where a dashboard is (its address carries the token), warning when it is reachable from other machines. */
export function writeDashboardAddress(stream: Writable, url: string, host: string | undefined): void {
  writeLine(stream, `dashboard: ${url}`);
  if (host !== undefined && !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    writeLine(
      stream,
      `rxgrad: warning: the dashboard listens on ${host}, in plain HTTP: anyone who sees the address or the traffic can steer the run; an SSH tunnel (ssh -L PORT:127.0.0.1:PORT) keeps it on 127.0.0.1`,
    );
  }
}

/** A parser of a number flag: `valid` or a UsageError saying the flag must be `expected`. */
function numberFlag(flag: string, valid: (value: number) => boolean, expected: string) {
  return (text: string): number => {
    const value = parseDecimal(text);
    if (!valid(value)) throw new UsageError(`${flag} must be ${expected}, got '${text}'`);
    return value;
  };
}

export const positiveInteger = (flag: string) => numberFlag(flag, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
/** A whole number from `low` to `high`, both included: `--trials` from 1 to 100,000. */
export const integerFrom = (flag: string, low: number, high: number) =>
  numberFlag(
    flag,
    (v) => Number.isInteger(v) && v >= low && v <= high,
    `a whole number from ${low.toLocaleString('en')} to ${high.toLocaleString('en')}`,
  );
export const nonNegativeInteger = (flag: string) => numberFlag(flag, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
export const positiveNumber = (flag: string) => numberFlag(flag, (v) => Number.isFinite(v) && v > 0, 'a positive number');
export const nonNegativeNumber = (flag: string) => numberFlag(flag, (v) => Number.isFinite(v) && v >= 0, 'a number ≥ 0');

/** A number in [low, high): `--momentum` in [0, 1), `--validation` in (0, 1) with `openLow`. */
export function numberIn(flag: string, low: number, high: number, openLow = false) {
  return numberFlag(
    flag,
    (v) => Number.isFinite(v) && (openLow ? v > low : v >= low) && v < high,
    `in ${openLow ? '(' : '['}${low}, ${high})`,
  );
}

/** A thread count: a positive integer, or 'auto'. */
export function threadCount(flag: string) {
  const integer = numberFlag(flag, (v) => Number.isInteger(v) && v >= 1, "a positive integer or 'auto'");
  return (text: string): number | 'auto' => (text === 'auto' ? 'auto' : integer(text));
}

/** Parses `64,32` into [64, 32]; `none` or an empty string gives no hidden layers. */
export function hiddenSizes(text: string): number[] {
  if (text.trim() === '' || text.trim() === 'none') return [];
  return text.split(',').map((part) => positiveInteger('--hidden')(part.trim()));
}

export function columnList(flag: string) {
  return (text: string): string[] => {
    const names = text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    if (names.length === 0) throw new UsageError(`${flag} needs at least one column name, got '${text}'`);
    return names;
  };
}

export function formatNumber(value: number | undefined, digits = 4): string {
  return value === undefined ? '-' : value.toFixed(digits);
}
