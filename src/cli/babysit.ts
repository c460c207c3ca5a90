import { filter, lastValueFrom, map, merge, reduce, Subject, tap } from 'rxjs';
import { type BabysitDashboard, startBabysitDashboard } from '../dashboard/babysitDashboard.js';
import { chooseCategories } from '../streams/categoricalColumns.js';
import type { MissingValueStrategy } from '../streams/missingValues.js';
import { csvDialectOf, inspectData, readData } from '../streams/readData.js';
import { type BabysitControl, type BabysitEvent, babysit, babysitConfig } from '../training/babysit.js';
import { CONTROL_HELP, controlLines, controlText } from '../training/babysitControls.js';
import type { SettingKey } from '../training/settings.js';
import {
  type CliIo,
  configFromFlags,
  formatNumber,
  type TrainingFlags,
  writeDashboardAddress,
  writeLeftOutColumns,
  writeLine,
} from './io.js';
import { type TrainingProgressView, trainingProgress } from './progress.js';

/** Options of `rxgrad babysit`. */
export interface BabysitCommandOptions extends TrainingFlags {
  readonly data: string;
  readonly test?: string;
  readonly dir: string;
  readonly resume: boolean;
  readonly json: boolean;
  /** Serve a live view on this port (true: a free one). */
  readonly dashboard?: number | true;
  /** The dashboard's address instead of 127.0.0.1. */
  readonly dashboardHost?: string;
  /** Checkpoints kept: the newest N plus the best and rolled-back-to epochs. */
  readonly keep?: number;
  /** Fill missing feature values with each feature's mean or with zero, instead of refusing them. */
  readonly fillMissing?: MissingValueStrategy;
  /** Kernel threads, or 'auto' (the default). */
  readonly threads?: number | 'auto';
  /** Integer columns read as categories, besides the text and boolean ones. */
  readonly categorical?: readonly string[];
  /** A text column with more levels than this stays out. */
  readonly maxLevels?: number;
}

/** Prints one event of the run: steps on the progress bar, a line for the rest. */
function showEvent(progress: TrainingProgressView, epochs: number) {
  return (event: BabysitEvent) => {
    if (event.type === 'batch') progress.step(event.epoch, event.loss);
    else if (event.type === 'epoch') {
      progress.epoch(
        `epoch ${event.epoch}/${epochs}  loss ${formatNumber(event.trainLoss)}  accuracy ${formatNumber(event.trainAccuracy)}` +
          (event.validation ? `  test accuracy ${formatNumber(event.validation.accuracy)}` : '') +
          `  lr ${event.learningRate.toPrecision(3)}  saved ${event.checkpoint}`,
      );
    } else if (event.type === 'control') progress.epoch(`${controlText(event.control)} (after step ${event.afterStep})`);
    else if (event.type === 'refused') progress.epoch(`${event.control.type} refused: ${event.reason}`);
    else if (event.type === 'rolled-back')
      progress.epoch(
        `rolled back to the checkpoint of epoch ${event.epoch}${event.setAside ? `; the later epochs are kept in ${event.setAside}` : ''}`,
      );
    else if (event.type === 'diverged') progress.epoch(event.message);
  };
}

