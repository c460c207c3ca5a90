import { existsSync, rmdirSync } from 'node:fs';
import type { ResourceLimits } from 'node:worker_threads';
import { catchError, concat, concatMap, defer, finalize, from, lastValueFrom, mergeMap, type Observable, of, switchMap } from 'rxjs';
import { SearchSpaceError, StudyError } from '../errors.js';
import { checkTrainable } from '../training/trainableData.js';

export { StudyError };

import { createRandom } from '../model/random.js';
import { unscaledFrom } from '../model/standardizer.js';
import { splitRows } from '../operators/splitRows.js';
import { type DatasetSummary, summarize } from '../operators/summarize.js';
import { chooseCategories } from '../streams/categoricalColumns.js';
import { type CategoricalColumn, oneHotWidth } from '../streams/categories.js';
import { type MissingValueStrategy, missingValueFill } from '../streams/missingValues.js';
import { csvDialectOf, inferClassNames, inspectData, readData } from '../streams/readData.js';
import type { ArrowLayout } from '../streams/records/columnLayout.js';
import { checkpointNotes, latestCheckpoint } from '../training/checkpoints.js';
import type { TrainingConfig } from '../training/trainingConfig.js';
import { type AshaOptions, AshaPruner, ashaRungs } from './asha.js';
import { objectiveOf, objectiveSetting, type ScoredObjective, type StudyObjective, scoreOf } from './objective.js';
import { fullBox, type SamplerName, type UnitBox, zoomBox } from './samplers.js';
import { checkSpace, configFromParams, type Params, type SearchSpace, spaceToJSON } from './space.js';
import { studySampler, trialId } from './studySampler.js';
import { newStudyId, type PlannedTrial, type RoundRecord, type StudyStore, studyId, studyStore } from './studyStore.js';
import { type StudySummary, summarizeStudy } from './studySummary.js';
import type { TpeSettings } from './tpe.js';
import { type CurvePoint, runTrial, type TrialEvent, type TrialRecord, type TrialSpec } from './trial.js';
import { TrialWorkerPool } from './trialWorkerPool.js';

/** What fixes a study: changing any of it makes a different study. */
export interface StudySettings {
  readonly data: {
    readonly file: string;
    readonly label: string;
    readonly features?: readonly string[] | undefined;
    readonly delimiter?: string | undefined;
    readonly decimal?: '.' | ',' | undefined;
    /** Fill missing feature values with each feature's mean over the training part, or with zero (default: a missing value fails the study). */
    readonly fillMissing?: MissingValueStrategy | undefined;
    /** Integer columns read as categories, besides the text and boolean ones (see `chooseCategories`). */
    readonly categorical?: readonly string[] | undefined;
    /** A text column with more levels than this in the training part stays out. Default 64. */
    readonly maxLevels?: number | undefined;
  };
  /** A sampler's name, or `tpe(options)`; `'tpe'` is TPE with Optuna's defaults. */
  readonly sampler: SamplerName | 'tpe' | TpeSettings;
  readonly seed: number;
  /**
   * What a trial is scored by, at each epoch (pruning) and at its last (the best trial): its name
   * and direction. Default validation accuracy, maximized. A study from before objectives were
   * recorded is read as that default.
   */
  readonly objective?: { readonly name: string; readonly direction: 'maximize' | 'minimize' };
  readonly prune: 'asha' | 'none';
  /** ASHA's η and first rung. */
  readonly eta: number;
  readonly minEpochs: number;
  /** Fraction of the training file held out (seeded) for validation. */
  readonly validationFraction: number;
  /** The configuration sampled parameters are applied to; its `epochs` is the most a trial trains. */
  readonly base: TrainingConfig;
}

/** ASHA as a study runs it: its options and the rungs they give. */
export interface StudyAsha extends AshaOptions {
  readonly eta: number;
  readonly rungs: readonly number[];
}

