import { availableParallelism } from 'node:os';
import { concat, defer, finalize, lastValueFrom, mergeMap, Observable, of, type Subscription } from 'rxjs';
import { autoThreads, threadsWithin } from '../backends/autoThreads.js';
import { createBackend } from '../backends/createBackend.js';
import { DataError, UsageError } from '../errors.js';
import { lockDirectory } from '../files/directoryLock.js';
import { modelDirectoryProblem } from '../files/modelDirectory.js';
import { MODEL_FILES } from '../files/modelLayout.js';
import { type DataColumns, loadModel, readSavedColumns } from '../files/serialization.js';
import { createNetwork } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import { unscaledFrom } from '../model/standardizer.js';
import type { Monitor } from '../operators/earlyStopping.js';
import { evaluate } from '../operators/evaluate.js';
import type { FitEvent } from '../operators/fit.js';
import { splitRows } from '../operators/splitRows.js';
import { summarize } from '../operators/summarize.js';
import { chooseCategories } from '../streams/categoricalColumns.js';
import { DEFAULT_MAX_LEVELS, oneHotWidth, UnseenLevels } from '../streams/categories.js';
import { type MissingValueStrategy, missingValueFill } from '../streams/missingValues.js';
import { type CsvDialect, csvDialectOf, inferClassNames, inspectData, readData } from '../streams/readData.js';
import type { ArrowLayout } from '../streams/records/columnLayout.js';
import { leftOutColumns } from '../streams/records/leftOutColumns.js';
import { resolveClassWeights } from './classWeights.js';
import { resumeConfig } from './resumeConfig.js';
import type { SettingKey } from './settings.js';
import { checkTrainable } from './trainableData.js';
import { networkOptionsOf, optimizerConfigOf, scheduleOf, type TrainingConfig } from './trainingConfig.js';
import { type TrainRunOptions, trainRun } from './trainRun.js';

/** Options of `trainFromFiles`: the files, the run's configuration, and what the run does about itself. */
export interface TrainFromFilesOptions extends CsvDialect {
  /** The training file: Arrow IPC (file or stream), CSV or Parquet. */
  readonly data: string;
  /** A test file, evaluated after every epoch (or once at the end, with `validation`). */
  readonly test?: string | undefined;
  readonly config: TrainingConfig;
  /** Default 'label'. */
  readonly label?: string | undefined;
  /** Default: every other numeric column. */
  readonly features?: readonly string[] | undefined;
  /** Standardize the features by the training file's statistics (default true). */
  readonly normalize?: boolean | undefined;
  /** A model directory replaced after every epoch; a resumed run saves where it was saved unless this says otherwise. */
  readonly save?: string | undefined;
  /** A model directory saved by a run, continued from its last epoch up to `config.epochs`. */
  readonly resume?: string | undefined;
  /**
   * The settings the caller chose rather than left to their defaults (keys of the settings table:
   * `TrainingConfig`'s, and normalize, label, features). A resume refuses any of them that differs
   * from the saved run; a chosen `learningRate` is the resumed run's new initial rate.
   */
  readonly given?: ((setting: SettingKey) => boolean) | undefined;
  /** Kernel threads, or 'auto' (default): every core when the network is large enough to gain. */
  readonly threads?: number | 'auto' | undefined;
  /** Hold out this fraction of the training file (seeded) and judge the epochs on it. */
  readonly validation?: number | undefined;
  readonly earlyStopping?: number | undefined;
  readonly monitor?: Monitor | undefined;
  readonly keepBest?: boolean | undefined;
  /** Fill missing feature values with each feature's mean over the training file, or with zero (kept in the model). */
  readonly fillMissing?: MissingValueStrategy | undefined;
  /** Integer columns to read as categories, besides the text and boolean ones (see `chooseCategories`). */
  readonly categorical?: readonly string[] | undefined;
  /** A text column with more levels than this in the training rows stays out. Default 64. */
  readonly maxLevels?: number | undefined;
}

