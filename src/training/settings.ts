import { UsageError } from '../errors.js';
import type { ModelBundle } from '../files/serialization.js';
import { ACTIVATION_NAMES } from '../model/activation.js';
import { isClassWeightSetting } from '../model/classWeights.js';
import type { ActivationName } from '../model/layer.js';
import { OPTIMIZER_NAMES } from '../model/optimizers/createOptimizer.js';
import type { Optimizer, OptimizerConfig, OptimizerName } from '../model/optimizers/optimizer.js';
import { checked, lrDecayOf, parseSchedule, type Schedule, scheduleText } from '../model/schedule.js';
import { DEFAULT_MAX_LEVELS } from '../streams/categoryLimits.js';
import type { MissingValueStrategy } from '../streams/missingValues.js';
import {
  classWeightText,
  columnList,
  hiddenSizes,
  nonNegativeInteger,
  nonNegativeNumber,
  numberIn,
  positiveInteger,
  positiveNumber,
} from './settingValues.js';
import type { TrainingConfig } from './trainingConfig.js';

/** A saved run with what a resume continues: its optimizer and progress. */
export type SavedRun = ModelBundle & { readonly optimizer: Optimizer; readonly progress: NonNullable<ModelBundle['progress']> };

/** What a run is asked to be: its configuration, and how it reads its data. */
export interface RunSettings {
  readonly config: TrainingConfig;
  readonly normalize: boolean;
  readonly label: string;
  readonly features?: readonly string[] | undefined;
  readonly fillMissing?: MissingValueStrategy | undefined;
  /** Integer columns read as categories, besides the text and boolean ones (which are by default). */
  readonly categorical?: readonly string[] | undefined;
  /** A text column with more distinct values than this is an id and stays out. */
  readonly maxLevels?: number | undefined;
}

/** The settings of how a run reads its data, beside its `TrainingConfig`. */
export type DataSettings = Omit<RunSettings, 'config'>;

/** A setting's name: a `TrainingConfig` key, or one of how a run reads its data. */
export type SettingKey = keyof TrainingConfig | keyof DataSettings;

/** The value of the setting `K`. */
export type SettingValue<K extends SettingKey> = K extends keyof TrainingConfig
  ? TrainingConfig[K]
  : K extends keyof DataSettings
    ? DataSettings[K]
    : never;

/**
 * What a resume may do with a setting: `fixed`, refused when asked for differently than the saved
 * run has it (`saved` reads the saved run's value); `changes`, the new value applies from the
 * resume on, and without one the saved run's goes on (the learning rate); `command`, about the
 * command rather than the run (the epochs).
 */
export type OnResume<V> =
  | { readonly kind: 'fixed'; readonly saved: (run: SavedRun, asked: RunSettings) => V }
  | { readonly kind: 'changes'; readonly saved: (run: SavedRun) => V }
  | { readonly kind: 'command' };

/**
 * One setting, declared once: its flag, how the flag's text is read, what a configuration file or
 * a job may hold, its default, its help line, what a resume may do with it and the search-space
 * names that tune it. The command line, `--config` files, trial jobs, resumes, `--help` and the
 * README's table of settings all come from these rows.
 */
export interface Setting<V> {
  /** The flag, e.g. `--lr`; a switch that turns a default `true` off is `--no-…`. None: set only in a file or a space. */
  readonly flag?: string;
  /** The flag's value in `--help`, e.g. `rate` for `--lr <rate>`; none for a switch. */
  readonly placeholder?: string;
  readonly help: string;
  /** The default of `rxgrad train`; none: the optimizer's own, or not set. */
  readonly default?: V;
  /** What applies when the setting is not given, where that is not a `default` of its own: `0.9` for momentum. */
  readonly defaultText?: string;
  /** The only values the flag takes, when there is such a list. */
  readonly choices?: readonly string[];
  /** Reads the flag's text; throws a UsageError naming the flag. */
  readonly parse?: (text: string) => V;
  /** Whether a value from a configuration file or a job is one this setting may take. */
  readonly valid: (value: unknown) => boolean;
  /** What `valid` accepts, in words: "a positive integer". */
  readonly expected: string;
  /** A valid file value in the setting's own form ("64,32" → [64, 32]); the value itself when absent. */
  readonly fromFile?: (value: unknown) => V;
  /** A value as a message shows it. */
  readonly text: (value: V | undefined) => string;
  readonly resume: OnResume<V>;
  /** The search-space names that set it (`hiddenUnits` and `layers` set `hidden`). */
  readonly tunable?: readonly string[];
}

const isPositiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isNumberIn = (low: number, high: number) => (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= low && v < high;
const plain = (value: unknown) => (value === undefined ? 'none' : String(value));

/** An lrDecay as a schedule: a number (inverse-time), the CLI's words, or a schedule object; undefined when it is none of these. */
export function scheduleSetting(value: unknown): Schedule | undefined {
  try {
    if (typeof value === 'number') return value >= 0 ? checked({ type: 'inverse', decay: value }) : undefined;
    if (typeof value === 'string') return parseSchedule(value);
    const kind = (value as { type?: unknown } | null)?.type;
    if (typeof kind === 'string' && ['constant', 'inverse', 'exponential', 'step'].includes(kind)) return checked(value as Schedule);
  } catch {
    return undefined;
  }
  return undefined;
}

/** A schedule as the command line writes it, no decay as `none`. */
const lrDecayText = (value: number | Schedule | undefined) => {
  const schedule = scheduleSetting(value ?? 0) ?? { type: 'constant' };
  return scheduleText(schedule.type === 'inverse' && schedule.decay === 0 ? { type: 'constant' } : schedule);
};

/** β of a saved optimizer: momentum's and RMSprop's β, Adam's β₁; none for plain SGD. */
function betaOf(optimizer: OptimizerConfig): number | undefined {
  if (optimizer.type === 'sgd') return undefined;
  return optimizer.type === 'adam' ? (optimizer.beta1 ?? 0.9) : (optimizer.beta ?? 0.9);
}

const ACTIVATIONS = ACTIVATION_NAMES;
const OPTIMIZERS = OPTIMIZER_NAMES;

/**
 * The training settings, one row each, keyed by `TrainingConfig`'s own keys (a key added there
 * must be declared here, or the build fails).
 *
 * @example
 * CONFIG_SETTINGS.batchSize.valid(0) // false
 * CONFIG_SETTINGS.learningRate.flag // '--lr'
 */
export const CONFIG_SETTINGS: { readonly [K in keyof TrainingConfig]-?: Setting<TrainingConfig[K]> } = {
  hidden: {
    flag: '--hidden',
    placeholder: 'sizes',
    help: "hidden layer sizes, e.g. 64,32 ('none' for softmax regression)",
    default: [64, 32],
    parse: (text) => hiddenSizes(text),
    valid: (v) => (Array.isArray(v) && v.every(isPositiveInteger)) || typeof v === 'string',
    expected: 'a list of positive integers, e.g. [64, 32] (or "64,32")',
    fromFile: (v) => (typeof v === 'string' ? hiddenSizes(v, "'hidden'") : (v as number[])),
    text: (v) => JSON.stringify(v ?? []),
    resume: { kind: 'fixed', saved: (run) => run.network.spec.layers.flatMap((l) => (l.type === 'dense' ? [l.units] : [])).slice(0, -1) },
    tunable: ['hiddenUnits', 'layers'],
  },
  activation: {
    flag: '--activation',
    placeholder: 'fn',
    help: 'hidden activation',
    default: 'relu',
    choices: ACTIVATIONS,
    valid: (v) => ACTIVATIONS.includes(v as ActivationName),
    expected: `one of ${ACTIVATIONS.join(', ')}`,
    text: plain,
    // A network without hidden layers has no activation: any asked for is the same network.
    resume: {
      kind: 'fixed',
      saved: (run, asked) => run.network.spec.layers.find((l) => l.type === 'activation')?.fn ?? asked.config.activation,
    },
    tunable: ['activation'],
  },
  batchNorm: {
    flag: '--no-batch-norm',
    help: 'no batch normalization (dense layers get biases)',
    default: true,
    valid: (v) => typeof v === 'boolean',
    expected: 'true or false',
    text: plain,
    // A network without hidden layers has no batch normalization to have: any asked for is the same network.
    resume: {
      kind: 'fixed',
      saved: (run, asked) =>
        run.network.spec.layers.filter((l) => l.type === 'dense').length > 1
          ? run.network.spec.layers.some((l) => l.type === 'batchNorm')
          : asked.config.batchNorm,
    },
    tunable: ['batchNorm'],
  },
  dropout: {
    flag: '--dropout',
    placeholder: 'p',
    help: 'inverted dropout after each hidden activation: the share of its outputs zeroed in training, in [0, 1)',
    default: 0,
    parse: numberIn('--dropout', 0, 1),
    valid: isNumberIn(0, 1),
    expected: 'a number in [0, 1)',
    text: (v) => String(v ?? 0),
    // A network without hidden layers has no dropout layer: any rate asked for is the same network.
    resume: {
      kind: 'fixed',
      saved: (run, asked) =>
        run.network.spec.layers.some((l) => l.type === 'activation')
          ? (run.network.spec.layers.find((l) => l.type === 'dropout')?.rate ?? 0)
          : asked.config.dropout,
    },
    tunable: ['dropout'],
  },
  optimizer: {
    flag: '--optimizer',
    placeholder: 'name',
    help: 'optimizer',
    default: 'adam',
    choices: OPTIMIZERS,
    valid: (v) => OPTIMIZERS.includes(v as OptimizerName),
    expected: `one of ${OPTIMIZERS.join(', ')}`,
    text: plain,
    resume: { kind: 'fixed', saved: (run) => run.optimizer.config.type },
    tunable: ['optimizer'],
  },
  learningRate: {
    flag: '--lr',
    placeholder: 'rate',
    help: 'learning rate (on a resume, the new initial rate from there on)',
    default: 0.001,
    parse: positiveNumber('--lr'),
    valid: (v) => typeof v === 'number' && v > 0 && Number.isFinite(v),
    expected: 'a positive number',
    text: plain,
    resume: { kind: 'changes', saved: (run) => run.optimizer.config.learningRate },
    tunable: ['learningRate'],
  },
  lrDecay: {
    flag: '--lr-decay',
    placeholder: 'schedule',
    help: 'inverse:DECAY (or DECAY), exponential:RATE, step:EVERY:GAMMA',
    default: 0,
    parse: (text) => {
      try {
        return lrDecayOf(parseSchedule(text));
      } catch (error) {
        throw new UsageError(`--lr-decay: ${(error as Error).message}`);
      }
    },
    valid: (v) => scheduleSetting(v) !== undefined,
    expected: 'a number ≥ 0 (inverse-time decay), a schedule such as "step:10:0.5", or one as a run\'s history.json writes it',
    fromFile: (v) => lrDecayOf(scheduleSetting(v)),
    text: lrDecayText,
    resume: { kind: 'fixed', saved: (run) => lrDecayOf(run.progress.schedule) },
    tunable: ['lrDecay'],
  },
  momentum: {
    flag: '--momentum',
    placeholder: 'beta',
    help: "β of momentum, RMSprop's β, or Adam's β1, in [0, 1)",
    defaultText: '0.9',
    parse: numberIn('--momentum', 0, 1),
    valid: isNumberIn(0, 1),
    expected: 'a number in [0, 1)',
    text: plain,
    // Plain SGD has no β: any asked for is the same run.
    resume: {
      kind: 'fixed',
      saved: (run, asked) => (run.optimizer.config.type === 'sgd' ? asked.config.momentum : betaOf(run.optimizer.config)),
    },
    tunable: ['momentum'],
  },
  momentumConvention: {
    flag: '--momentum-convention',
    placeholder: 'form',
    help: "momentum's velocity: ewa v = βv + (1 − β)g, or pytorch v = βv + g",
    defaultText: 'ewa',
    choices: ['ewa', 'pytorch'],
    valid: (v) => v === 'ewa' || v === 'pytorch',
    expected: "'ewa' or 'pytorch'",
    text: (v) => v ?? 'ewa',
    resume: {
      kind: 'fixed',
      saved: (run, asked) =>
        run.optimizer.config.type === 'momentum' ? (run.optimizer.config.convention ?? 'ewa') : asked.config.momentumConvention,
    },
  },
  beta2: {
    help: "Adam's β2, in [0, 1)",
    defaultText: '0.999',
    valid: isNumberIn(0, 1),
    expected: 'a number in [0, 1)',
    text: plain,
    resume: {
      kind: 'fixed',
      saved: (run, asked) => (run.optimizer.config.type === 'adam' ? (run.optimizer.config.beta2 ?? 0.999) : asked.config.beta2),
    },
    tunable: ['beta2'],
  },
  epsilon: {
    help: "RMSprop's and Adam's ε, added to the root of the mean square",
    defaultText: '1e-8',
    valid: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
    expected: 'a positive number',
    text: plain,
    resume: {
      kind: 'fixed',
      saved: (run, asked) => {
        const optimizer = run.optimizer.config;
        return optimizer.type === 'adam' || optimizer.type === 'rmsprop' ? (optimizer.epsilon ?? 1e-8) : asked.config.epsilon;
      },
    },
    tunable: ['epsilon'],
  },
  weightDecay: {
    flag: '--weight-decay',
    placeholder: 'lambda',
    help: 'L2 weight decay on weight matrices',
    default: 0,
    parse: nonNegativeNumber('--weight-decay'),
    valid: isNumberIn(0, Infinity),
    expected: 'a number ≥ 0',
    text: plain,
    resume: { kind: 'fixed', saved: (run) => run.optimizer.config.weightDecay ?? 0 },
    tunable: ['weightDecay'],
  },
  classWeight: {
    flag: '--class-weight',
    placeholder: 'weights',
    help: 'weigh the classes in the training loss: balanced (n / (k · count), as scikit-learn and Keras), or JSON of class labels to weights, e.g. \'{"spam": 4}\' (others weigh 1); validation and test metrics stay unweighted',
    defaultText: 'none: every example weighs the same',
    parse: classWeightText('--class-weight'),
    valid: isClassWeightSetting,
    expected: '"balanced" or an object of class labels to weights ≥ 0',
    text: (v) => (v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v)),
    resume: { kind: 'fixed', saved: (run) => run.progress.classWeight },
  },
  batchSize: {
    flag: '--batch-size',
    placeholder: 'n',
    help: 'mini-batch size',
    default: 64,
    parse: positiveInteger('--batch-size'),
    valid: isPositiveInteger,
    expected: 'a positive integer',
    text: plain,
    resume: { kind: 'fixed', saved: (run) => run.progress.batchSize },
    tunable: ['batchSize'],
  },
  epochs: {
    flag: '--epochs',
    placeholder: 'n',
    help: 'epochs to train (in total, when resuming)',
    default: 20,
    parse: positiveInteger('--epochs'),
    valid: isPositiveInteger,
    expected: 'a positive integer',
    text: plain,
    resume: { kind: 'command' },
  },
  seed: {
    flag: '--seed',
    placeholder: 'n',
    help: 'seed for initial weights and shuffling',
    default: 0,
    parse: nonNegativeInteger('--seed'),
    valid: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0,
    expected: 'an integer ≥ 0',
    text: plain,
    resume: { kind: 'fixed', saved: (run) => run.progress.seed },
  },
};