/**
 * ASHA's options and rungs for a study's settings, or undefined when it does not prune: the one
 * place a study's rungs are derived (the local pruner, the Redis pool and the report take them
 * from here).
 *
 * @example
 * studyAsha({ prune: 'asha', eta: 3, minEpochs: 1, base: { ...DEFAULT_TRAINING_CONFIG, epochs: 20 } })?.rungs // [1, 3, 9]
 */
export function studyAsha(settings: Pick<StudySettings, 'prune' | 'eta' | 'minEpochs' | 'base'>): StudyAsha | undefined {
  if (settings.prune !== 'asha') return undefined;
  const options = { maxEpochs: settings.base.epochs, eta: settings.eta, minEpochs: settings.minEpochs };
  return { ...options, rungs: ashaRungs(options) };
}

/** Options of `runStudy`. */
export interface StudyOptions {
  readonly dir: string;
  readonly space: SearchSpace;
  readonly settings: StudySettings;
  /** Trials in all, over all rounds (more than a finished study had extends it). */
  readonly trials: number;
  /** Coarse-to-fine rounds: round r + 1 samples inside the box around round ≤ r's best trials. Default 1. */
  readonly rounds?: number;
  /** Trials training at once. Default 1. */
  readonly parallel?: number;
  /** 'worker' threads (the default when parallel > 1) or 'inline' in this thread. */
  readonly isolation?: 'worker' | 'inline';
  /** Memory caps for each worker thread (Node's `ResourceLimits`); a trial over them fails alone. */
  readonly workerResourceLimits?: ResourceLimits;
  /** Continue (or extend) an existing study in `dir`. Without it an existing study is an error. */
  readonly resume?: boolean;
  /**
   * Where trials run instead of this process's own threads: a pool of workers elsewhere (a
   * `RedisTrialPool`: workers on other machines). Its owner opens and closes it. ASHA's
   * decisions are then the pool's (taken where the trials run), not this process's.
   */
  readonly pool?: TrialPool;
  /**
   * A metric of the user's choosing over each epoch's validation result, with its direction:
   * `{ name: 'val-f1', direction: 'maximize', value: (v) => … }`. Its name and direction must be
   * `settings.objective`'s. Default: `settings.objective`'s built-in metric (val-accuracy, val-loss).
   */
  readonly objective?: StudyObjective;
}

/** Runs trials somewhere: this process's worker threads, or workers elsewhere. */
export interface TrialPool {
  /** The objective the pool scores each epoch by, where it scores them itself (workers elsewhere: a built-in one). */
  readonly objective?: { readonly name: string; readonly direction: 'maximize' | 'minimize' };
  /** Called once the study is open, before its first trial: the study's id (`study.json`'s) and folder. */
  attach?(study: { readonly id: string; readonly dir: string }): Promise<void>;
  run(spec: TrialSpec, decide: (trial: string, point: CurvePoint) => boolean | Promise<boolean>): Observable<TrialEvent>;
  /** Called once a trial's record is written: what the pool kept for it can go. */
  forget?(trial: string): Promise<void>;
  /** Called once every planned trial has its record: what the pool kept for the study can go. */
  finished?(): Promise<void>;
}

/** What a study reports as it runs. */
export type StudyEvent =
  | { readonly type: 'round'; readonly round: number; readonly trials: number; readonly pending: number; readonly box: UnitBox }
  | { readonly type: 'trial-start'; readonly trial: string; readonly params: Params; readonly resumed: boolean }
  | ({ readonly type: 'epoch'; readonly trial: string } & CurvePoint)
  | { readonly type: 'trial-end'; readonly record: TrialRecord }
  | { readonly type: 'done'; readonly summary: StudySummary };

/**
 * Trials per round. Rounds already begun keep their size; the remaining trials are shared by the
 * rounds not begun yet, or, when every round has begun, added to the last one (extending a study).
 */
