import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { lastValueFrom, tap } from 'rxjs';
import { type StudyDashboard, startStudyDashboard } from '../dashboard/studyDashboard.js';
import type { RedisTrialPool } from '../distributed/redisTrialPool.js';
import { studyPath } from '../files/studyLayout.js';
import { splitRows } from '../operators/splitRows.js';
import { chooseCategories } from '../streams/categoricalColumns.js';
import { DEFAULT_MAX_LEVELS } from '../streams/categories.js';
import type { MissingValueStrategy } from '../streams/missingValues.js';
import { csvDialectOf, inspectData } from '../streams/readData.js';
import { DEFAULT_TRAINING_CONFIG } from '../training/trainingConfig.js';
import { OBJECTIVES } from '../tuning/objective.js';
import type { SamplerName } from '../tuning/samplers.js';
import { readSearchSpaceFile } from '../tuning/space.js';
import { runStudy, type StudyEvent, type StudySettings } from '../tuning/study.js';
import { type StudySummary, summaryJson } from '../tuning/studySummary.js';
import { type CliIo, formatNumber, writeDashboardAddress, writeLeftOutColumns, writeLine } from './io.js';
import { withQueueLibraries } from './queueLibraries.js';

/** Options of `rxgrad tune`. */
export interface TuneCommandOptions {
  readonly data: string;
  readonly label: string;
  readonly features?: string[];
  readonly delimiter?: string;
  readonly decimal?: '.' | ',';
  readonly space?: string;
  readonly trials: number;
  readonly parallel?: number;
  readonly sampler: SamplerName | 'tpe';
  readonly objective: 'val-accuracy' | 'val-loss';
  readonly rounds: number;
  readonly prune: 'asha' | 'none';
  readonly eta: number;
  readonly epochs: number;
  readonly validation: number;
  readonly seed: number;
  readonly study: string;
  readonly resume: boolean;
  readonly json: boolean;
  /** Serve a live view on this port (true: a free one). */
  readonly dashboard?: number | true;
  /** The dashboard's address instead of 127.0.0.1. */
  readonly dashboardHost?: string;
  /** Fill missing feature values with each feature's mean over the training part, or with zero. */
  readonly fillMissing?: MissingValueStrategy;
  /** Integer columns read as categories, besides the text and boolean ones. */
  readonly categorical?: readonly string[];
  /** A text column with more levels than this in the training part stays out. */
  readonly maxLevels?: number;
  /** Run the trials on workers through this Redis server. */
  readonly redis?: string;
}

