import { catchError, concatWith, defer, EMPTY, filter, from, map, type Observable, of, switchMap, throwError } from 'rxjs';
import { createBackend } from '../backends/createBackend.js';
import { ModelFormatError, systemErrorCause } from '../errors.js';
import { loadModel } from '../files/serialization.js';
import { createNetwork } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import { Standardizer } from '../model/standardizer.js';
import { splitRows } from '../operators/splitRows.js';
import type { CategoricalColumn } from '../streams/categories.js';
import { csvDialectOf, readData } from '../streams/readData.js';
import { listCheckpoints, saveCheckpoint } from '../training/checkpoints.js';
import { resumeConfig } from '../training/resumeConfig.js';
import { CONFIG_SETTINGS } from '../training/settings.js';
import { networkOptionsOf, optimizerConfigOf, scheduleOf, type TrainingConfig } from '../training/trainingConfig.js';
import { trainRun } from '../training/trainRun.js';
import type { ObjectiveRecord } from './objective.js';
import type { Params } from './space.js';

/** Everything a trial needs, as plain data (it crosses to a worker thread). */
export interface TrialSpec {
  readonly id: string;
  readonly round: number;
  readonly params: Params;
  readonly unit: readonly number[];
  /** The configuration to train; `epochs` is the most it may run. */
  readonly config: TrainingConfig;
  readonly data: {
    readonly file: string;
    readonly label: string;
    readonly features: readonly string[];
    readonly delimiter?: string | undefined;
    readonly decimal?: '.' | ',' | undefined;
    /** What fills a missing feature value, one number per feature (the study's means or zeros). */
    readonly fillMissing?: readonly number[] | undefined;
    /** The classes by name, when the labels are text (or numbers that are not 0…K−1). */
    readonly classNames?: readonly string[] | undefined;
    /** Columns read as categories, their one-hot inputs after the numeric features. */
    readonly categories?: readonly CategoricalColumn[] | undefined;
  };
  /** The validation split carved from the training file: tuning never sees the test set. */
  readonly validation: { readonly fraction: number; readonly seed: number };
  readonly standardizer: { readonly mean: number[]; readonly std: number[] } | undefined;
  readonly inputSize: number;
  readonly classes: number;
  /** Where the trial keeps its checkpoint, saved after every epoch. */
  readonly checkpointDir: string;
}

/** One point of a learning curve. */
export interface CurvePoint {
  /** Epochs completed. */
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  readonly validationAccuracy: number;
  readonly seconds: number;
  /** A custom objective's value at this epoch, as the study recorded it (built-in ones are the fields above). */
  readonly objective?: number;
}

/** The durable record of a finished trial. */
export interface TrialRecord {
  readonly id: string;
  readonly round: number;
  readonly params: Params;
  readonly unit: readonly number[];
  readonly config: TrainingConfig;
  readonly status: 'completed' | 'pruned' | 'failed';
  readonly curve: readonly CurvePoint[];
  readonly epochs: number;
  readonly validationAccuracy: number | null;
  readonly validationLoss: number | null;
  readonly error?: string;
  /** Epochs restored from a checkpoint after an interruption (0 when it ran in one go). */
  readonly resumedFromEpoch: number;
  /** Wall time of this run of the trial. */
  readonly seconds: number;
  /** The study's objective at the last epoch, and its name and direction (absent in older records). */
  readonly objective?: ObjectiveRecord;
  /** The worker that finished it, in a study on Redis. */
  readonly worker?: string;
}

/** What a running trial reports. */
export type TrialEvent =
  | ({ readonly type: 'epoch'; readonly trial: string } & CurvePoint)
  | { readonly type: 'end'; readonly record: TrialRecord };

/** Asked after every epoch whether the trial should go on (the pruner's say). */
export type ContinueDecider = (trial: string, point: CurvePoint) => boolean | Promise<boolean>;

/**
 * The record of a trial that failed: its curve so far and the reason.
 *
 * @example
 * failedRecord(spec, new Error('disk full'), [], 0, 12.5).status // 'failed'
 */
export function failedRecord(
  spec: TrialSpec,
  error: unknown,
  curve: readonly CurvePoint[],
  resumedFromEpoch: number,
  seconds: number,
): TrialRecord {
  return recordOf(
    spec,
    'failed',
    curve,
    resumedFromEpoch,
    seconds,
    error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  );
}

/** A trial's record from its curve: the last point's metrics, and the error of a failed one. */
function recordOf(
  spec: TrialSpec,
  status: TrialRecord['status'],
  curve: readonly CurvePoint[],
  resumedFromEpoch: number,
  seconds: number,
  error?: string,
): TrialRecord {
  const last = curve.at(-1);
  return {
    id: spec.id,
    round: spec.round,
    params: spec.params,
    unit: spec.unit,
    config: spec.config,
    status,
    curve,
    epochs: last?.epoch ?? 0,
    validationAccuracy: last?.validationAccuracy ?? null,
    validationLoss: last?.validationLoss ?? null,
    ...(error !== undefined ? { error } : {}),
    resumedFromEpoch,
    seconds,
  };
}

/**
 * Runs one trial in this thread: `fit` on the training part of the file, evaluated on the seeded
 * validation part after every epoch, with a checkpoint saved and `decide` asked whether to go on
 * at each epoch's end. An interrupted trial resumes from its checkpoint (weights, batch-norm
 * statistics, optimizer state and learning curve) instead of starting over. A failure (a NaN loss,
 * bad data) ends the trial with a `failed` record rather than an error, so a study goes on. Cold:
 * nothing starts until subscribed, and unsubscribing stops training and reading at once.
 *
 * @example
 * runTrial(spec, () => true).pipe(filter((e) => e.type === 'end')).subscribe((e) => console.log(e.record.status));
 */