/** `rxgrad babysit`: one run, watched and steered from stdin (one command per line) and, with --dashboard, from a page. */
export async function babysitCommand(
  options: BabysitCommandOptions,
  io: CliIo,
  given: (setting: SettingKey) => boolean = () => false,
): Promise<void> {
  const asked = {
    config: configFromFlags(options),
    normalize: options.normalize,
    label: options.label,
    features: options.features,
    fillMissing: options.fillMissing,
    categorical: options.categorical,
    maxLevels: options.maxLevels,
  };
  const config = await babysitConfig(options.dir, asked, { resume: options.resume, given });
  const columns = { label: options.label, features: options.features, unlabelled: true, ...csvDialectOf(options) };
  const layout = await inspectData(options.data, columns);
  // A new run's categorical columns, chosen here to say which (a resumed one reads its checkpoint's).
  const choice = options.resume
    ? undefined
    : await chooseCategories(options.data, layout, { ...columns, categorical: options.categorical, maxLevels: options.maxLevels });
  writeLeftOutColumns(io.stderr, choice?.layout ?? layout);
  for (const note of choice?.notes ?? []) writeLine(io.stderr, `rxgrad: ${note}`);
  // The steps of an epoch for the progress bar, counted before stdin is read (a missing value, if it is to be filled, counts as any).
  const counted = { ...columns, ...(options.fillMissing ? { fillMissing: new Array<number>(layout.cols).fill(0) } : {}) };
  const rows = await lastValueFrom(readData(options.data, counted).pipe(reduce((n, block) => n + block.rows, 0)));
  const fromPage = new Subject<BabysitControl>();
  let dashboard: BabysitDashboard | undefined;
  if (options.dashboard !== undefined) {
    dashboard = await startBabysitDashboard(
      options.dir,
      {
        port: options.dashboard === true ? 0 : options.dashboard,
        ...(options.dashboardHost !== undefined ? { host: options.dashboardHost } : {}),
      },
      (c) => fromPage.next(c),
    );
    writeDashboardAddress(io.stderr, dashboard.url, options.dashboardHost);
  }
  writeLine(
    io.stderr,
    `babysitting: checkpoints in ${options.dir} (the newest ${options.keep ?? 20}, the best and those rolled back to); ${CONTROL_HELP}`,
  );
  const progress = trainingProgress(io.stderr, config.epochs, Math.ceil(rows / config.batchSize));
  let last: Extract<BabysitEvent, { type: 'epoch' }> | undefined;
  let end: Extract<BabysitEvent, { type: 'end' }> | undefined;
  try {
    await lastValueFrom(
      babysit({
        data: options.data,
        validation: options.test,
        columns: {
          label: options.label,
          ...(choice
            ? { features: choice.layout.features, categories: choice.categories }
            : options.features
              ? { features: options.features }
              : {}),
        },
        categorical: options.categorical,
        maxLevels: options.maxLevels,
        ...csvDialectOf(options),
        config,
        dir: options.dir,
        ...(options.keep !== undefined ? { keep: options.keep } : {}),
        resume: options.resume,
        normalize: options.normalize,
        threads: options.threads ?? 'auto',
        fillMissing: options.fillMissing,
        controls: merge(
          controlLines(io.stdin ?? process.stdin, (text) => writeLine(io.stderr, text)),
          fromPage,
        ),
        onHistory: (history) => dashboard?.history(history),
      }).pipe(
        tap(showEvent(progress, config.epochs)),
        tap((event) => {
          if (event.type === 'epoch') last = event;
          else if (event.type === 'end') end = event;
        }),
        filter((event) => event.type === 'end'),
        map(() => undefined),
      ),
      { defaultValue: undefined },
    );
  } finally {
    progress.stop();
    if (dashboard) {
      const ending = end
        ? `the run has ${end.stopped ? 'stopped' : 'ended'} after ${end.epochs} epochs; its report: rxgrad report ${options.dir}`
        : `the run stopped before its end (the terminal says why); babysit --resume continues it`;
      await dashboard.close(ending);
      writeLine(io.stderr, `rxgrad: the dashboard has stopped: ${ending}`);
    }
  }
  const report = {
    epochs: end?.epochs ?? 0,
    stopped: end?.stopped ?? false,
    trainLoss: last?.trainLoss ?? null,
    trainAccuracy: last?.trainAccuracy ?? null,
    testLoss: last?.validation?.loss ?? null,
    testAccuracy: last?.validation?.accuracy ?? null,
    checkpoint: last?.checkpoint ?? null,
  };
  if (options.json) writeLine(io.stdout, JSON.stringify(report));
  else
    writeLine(
      io.stdout,
      `${report.stopped ? 'stopped' : 'finished'} after ${report.epochs} epochs; last checkpoint ${report.checkpoint ?? 'none'}`,
    );
}
