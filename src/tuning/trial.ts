import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { filter, Observable, type Subscription, takeWhile } from 'rxjs';
import { createBackend } from '../backends/createBackend.js';
import { createNetwork, type Network } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { loadModel, type ModelBundle, saveModel } from '../files/serialization.js';
import { Standardizer } from '../model/standardizer.js';
import { fit } from '../operators/fit.js';
import { splitRows } from '../operators/splitRows.js';
import { readArrow } from '../streams/readArrow.js';
import type { Params } from './space.js';
import { optimizerConfigOf, scheduleOf, type TrainingConfig } from '../training/trainingConfig.js';

/** Everything a trial needs, as plain data (it crosses to a worker thread). */
export interface TrialSpec {
  readonly id: string;
  readonly round: number;
  readonly params: Params;
  readonly unit: readonly number[];
  /** The configuration to train; `epochs` is the most it may run. */
  readonly config: TrainingConfig;
  readonly data: { readonly file: string; readonly label: string; readonly features: readonly string[] };
  /** The validation split carved from the training file: tuning never sees the test set. */
  readonly validation: { readonly fraction: number; readonly seed: number };
  readonly standardizer: { readonly mean: number[]; readonly std: number[] } | undefined;
  readonly inputSize: number;
  readonly classes: number;
  /** Where the trial keeps its checkpoint, saved after every epoch. */
  readonly checkpointDir: string;
}

const EPOCH_DIR = /^\d{4}$/;

/**
 * The newest complete checkpoint of a trial, or undefined. Checkpoints live in one directory per
 * epoch (`0003/`), each written whole before the older ones are removed, so a kill at any moment
 * leaves at least one complete checkpoint behind it.
 *
 * @example
 * const dir = await latestCheckpoint('study/checkpoints/r0-004');
 */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  const epochs = (await fs.readdir(dir)).filter((name) => EPOCH_DIR.test(name) && existsSync(path.join(dir, name, 'model.json'))).sort();
  const latest = epochs.at(-1);
  return latest === undefined ? undefined : path.join(dir, latest);
}

