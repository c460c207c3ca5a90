import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { filter, lastValueFrom, tap } from 'rxjs';
import { DataError } from '../errors.js';
import { createNetwork, type Network } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { checked, parseSchedule, type Schedule } from '../model/schedule.js';
import { modelDirectoryProblem } from '../files/modelDirectory.js';
import { type DataColumns, loadModel } from '../files/serialization.js';
import { autoThreads } from '../backends/autoThreads.js';
import { createBackend } from '../backends/createBackend.js';
import type { Standardizer } from '../model/standardizer.js';
import type { Monitor } from '../operators/earlyStopping.js';
import { evaluate } from '../operators/evaluate.js';
import { splitRows } from '../operators/splitRows.js';
import { summarize } from '../operators/summarize.js';
import type { ArrowLayout } from '../streams/columnLayout.js';
import { csvDialectOf, inferClassNames, inspectData, readData } from '../streams/readData.js';
import { type CliIo, configFromFlags, formatNumber, hiddenSizes, type TrainingFlags, UsageError, writeLeftOutColumns, writeLine } from './io.js';
import { optimizerConfigOf } from '../training/trainingConfig.js';
import { trainingProgress } from './progress.js';
import { type TrainRunEnd, trainRun } from '../training/trainRun.js';
import { type MissingValueStrategy, missingValueFill } from '../streams/missingValues.js';
import { checkResumeFlags } from './resumeFlags.js';

/** Options of `rxgrad train`, as parsed from the command line. */
export interface TrainCommandOptions extends TrainingFlags {
  readonly data: string;
  readonly test?: string;
  readonly save?: string;
  readonly resume?: string;
  readonly config?: string;
  /** Kernel threads, or 'auto' (the default): every core when the network is large enough to gain (`autoThreads`). */
  readonly threads?: number | 'auto';
  /** Hold out this fraction of the training file (seeded) and evaluate on it after every epoch. */
  readonly validation?: number;
  /** Stop when the validation metric has not improved for this many epochs. */
  readonly earlyStopping?: number;
  readonly monitor?: Monitor;
  /** Save the best epoch's model (by the validation metric), not the last one's. */
  readonly keepBest?: boolean;
  /** A CSV file's field delimiter. */
  readonly delimiter?: string;
  /** Fill missing feature values (nulls, empty CSV cells) with each feature's mean or with zero, instead of refusing them. */
  readonly fillMissing?: MissingValueStrategy;
  readonly json: boolean;
}

const CONFIG_KEYS = ['hidden', 'hiddenUnits', 'layers', 'activation', 'batchNorm', 'optimizer', 'learningRate', 'momentum', 'momentumConvention', 'beta2', 'epsilon', 'weightDecay', 'lrDecay', 'batchSize', 'epochs', 'seed', 'measured'] as const;

const isPositiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isNumberIn = (low: number, high: number) => (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= low && v < high;
/** What each setting of a configuration file must be: a test, and the words for it. */
const CONFIG_TYPES: Record<(typeof CONFIG_KEYS)[number], [(v: unknown) => boolean, string]> = {
  hidden: [(v) => (Array.isArray(v) && v.every(isPositiveInteger)) || typeof v === 'string', 'a list of positive integers, e.g. [64, 32] (or "64,32")'],
  hiddenUnits: [isPositiveInteger, 'a positive integer'],
  layers: [(v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, 'an integer ≥ 0'],
  activation: [(v) => ['relu', 'tanh', 'sigmoid', 'linear'].includes(v as string), 'one of relu, tanh, sigmoid, linear'],
  batchNorm: [(v) => typeof v === 'boolean', 'true or false'],
  optimizer: [(v) => ['sgd', 'momentum', 'rmsprop', 'adam'].includes(v as string), 'one of sgd, momentum, rmsprop, adam'],
  learningRate: [(v) => typeof v === 'number' && v > 0 && Number.isFinite(v), 'a positive number'],
  momentum: [isNumberIn(0, 1), 'a number in [0, 1)'],
  momentumConvention: [(v) => v === 'ewa' || v === 'pytorch', "'ewa' or 'pytorch'"],
  beta2: [isNumberIn(0, 1), 'a number in [0, 1)'],
  epsilon: [(v) => typeof v === 'number' && v > 0, 'a positive number'],
  weightDecay: [isNumberIn(0, Infinity), 'a number ≥ 0'],
  lrDecay: [(v) => scheduleSetting(v) !== undefined, "a number ≥ 0 (inverse-time decay), a schedule such as \"step:10:0.5\", or one as a run's history.json writes it"],
  batchSize: [isPositiveInteger, 'a positive integer'],
  epochs: [isPositiveInteger, 'a positive integer'],
  seed: [(v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, 'an integer ≥ 0'],
  // What a study measured for this configuration (best.json): kept for the reader, not a setting.
  measured: [(v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object (what a study measured)'],
};

/** A configuration file's lrDecay as a schedule: a number (inverse-time), the CLI's words, or a schedule object; undefined when it is none of these. */
function scheduleSetting(value: unknown): Schedule | undefined {
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

/**
 * Reads a `TrainingConfig` JSON file (what `rxgrad tune` writes as best.json) into train options;
 * an option given explicitly on the command line keeps its value.
 */
export async function applyConfigFile(options: TrainCommandOptions, file: string, given: (option: string) => boolean): Promise<TrainCommandOptions> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--config ${file}: cannot read it as JSON (${(error as Error).message})`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`--config ${file}: expected a JSON object`);
  const unknown = Object.keys(config).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new UsageError(`--config ${file}: unknown setting '${unknown[0]}'; expected ${CONFIG_KEYS.join(', ')}`);
  for (const key of CONFIG_KEYS) {
    const value = config[key];
    if (value === undefined || value === null) continue;
    const [valid, expected] = CONFIG_TYPES[key];
    if (!valid(value)) throw new UsageError(`--config ${file}: '${key}' must be ${expected}, got ${JSON.stringify(value)}`);
  }
  if (typeof config.hidden === 'string') config.hidden = hiddenSizes(config.hidden);
  // A search space's names (hiddenUnits, layers) set the hidden layers, as they do in a study.
  if (config.hiddenUnits !== undefined || config.layers !== undefined) {
    if (config.hidden !== undefined && config.hidden !== null) throw new UsageError(`--config ${file}: give either 'hidden' or 'hiddenUnits' and 'layers', not both`);
    const units = (config.hiddenUnits as number | undefined) ?? options.hidden[0] ?? 64;
    config.hidden = new Array<number>((config.layers as number | undefined) ?? options.hidden.length).fill(units);
  }
  const flag: Record<string, string> = { learningRate: 'lr', lrDecay: 'lrDecay' };
  const merged: Record<string, unknown> = { ...options };
  for (const key of CONFIG_KEYS) {
    if (key === 'hiddenUnits' || key === 'layers' || key === 'measured') continue;
    if (config[key] === undefined || config[key] === null) continue;
    const option = flag[key] ?? key;
    if (given(option)) continue;
    if (key === 'lrDecay') merged.lrDecay = scheduleSetting(config.lrDecay);
    else merged[option] = config[key];
  }
  return merged as unknown as TrainCommandOptions;
}

/** Checks that a test file has the training file's feature columns, in order and of the same types. */
export function checkSameColumns(train: ArrowLayout, test: ArrowLayout): void {
  // Types are compared within one format only: a CSV column is a number whatever Arrow type it was.
  const comparable = !train.types.includes('csv number') && !test.types.includes('csv number');
  const same = train.features.length === test.features.length && train.features.every((name, i) => name === test.features[i] && (!comparable || train.types[i] === test.types[i]));
  if (!same || train.cols !== test.cols) {
    throw new DataError("the test set's feature columns do not match the training set's", {
      file: test.file,
      expected: train.features.map((n, i) => `${n}: ${train.types[i]}`).join(', '),
      actual: test.features.map((n, i) => `${n}: ${test.types[i]}`).join(', '),
    });
  }
}

interface RunSetup {
  network: Network;
  optimizer: Optimizer;
  standardizer: Standardizer | undefined;
  schedule: Schedule;
  columns: DataColumns;
  initialEpoch: number;
  seed: number;
  batchSize: number;
}

/**
 * The class names of a run: those of the model being resumed, or, for a CSV file whose labels are
 * text or numbers other than 0…K−1, its distinct labels (then kept in the model). Undefined when
 * the labels are the class indices themselves.
 */
async function classNamesFor(options: TrainCommandOptions, io: CliIo): Promise<readonly string[] | undefined> {
  const fileOptions = csvDialectOf(options);
  if (options.resume) {
    const saved = JSON.parse(await readFile(path.join(options.resume, 'model.json'), 'utf8').catch(() => '{}')) as { columns?: DataColumns };
    return saved.columns?.classNames;
  }
  const { names, renumbered } = await inferClassNames(options.data, { ...fileOptions, label: options.label, features: options.features });
  if (names && renumbered) writeLine(io.stderr, `rxgrad: the labels ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''} are not 0 to ${names.length - 1}: they are kept as class names, classes 0 to ${names.length - 1} in that order`);
  return names;
}

/** The thread count of a run: --threads N, or by the network's size with 'auto' (on a resume, the flags' sizes, which the resume keeps or refuses). */
function threadsFor(options: TrainCommandOptions, inputSize: number, classes: number): number {
  const threads = options.threads ?? 'auto';
  return threads === 'auto' ? autoThreads({ inputSize, hidden: options.hidden, classes: Math.max(2, classes), batchSize: options.batchSize }) : threads;
}

async function setUp(options: TrainCommandOptions, layout: ArrowLayout, classes: number, fitted: Standardizer, given: (option: string) => boolean, classNames: readonly string[] | undefined): Promise<RunSetup> {
  const columns: DataColumns = { label: options.label, features: layout.features, ...(classNames ? { classNames } : {}) };
  const backend = createBackend({ threads: threadsFor(options, layout.cols, classes) });
  if (options.resume) {
    const saved = await loadModel(options.resume, backend);
    if (!saved.optimizer || !saved.progress) throw new UsageError(`--resume ${options.resume}: the model was saved without optimizer state or progress`);
    const progress = saved.progress;
    if (options.config) throw new UsageError(`--config cannot be given with --resume: the run in ${options.resume} keeps its settings (give --lr to change the learning rate)`);
    checkResumeFlags(options, { ...saved, optimizer: saved.optimizer, progress }, given, `the model in ${options.resume}`);
    const done = progress.epochsCompleted;
    if (done >= options.epochs) {
      throw new UsageError(`--resume ${options.resume}: the model has already trained ${done} epochs and --epochs asks for ${options.epochs} in all; give --epochs above ${done} to train more`);
    }
    if (saved.network.inputSize !== layout.cols) {
      throw new DataError('the data does not fit the model being resumed', { file: options.data, expected: `${saved.network.inputSize} features`, actual: `${layout.cols}` });
    }
    // A new --lr is the run's initial rate from here on (the schedule scales it as before); the moments carry over.
    let optimizer = saved.optimizer;
    if (given('lr') && options.lr !== optimizer.config.learningRate) {
      optimizer = createOptimizer({ ...optimizer.config, learningRate: options.lr }, backend);
      optimizer.restore(saved.optimizer.state());
    }
    return {
      network: saved.network,
      optimizer,
      standardizer: saved.standardizer,
      schedule: saved.progress.schedule,
      columns: saved.columns ?? columns,
      initialEpoch: saved.progress.epochsCompleted,
      // The shuffle order and batch size continue as they were, so a resumed run matches an uninterrupted one.
      seed: saved.progress.seed,
      batchSize: saved.progress.batchSize,
    };
  }
  const network = createNetwork({
    inputSize: layout.cols,
    classes: Math.max(2, classes),
    hidden: options.hidden,
    activation: options.activation,
    batchNorm: options.batchNorm,
    seed: options.seed,
    backend,
  });
  return {
    network,
    optimizer: createOptimizer(optimizerConfigOf(configFromFlags(options)), network.backend),
    standardizer: options.normalize ? fitted : undefined,
    schedule: options.lrDecay ?? { type: 'constant' },
    columns,
    initialEpoch: 0,
    seed: options.seed,
    batchSize: options.batchSize,
  };
}

/**
 * `rxgrad train`: reads and checks the training (and test) data, trains, checkpoints after each
 * epoch when saving, and reports the final metrics.
 */
export async function trainCommand(given: TrainCommandOptions, io: CliIo, fromCommandLine: (option: string) => boolean = () => false): Promise<void> {
  // A resumed run goes on saving where it was saved, unless --save says otherwise.
  const options: TrainCommandOptions = given.resume && !given.save ? { ...given, save: given.resume } : given;
  const started = performance.now();
  const cores = availableParallelism();
  if (typeof options.threads === 'number' && options.threads > cores) writeLine(io.stderr, `rxgrad: warning: --threads ${options.threads} is more than this machine's ${cores} cores; the extra threads only wait their turn`);
  // Refused before any training: a model directory replaces only a model directory.
  const problem = options.save ? await modelDirectoryProblem(options.save) : undefined;
  if (problem) throw new UsageError(`--save ${options.save}: ${problem}`);
  if ((options.earlyStopping !== undefined || options.keepBest) && options.validation === undefined && !options.test) {
    throw new UsageError(`${options.earlyStopping !== undefined ? '--early-stopping' : '--keep-best'} needs validation data: give --validation FRACTION (or --test FILE)`);
  }
  if (options.keepBest && !options.save) throw new UsageError('--keep-best keeps the best epoch in the model saved with --save: give --save DIR');
  const fileOptions = csvDialectOf(options);
  const classNames = await classNamesFor(options, io);
  const named = { ...fileOptions, label: options.label, features: options.features, ...(classNames ? { classNames } : {}) };
  const layout = await inspectData(options.data, named);
  // Missing values are filled as the model being resumed fills them, or by --fill-missing (its values kept in the model).
  const saved = options.resume ? (JSON.parse(await readFile(path.join(options.resume, 'model.json'), 'utf8').catch(() => '{}')) as { columns?: DataColumns }).columns : undefined;
  if (options.resume && options.fillMissing && !saved?.fillMissing) throw new UsageError(`--fill-missing cannot change when resuming: the model in ${options.resume} was trained without it`);
  const fillMissing = saved?.fillMissing ?? (options.fillMissing ? await missingValueFill(options.data, { ...named, features: layout.features }, options.fillMissing, layout.cols) : undefined);
  const columnOptions = { ...named, ...(fillMissing ? { fillMissing } : {}) };
  writeLeftOutColumns(io.stderr, layout);
  const summary = await lastValueFrom(readData(options.data, { ...fileOptions, ...columnOptions, recycle: true, keepBytes: true }).pipe(summarize()));
  const missing = summary.classCounts.findIndex((count) => count === 0);
  if (!options.resume && !classNames && missing >= 0) {
    throw new DataError(`no row has label ${missing}, though labels go up to ${summary.classes - 1}: labels must be class indices 0 to K−1`, {
      file: options.data,
      column: options.label,
      expected: 'every class from 0 up to the largest label (renumber them, or use a CSV file, whose labels may be any names)',
    });
  }
  const testLayout = options.test ? await inspectData(options.test, { ...fileOptions, label: options.label, features: layout.features }) : undefined;
  if (testLayout) checkSameColumns(layout, testLayout);

  const run = await setUp(options, layout, classNames?.length ?? summary.classes, summary.standardizer, fromCommandLine, classNames);
  const { network, optimizer, standardizer, schedule, initialEpoch, seed, batchSize } = run;
  const columns: DataColumns = { ...run.columns, ...(fillMissing ? { fillMissing } : {}) };
  const classes = network.classes;
  if (summary.classes > classes) {
    throw new DataError('label is out of range for the model being resumed', { file: options.data, column: options.label, expected: `labels below ${classes}` });
  }
  const readOptions = { label: columns.label, features: columns.features, classes, ...(columns.classNames ? { classNames: columns.classNames } : {}), ...(fillMissing ? { fillMissing } : {}) };
  if (options.test) await lastValueFrom(readData(options.test, { ...fileOptions, ...readOptions, recycle: true }).pipe(summarize()));
  const test = options.test ? readData(options.test, { ...fileOptions, ...readOptions, recycle: true, keepBytes: true }) : undefined;
  // A seeded split of the training file, as tune makes: the epochs are judged on it, not on the test set.
  const split = (part: 'train' | 'validation') => readData(options.data, { ...fileOptions, ...readOptions, recycle: true, keepBytes: true }).pipe(splitRows({ fraction: options.validation!, seed, part }));
  const train$ = options.validation !== undefined ? split('train') : readData(options.data, { ...fileOptions, ...readOptions, recycle: true, keepBytes: true });
  const validation = options.validation !== undefined ? split('validation') : test;
  const judged = options.validation !== undefined ? 'val' : 'test';
  const stepsPerEpoch = Math.ceil(summary.rows / batchSize);
  const progress = trainingProgress(io.stderr, options.epochs, stepsPerEpoch);
  let end: TrainRunEnd | undefined;
  try {
    end = await lastValueFrom(
      trainRun(train$, {
        network,
        optimizer,
        standardizer,
        schedule,
        epochs: options.epochs,
        initialEpoch,
        batchSize,
        seed,
        validation,
        save: options.save,
        columns,
        keepBest: options.keepBest,
        monitor: options.monitor,
        earlyStopping: options.earlyStopping,
        history: { kind: 'train', config: { ...configFromFlags(options), learningRate: optimizer.config.learningRate, batchSize, seed }, network: network.spec, data: { train: options.data, ...(options.validation !== undefined ? { validation: `a seeded ${options.validation} of the training file` } : {}), ...(options.test ? { test: options.test } : {}) }, ...(columns.classNames ? { classNames: columns.classNames } : {}) },
        judged: options.validation !== undefined ? 'validation' : 'test',
      }).pipe(
        tap((event) => {
          if (event.type === 'batch') progress.step(event.epoch, event.loss);
          else if (event.type === 'epoch') {
            progress.epoch(
              `epoch ${event.epoch}/${options.epochs}  loss ${formatNumber(event.trainLoss)}  accuracy ${formatNumber(event.trainAccuracy)}` +
                (event.validation ? `  ${judged} loss ${formatNumber(event.validation.loss)}  ${judged} accuracy ${formatNumber(event.validation.accuracy)}` : '') +
                `  ${event.seconds.toFixed(2)}s`,
            );
          }
        }),
        filter((event): event is TrainRunEnd => event.type === 'end'),
      ),
    );
  } finally {
    progress.stop();
  }
  const { last, best: bestMetrics, stoppedEarly, history } = end;
  const monitor = options.monitor ?? 'loss';
  // With a validation split the test set is evaluated once, at the end, on the model that is kept.
  let testEvaluation = options.validation === undefined ? last?.validation : undefined;
  if (test && options.validation !== undefined) {
    const kept = options.keepBest && options.save ? await loadModel(options.save, network.backend) : { network, standardizer };
    testEvaluation = await lastValueFrom(test.pipe(evaluate(kept.network, { standardizer: kept.standardizer })));
    if (history && testEvaluation) {
      history.confusion('test', bestMetrics && options.keepBest ? bestMetrics.epoch : (last?.epoch ?? initialEpoch), testEvaluation.confusion);
      await history.save();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const report = {
    epochs: last?.epoch ?? initialEpoch,
    examples: summary.rows,
    classes,
    trainLoss: last?.trainLoss ?? null,
    trainAccuracy: last?.trainAccuracy ?? null,
    ...(options.validation !== undefined ? { validationLoss: last?.validation?.loss ?? null, validationAccuracy: last?.validation?.accuracy ?? null } : {}),
    testLoss: testEvaluation?.loss ?? null,
    testAccuracy: testEvaluation?.accuracy ?? null,
    ...(stoppedEarly ? { stoppedEarly: true } : {}),
    ...(options.keepBest && bestMetrics ? { bestEpoch: bestMetrics.epoch } : {}),
    seconds,
    threads: network.backend.threads ?? 1,
    ...(options.save ? { model: options.save } : {}),
  };
  if (options.json) {
    writeLine(io.stdout, JSON.stringify(report));
    return;
  }
  writeLine(io.stdout, `trained ${network.layers.length} layers on ${summary.rows} examples for ${report.epochs} epochs in ${seconds.toFixed(1)}s${stoppedEarly ? ` (stopped early: no better validation ${monitor} for ${options.earlyStopping} epochs)` : ''}`);
  writeLine(io.stdout, `train loss ${formatNumber(report.trainLoss ?? undefined)}  train accuracy ${formatNumber(report.trainAccuracy ?? undefined)}`);
  if (options.validation !== undefined) writeLine(io.stdout, `validation loss ${formatNumber(report.validationLoss ?? undefined)}  validation accuracy ${formatNumber(report.validationAccuracy ?? undefined)}`);
  if (options.test) writeLine(io.stdout, `test loss ${formatNumber(report.testLoss ?? undefined)}  test accuracy ${formatNumber(report.testAccuracy ?? undefined)}${options.keepBest ? ' (of the kept model)' : ''}`);
  if (options.save) writeLine(io.stdout, `model saved to ${options.save}${options.keepBest && bestMetrics ? ` (epoch ${bestMetrics.epoch}, the best validation ${monitor})` : ''}`);
}
