import { concat, defer, ignoreElements, lastValueFrom, type Observable, tap } from 'rxjs';
import { autoThreads, threadsWithin } from '../backends/autoThreads.js';
import { createBackend } from '../backends/createBackend.js';
import { UsageError } from '../errors.js';
import { hasModel } from '../files/modelLayout.js';
import { type DataColumns, loadModel } from '../files/serialization.js';
import type { Backend } from '../model/backend.js';
import { createNetwork } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import { unscaledFrom } from '../model/standardizer.js';
import { typescriptBackend } from '../model/typescriptBackend.js';
import { summarize } from '../operators/summarize.js';
import { chooseCategories } from '../streams/categoricalColumns.js';
import { DEFAULT_MAX_LEVELS } from '../streams/categories.js';
import { type MissingValueStrategy, missingValueFill } from '../streams/missingValues.js';
import { csvDialectOf, inferClassNames, inspectData, readData } from '../streams/readData.js';
import { type BabysitControl, type BabysitEvent, type BabysitState, type BabysitStore, babysitLoop } from './babysitLoop.js';
import { checkpointPath, latestCheckpoint, listCheckpoints, pruneCheckpoints, saveCheckpoint, setAsideAfter } from './checkpoints.js';
import { resolveClassWeights } from './classWeights.js';
import { type RunSettings, resumeConfig } from './resumeConfig.js';
import { type RunHistory, RunHistoryWriter, readRunHistory } from './runHistory.js';
import type { SettingKey } from './settings.js';
import { checkTrainable } from './trainableData.js';
import { networkOptionsOf, optimizerConfigOf, scheduleOf, type TrainingConfig } from './trainingConfig.js';

export type { BabysitControl, BabysitEvent } from './babysitLoop.js';

/** Options of `babysit`. */
export interface BabysitOptions {
  readonly data: string;
  readonly columns?: Partial<DataColumns>;
  /** Evaluated after every epoch. */
  readonly validation?: string | undefined;
  readonly config: TrainingConfig;
  /** Checkpoints go to `dir/epoch-NNNN/`, one per epoch (see `keep`). */
  readonly dir: string;
  /**
   * How many of the newest checkpoints stay (default 20, or `'all'`); the best epoch's (lowest
   * validation loss) and those of epochs rolled back to stay as well, so a rollback can return.
   */
  readonly keep?: number | 'all';
  /** Continue from the newest checkpoint in `dir`. */
  readonly resume?: boolean;
  readonly normalize?: boolean;
  readonly controls?: Observable<BabysitControl>;
  /** A CSV file's field delimiter. */
  readonly delimiter?: string | undefined;
  /** A CSV file's decimal mark. */
  readonly decimal?: '.' | ',' | undefined;
  /**
   * Fill missing feature values (nulls, empty CSV cells) with each feature's mean over the
   * training file, or with zero; the checkpoints keep the values. A resumed run fills as its
   * checkpoint does. Default: a missing value is an error.
   */
  readonly fillMissing?: MissingValueStrategy | undefined;
  /** Integer columns to read as categories, besides the text and boolean ones (see `chooseCategories`). */
  readonly categorical?: readonly string[] | undefined;
  /** A text column with more levels than this stays out. Default 64. */
  readonly maxLevels?: number | undefined;
  /**
   * Kernel threads: a number (default 1), or 'auto', every core when the network is large enough
   * to gain (`autoThreads`). The results are the same for any count.
   */
  readonly threads?: number | 'auto' | undefined;
  /** Called each time the run's history (`DIR/history.json`) has been saved, with what it holds. */
  readonly onHistory?: ((history: RunHistory) => void) | undefined;
}

/**
 * "Babysit one model" on files: `babysitLoop` (a live learning curve, every step and every
 * epoch, and controls: learning rate, pause, resume, stop, rollback) reading `data` and keeping a
 * checkpoint after every epoch in `dir/epoch-NNNN/`, all kept, for rollback. A resumed or
 * rolled-back run restores weights, batch-norm statistics and optimizer state exactly. Saving a
 * checkpoint is real file I/O, awaited between epochs: to test controls in virtual time, run
 * `babysitLoop` on in-memory data with `memoryBabysitStore` from `rxgrad/testing`. Cold: nothing
 * starts until subscribed; unsubscribing stops training, reading and listening to the controls.
 *
 * @example
 * const controls = new Subject<BabysitControl>();
 * babysit({ data: 'train.arrow', config, dir: 'runs/a', controls }).subscribe(console.log);
 * controls.next({ type: 'learningRate', value: 1e-4 });
 */
