import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelFormatError } from '../errors.js';
import { writeFileAtomic } from '../files/atomicFiles.js';
import { RUN_FILES } from '../files/runLayout.js';
import type { NetworkSpec } from '../model/network.js';
import type { Evaluation } from '../operators/evaluate.js';
import type { TrainingConfig } from './trainingConfig.js';

/** The file a run's history is kept in, next to its model (`train --save DIR`) or checkpoints (`babysit --dir DIR`). */
export const HISTORY_FILE = RUN_FILES.history;
export const HISTORY_FORMAT = 'rxgrad-run-history';
export const HISTORY_VERSION = 1;

/** One epoch of a run, as it was trained. */
export interface HistoryEpoch {
  /** Epochs completed. */
  readonly epoch: number;
  /** The branch it belongs to: 0, then one more after each rollback. */
  readonly branch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly validationLoss?: number;
  readonly validationAccuracy?: number;
  readonly learningRate: number;
  readonly seconds: number;
}

/** A line of training: branch 0 from the start, each later one from the epoch a rollback went back to. */
export interface HistoryBranch {
  readonly id: number;
  /** Epochs completed where it starts. */
  readonly from: number;
  /** Where the epochs it replaced were moved (babysit's `abandoned-N/`). */
  readonly setAside?: string;
}

/** A change made while training (babysit): what, after which step, during which epoch. */
export interface HistoryControl {
  readonly branch: number;
  /** The epoch being trained when it came (epochs completed + 1). */
  readonly epoch: number;
  readonly afterStep: number;
  readonly control: Readonly<Record<string, unknown>>;
}

