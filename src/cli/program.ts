import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { RxgradError, systemErrorCause } from '../errors.js';
import { parseDecimal } from '../model/decimal.js';
import { FASHION_MNIST_SOURCE } from '../streams/fashionMnistSource.js';
import type { BabysitCommandOptions } from './babysit.js';
import type { ConvertCommandOptions } from './convert.js';
import {
  type CliIo,
  columnList,
  integerFrom,
  nonNegativeInteger,
  numberIn,
  positiveInteger,
  positiveNumber,
  threadCount,
  UsageError,
  writeLine,
} from './io.js';
import { withQueueLibraries } from './queueLibraries.js';
import { REDIS_URL_VARIABLES, redisUrl } from './redisUrl.js';
import { addSettingOptions, settingOption, settingsOf, wrap } from './settingOptions.js';
import type { TrainCommandOptions } from './train.js';
import type { TuneCommandOptions } from './tune.js';
import type { WorkerCommandOptions } from './worker.js';

/** The version in package.json, beside dist/ (or src/) where this module runs. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A --dashboard port: 0 to 65535 (0: any free port). */
function portNumber(text: string): number {
  const port = parseDecimal(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--dashboard takes a port number from 0 to 65535, got '${text}'`);
  return port;
}

/** A delimiter flag: one character; `tab` and `\\t` for a tab. */
function delimiterOf(text: string): string {
  const delimiter = text === 'tab' || text === '\\t' ? '\t' : text;
  if (delimiter.length !== 1 || /["\r\n]/.test(delimiter))
    throw new UsageError(`--delimiter must be one character (or 'tab'), got '${text}'`);
  return delimiter;
}

/** A CSV file's dialect: --delimiter and --decimal. */
function addCsvDialectOptions(command: Command): Command {
  return command
    .option('--delimiter <char>', "a CSV file's field delimiter (default ',', a tab for .tsv)", wrap(delimiterOf))
    .addOption(
      new Option('--decimal <mark>', "a CSV file's decimal mark: '.' (default) or ',' (3,14, as pandas writes with decimal=',')").choices([
        '.',
        ',',
      ]),
    );
}

/** --dashboard [port] and --dashboard-host, serving a live view of `what`. */
function addDashboardOptions(command: Command, what: string): Command {
  return command
    .option(
      '--dashboard [port]',
      `serve a live view of ${what} on http://127.0.0.1:PORT/?token=… (default: a free port); only that address, with its token, opens it`,
      wrap(portNumber),
    )
    .option(
      '--dashboard-host <address>',
      'listen on this address instead of 127.0.0.1, and accept it as the Host (from another machine, prefer an SSH tunnel: ssh -L PORT:127.0.0.1:PORT)',
    );
}

/** The settings that train and babysit share, one option for each row of the settings table, and the CSV dialect. */
function addTrainingOptions(command: Command): Command {
  return addCsvDialectOptions(addSettingOptions(command));
}