function describeParams(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : String(v)}`)
    .join(' ');
}

/** Prints the leaderboard: the best non-failed trials. */
export function writeLeaderboard(out: Writable, summary: StudySummary, rows = 10): void {
  writeLine(out, `${summary.finished} trials finished: ${summary.completed} completed, ${summary.pruned} pruned, ${summary.failed} failed`);
  if (summary.leaderboard.length === 0) return;
  writeLine(out, 'rank  trial     epochs  val acc  val loss  parameters');
  summary.leaderboard.slice(0, rows).forEach((r, i) => {
    writeLine(
      out,
      `${String(i + 1).padStart(4)}  ${r.id.padEnd(8)}  ${String(r.epochs).padStart(6)}  ${formatNumber(r.validationAccuracy ?? undefined)}  ${formatNumber(r.validationLoss ?? undefined).padStart(8)}  ${describeParams(r.params)}`,
    );
  });
}

/** The live view of running trials on stderr: redrawn in place on a terminal, a line per finished trial otherwise. */
function liveTable(stderr: Writable) {
  const tty = (stderr as Writable & { isTTY?: boolean }).isTTY === true;
  const running = new Map<string, string>();
  let drawn = 0;
  const redraw = () => {
    if (!tty) return;
    if (drawn > 0) stderr.write(`\x1b[${drawn}A\x1b[0J`);
    const lines = [...running.values()];
    for (const line of lines) stderr.write(`${line}\n`);
    drawn = lines.length;
  };
  const log = (line: string) => {
    if (tty && drawn > 0) {
      stderr.write(`\x1b[${drawn}A\x1b[0J`);
      drawn = 0;
    }
    stderr.write(`${line}\n`);
    redraw();
  };
  return (event: StudyEvent) => {
    switch (event.type) {
      case 'round':
        log(`round ${event.round + 1}: ${event.trials} trials, ${event.pending} to run`);
        break;
      case 'trial-start':
        running.set(event.trial, `  ${event.trial}  starting${event.resumed ? ' (resuming from its checkpoint)' : ''}`);
        redraw();
        break;
      case 'epoch':
        running.set(
          event.trial,
          `  ${event.trial}  epoch ${String(event.epoch).padStart(3)}  val acc ${formatNumber(event.validationAccuracy)}  val loss ${formatNumber(event.validationLoss)}`,
        );
        redraw();
        break;
      case 'trial-end': {
        running.delete(event.record.id);
        const r = event.record;
        const status = r.status === 'failed' ? `failed: ${r.error}` : `${r.status} after ${r.epochs} epochs`;
        log(`${r.id}  ${status.padEnd(24)}  val acc ${formatNumber(r.validationAccuracy ?? undefined)}  ${describeParams(r.params)}`);
        break;
      }
      case 'done':
        break;
    }
  };
}

/** `rxgrad tune`: a hyperparameter study. */
export async function tuneCommand(options: TuneCommandOptions, io: CliIo): Promise<void> {
  const started = performance.now();
  const space = await readSearchSpaceFile(options.space);
  // Which columns the study reads, said as train says it: its categorical columns have the training part's levels.
  const read = { label: options.label, features: options.features, unlabelled: true, ...csvDialectOf(options) };
  const layout = await inspectData(options.data, read);
  const choice = await chooseCategories(options.data, layout, {
    ...read,
    categorical: options.categorical,
    maxLevels: options.maxLevels,
    part: splitRows({ fraction: options.validation, seed: options.seed, part: 'train' }),
  });
  writeLeftOutColumns(io.stderr, choice.layout);
  for (const note of choice.notes) writeLine(io.stderr, `rxgrad: ${note}`);
  const settings: StudySettings = {
    data: {
      file: path.resolve(options.data),
      label: options.label,
      features: options.features,
      ...csvDialectOf(options),
      ...(options.fillMissing ? { fillMissing: options.fillMissing } : {}),
      ...(options.categorical ? { categorical: options.categorical } : {}),
      ...(options.maxLevels !== undefined && options.maxLevels !== DEFAULT_MAX_LEVELS ? { maxLevels: options.maxLevels } : {}),
    },
    sampler: options.sampler,
    seed: options.seed,
    objective: { name: OBJECTIVES[options.objective].name, direction: OBJECTIVES[options.objective].direction },
    prune: options.prune,
    eta: options.eta,
    minEpochs: 1,
    validationFraction: options.validation,
    base: { ...DEFAULT_TRAINING_CONFIG, epochs: options.epochs },
  };
  // On Redis, --parallel is how many trials wait in the queue at once (for the workers to take).
  const parallel = options.parallel ?? (options.redis ? 8 : availableParallelism());
  const show = liveTable(io.stderr);
  let summary: StudySummary | undefined;
  let pool: RedisTrialPool | undefined;
  let live: StudyDashboard | undefined;
  // What the dashboard's pages (and the terminal) are told when it stops.
  let ending = `the study stopped before its end (the terminal says why); rxgrad tune --resume continues it`;
  try {
    // Each is closed below, whatever fails after it opened (a port in use, Redis out of reach).
    if (options.redis) {
      const { openStudyPool } = await withQueueLibraries('--redis', () => import('../distributed/studyPool.js'));
      pool = await openStudyPool(options.redis, options.study, settings, { log: (line) => writeLine(io.stderr, line) });
    }
    live =
      options.dashboard !== undefined
        ? await startStudyDashboard(options.study, {
            port: options.dashboard === true ? 0 : options.dashboard,
            ...(options.dashboardHost !== undefined ? { host: options.dashboardHost } : {}),
          })
        : undefined;
    if (live) writeDashboardAddress(io.stderr, live.url, options.dashboardHost);
    await lastValueFrom(
      runStudy({
        dir: options.study,
        space,
        settings,
        trials: options.trials,
        rounds: options.rounds,
        parallel,
        resume: options.resume,
        ...(pool ? { pool } : {}),
      }).pipe(
        tap((event) => {
          show(event);
          live?.observe(event);
          if (event.type === 'done') summary = event.summary;
        }),
      ),
    );
    ending = `the study has ended: ${summary!.finished} trials${summary!.best ? `, the best ${summary!.best.id}` : ''}; its report: rxgrad report ${options.study}`;
  } finally {
    if (live) {
      await live.close(ending);
      writeLine(io.stderr, `rxgrad: the dashboard has stopped: ${ending}`);
    }
    await pool?.close();
  }
  const result = summary!;
  const seconds = (performance.now() - started) / 1000;
  const bestConfig = studyPath(options.study, 'best');
  const epochsTrained = result.leaderboard.reduce((n, r) => n + r.epochs, 0);
  if (options.json)
    return writeLine(
      io.stdout,
      JSON.stringify({ ...summaryJson(result), bestConfig: result.best ? bestConfig : null, epochsTrained, seconds }),
    );
  writeLeaderboard(io.stdout, result);
  if (result.best) writeLine(io.stdout, `best configuration written to ${bestConfig} (rxgrad train --config ${bestConfig})`);
  writeLine(io.stdout, `${seconds.toFixed(1)}s`);
}