function trialCounts(trials: number, rounds: number, begun: ReadonlyMap<number, number>): number[] {
  const counts: number[] = [];
  const fresh = Array.from({ length: rounds }, (_, r) => r).filter((r) => !begun.has(r));
  const used = [...begun].filter(([r]) => r < rounds).reduce((n, [, c]) => n + c, 0);
  const remaining = Math.max(0, trials - used);
  for (let r = 0; r < rounds; r++) {
    const stored = begun.get(r);
    if (stored !== undefined) counts.push(stored + (fresh.length === 0 && r === rounds - 1 ? remaining : 0));
    else {
      const k = fresh.indexOf(r);
      counts.push(Math.floor(remaining / fresh.length) + (k < remaining % fresh.length ? 1 : 0));
    }
  }
  return counts;
}

/**
 * Runs (or continues) a hyperparameter study: rounds of trials sampled from `space`, each trained on
 * the training part of the file and scored on a seeded validation split, `parallel` at a time,
 * poor ones stopped early by ASHA, every finished trial written to `dir/trials/ID.json` and every
 * running one checkpointed after each epoch. Re-running with `resume` repeats no finished trial and
 * continues interrupted ones from their last checkpoint; a larger `trials` or `rounds` extends the
 * study. Every planned configuration is distinct. Writes the best configuration to `dir/best.json`.
 *
 * @example
 * runStudy({ dir: 'studies/digits', space: defaultSearchSpace(), settings, trials: 40, rounds: 2, parallel: 2 })
 *   .subscribe((e) => e.type === 'trial-end' && console.log(e.record.id, e.record.validationAccuracy));
 */
export function runStudy(options: StudyOptions): Observable<StudyEvent> {
  const objective = checkStudyOptions(options);
  // One process runs a study at a time: the lock is held from the first read to the end.
  const store = studyStore(options.dir);
  return defer(async () => {
    const folderExisted = existsSync(options.dir);
    const lock = await store.lock();
    return { lock, folderExisted, fresh: !store.exists() };
  }).pipe(
    switchMap(({ lock, folderExisted, fresh }) => {
      let discarded = false;
      return defer(() => openStudy(store, options, objective)).pipe(
        // A new study that fails before its first trial (its data refused, say) leaves nothing behind,
        // so that the retry is not refused as "a different study".
        catchError((error: unknown) =>
          defer(async () => {
            if (fresh) discarded = await store.discardUnstarted();
            throw error;
          }),
        ),
        concatMap((study) => studyRounds(study, options)),
        finalize(() => {
          lock.release();
          if (discarded && !folderExisted) {
            try {
              rmdirSync(options.dir);
            } catch {
              // Not empty (something else was put there meanwhile): it stays.
            }
          }
        }),
      );
    }),
  );
}

/**
 * The most trials a study may plan: each is a file in `trials/`, and a plan is made before the
 * first trial runs (a billion ran V8 out of memory before anything was said).
 */
export const MAX_TRIALS = 100_000;

/** Refuses options a study cannot run with; the objective the study is scored by. */
function checkStudyOptions(options: StudyOptions): ScoredObjective {
  const { trials, rounds = 1, parallel = 1 } = options;
  if (!Number.isInteger(trials) || trials < 1 || trials > MAX_TRIALS)
    throw new RangeError(`runStudy: trials must be an integer from 1 to ${MAX_TRIALS.toLocaleString('en')}, got ${trials}`);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > trials)
    throw new RangeError(`runStudy: rounds must be an integer in [1, trials], got ${rounds}`);
  if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`runStudy: parallel must be a positive integer, got ${parallel}`);
  checkSpace(options.space);
  const objective = objectiveOf(options.settings.objective, options.objective);
  // A pool elsewhere scores each epoch (for ASHA) where the trial runs: by a built-in objective only, and the study's.
  const scoredBy = options.pool?.objective;
  if (scoredBy && !objective.builtIn)
    throw new SearchSpaceError(
      `objective '${objective.name}': a function of this process cannot be scored by the pool's workers on other machines; use val-accuracy or val-loss, or run the study on this machine's threads`,
    );
  if (scoredBy && (scoredBy.name !== objective.name || scoredBy.direction !== objective.direction)) {
    throw new SearchSpaceError(
      `objective: the study is scored by ${objective.name} (${objective.direction}), its pool's workers by ${scoredBy.name} (${scoredBy.direction})`,
    );
  }
  return objective;
}