export function babysit(options: BabysitOptions): Observable<BabysitEvent> {
  return defer(() => {
    const { config, dir } = options;
    const fileOptions = csvDialectOf(options);
    const label = options.columns?.label ?? 'label';
    const schedule = scheduleOf(config);
    const keep = options.keep ?? 20;
    if (keep !== 'all' && !(Number.isInteger(keep) && keep >= 1))
      throw new RangeError(`babysit: keep must be a whole number ≥ 1 or 'all', got ${keep}`);
    let best: { epoch: number; loss: number } | undefined;
    const rolledBackTo = new Set<number>();
    // The kernels' backend, decided once the network's shape is known (see `threads`).
    let backend: Backend | undefined;
    const backendFor = (inputSize: number, classes: number): Backend => {
      const threads = options.threads ?? 1;
      backend ??= createBackend({
        threads:
          threads === 'auto'
            ? autoThreads({ inputSize, hidden: config.hidden, classes, batchSize: config.batchSize })
            : threadsWithin(threads),
      });
      return backend;
    };
    // The weight of each class in the training loss, from the training rows' counts: found once.
    let classWeights: Float64Array | undefined;
    const weighClasses = (counts: readonly number[], classes: number, classNames: readonly string[] | undefined) =>
      config.classWeight
        ? (classWeights ??= resolveClassWeights(config.classWeight, counts, classes, classNames, () => undefined))
        : undefined;
    const restore = async (epoch: number): Promise<BabysitState> => {
      if (!backend) {
        // Resuming: the checkpoint's own shape decides the threads, then it is loaded on them.
        const { network } = await loadModel(checkpointPath(dir, epoch), typescriptBackend);
        backendFor(network.inputSize, network.classes);
      }
      const saved = await loadModel(checkpointPath(dir, epoch), backend);
      const columns = saved.columns ?? { label, features: options.columns?.features ?? [] };
      if (config.classWeight && !classWeights) {
        const { classCounts } = await lastValueFrom(
          readData(options.data, {
            ...fileOptions,
            label: columns.label,
            features: columns.features,
            classes: saved.network.classes,
            ...(columns.classNames ? { classNames: columns.classNames } : {}),
            ...(columns.fillMissing ? { fillMissing: columns.fillMissing } : {}),
            recycle: true,
            keepBytes: true,
          }).pipe(summarize()),
        );
        weighClasses(classCounts, saved.network.classes, columns.classNames);
      }
      return {
        network: saved.network,
        optimizer: saved.optimizer!,
        standardizer: saved.standardizer,
        columns,
        epoch: saved.progress?.epochsCompleted ?? epoch,
        ...(classWeights ? { classWeights } : {}),
      };
    };
    const start = async (): Promise<BabysitState> => {
      const newest = options.resume ? await latestCheckpoint(dir) : undefined;
      if (newest) return restore(newest.epoch);
      const { names: classNames } = await inferClassNames(options.data, { ...fileOptions, label, features: options.columns?.features });
      const named = classNames ? { classNames } : {};
      const inspected = await inspectData(options.data, { ...fileOptions, label, features: options.columns?.features, ...named });
      const maxLevels = options.maxLevels ?? DEFAULT_MAX_LEVELS;
      // The caller may have chosen the categorical columns already (the CLI, to say which).
      const given = options.columns?.categories;
      const choice = given
        ? { layout: inspected, categories: given }
        : await chooseCategories(options.data, inspected, { ...fileOptions, label, ...named, categorical: options.categorical, maxLevels });
      const layout = choice.layout;
      const categories = choice.categories.length > 0 ? { categories: choice.categories } : {};
      const fillMissing = options.fillMissing
        ? await missingValueFill(
            options.data,
            { ...fileOptions, label, features: layout.features, ...named },
            options.fillMissing,
            layout.cols,
          )
        : undefined;
      const filled = fillMissing ? { fillMissing } : {};
      const summary = await lastValueFrom(
        readData(options.data, {
          ...fileOptions,
          label,
          features: layout.features,
          ...named,
          ...filled,
          ...categories,
          recycle: true,
          keepBytes: true,
        }).pipe(summarize()),
      );
      checkTrainable(summary, { file: options.data, column: label }, classNames);
      const weights = weighClasses(summary.classCounts, Math.max(2, classNames?.length ?? summary.classes), classNames);
      const network = createNetwork({
        inputSize: summary.cols,
        classes: Math.max(2, classNames?.length ?? summary.classes),
        ...networkOptionsOf(config),
        backend: backendFor(summary.cols, Math.max(2, classNames?.length ?? summary.classes)),
      });
      return {
        network,
        optimizer: createOptimizer(optimizerConfigOf(config), network.backend),
        standardizer: options.normalize === false ? undefined : unscaledFrom(summary.standardizer, layout.cols),
        columns: { label, features: layout.features, ...named, ...filled, ...categories, maxLevels },
        epoch: 0,
        ...(weights ? { classWeights: weights } : {}),
      };
    };
    const store: BabysitStore = {
      save: async ({ network, optimizer, standardizer, columns }, epoch) => {
        const saved = await saveCheckpoint(
          dir,
          epoch,
          {
            network,
            optimizer,
            standardizer,
            columns,
            progress: {
              epochsCompleted: epoch,
              seed: config.seed,
              batchSize: config.batchSize,
              schedule,
              ...(config.classWeight ? { classWeight: config.classWeight } : {}),
            },
          },
          { keep: 'all' },
        );
        if (keep !== 'all') await pruneCheckpoints(dir, keep, [...(best ? [best.epoch] : []), ...rolledBackTo]);
        return saved;
      },
      has: (epoch) => hasModel(checkpointPath(dir, epoch)),
      restore,
      name: dir,
      setAsideAfter: (epoch) => setAsideAfter(dir, epoch),
    };
    const read =
      (file: string) =>
      ({ columns, network }: BabysitState) =>
        readData(file, {
          ...fileOptions,
          label: columns!.label,
          features: columns!.features,
          classes: network.classes,
          ...(columns!.classNames ? { classNames: columns!.classNames } : {}),
          ...(columns!.fillMissing ? { fillMissing: columns!.fillMissing } : {}),
          ...(columns!.categories?.length ? { categories: columns!.categories } : {}),
          recycle: true,
          keepBytes: true,
        });
    // The run's history (for `rxgrad report`) sits beside the checkpoints. It is written in the
    // background, in order, so that no event waits for it; the run ends once it is on disk.
    let writer: RunHistoryWriter | undefined;
    let training = 0;
    let saving: Promise<void> = Promise.resolve();
    const begin = start().then(async (state) => {
      writer = await RunHistoryWriter.open(
        dir,
        {
          kind: 'babysit',
          config,
          network: state.network.spec,
          data: { train: options.data, ...(options.validation ? { validation: options.validation } : {}) },
          ...(state.columns?.classNames ? { classNames: state.columns.classNames } : {}),
        },
        options.resume ? { resumeFrom: state.epoch } : {},
      );
      training = state.epoch;
      return state;
    });
    const note = (event: BabysitEvent): void => {
      const history = writer;
      if (!history) return;
      if (event.type === 'epoch') {
        training = event.epoch;
        if (event.validation && Number.isFinite(event.validation.loss) && event.validation.loss < (best?.loss ?? Infinity))
          best = { epoch: event.epoch, loss: event.validation.loss };
        history.epoch(event);
      } else if (event.type === 'rolled-back') {
        training = event.epoch;
        rolledBackTo.add(event.epoch);
        if (best && best.epoch > event.epoch) best = undefined;
        history.rollback(event.epoch, event.setAside);
      } else if (event.type === 'control') {
        history.control(event.control, event.afterStep, training + 1);
      } else return;
      saving = saving.then(async () => {
        await history.save();
        options.onHistory?.(history.history);
      });
    };
    return concat(
      babysitLoop({
        train: read(options.data),
        validation: options.validation ? read(options.validation) : undefined,
        start: begin,
        config,
        store,
        controls: options.controls,
      }).pipe(tap(note)),
      defer(() => saving).pipe(ignoreElements()),
    );
  });
}