/** A run's history: what `rxgrad report DIR` draws. */
export interface RunHistory {
  readonly format: typeof HISTORY_FORMAT;
  readonly version: number;
  readonly kind: 'train' | 'babysit';
  readonly config: TrainingConfig;
  readonly network: NetworkSpec;
  readonly data: { readonly train: string; readonly validation?: string; readonly test?: string };
  readonly classNames?: readonly string[];
  readonly epochs: readonly HistoryEpoch[];
  readonly branches: readonly HistoryBranch[];
  readonly controls: readonly HistoryControl[];
  /** The newest confusion matrix of the validation (or test) set, rows the actual class; with two classes, its ROC-AUC. */
  readonly confusion?: {
    readonly set: 'validation' | 'test';
    readonly epoch: number;
    readonly matrix: readonly (readonly number[])[];
    readonly rocAuc?: number;
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Keeps a run's history file up to date: an epoch, a rollback (a new branch, the old epochs kept),
 * a control, the newest confusion matrix; each `save` replaces the file whole (temporary + rename).
 * Opening an existing history continues it (a resumed run): epochs of the current branch after
 * `resumeFrom` are dropped, since training repeats them; the configuration stays the one the run
 * started with, and a resume at another learning rate is recorded as a control at that epoch.
 *
 * @example
 * const history = await RunHistoryWriter.open('runs/a', { kind: 'train', config, network: net.spec, data: { train: 'train.arrow' } });
 * history.epoch({ epoch: 1, trainLoss: 0.4, trainAccuracy: 0.9, learningRate: 1e-3, seconds: 0.2 });
 * await history.save();
 */
export class RunHistoryWriter {
  private constructor(
    private readonly file: string,
    private readonly document: Mutable<RunHistory> & { epochs: HistoryEpoch[]; branches: HistoryBranch[]; controls: HistoryControl[] },
  ) {}

  static async open(
    dir: string,
    base: Pick<RunHistory, 'kind' | 'config' | 'network' | 'data' | 'classNames'>,
    options: { readonly resumeFrom?: number } = {},
  ): Promise<RunHistoryWriter> {
    const file = path.join(dir, HISTORY_FILE);
    const existing = options.resumeFrom !== undefined ? await readRunHistory(dir).catch(() => undefined) : undefined;
    if (existing) {
      const branch = existing.branches.at(-1)?.id ?? 0;
      const epochs = existing.epochs.filter((e) => e.branch !== branch || e.epoch <= options.resumeFrom!);
      // The run keeps the settings it started with; a resume at another learning rate is a change at that epoch.
      const controls = [...existing.controls];
      const rate = [...controls].reverse().find((c) => c.control.type === 'learningRate')?.control.value ?? existing.config.learningRate;
      if (base.config.learningRate !== rate)
        controls.push({
          branch,
          epoch: options.resumeFrom! + 1,
          afterStep: 0,
          control: { type: 'learningRate', value: base.config.learningRate, resumed: true },
        });
      return new RunHistoryWriter(file, { ...existing, data: base.data, epochs, branches: [...existing.branches], controls });
    }
    return new RunHistoryWriter(file, {
      format: HISTORY_FORMAT,
      version: HISTORY_VERSION,
      ...base,
      epochs: [],
      branches: [{ id: 0, from: 0 }],
      controls: [],
    });
  }

  private get branch(): number {
    return this.document.branches.at(-1)!.id;
  }

  /** An epoch as `fit` reports it; its evaluation (on the `judged` set) gives the newest confusion matrix. */
  epoch(
    m: {
      readonly epoch: number;
      readonly trainLoss: number;
      readonly trainAccuracy: number;
      readonly validation?: Evaluation | undefined;
      readonly learningRate: number;
      readonly seconds: number;
    },
    judged: 'validation' | 'test' = 'validation',
  ): void {
    const { epoch, trainLoss, trainAccuracy, validation, learningRate, seconds } = m;
    this.document.epochs.push({
      epoch,
      branch: this.branch,
      trainLoss,
      trainAccuracy,
      ...(validation ? { validationLoss: validation.loss, validationAccuracy: validation.accuracy } : {}),
      learningRate,
      seconds,
    });
    if (validation) this.confusion(judged, epoch, validation.confusion, validation.rocAuc);
  }

  rollback(to: number, setAside?: string): void {
    this.document.branches.push({ id: this.branch + 1, from: to, ...(setAside ? { setAside } : {}) });
  }

  control(control: Readonly<Record<string, unknown>>, afterStep: number, epoch: number): void {
    this.document.controls.push({ branch: this.branch, epoch, afterStep, control });
  }

  confusion(set: 'validation' | 'test', epoch: number, matrix: readonly (readonly number[])[], rocAuc?: number): void {
    this.document.confusion = { set, epoch, matrix, ...(rocAuc !== undefined && Number.isFinite(rocAuc) ? { rocAuc } : {}) };
  }

  get history(): RunHistory {
    return this.document;
  }

  async save(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(this.document)}\n`);
  }
}

/**
 * Reads a run's history from its directory, checking what a report relies on.
 *
 * @example
 * const { epochs, branches } = await readRunHistory('runs/a');
 */
export async function readRunHistory(dir: string): Promise<RunHistory> {
  const file = path.join(dir, HISTORY_FILE);
  const text = await fs.readFile(file, 'utf8');
  let document: Partial<RunHistory>;
  try {
    document = JSON.parse(text) as Partial<RunHistory>;
  } catch (cause) {
    throw new ModelFormatError(file, `not valid JSON (${(cause as Error).message})`);
  }
  if (document?.format !== HISTORY_FORMAT)
    throw new ModelFormatError(file, `not an rxgrad run history (expected format "${HISTORY_FORMAT}")`);
  if (document.version !== HISTORY_VERSION)
    throw new ModelFormatError(file, `history format version ${String(document.version)}; this rxgrad reads version ${HISTORY_VERSION}`);
  if (
    !Array.isArray(document.epochs) ||
    !Array.isArray(document.branches) ||
    typeof document.config !== 'object' ||
    typeof document.network !== 'object'
  ) {
    throw new ModelFormatError(file, 'a run history needs its epochs, branches, configuration and network');
  }
  return document as RunHistory;
}