function buildProgram(io: CliIo, run: (action: () => Promise<void>) => void): Command {
  const program = new Command('rxgrad')
    .description('Train neural networks as RxJS pipelines over Arrow, CSV and Parquet data.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .version(packageVersion(), '-V, --version', 'print the version of rxgrad');

  addTrainingOptions(
    program
      .command('train')
      .description('train a classifier on an Arrow, CSV or Parquet file')
      .requiredOption('--data <file>', 'training data: an Arrow IPC file or stream, CSV (.csv, .tsv, .gz) or Parquet (.parquet)')
      .option('--test <file>', 'test data, evaluated after every epoch'),
  )
    .option('--save <dir>', 'save the model (and a checkpoint after every epoch) to this directory')
    .option('--resume <dir>', 'continue training a model saved with --save')
    .option('--config <file>', "a training configuration (e.g. a study's best.json); flags given on the command line win")
    .option(
      '--threads <n|auto>',
      "threads for the matrix products and Adam: a number, or 'auto' (every core when the network is large enough to gain); the results are the same",
      wrap(threadCount('--threads')),
      'auto',
    )
    .option(
      '--validation <fraction>',
      'hold out this fraction of the training file (seeded) and evaluate on it after every epoch',
      wrap(numberIn('--validation', 0, 1, true)),
    )
    .option(
      '--early-stopping <patience>',
      'stop when the validation metric has not improved for this many epochs',
      wrap(positiveInteger('--early-stopping')),
    )
    .addOption(
      new Option('--monitor <metric>', 'the validation metric of --early-stopping and --keep-best')
        .choices(['loss', 'accuracy'])
        .default('loss'),
    )
    .option('--keep-best', "save the best epoch's model (by the validation metric) instead of the last one's", false)
    .option('--json', 'print the final metrics as one JSON line on stdout', false)
    .action((options: TrainCommandOptions, command: Command) =>
      run(async () => {
        const { values, given } = settingsOf(command);
        // Each command's modules load when it runs: `rxgrad --version` loads none of them.
        return (await import('./train.js')).trainCommand({ ...options, ...values }, io, given);
      }),
    );

  addDashboardOptions(
    addTrainingOptions(
      program
        .command('babysit')
        .description('train one model, watching and steering it from stdin: lr RATE, pause, resume, stop, rollback EPOCH')
        .requiredOption('--data <file>', 'training data')
        .requiredOption('--dir <dir>', 'checkpoint directory (one checkpoint per epoch; see --keep)')
        .option(
          '--keep <n>',
          'checkpoints to keep: the newest N, plus the best epoch (by test loss) and every epoch rolled back to',
          wrap(positiveInteger('--keep')),
          20,
        )
        .option('--test <file>', 'data evaluated after every epoch')
        .option('--resume', 'continue from the newest checkpoint in --dir', false)
        .option(
          '--threads <n|auto>',
          "threads for the matrix products and Adam: a number, or 'auto' (every core when the network is large enough to gain); the results are the same",
          wrap(threadCount('--threads')),
          'auto',
        ),
    ),
    'the run, with the controls as buttons',
  )
    .option('--json', 'print the final metrics as one JSON line on stdout', false)
    .action((options: BabysitCommandOptions, command: Command) =>
      run(async () => {
        const { values, given } = settingsOf(command);
        return (await import('./babysit.js')).babysitCommand({ ...options, ...values }, io, given);
      }),
    );

  addCsvDialectOptions(
    program
      .command('evaluate')
      .description('loss, accuracy and confusion matrix of a saved model on labelled data')
      .requiredOption('--model <dir>', 'model directory written by train --save')
      .requiredOption('--data <file>', 'labelled data'),
  )
    .option('--json', 'print the result as one JSON line', false)
    .action((options: { model: string; data: string; json: boolean }) =>
      run(async () => (await import('./evaluate.js')).evaluateCommand(options, io)),
    );

  addCsvDialectOptions(
    program
      .command('predict')
      .description('write predicted classes and probabilities to a CSV, Parquet or Arrow file')
      .requiredOption('--model <dir>', 'model directory written by train --save')
      .requiredOption('--data <file>', 'data to predict (a label column is not needed)'),
  )
    .requiredOption(
      '--out <file>',
      'file to write, by extension: CSV (.csv), Parquet (.parquet) or Arrow (.arrow, .feather, .ipc); columns row, prediction (a class name when the model has names, with its position in prediction_index), probabilities',
    )
    .option('--keep <columns>', 'comma-separated input columns to carry into the predictions (an id)', wrap(columnList('--keep')))
    .addOption(
      new Option('--compression <codec>', 'compress an Arrow output (uncompressed by default, which every reader reads)').choices([
        'lz4',
        'zstd',
      ]),
    )
    .option('--force', FORCE_HELP, false)
    .option('--json', 'print a summary as one JSON line', false)
    .action(
      (options: {
        model: string;
        data: string;
        out: string;
        json: boolean;
        force: boolean;
        keep?: string[];
        compression?: 'lz4' | 'zstd';
      }) => run(async () => (await import('./predict.js')).predictCommand(options, io)),
    );

  addDashboardOptions(
    addCsvDialectOptions(
      program
        .command('tune')
        .description('search hyperparameters: random (or grid, quasi-random, TPE) trials, coarse-to-fine rounds, ASHA pruning, in parallel')
        .requiredOption('--data <file>', 'training data; a seeded validation split is carved from it')
        .requiredOption('--study <dir>', 'study directory: settings, one record per finished trial, checkpoints')
        .addOption(settingOption('label'))
        .addOption(settingOption('features')),
    ),
    'the study',
  )
    .option('--space <file>', 'search space JSON (default: learning rate, momentum, hidden units, batch size, layers, decay)')
    .option('--trials <n>', 'trials in all (at most 100,000)', wrap(integerFrom('--trials', 1, 100_000)), 20)
    .option('--parallel <n>', 'trials at once, each on a worker thread (default: one per core)', wrap(positiveInteger('--parallel')))
    .addOption(
      new Option(
        '--sampler <name>',
        'how points are chosen: at random, on a grid, quasi-random, or by TPE (random for 10 trials, then where good trials were)',
      )
        .choices(['random', 'grid', 'quasi', 'tpe'])
        .default('random'),
    )
    .addOption(
      new Option('--objective <metric>', 'what trials are scored by').choices(['val-accuracy', 'val-loss']).default('val-accuracy'),
    )
    .option('--rounds <n>', 'coarse-to-fine rounds', wrap(positiveInteger('--rounds')), 1)
    .addOption(new Option('--prune <rule>', 'early stopping of poor trials').choices(['asha', 'none']).default('asha'))
    .option('--eta <n>', "ASHA's reduction factor: keep the top 1/eta at each rung", wrap(positiveNumber('--eta')), 3)
    .option('--epochs <n>', 'most epochs a trial trains', wrap(positiveInteger('--epochs')), 9)
    .option(
      '--validation <fraction>',
      'fraction of the training data held out for validation, in (0, 1)',
      wrap(numberIn('--validation', 0, 1, true)),
      0.2,
    )
    .option('--seed <n>', 'seed of the sampler, the split and the trials', wrap(nonNegativeInteger('--seed')), 0)
    .option('--resume', 'continue or extend the study in --study', false)
    .addOption(settingOption('fillMissing'))
    .addOption(settingOption('categorical'))
    .addOption(settingOption('maxLevels'))
    .option(
      '--redis [url]',
      `run the trials on workers anywhere (rxgrad worker) through Redis: redis://[:password@]host:port[/db] or rediss://; without a URL, ${REDIS_URL_VARIABLES.join(' or ')} (which keeps a password out of ps)`,
    )
    .option('--redis-password-file <file>', "the Redis password, the file's first line (instead of in the URL, where ps shows it)")
    .option('--json', 'print a summary as one JSON line', false)
    .action((options: TuneCommandOptions & { redis?: string | true; redisPasswordFile?: string }) =>
      run(async () => {
        const { redis, redisPasswordFile, ...rest } = options;
        const onRedis = redis !== undefined || redisPasswordFile !== undefined;
        return (await import('./tune.js')).tuneCommand(
          { ...rest, ...(onRedis ? { redis: redisUrl(redis ?? true, redisPasswordFile) } : {}) },
          io,
        );
      }),
    );

  program
    .command('worker')
    .description('train trials of studies run with tune --redis, on this machine, until stopped')
    .option(
      '--redis <url>',
      `the Redis server of the studies: redis://[:password@]host:port[/db] or rediss://; default ${REDIS_URL_VARIABLES.join(', then ')} (which keeps a password out of ps)`,
    )
    .option('--redis-password-file <file>', "the Redis password, the file's first line (instead of in the URL, where ps shows it)")
    .option('--parallel <n>', 'trials at once, each on a worker thread', wrap(positiveInteger('--parallel')), 1)
    .option('--data <file>', 'the training file on this machine, when it is not at the path the study names')
    .option(
      '--stall-timeout <seconds>',
      'a worker silent this long (killed, its machine lost, stopped) has its trials taken by another, which resumes them from their last epoch: shorter notices a loss sooner, but a worker whose machine pauses longer (a busy host, a VM migrating) loses its trials to another meanwhile',
      wrap(positiveInteger('--stall-timeout')),
      30,
    )
    .option(
      '--redis-timeout <seconds>',
      'stop when Redis cannot be reached this long (SIGTERM, or a second Ctrl-C, hands the running trials back and stops within seconds)',
      wrap(positiveInteger('--redis-timeout')),
      300,
    )
    .action((options: Omit<WorkerCommandOptions, 'redis'> & { redis?: string; redisPasswordFile?: string }) =>
      run(async () =>
        (await withQueueLibraries('rxgrad worker', () => import('./worker.js'))).workerCommand(
          { ...options, redis: redisUrl(options.redis, options.redisPasswordFile) },
          io,
        ),
      ),
    );

  program
    .command('prepare')
    .description("convert a public dataset to Arrow files: fashion-mnist (from Debian's dataset-fashion-mnist)")
    .argument('<dataset>', 'fashion-mnist')
    .option('--out <dir>', 'output directory', 'data/fashion-mnist')
    .option('--source <dir>', 'where the IDX files are', FASHION_MNIST_SOURCE)
    .option('--json', 'print a summary as one JSON line', false)
    .action((dataset: string, options: { out: string; source: string; json: boolean }) =>
      run(async () => {
        if (dataset !== 'fashion-mnist') throw new UsageError(`prepare: unknown dataset '${dataset}'; expected fashion-mnist`);
        const { prepareFashionMnist } = await import('../streams/prepareFashionMnist.js');
        const { train, test } = await prepareFashionMnist(options.out, options.source);
        const files = { train: path.join(options.out, 'train.arrow'), test: path.join(options.out, 'test.arrow') };
        if (options.json) writeLine(io.stdout, JSON.stringify({ trainRows: train, testRows: test, ...files }));
        else writeLine(io.stdout, `wrote ${train} training rows to ${files.train} and ${test} test rows to ${files.test}`);
      }),
    );

  addCsvDialectOptions(program.command('convert'))
    .description('convert a dataset between CSV, Parquet and Arrow, streamed (by extension: .csv, .parquet, else Arrow)')
    .argument('<in>', 'the dataset: .csv, .tsv (optionally .gz), .parquet or an Arrow IPC file')
    .argument('<out>', 'the file to write: .csv, .parquet, or an Arrow IPC file (any other name)')
    .option('--label <column>', 'label column (left out when the input has none)', 'label')
    .option(
      '--features <columns>',
      'comma-separated feature columns, and only those and the label are written (default: every numeric column but the label; every other column goes across as text)',
      wrap(columnList('--features')),
    )
    .option('--drop <columns>', 'comma-separated columns to leave out', wrap(columnList('--drop')))
    .addOption(
      new Option('--compression <codec>', 'compress an Arrow output (uncompressed by default, which every reader reads)').choices([
        'lz4',
        'zstd',
      ]),
    )
    .option('--force', FORCE_HELP, false)
    .option('--json', 'print a summary as one JSON line', false)
    .action((input: string, output: string, options: ConvertCommandOptions) =>
      run(async () => (await import('./convert.js')).convertCommand(input, output, options, io)),
    );

  program
    .command('study')
    .description('show a finished or running study')
    .argument('<dir>', 'study directory')
    .option(
      '--clean-redis <url>',
      'remove what the study left in Redis (its jobs, checkpoints, rungs and decision log, by the id in its study.json): after a coordinator crashed; a finished study removes its own',
    )
    .option('--json', 'print a summary as one JSON line', false)
    .action((dir: string, options: { json: boolean; cleanRedis?: string }) =>
      run(async () => (await import('./study.js')).studyCommand(dir, options, io)),
    );

  program
    .command('report')
    .description('write a self-contained HTML report of a run (train --save, babysit --dir) or a study (tune --study)')
    .argument('<dir>', 'run or study directory')
    .option('--out <file>', 'the HTML file to write (default DIR/report.html)')
    .option('--force', FORCE_HELP, false)
    .option('--json', 'print where it was written as one JSON line', false)
    .action((dir: string, options: { out?: string; json: boolean; force: boolean }) =>
      run(async () => (await import('./report.js')).reportCommand(dir, options, io)),
    );

  return program;
}

/**
 * Runs the rxgrad command line and resolves to its exit code: 0 on success, 1 when the data or
 * a run fails, 2 for a bad command line.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
 */
/** What --force allows, the same words on every command that writes one file. */
const FORCE_HELP = 'replace an existing file that rxgrad did not write (never an input, nor a file inside a model or study)';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let pending: Promise<void> | undefined;
  const program = buildProgram(io, (action) => {
    pending = action();
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    if (pending) await pending;
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
      if (error.code === 'rxgrad.invalidArgument') writeLine(io.stderr, `rxgrad: ${error.message}`);
      return 2;
    }
    if (error instanceof RxgradError) {
      writeLine(io.stderr, `rxgrad: ${error.message}`);
      return error.exitCode;
    }
    const system = systemError(error);
    if (system) {
      writeLine(io.stderr, `rxgrad: ${system}`);
      return 1;
    }
    if (error instanceof RangeError) {
      writeLine(io.stderr, `rxgrad: ${error.message}`);
      return 1;
    }
    writeLine(io.stderr, `rxgrad: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}

/** An operating-system error (disk full, I/O error, permissions) in one line naming the path and the cause. */
function systemError(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  if (!e || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code) || typeof e.syscall !== 'string') return undefined;
  const cause = systemErrorCause(e.code) ?? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ .*$/, '');
  return `${e.path ?? 'a file'}: ${cause} (${e.code} in ${e.syscall})`;
}