export function runTrial(spec: TrialSpec, decide: ContinueDecider): Observable<TrialEvent> {
  return defer(() => {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const { config } = spec;
    const curve: CurvePoint[] = [];
    let resumedFromEpoch = 0;
    let goOn = true;
    const prepare = async () => {
      // The newest checkpoint that loads: a damaged one (a disk fault) falls back to the one
      // before it rather than failing the trial and losing its curve.
      for (const checkpoint of (await listCheckpoints(spec.checkpointDir)).reverse()) {
        const saved = await loadModel(checkpoint.path).catch((error: unknown) => {
          if (error instanceof ModelFormatError) return undefined;
          throw error;
        });
        if (!saved) continue;
        // A checkpoint of another configuration (not this trial's) is refused, naming what differs.
        if (saved.optimizer && saved.progress)
          resumeConfig(
            { config, normalize: spec.standardizer !== undefined, label: spec.data.label },
            { ...saved, optimizer: saved.optimizer, progress: saved.progress },
            {
              given: (key) => key in CONFIG_SETTINGS,
              where: `trial ${spec.id}'s checkpoint ${checkpoint.path}`,
            },
          );
        curve.push(...((saved.notes?.curve as CurvePoint[] | undefined) ?? []));
        resumedFromEpoch = saved.progress?.epochsCompleted ?? 0;
        // The pruner's decision is saved with the checkpoint it was taken at: a trial killed after
        // being pruned stays pruned.
        if (saved.notes?.decision === 'prune') goOn = false;
        return { network: saved.network, optimizer: saved.optimizer ?? createOptimizer(optimizerConfigOf(config), saved.network.backend) };
      }
      const network = createNetwork({
        inputSize: spec.inputSize,
        classes: spec.classes,
        ...networkOptionsOf(config),
        backend: createBackend(),
      });
      return { network, optimizer: createOptimizer(optimizerConfigOf(config), network.backend) };
    };
    const standardizer = spec.standardizer ? Standardizer.fromJSON(spec.standardizer) : undefined;
    const fileOptions = csvDialectOf(spec.data);
    const read = (part: 'train' | 'validation') =>
      readData(spec.data.file, {
        ...fileOptions,
        label: spec.data.label,
        features: spec.data.features,
        classes: spec.classes,
        ...(spec.data.fillMissing ? { fillMissing: spec.data.fillMissing } : {}),
        ...(spec.data.categories?.length ? { categories: spec.data.categories } : {}),
        ...(spec.data.classNames ? { classNames: spec.data.classNames } : {}),
        recycle: true,
        keepBytes: true,
      }).pipe(splitRows({ ...spec.validation, part }));
    const schedule = scheduleOf(config);
    const finished = (): TrialRecord => recordOf(spec, goOn ? 'completed' : 'pruned', curve, resumedFromEpoch, elapsed());
    return from(prepare()).pipe(
      switchMap(({ network, optimizer }) =>
        !goOn
          ? EMPTY
          : trainRun(read('train'), {
              network,
              optimizer,
              standardizer,
              schedule,
              epochs: config.epochs,
              initialEpoch: Math.min(resumedFromEpoch, config.epochs),
              batchSize: config.batchSize,
              seed: config.seed,
              validation: read('validation'),
              continueAfter: async (m) => {
                curve.push({
                  epoch: m.epoch,
                  trainLoss: m.trainLoss,
                  validationLoss: m.validation!.loss,
                  validationAccuracy: m.validation!.accuracy,
                  seconds: m.seconds,
                });
                goOn = await decide(spec.id, curve.at(-1)!);
                return goOn;
              },
              // The pruner's decision is kept with the checkpoint it was taken at.
              checkpoint: ({ progress, continues }) =>
                saveCheckpoint(
                  spec.checkpointDir,
                  progress.epochsCompleted,
                  {
                    network,
                    optimizer,
                    standardizer,
                    progress: { ...progress, schedule },
                    notes: { curve, decision: continues ? 'continue' : 'prune' },
                  },
                  { keep: 2 },
                ).then(() => undefined),
            }),
      ),
      // A pruned trial ends after its epoch: trainRun starts no further epoch and reads no more of the file.
      filter((e) => e.type === 'epoch'),
      map((): TrialEvent => ({ type: 'epoch', trial: spec.id, ...curve.at(-1)! })),
      concatWith(defer(() => of<TrialEvent>({ type: 'end', record: finished() }))),
      // A failure of the configuration (divergence, data it cannot train on) is final; a failure of
      // the environment (a full disk, an I/O error) is not the trial's: it stays pending and the
      // error goes on to the study.
      catchError((error: unknown) =>
        isEnvironmental(error)
          ? throwError(() => error)
          : of<TrialEvent>({ type: 'end', record: failedRecord(spec, error, curve, resumedFromEpoch, elapsed()) }),
      ),
    );
  });
}

/**
 * Whether a trial's failure comes from its environment (the disk, the file system, a lost
 * worker) rather than from its configuration: such a trial is not recorded as failed.
 *
 * @example
 * isEnvironmental(Object.assign(new Error('no space'), { code: 'ENOSPC' })); // true
 */
export function isEnvironmental(error: unknown): boolean {
  return systemErrorCause((error as { code?: unknown } | undefined)?.code) !== undefined;
}