/** A study as it is opened: its store, data, finished trials, pruner (with every rung reported so far), rounds begun and suggestions. */
interface OpenStudy {
  readonly store: StudyStore;
  readonly objective: ScoredObjective;
  /** The numeric features' layout; the categorical columns' inputs follow them. */
  readonly layout: ArrowLayout;
  readonly categories: readonly CategoricalColumn[];
  readonly fillMissing: readonly number[] | undefined;
  readonly summary: DatasetSummary;
  /** The classes by name, when the labels are text or numbers that are not 0…K−1 (as train reads them). */
  readonly classNames: readonly string[] | undefined;
  readonly records: Map<string, TrialRecord>;
  readonly pruner: AshaPruner | undefined;
  readonly begun: ReadonlyMap<number, RoundRecord>;
  readonly suggested: Map<string, PlannedTrial>;
}

async function openStudy(store: StudyStore, options: StudyOptions, objective: ScoredObjective): Promise<OpenStudy> {
  const { settings } = options;
  const id = await openStudyDir(store, options.space, settings, options.resume ?? false);
  await options.pool?.attach?.({ id, dir: options.dir });
  const fileOptions = csvDialectOf(settings.data);
  // Class names as train decides them (text labels, or numbers that are not 0…K−1): one label policy for every command.
  const { names: classNames } = await inferClassNames(settings.data.file, {
    ...fileOptions,
    label: settings.data.label,
    features: settings.data.features,
  });
  const named = classNames ? { classNames } : {};
  const inspected = await inspectData(settings.data.file, {
    ...fileOptions,
    label: settings.data.label,
    features: settings.data.features,
    ...named,
  });
  const trainPart = () => splitRows({ fraction: settings.validationFraction, seed: settings.seed, part: 'train' });
  // Categorical columns as train chooses them, with the levels of the training part.
  const { layout, categories } = await chooseCategories(settings.data.file, inspected, {
    ...fileOptions,
    label: settings.data.label,
    ...named,
    categorical: settings.data.categorical,
    maxLevels: settings.data.maxLevels,
    part: trainPart(),
  });
  const columns = { ...fileOptions, label: settings.data.label, features: layout.features, ...named };
  // The fill is the training part's, as the standardizer is: the validation rows do not shape it.
  const fillMissing = settings.data.fillMissing
    ? await missingValueFill(settings.data.file, columns, settings.data.fillMissing, layout.cols, trainPart())
    : undefined;
  const oneHot = categories.length > 0 ? { categories } : {};
  const train$ = readData(settings.data.file, {
    ...columns,
    ...oneHot,
    ...(fillMissing ? { fillMissing } : {}),
    recycle: true,
    keepBytes: true,
  }).pipe(trainPart());
  const summary = await lastValueFrom(train$.pipe(summarize()));
  checkTrainable(
    summary,
    { file: settings.data.file, column: settings.data.label, what: 'the training rows (the file less its validation part)' },
    classNames,
  );
  const records = new Map((await store.readRecords()).map((r) => [r.id, r]));
  // A trial killed between writing its record and removing its checkpoint is finished: tidy up.
  for (const id of records.keys()) await store.removeCheckpoints(id);
  const asha = studyAsha(settings);
  const pruner = asha ? new AshaPruner(asha) : undefined;
  for (const record of records.values())
    for (const point of record.curve) pruner?.replay({ trial: record.id, epoch: point.epoch, score: objective.score(point) });
  // Interrupted trials reported their rungs too: their checkpoints hold those points.
  for (const id of await store.checkpointed()) {
    if (records.has(id)) continue;
    const latest = await latestCheckpoint(store.checkpointDir(id));
    const curve = latest ? ((await checkpointNotes(latest.path))?.curve as CurvePoint[] | undefined) : undefined;
    for (const point of curve ?? []) pruner?.replay({ trial: id, epoch: point.epoch, score: objective.score(point) });
  }
  const begun = new Map((await store.readRounds()).map((r) => [r.round, r]));
  return {
    store,
    objective,
    layout,
    categories,
    classNames,
    fillMissing,
    summary,
    records,
    pruner,
    begun,
    suggested: await store.readSuggestions(),
  };
}