/** What a finished `trainFromFiles` measured: what `rxgrad train --json` prints. */
export interface TrainReport {
  readonly epochs: number;
  /** Rows trained on: the file's, less its validation part with `validation`. */
  readonly examples: number;
  readonly classes: number;
  readonly trainLoss: number | null;
  readonly trainAccuracy: number | null;
  readonly validationLoss?: number | null;
  readonly validationAccuracy?: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** With two classes and a test file: the ROC-AUC of the second class's probability on it. */
  readonly testRocAuc?: number | null;
  /** The weight of each class in the training loss, when `classWeight` asked for some: `trainLoss` is then weighted. */
  readonly classWeights?: readonly number[];
  readonly stoppedEarly?: true;
  readonly bestEpoch?: number;
  readonly seconds: number;
  readonly threads: number;
  readonly model?: string;
}

/** What `trainFromFiles` emits: notices about the data, a start, `fit`'s events, and an end with the report. */
export type TrainFromFilesEvent =
  | { readonly type: 'notice'; readonly message: string }
  | {
      readonly type: 'start';
      readonly rows: number;
      readonly epochs: number;
      readonly stepsPerEpoch: number;
      readonly layers: number;
      readonly threads: number;
      /** Whether the training loss is weighted by class (`classWeight`). */
      readonly weighted: boolean;
    }
  | FitEvent
  | { readonly type: 'end'; readonly report: TrainReport; readonly layers: number };

const finiteOrNull = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : null);

/** Checks that a test file has the training file's feature columns, in order and of the same types. */
export function checkSameColumns(train: ArrowLayout, test: ArrowLayout): void {
  // Types are compared within one format only: a CSV column is a number whatever Arrow type it was.
  const comparable = !train.types.includes('csv number') && !test.types.includes('csv number');
  const same =
    train.features.length === test.features.length &&
    train.features.every((name, i) => name === test.features[i] && (!comparable || train.types[i] === test.types[i]));
  if (!same || train.cols !== test.cols) {
    throw new DataError("the test set's feature columns do not match the training set's", {
      file: test.file,
      expected: train.features.map((n, i) => `${n}: ${train.types[i]}`).join(', '),
      actual: test.features.map((n, i) => `${n}: ${test.types[i]}`).join(', '),
    });
  }
}

/** Refusals that need no data: each names the option to change. */
async function checkOptions(options: TrainFromFilesOptions, save: string | undefined): Promise<void> {
  const problem = save ? await modelDirectoryProblem(save) : undefined;
  if (problem) throw new UsageError(`--save ${save}: ${problem}`);
  if ((options.earlyStopping !== undefined || options.keepBest) && options.validation === undefined && !options.test) {
    throw new UsageError(
      `${options.earlyStopping !== undefined ? '--early-stopping' : '--keep-best'} needs validation data: give --validation FRACTION (or --test FILE)`,
    );
  }
  if (options.keepBest && !save) throw new UsageError('--keep-best keeps the best epoch in the model saved with --save: give --save DIR');
}

/**
 * A training run on files, start to end: reads and checks the training (and test) data, decides
 * the class names, fills missing values if asked, standardizes by the file's statistics, builds
 * the network (or resumes a saved run, refusing any setting that would change it), trains with
 * `trainRun`, and evaluates the test file on the model that is kept. `rxgrad train` is this and
 * its printing. Cold: each subscription is a run.
 *
 * @example
 * trainFromFiles({ data: 'train.arrow', test: 'test.arrow', config: { ...DEFAULT_TRAINING_CONFIG, epochs: 5 }, save: 'models/a' })
 *   .subscribe((e) => e.type === 'end' && console.log(e.report.testAccuracy));
 */