/**
 * The configuration a babysat run in `dir` goes on with. A new run (no `resume`) is `asked` as it
 * is, and refused when `dir` already holds checkpoints. A resumed run keeps the settings of its
 * newest checkpoint (`resumeConfig` refuses any setting `given` differently), the learning rate
 * it was last set to unless one is given, and `asked.config.epochs`.
 *
 * @example
 * const resumed = await babysitConfig('runs/a', { config, normalize: true, label: 'label' }, { resume: true, given: (s) => s === 'learningRate' });
 */
export async function babysitConfig(
  dir: string,
  asked: RunSettings,
  { resume = false, given = () => false }: { resume?: boolean; given?: (setting: SettingKey) => boolean } = {},
): Promise<TrainingConfig> {
  const existing = await listCheckpoints(dir);
  if (!resume && existing.length > 0) {
    throw new UsageError(
      `--dir ${dir} already holds a run (checkpoints of epochs ${existing[0]!.epoch} to ${existing.at(-1)!.epoch}); pass --resume to continue it, or choose another directory`,
    );
  }
  const newest = existing.at(-1);
  if (!resume || !newest) return asked.config;
  const saved = await loadModel(newest.path);
  if (!saved.optimizer || !saved.progress)
    throw new UsageError(`--resume: the checkpoint ${newest.path} was saved without optimizer state or progress`);
  // The rate the run was last set to: its last `lr` control, else the one it started with.
  const history = await readRunHistory(dir).catch(() => undefined);
  const setByHand = history ? [...history.controls].reverse().find((c) => c.control.type === 'learningRate')?.control.value : undefined;
  return resumeConfig(
    asked,
    { ...saved, optimizer: saved.optimizer, progress: saved.progress },
    {
      given,
      where: `the run in ${dir} (epoch ${newest.epoch})`,
      current: {
        learningRate: typeof setByHand === 'number' ? setByHand : (history?.config.learningRate ?? saved.optimizer.config.learningRate),
      },
    },
  );
}