/** What a trial of the study trains: its configuration (seeded by its id), the study's data and validation split. */
function trialSpec(t: PlannedTrial, study: OpenStudy, settings: StudySettings): TrialSpec {
  return {
    id: t.id,
    round: t.round,
    params: t.params,
    unit: t.unit,
    config: { ...configFromParams(t.params, settings.base), seed: createRandom(`${settings.seed}:${t.id}`).int(2 ** 31 - 1) },
    data: {
      file: settings.data.file,
      label: settings.data.label,
      features: study.layout.features,
      ...csvDialectOf(settings.data),
      ...(study.fillMissing ? { fillMissing: study.fillMissing } : {}),
      ...(study.classNames ? { classNames: study.classNames } : {}),
      ...(study.categories.length > 0 ? { categories: study.categories } : {}),
    },
    validation: { fraction: settings.validationFraction, seed: settings.seed },
    standardizer: unscaledFrom(study.summary.standardizer, study.layout.cols).toJSON(),
    inputSize: study.layout.cols + oneHotWidth(study.categories),
    classes: Math.max(2, study.classNames?.length ?? study.summary.classes),
    checkpointDir: study.store.checkpointDir(t.id),
  };
}

/** The rounds of an open study, then its summary (and best.json): the sampler, the runner and the store composed. */
function studyRounds(study: OpenStudy, options: StudyOptions): Observable<StudyEvent> {
  const { settings, trials, rounds = 1, parallel = 1 } = options;
  const { store, records, pruner, objective } = study;
  const isolation = options.isolation ?? (parallel > 1 ? 'worker' : 'inline');
  const counts = trialCounts(trials, rounds, new Map([...study.begun].map(([r, record]) => [r, record.count])));
  const sampler = studySampler(settings.sampler, {
    space: options.space,
    seed: settings.seed,
    records,
    suggested: study.suggested,
    store,
    trials,
  });
  const decide = (trial: string, point: CurvePoint) =>
    pruner ? pruner.report({ trial, epoch: point.epoch, score: objective.score(point) }).decision === 'continue' : true;
  const external = options.pool;
  const threads = external ? undefined : isolation === 'worker' ? new TrialWorkerPool(parallel, options.workerResourceLimits) : undefined;
  const run = (spec: TrialSpec): Observable<TrialEvent> =>
    external ? external.run(spec, decide) : threads ? threads.run(spec, decide) : runTrial(spec, decide);
  const finish = async (t: PlannedTrial, finished: TrialRecord): Promise<StudyEvent> => {
    // A record comes back from a thread or another machine: it is written only as the trial it ran.
    if (finished.id !== t.id)
      throw new StudyError(
        `trial ${t.id}: its runner returned the record of ${JSON.stringify(String(finished.id).slice(0, 80))}; refused, nothing was written`,
      );
    const record = objective.finish(finished);
    await store.writeRecord(record);
    records.set(t.id, record);
    study.suggested.delete(t.id);
    await external?.forget?.(t.id);
    return { type: 'trial-end', record };
  };
  const trial$ = (t: PlannedTrial): Observable<StudyEvent> =>
    defer(async () => (await latestCheckpoint(store.checkpointDir(t.id))) !== undefined).pipe(
      concatMap((resumed) =>
        concat(
          of<StudyEvent>({ type: 'trial-start', trial: t.id, params: t.params, resumed }),
          run(trialSpec(t, study, settings)).pipe(
            concatMap((event) => (event.type === 'epoch' ? of<StudyEvent>(event) : defer(() => finish(t, event.record)))),
          ),
        ),
      ),
    );
  const round$ = (round: number) =>
    defer(async () => {
      const box = await beginRound(
        store,
        { round, count: counts[round]!, begun: study.begun.get(round) },
        Object.keys(options.space).length,
        [...records.values()],
      );
      const size = sampler.beginRound(round, counts[round]!, box);
      const pending = Array.from({ length: size }, (_, index) => index).filter((index) => !records.has(trialId(round, index)));
      const trials$ = from(pending).pipe(mergeMap((index) => defer(() => sampler.trial(round, index)).pipe(concatMap(trial$)), parallel));
      return concat(of<StudyEvent>({ type: 'round', round, trials: size, pending: pending.length, box }), trials$);
    }).pipe(concatMap((events) => events));
  return concat(
    from(counts.map((_, r) => r)).pipe(
      concatMap(round$),
      finalize(() => void threads?.close()),
    ),
    defer(async (): Promise<StudyEvent> => {
      const result = summarizeStudy([...records.values()]);
      if (result.best) await store.writeBest(bestDocument(result.best));
      await external?.finished?.();
      return { type: 'done', summary: result };
    }),
  );
}

