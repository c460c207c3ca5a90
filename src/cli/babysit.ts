import { createInterface } from 'node:readline';
import { filter, lastValueFrom, map, merge, Observable, reduce, share, Subject, tap } from 'rxjs';
import { startDashboard } from '../dashboard/server.js';
import { runReportBody } from '../report/runReport.js';
import { readRunHistory, type RunHistory } from '../training/runHistory.js';
import type { TrainingConfig } from '../training/trainingConfig.js';
import { loadModel } from '../files/serialization.js';
import { checkResume } from '../training/resumeRule.js';
import { csvDialectOf, inspectData, readData } from '../streams/readData.js';
import { trainingProgress } from './progress.js';
import { type BabysitControl, type BabysitEvent, babysit } from '../training/babysit.js';
import { listCheckpoints } from '../training/checkpoints.js';
import { type CliIo, configFromFlags, settingGiven, formatNumber, type TrainingFlags, UsageError, writeDashboardAddress, writeLeftOutColumns, writeLine } from './io.js';

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
}

const HELP = 'commands: lr RATE | pause | resume | stop | rollback EPOCH | help';

/** Parses one line typed while a run is babysat; undefined with a message for anything else. */
export function parseControl(line: string): BabysitControl | string {
  const [word, arg, ...rest] = line.trim().split(/\s+/);
  const number = Number(arg);
  if (rest.length > 0) return `unexpected '${rest.join(' ')}'; ${HELP}`;
  switch (word) {
    case 'lr':
      return number > 0 && Number.isFinite(number) ? { type: 'learningRate', value: number } : `lr needs a positive number, got '${arg ?? ''}'`;
    case 'pause':
    case 'resume':
    case 'stop':
      return { type: word };
    case 'rollback':
      return Number.isInteger(number) && number >= 1 ? { type: 'rollback', epoch: number } : `rollback needs an epoch number ≥ 1, got '${arg ?? ''}'`;
    default:
      return HELP;
  }
}

/**
 * The configuration a resumed run goes on with: the settings of its newest checkpoint (any flag
 * given differently is refused), the learning rate it was last set to unless --lr gives another,
 * and --epochs.
 */
async function resumedConfig(options: BabysitCommandOptions, newest: { readonly path: string; readonly epoch: number }, given: (option: string) => boolean): Promise<TrainingConfig> {
  const saved = await loadModel(newest.path);
  if (!saved.optimizer || !saved.progress) throw new UsageError(`--resume: the checkpoint ${newest.path} was saved without optimizer state or progress`);
  const run = { ...saved, optimizer: saved.optimizer, progress: saved.progress };
  checkResume({ config: configFromFlags(options), normalize: options.normalize, label: options.label, features: options.features }, run, settingGiven(given), `the run in ${options.dir} (epoch ${newest.epoch})`);
  const history = await readRunHistory(options.dir).catch(() => undefined);
  const setByHand = history ? [...history.controls].reverse().find((c) => c.control.type === 'learningRate')?.control.value : undefined;
  const rate = given('lr') ? options.lr : typeof setByHand === 'number' ? setByHand : (history?.config.learningRate ?? saved.optimizer.config.learningRate);
  const optimizer = saved.optimizer.config;
  return {
    ...(history?.config ?? configFromFlags(options)),
    optimizer: optimizer.type,
    weightDecay: optimizer.weightDecay ?? 0,
    lrDecay: saved.progress.schedule,
    batchSize: saved.progress.batchSize,
    seed: saved.progress.seed,
    learningRate: rate,
    epochs: options.epochs,
  };
}