export function trainFromFiles(options: TrainFromFilesOptions): Observable<TrainFromFilesEvent> {
  return new Observable<TrainFromFilesEvent>((subscriber) => {
    let run: Subscription | undefined;
    let closed = false;
    prepare(options, (message) => subscriber.next({ type: 'notice', message })).then(
      (events) => {
        // Unsubscribed while preparing: subscribing and leaving at once releases what the run holds (its lock).
        if (closed) events.subscribe().unsubscribe();
        else run = events.subscribe(subscriber);
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      closed = true;
      run?.unsubscribe();
    };
  });
}

async function prepare(options: TrainFromFilesOptions, notice: (message: string) => void): Promise<Observable<TrainFromFilesEvent>> {
  const started = performance.now();
  const { resume } = options;
  const given = options.given ?? (() => false);
  const label = options.label ?? 'label';
  const normalize = options.normalize ?? true;
  const save = options.save ?? resume;
  await checkOptions(options, save);
  const events = await prepareRun(options, notice, { started, given, label, normalize, save });
  // One process saves to a directory at a time (two runs would delete each other's weights): the
  // lock is taken once the data has passed its checks, before anything is written.
  const lock = save
    ? await lockDirectory(save, {
        name: MODEL_FILES.lock,
        what: 'the model directory',
        rule: 'one process saves to a directory at a time',
        refuse: (message) => new UsageError(`--save ${message}`),
      })
    : undefined;
  return events.pipe(finalize(() => lock?.release()));
}

async function prepareRun(
  options: TrainFromFilesOptions,
  notice: (message: string) => void,
  settled: { started: number; given: (setting: SettingKey) => boolean; label: string; normalize: boolean; save: string | undefined },
): Promise<Observable<TrainFromFilesEvent>> {
  const { config, resume } = options;
  const { started, given, label, normalize, save } = settled;
  const dialect = csvDialectOf(options);
  const saved = resume ? await readSavedColumns(resume) : undefined;
  let classNames = saved?.classNames;
  if (!resume) {
    const inferred = await inferClassNames(options.data, { ...dialect, label, features: options.features });
    classNames = inferred.names;
    const names = inferred.names;
    if (names && inferred.renumbered)
      notice(
        `the labels ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''} are not 0 to ${names.length - 1}: they are kept as class names, classes 0 to ${names.length - 1} in that order`,
      );
  }
  // A resume reads the saved model's columns; a new model the ones asked for, or by default every numeric one.
  const named = { ...dialect, label, features: options.features ?? saved?.features, ...(classNames ? { classNames } : {}) };
  const inspected = await inspectData(options.data, named);
  // Missing values are filled as the model being resumed fills them (resumeConfig refuses to start
  // filling them on a resume), or by fillMissing (its values kept in the model).
  // The means are the training rows' only: a validation split's rows are left out, as they are when it is judged.
  const fitted =
    options.validation !== undefined ? splitRows({ fraction: options.validation, seed: config.seed, part: 'train' }) : undefined;
  // Categorical columns: the model's own on a resume; for a new model, the text and boolean columns
  // (and those named) with their levels over the training rows.
  const { layout, categories, notes } = saved
    ? { layout: inspected, categories: saved.categories ?? [], notes: [] }
    : await chooseCategories(options.data, inspected, {
        ...named,
        categorical: options.categorical,
        maxLevels: options.maxLevels,
        part: fitted,
      });
  const inputs = layout.cols + oneHotWidth(categories);
  const fillMissing =
    saved?.fillMissing ??
    (options.fillMissing
      ? await missingValueFill(options.data, { ...named, features: layout.features }, options.fillMissing, layout.cols, fitted)
      : undefined);
  leftOutColumns(layout).forEach(notice);
  notes.forEach(notice);
  const oneHot = categories.length > 0 ? { categories } : {};
  const rows = () =>
    readData(options.data, {
      ...named,
      features: layout.features,
      ...oneHot,
      ...(fillMissing ? { fillMissing } : {}),
      recycle: true,
      keepBytes: true,
    });
  const summary = await lastValueFrom(rows().pipe(summarize()));
  // With a validation split, the standardizer and the count of examples trained on are the training part's, as in a study.
  const trained =
    options.validation !== undefined
      ? await lastValueFrom(rows().pipe(splitRows({ fraction: options.validation, seed: config.seed, part: 'train' }), summarize()))
      : summary;
  if (!resume) checkTrainable(summary, { file: options.data, column: label }, classNames);
  const missing = summary.classCounts.indexOf(0);
  if (!resume && !classNames && missing >= 0) {
    throw new DataError(
      `no row has label ${missing}, though labels go up to ${summary.classes - 1}: labels must be class indices 0 to K−1`,
      {
        file: options.data,
        column: label,
        expected: 'every class from 0 up to the largest label (renumber them, or use a CSV file, whose labels may be any names)',
      },
    );
  }
  const testLayout = options.test ? await inspectData(options.test, { ...dialect, label, features: layout.features }) : undefined;
  if (testLayout) checkSameColumns(layout, testLayout);

  const classes = Math.max(2, classNames?.length ?? summary.classes);
  const threads = options.threads ?? 'auto';
  const backend = createBackend({
    threads:
      threads === 'auto'
        ? autoThreads({ inputSize: inputs, hidden: config.hidden, classes, batchSize: config.batchSize })
        : threadsWithin(threads, availableParallelism(), notice),
  });
  const columns: DataColumns = {
    label,
    features: layout.features,
    ...(classNames ? { classNames } : {}),
    ...oneHot,
    maxLevels: options.maxLevels ?? DEFAULT_MAX_LEVELS,
  };
  const standardizer = normalize ? unscaledFrom(trained.standardizer, layout.cols) : undefined;
  const run = resume
    ? await resumed(options, resume, backend, { ...layout, cols: inputs }, given, { label, normalize })
    : fresh(config, backend, inputs, classes, standardizer, columns);
  const runColumns: DataColumns = { ...run.columns, ...(fillMissing ? { fillMissing } : {}) };
  const network = run.network;
  const classWeight = run.config.classWeight;
  const classWeights = classWeight
    ? resolveClassWeights(classWeight, trained.classCounts, network.classes, runColumns.classNames, notice)
    : undefined;
  if (summary.classes > network.classes) {
    throw new DataError('label is out of range for the model being resumed', {
      file: options.data,
      column: label,
      expected: `labels below ${network.classes}`,
    });
  }
  // Levels of the validation or test rows that the training rows lack are read as zeros, and said at the end.
  const unseen = new UnseenLevels();
  const readOptions = {
    ...dialect,
    label: runColumns.label,
    features: runColumns.features,
    classes: network.classes,
    ...(runColumns.classNames ? { classNames: runColumns.classNames } : {}),
    ...(fillMissing ? { fillMissing } : {}),
    ...(runColumns.categories?.length ? { categories: runColumns.categories, onUnseenLevel: unseen.note } : {}),
    recycle: true,
  };
  // The test file is checked whole before any epoch, so a bad row fails the command before training.
  if (options.test) await lastValueFrom(readData(options.test, readOptions).pipe(summarize()));
  const test = options.test ? readData(options.test, { ...readOptions, keepBytes: true }) : undefined;
  // A seeded split of the training file, as tune makes: the epochs are judged on it, not on the test set.
  const whole = () => readData(options.data, { ...readOptions, keepBytes: true });
  const split = (part: 'train' | 'validation') => whole().pipe(splitRows({ fraction: options.validation!, seed: run.seed, part }));
  const validating = options.validation !== undefined;
  const runOptions: TrainRunOptions = {
    network,
    optimizer: run.optimizer,
    standardizer: run.standardizer,
    schedule: run.schedule,
    epochs: config.epochs,
    initialEpoch: run.initialEpoch,
    batchSize: run.batchSize,
    seed: run.seed,
    ...(classWeight ? { classWeight, classWeights } : {}),
    validation: validating ? split('validation') : test,
    save,
    columns: runColumns,
    keepBest: options.keepBest,
    monitor: options.monitor,
    earlyStopping: options.earlyStopping,
    history: {
      kind: 'train',
      config: run.config,
      network: network.spec,
      data: {
        train: options.data,
        ...(validating ? { validation: `a seeded ${options.validation} of the training file` } : {}),
        ...(options.test ? { test: options.test } : {}),
      },
      ...(runColumns.classNames ? { classNames: runColumns.classNames } : {}),
    },
    judged: validating ? 'validation' : 'test',
  };
  const layers = network.layers.length;
  const start: TrainFromFilesEvent = {
    type: 'start',
    rows: trained.rows,
    epochs: config.epochs,
    stepsPerEpoch: Math.ceil(trained.rows / run.batchSize),
    layers,
    threads: backend.threads ?? 1,
    weighted: classWeights !== undefined,
  };
  return concat(
    of(start),
    trainRun(validating ? split('train') : whole(), runOptions).pipe(
      mergeMap((event) => {
        if (event.type !== 'end') return of(event);
        return defer(async (): Promise<TrainFromFilesEvent> => {
          const { last, best, stoppedEarly, history } = event;
          // With a validation split the test set is evaluated once, at the end, on the model that is kept.
          let testEvaluation = validating ? undefined : last?.validation;
          if (test && validating) {
            const kept = options.keepBest && save ? await loadModel(save, network.backend) : { network, standardizer: run.standardizer };
            testEvaluation = await lastValueFrom(test.pipe(evaluate(kept.network, { standardizer: kept.standardizer })));
            if (history && testEvaluation) {
              history.confusion(
                'test',
                best && options.keepBest ? best.epoch : (last?.epoch ?? run.initialEpoch),
                testEvaluation.confusion,
                testEvaluation.rocAuc,
              );
              await history.save();
            }
          }
          const report: TrainReport = {
            epochs: last?.epoch ?? run.initialEpoch,
            examples: trained.rows,
            classes: network.classes,
            trainLoss: last?.trainLoss ?? null,
            trainAccuracy: last?.trainAccuracy ?? null,
            ...(validating
              ? { validationLoss: last?.validation?.loss ?? null, validationAccuracy: last?.validation?.accuracy ?? null }
              : {}),
            testLoss: testEvaluation?.loss ?? null,
            testAccuracy: testEvaluation?.accuracy ?? null,
            ...(network.classes === 2 && options.test ? { testRocAuc: finiteOrNull(testEvaluation?.rocAuc) } : {}),
            ...(classWeights ? { classWeights: Array.from(classWeights) } : {}),
            ...(stoppedEarly ? { stoppedEarly: true as const } : {}),
            ...(options.keepBest && best ? { bestEpoch: best.epoch } : {}),
            seconds: (performance.now() - started) / 1000,
            threads: backend.threads ?? 1,
            ...(save ? { model: save } : {}),
          };
          unseen.lines().forEach(notice);
          return { type: 'end', report, layers };
        });
      }),
    ),
  );
}

type Backend = ReturnType<typeof createBackend>;

/** A new run: a network of the configuration's shape, its optimizer and schedule. */
function fresh(
  config: TrainingConfig,
  backend: Backend,
  inputSize: number,
  classes: number,
  standardizer: TrainRunOptions['standardizer'],
  columns: DataColumns,
) {
  const network = createNetwork({
    inputSize,
    classes,
    ...networkOptionsOf(config),
    backend,
  });
  const optimizer = createOptimizer(optimizerConfigOf(config), network.backend);
  return {
    config,
    network,
    optimizer,
    standardizer,
    schedule: scheduleOf(config),
    columns,
    initialEpoch: 0,
    seed: config.seed,
    batchSize: config.batchSize,
  };
}

/** A saved run continued: its network, optimizer state, schedule, shuffle seed and batch size, so that it matches an uninterrupted run. */
async function resumed(
  options: TrainFromFilesOptions,
  dir: string,
  backend: Backend,
  layout: ArrowLayout,
  given: (setting: SettingKey) => boolean,
  data: { label: string; normalize: boolean },
) {
  const saved = await loadModel(dir, backend);
  if (!saved.optimizer || !saved.progress) throw new UsageError(`--resume ${dir}: the model was saved without optimizer state or progress`);
  const progress = saved.progress;
  const config = resumeConfig(
    {
      config: options.config,
      ...data,
      features: options.features,
      fillMissing: options.fillMissing,
      categorical: options.categorical,
      maxLevels: options.maxLevels,
    },
    { ...saved, optimizer: saved.optimizer, progress },
    { given: (setting) => (setting === 'fillMissing' ? options.fillMissing !== undefined : given(setting)), where: `the model in ${dir}` },
  );
  const done = progress.epochsCompleted;
  if (done >= config.epochs)
    throw new UsageError(
      `--resume ${dir}: the model has already trained ${done} epochs and --epochs asks for ${config.epochs} in all; give --epochs above ${done} to train more`,
    );
  if (saved.network.inputSize !== layout.cols) {
    throw new DataError('the data does not fit the model being resumed', {
      file: options.data,
      expected: `${saved.network.inputSize} features`,
      actual: `${layout.cols}`,
    });
  }
  // A new learning rate is the run's initial rate from here on (the schedule scales it as before); the moments carry over.
  let optimizer = saved.optimizer;
  if (config.learningRate !== optimizer.config.learningRate) {
    optimizer = createOptimizer({ ...optimizer.config, learningRate: config.learningRate }, backend);
    optimizer.restore(saved.optimizer.state());
  }
  const columns = saved.columns ?? { label: data.label, features: layout.features };
  return {
    config,
    network: saved.network,
    optimizer,
    standardizer: saved.standardizer,
    schedule: progress.schedule,
    columns,
    initialEpoch: done,
    seed: progress.seed,
    batchSize: progress.batchSize,
  };
}