/**
 * How a run reads its data, one row each, as `CONFIG_SETTINGS` declares the training settings.
 *
 * @example
 * DATA_SETTINGS.label.default // 'label'
 */
export const DATA_SETTINGS: { readonly [K in keyof DataSettings]-?: Setting<DataSettings[K]> } = {
  label: {
    flag: '--label',
    placeholder: 'column',
    help: 'label column',
    default: 'label',
    valid: (v) => typeof v === 'string' && v.length > 0,
    expected: 'a column name',
    text: plain,
    resume: { kind: 'fixed', saved: (run, asked) => run.columns?.label ?? asked.label },
  },
  features: {
    flag: '--features',
    placeholder: 'columns',
    help: 'comma-separated feature columns',
    defaultText: 'every other numeric column',
    parse: columnList('--features'),
    valid: (v) => Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string'),
    expected: 'a list of column names',
    text: (v) => (v ?? []).join(','),
    resume: { kind: 'fixed', saved: (run) => run.columns?.features ?? [] },
  },
  normalize: {
    flag: '--no-normalize',
    help: 'feed features as they are, without standardizing them',
    default: true,
    valid: (v) => typeof v === 'boolean',
    expected: 'true or false',
    text: plain,
    resume: { kind: 'fixed', saved: (run) => run.standardizer !== undefined },
  },
  fillMissing: {
    flag: '--fill-missing',
    placeholder: 'strategy',
    help: "fill missing feature values (nulls, empty CSV cells) with each feature's mean over the training rows, or with zero; the model keeps the values, and predict and evaluate fill the same way",
    defaultText: 'none: a missing value is an error',
    choices: ['mean', 'zero'],
    valid: (v) => v === 'mean' || v === 'zero',
    expected: "'mean' or 'zero'",
    text: plain,
    // The model keeps the values it filled with (not how they were found): any strategy asked for is
    // its own when it has them, none when it has not.
    resume: { kind: 'fixed', saved: (run, asked) => (run.columns?.fillMissing ? asked.fillMissing : undefined) },
  },
  categorical: {
    flag: '--categorical',
    placeholder: 'columns',
    help: 'comma-separated columns of integer codes to read as categories (one input per level), besides the text and True/False columns, which are by default',
    defaultText: 'text and True/False columns of at most --max-levels levels',
    parse: columnList('--categorical'),
    valid: (v) => Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string'),
    expected: 'a list of column names',
    text: (v) => [...(v ?? [])].sort().join(','),
    // Asking again for columns the model reads as categories asks for nothing new; another column is refused.
    resume: {
      kind: 'fixed',
      saved: (run, asked) => {
        const saved = run.columns?.categories?.map((c) => c.column) ?? [];
        return asked.categorical?.every((column) => saved.includes(column)) ? asked.categorical : saved;
      },
    },
  },
  maxLevels: {
    flag: '--max-levels',
    placeholder: 'n',
    help: 'a text column with more distinct values in the training rows than this is an id and stays out of the features',
    default: DEFAULT_MAX_LEVELS,
    parse: positiveInteger('--max-levels'),
    valid: isPositiveInteger,
    expected: 'a positive integer',
    text: plain,
    // The levels are found once, when a model is new, which keeps the limit it was found with.
    resume: { kind: 'fixed', saved: (run) => run.columns?.maxLevels ?? DEFAULT_MAX_LEVELS },
  },
};

/**
 * Every setting with its name, training settings first, in the order of `--help`.
 *
 * @example
 * for (const [key, setting] of settingEntries()) console.log(key, setting.flag);
 */
export function settingEntries(): [SettingKey, Setting<unknown>][] {
  const data = Object.entries(DATA_SETTINGS) as [SettingKey, Setting<unknown>][];
  const config = Object.entries(CONFIG_SETTINGS) as [SettingKey, Setting<unknown>][];
  return [...data.slice(0, 2), ...config, ...data.slice(2)];
}

/**
 * The setting a flag sets, by commander's name for it: `lr` (from `--lr`), `batchNorm` (from
 * `--no-batch-norm`).
 *
 * @example
 * optionName('--no-batch-norm') // 'batchNorm'
 */
export function optionName(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The defaults of `rxgrad train`, from the table.
 *
 * @example
 * const config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, learningRate: 3e-3, hidden: [128] };
 */
export const DEFAULT_TRAINING_CONFIG: TrainingConfig = Object.fromEntries(
  Object.entries(CONFIG_SETTINGS).flatMap(([key, setting]) => (setting.default === undefined ? [] : [[key, setting.default]])),
) as unknown as TrainingConfig;
