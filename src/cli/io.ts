import type { Readable, Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { leftOutColumns } from '../streams/records/leftOutColumns.js';
import { CONFIG_SETTINGS, type DataSettings, DEFAULT_TRAINING_CONFIG } from '../training/settings.js';
import { positiveInteger } from '../training/settingValues.js';
import type { TrainingConfig } from '../training/trainingConfig.js';

export { UsageError } from '../errors.js';
export {
  columnList,
  hiddenSizes,
  integerFrom,
  nonNegativeInteger,
  nonNegativeNumber,
  numberIn,
  positiveInteger,
  positiveNumber,
} from '../training/settingValues.js';

/**
 * The settings train and babysit take, by their keys in the settings table (`learningRate` for
 * `--lr`), with the CSV dialect.
 */
export type TrainingFlags = TrainingConfig &
  DataSettings & {
    readonly delimiter?: string;
    readonly decimal?: '.' | ',';
  };

/** Where a command writes: stdout for results, stderr for progress and errors; stdin for babysit's commands. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin?: Readable;
}

/**
 * The training configuration the settings flags describe: each `CONFIG_SETTINGS` key the flags
 * hold (an inverse-time --lr-decay is the number `lrDecay`, as a study writes it).
 *
 * @example
 * const config = configFromFlags({ ...DEFAULT_TRAINING_CONFIG, label: 'label', normalize: true });
 */
export function configFromFlags(flags: TrainingFlags): TrainingConfig {
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_SETTINGS) as (keyof TrainingConfig)[]) if (flags[key] !== undefined) config[key] = flags[key];
  return { ...DEFAULT_TRAINING_CONFIG, ...config } as TrainingConfig;
}

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

/** A thread count: a positive integer, or 'auto'. */
export function threadCount(flag: string) {
  const integer = positiveInteger(flag);
  return (text: string): number | 'auto' => {
    if (text === 'auto') return 'auto';
    try {
      return integer(text);
    } catch {
      throw new UsageError(`${flag} must be a positive integer or 'auto', got '${text}'`);
    }
  };
}

export function formatNumber(value: number | undefined, digits = 4): string {
  return value === undefined ? '-' : value.toFixed(digits);
}