/** Creates the study's folder (with a new id), or checks that the one there is this study; resolves to its id. */
async function openStudyDir(store: StudyStore, space: SearchSpace, settings: StudySettings, resume: boolean): Promise<string> {
  const document = { space: spaceToJSON(space), settings: { ...settings, objective: objectiveSetting(settings) } };
  if (!store.exists()) {
    const id = newStudyId();
    await store.create({ id, ...document });
    return id;
  }
  const existing = await store.readStudy();
  const id = studyId(existing, store.dir);
  await store.removeTemporaries();
  const existingSettings = { ...existing.settings, objective: objectiveSetting(existing.settings) };
  if (JSON.stringify(existing.space) !== JSON.stringify(document.space)) {
    throw new StudyError(
      `${store.dir}: the study belongs to a different search space (${JSON.stringify(existing.space)}); nothing was changed`,
    );
  }
  for (const key of Object.keys(document.settings) as (keyof StudySettings)[]) {
    if (JSON.stringify(existingSettings[key]) !== JSON.stringify(document.settings[key])) {
      throw new StudyError(
        `${store.dir}: the study was run with a different ${key} (${JSON.stringify(existingSettings[key])}, now ${JSON.stringify(document.settings[key])}); nothing was changed`,
      );
    }
  }
  if (!resume) throw new StudyError(`${store.dir}: a study already exists there; pass --resume to continue or extend it`);
  return id;
}

/**
 * Begins (or re-enters) a round: its box is chosen once, from the trials of earlier rounds, and
 * stored with its size, so a resumed or extended study samples the same points.
 */
async function beginRound(
  store: StudyStore,
  round: { round: number; count: number; begun: RoundRecord | undefined },
  dims: number,
  records: readonly TrialRecord[],
): Promise<UnitBox> {
  let box = round.begun?.box;
  if (!box) {
    const earlier = records.filter((r) => r.round < round.round && r.status !== 'failed' && scoreOf(r) !== null);
    box = round.round === 0 || earlier.length === 0 ? fullBox(dims) : zoomBox(earlier.map((r) => ({ unit: r.unit, score: scoreOf(r)! })));
  }
  await store.writeRound({ round: round.round, count: round.count, box });
  return box;
}

/**
 * best.json: the best trial's configuration, to train with `rxgrad train --config`, for the
 * epochs it was measured at, and under `measured` what it scored and by which objective.
 */
function bestDocument(best: NonNullable<StudySummary['best']>) {
  return {
    ...best.config,
    epochs: best.epochs,
    measured: {
      trial: best.id,
      epochs: best.epochs,
      objective: best.objective.name,
      direction: best.objective.direction,
      value: best.objective.value,
      validationAccuracy: best.validationAccuracy,
    },
  };
}

/** Removes the temporaries of writes a kill interrupted (`*.tmp-*`) from a study's folders. */