/** `rxgrad babysit`: one run, watched and steered from stdin (one command per line). */
export async function babysitCommand(options: BabysitCommandOptions, io: CliIo, given: (option: string) => boolean = () => false): Promise<void> {
  const existing = await listCheckpoints(options.dir);
  if (!options.resume && existing.length > 0) {
    throw new UsageError(`--dir ${options.dir} already holds a run (checkpoints of epochs ${existing[0]!.epoch} to ${existing.at(-1)!.epoch}); pass --resume to continue it, or choose another directory`);
  }
  const newest = options.resume ? existing.at(-1) : undefined;
  const config = newest ? await resumedConfig(options, newest, given) : configFromFlags(options);
  // Progress within an epoch on a terminal, as train shows it: the steps of an epoch from a count
  // of the rows (before stdin is read, so that no command typed meanwhile is lost).
  writeLeftOutColumns(io.stderr, await inspectData(options.data, { label: options.label, features: options.features, unlabelled: true, ...csvDialectOf(options) }));
  const rows = await lastValueFrom(readData(options.data, { label: options.label, features: options.features, unlabelled: true, ...csvDialectOf(options) }).pipe(reduce((n, block) => n + block.rows, 0)));
  const input = io.stdin ?? process.stdin;
  const lines = createInterface({ input, terminal: false });
  const controls = new Observable<BabysitControl>((subscriber) => {
    const onLine = (line: string) => {
      if (line.trim() === '') return;
      const control = parseControl(line);
      if (typeof control === 'string') writeLine(io.stderr, control);
      else subscriber.next(control);
    };
    lines.on('line', onLine);
    return () => lines.off('line', onLine);
  }).pipe(share());
  // The dashboard's buttons send the same controls as stdin; a control it cannot parse is answered, not sent.
  const fromPage = new Subject<BabysitControl>();
  let latest: RunHistory | undefined;
  const dashboard =
    options.dashboard !== undefined
      ? await startDashboard(
          {
            title: `Babysitting ${options.dir}`,
            body: () => (latest ? runReportBody(latest) : '<p class="summary">Waiting for the first epoch…</p>'),
            control: (c) => {
              const control = parseControl(`${c.type === 'learningRate' ? 'lr' : String(c.type)} ${c.value ?? c.epoch ?? ''}`.trim());
              if (typeof control === 'string') return control;
              fromPage.next(control);
              return `${control.type} sent`;
            },
          },
          { port: options.dashboard === true ? 0 : options.dashboard, ...(options.dashboardHost !== undefined ? { host: options.dashboardHost } : {}) },
        )
      : undefined;
  if (dashboard) writeDashboardAddress(io.stderr, dashboard.url, options.dashboardHost);
  writeLine(io.stderr, `babysitting: checkpoints in ${options.dir} (the newest ${options.keep ?? 20}, the best and those rolled back to); ${HELP}`);
  const progress = trainingProgress(io.stderr, config.epochs, Math.ceil(rows / config.batchSize));
  let last: Extract<BabysitEvent, { type: 'epoch' }> | undefined;
  let end: Extract<BabysitEvent, { type: 'end' }> | undefined;
  try {
    await lastValueFrom(
      babysit({
        data: options.data,
        validation: options.test,
        columns: { label: options.label, ...(options.features ? { features: options.features } : {}) },
        ...csvDialectOf(options),
        config,
        dir: options.dir,
        ...(options.keep !== undefined ? { keep: options.keep } : {}),
        resume: options.resume,
        normalize: options.normalize,
        controls: dashboard ? merge(controls, fromPage) : controls,
        onHistory: (history) => {
          latest = history;
          const epoch = history.epochs.at(-1);
          dashboard?.notify(epoch ? `epoch ${epoch.epoch} trained` : 'started');
        },
      }).pipe(
        tap((event) => {
          switch (event.type) {
            case 'batch':
              progress.step(event.epoch, event.loss);
              break;
            case 'epoch':
              last = event;
              progress.epoch(
                `epoch ${event.epoch}/${config.epochs}  loss ${formatNumber(event.trainLoss)}  accuracy ${formatNumber(event.trainAccuracy)}` +
                  (event.validation ? `  test accuracy ${formatNumber(event.validation.accuracy)}` : '') +
                  `  lr ${event.learningRate.toPrecision(3)}  saved ${event.checkpoint}`,
              );
              break;
            case 'control':
              progress.epoch(`${event.control.type}${'value' in event.control ? ` ${event.control.value}` : ''}${'epoch' in event.control ? ` ${event.control.epoch}` : ''} (after step ${event.afterStep})`);
              break;
            case 'refused':
              progress.epoch(`${event.control.type} refused: ${event.reason}`);
              break;
            case 'rolled-back':
              progress.epoch(`rolled back to the checkpoint of epoch ${event.epoch}${event.setAside ? `; the later epochs are kept in ${event.setAside}` : ""}`);
              break;
            case 'end':
              end = event;
              break;
          }
        }),
        filter((event) => event.type === 'end'),
        map(() => undefined),
      ),
      { defaultValue: undefined },
    );
  } finally {
    progress.stop();
    lines.close();
    dashboard?.end('the run has ended');
    await dashboard?.close();
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
  else writeLine(io.stdout, `${report.stopped ? 'stopped' : 'finished'} after ${report.epochs} epochs; last checkpoint ${report.checkpoint ?? 'none'}`);
}