/** Writes the checkpoint of `epoch`, then removes older ones and any half-written leftovers. */
async function saveCheckpoint(dir: string, epoch: number, bundle: ModelBundle): Promise<void> {
  const name = String(epoch).padStart(4, '0');
  await saveModel(path.join(dir, name), bundle);
  for (const entry of await fs.readdir(dir)) {
    if (entry !== name) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** One point of a learning curve. */
export interface CurvePoint {
  /** Epochs completed. */
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  readonly validationAccuracy: number;
  readonly seconds: number;
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
}

/** What a running trial reports. */
export type TrialEvent = ({ readonly type: 'epoch'; readonly trial: string } & CurvePoint) | { readonly type: 'end'; readonly record: TrialRecord };

/** Asked after every epoch whether the trial should go on (the pruner's say). */
export type ContinueDecider = (trial: string, point: CurvePoint) => boolean | Promise<boolean>;

/**
 * The record of a trial that failed: its curve so far and the reason.
 *
 * @example
 * failedRecord(spec, new Error('disk full'), curve, 0, 12.5).status // 'failed'
 */
export function failedRecord(spec: TrialSpec, error: unknown, curve: readonly CurvePoint[], resumedFromEpoch: number, seconds: number): TrialRecord {
  const last = curve.at(-1);
  return {
    id: spec.id,
    round: spec.round,
    params: spec.params,
    unit: spec.unit,
    config: spec.config,
    status: 'failed',
    curve,
    epochs: last?.epoch ?? 0,
    validationAccuracy: last?.validationAccuracy ?? null,
    validationLoss: last?.validationLoss ?? null,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    resumedFromEpoch,
    seconds,
  };
}

/**
 * Runs one trial in this thread: trains on the training part of the file, evaluates on the seeded
 * validation part after every epoch, saves a checkpoint, and asks `decide` whether to go on. An
 * interrupted trial resumes from its checkpoint (weights, batch-norm statistics, optimizer state and
 * learning curve) instead of starting over. A failure (a NaN loss, bad data) ends the trial with a
 * `failed` record rather than an error, so a study goes on.
 *
 * @example
 * runTrial(spec, () => true).pipe(filter((e) => e.type === 'end')).subscribe((e) => console.log(e.record.status));
 */
export function runTrial(spec: TrialSpec, decide: ContinueDecider): Observable<TrialEvent> {
  return new Observable<TrialEvent>((subscriber) => {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    let inner: Subscription | undefined;
    let closed = false;
    let curve: CurvePoint[] = [];
    let resumedFromEpoch = 0;
    const end = (record: TrialRecord) => {
      subscriber.next({ type: 'end', record });
      subscriber.complete();
    };
    (async () => {
      const { config } = spec;
      let network: Network;
      let optimizer: Optimizer;
      const checkpoint = await latestCheckpoint(spec.checkpointDir);
      if (checkpoint) {
        const saved = await loadModel(checkpoint);
        network = saved.network;
        optimizer = saved.optimizer ?? createOptimizer(optimizerConfigOf(config), network.backend);
        curve = [...((saved.notes?.curve as CurvePoint[] | undefined) ?? [])];
        resumedFromEpoch = saved.progress?.epochsCompleted ?? 0;
      } else {
        network = createNetwork({ inputSize: spec.inputSize, classes: spec.classes, hidden: config.hidden, activation: config.activation, batchNorm: config.batchNorm, seed: config.seed, backend: createBackend() });
        optimizer = createOptimizer(optimizerConfigOf(config), network.backend);
      }
      if (closed) return;
      const standardizer = spec.standardizer ? Standardizer.fromJSON(spec.standardizer) : undefined;
      const read = (part: 'train' | 'validation') =>
        readArrow(spec.data.file, { label: spec.data.label, features: spec.data.features, classes: spec.classes, recycle: true, keepBytes: true }).pipe(splitRows({ ...spec.validation, part }));
      const schedule = scheduleOf(config);
      let goOn = true;
      inner = fit(read('train'), {
        network,
        optimizer,
        standardizer,
        schedule,
        epochs: config.epochs,
        initialEpoch: Math.min(resumedFromEpoch, config.epochs),
        batchSize: config.batchSize,
        seed: config.seed,
        validation: read('validation'),
        onEpochEnd: async (m) => {
          const point: CurvePoint = {
            epoch: m.epoch + 1,
            trainLoss: m.trainLoss,
            validationLoss: m.validation!.loss,
            validationAccuracy: m.validation!.accuracy,
            seconds: m.seconds,
          };
          curve.push(point);
          await saveCheckpoint(spec.checkpointDir, point.epoch, {
            network,
            optimizer,
            standardizer,
            progress: { epochsCompleted: point.epoch, seed: config.seed, batchSize: config.batchSize, schedule },
            notes: { curve },
          });
          goOn = await decide(spec.id, point);
        },
      })
        .pipe(
          filter((e) => e.type === 'epoch'),
          takeWhile(() => goOn, true),
        )
        .subscribe({
          next: () => subscriber.next({ type: 'epoch', trial: spec.id, ...curve.at(-1)! }),
          error: (error: unknown) => end(failedRecord(spec, error, curve, resumedFromEpoch, elapsed())),
          complete: () => {
            const last = curve.at(-1);
            end({
              id: spec.id,
              round: spec.round,
              params: spec.params,
              unit: spec.unit,
              config,
              status: goOn ? 'completed' : 'pruned',
              curve,
              epochs: last?.epoch ?? 0,
              validationAccuracy: last?.validationAccuracy ?? null,
              validationLoss: last?.validationLoss ?? null,
              resumedFromEpoch,
              seconds: elapsed(),
            });
          },
        });
    })().catch((error: unknown) => {
      if (!closed) end(failedRecord(spec, error, curve, resumedFromEpoch, elapsed()));
    });
    return () => {
      closed = true;
      inner?.unsubscribe();
    };
  });
}
