import { lastValueFrom, tap } from 'rxjs';
import type { Monitor } from '../operators/earlyStopping.js';
import type { MissingValueStrategy } from '../streams/missingValues.js';
import { readConfigFile } from '../training/configSchema.js';
import type { SettingKey } from '../training/settings.js';
import { type TrainFromFilesEvent, type TrainReport, trainFromFiles } from '../training/trainFromFiles.js';
import type { TrainingConfig } from '../training/trainingConfig.js';
import { type CliIo, configFromFlags, formatNumber, type TrainingFlags, UsageError, writeLine } from './io.js';
import { type TrainingProgressView, trainingProgress } from './progress.js';

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
  /** Fill missing feature values (nulls, empty CSV cells) with each feature's mean or with zero, instead of refusing them. */
  readonly fillMissing?: MissingValueStrategy;
  readonly json: boolean;
}

/** The run's configuration: the flags, and a `--config` file's settings for every flag not given on the command line. */
async function configOf(options: TrainCommandOptions, given: (setting: SettingKey) => boolean): Promise<TrainingConfig> {
  const flags = configFromFlags(options);
  if (!options.config) return flags;
  if (options.resume)
    throw new UsageError(
      `--config cannot be given with --resume: the run in ${options.resume} keeps its settings (give --lr to change the learning rate)`,
    );
  const file = await readConfigFile(options.config, flags);
  return { ...flags, ...Object.fromEntries(Object.entries(file).filter(([setting]) => !given(setting as SettingKey))) };
}

/** Prints what the run does as it does it: notices, a progress bar (or a line an epoch), and epochs. */
function showEvent(
  io: CliIo,
  options: TrainCommandOptions,
  progress: { view?: TrainingProgressView; epochs?: number; weighted?: boolean },
) {
  const judged = options.validation !== undefined ? 'val' : 'test';
  return (event: TrainFromFilesEvent) => {
    if (event.type === 'notice') writeLine(io.stderr, `rxgrad: ${event.message}`);
    else if (event.type === 'start') {
      progress.view = trainingProgress(io.stderr, event.epochs, event.stepsPerEpoch);
      progress.epochs = event.epochs;
      progress.weighted = event.weighted;
    } else if (event.type === 'batch') progress.view?.step(event.epoch, event.loss);
    else if (event.type === 'epoch') {
      progress.view?.epoch(
        `epoch ${event.epoch}/${progress.epochs}  loss${progress.weighted ? ' (weighted)' : ''} ${formatNumber(event.trainLoss)}  accuracy ${formatNumber(event.trainAccuracy)}` +
          (event.validation
            ? `  ${judged} loss ${formatNumber(event.validation.loss)}  ${judged} accuracy ${formatNumber(event.validation.accuracy)}`
            : '') +
          `  ${event.seconds.toFixed(2)}s`,
      );
    }
  };
}

function writeReport(io: CliIo, options: TrainCommandOptions, report: TrainReport, layers: number): void {
  const monitor = options.monitor ?? 'loss';
  writeLine(
    io.stdout,
    `trained ${layers} layers on ${report.examples} examples for ${report.epochs} epochs in ${report.seconds.toFixed(1)}s${report.stoppedEarly ? ` (stopped early: no better validation ${monitor} for ${options.earlyStopping} epochs)` : ''}`,
  );
  writeLine(
    io.stdout,
    `train loss${report.classWeights ? ' (weighted)' : ''} ${formatNumber(report.trainLoss ?? undefined)}  train accuracy ${formatNumber(report.trainAccuracy ?? undefined)}`,
  );
  if (options.validation !== undefined)
    writeLine(
      io.stdout,
      `validation loss ${formatNumber(report.validationLoss ?? undefined)}  validation accuracy ${formatNumber(report.validationAccuracy ?? undefined)}`,
    );
  if (options.test)
    writeLine(
      io.stdout,
      `test loss ${formatNumber(report.testLoss ?? undefined)}  test accuracy ${formatNumber(report.testAccuracy ?? undefined)}` +
        (report.testRocAuc !== undefined
          ? `  test ROC-AUC ${report.testRocAuc === null ? 'undefined (one class)' : formatNumber(report.testRocAuc)}`
          : '') +
        (options.keepBest ? ' (of the kept model)' : ''),
    );
  if (report.model)
    writeLine(
      io.stdout,
      `model saved to ${report.model}${report.bestEpoch !== undefined ? ` (epoch ${report.bestEpoch}, the best validation ${monitor})` : ''}`,
    );
}

/**
 * `rxgrad train`: `trainFromFiles` with the command line's settings, a progress bar, and the
 * final metrics (`--json`: one line).
 */
export async function trainCommand(
  options: TrainCommandOptions,
  io: CliIo,
  given: (setting: SettingKey) => boolean = () => false,
): Promise<void> {
  const progress: { view?: TrainingProgressView; epochs?: number } = {};
  let end: Extract<TrainFromFilesEvent, { type: 'end' }> | undefined;
  try {
    await lastValueFrom(
      trainFromFiles({ ...options, config: await configOf(options, given), given }).pipe(
        tap(showEvent(io, options, progress)),
        tap((event) => {
          if (event.type === 'end') end = event;
        }),
      ),
    );
  } finally {
    progress.view?.stop();
  }
  if (options.json) writeLine(io.stdout, JSON.stringify(end!.report));
  else writeReport(io, options, end!.report, end!.layers);
}
