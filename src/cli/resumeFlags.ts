import type { ModelBundle } from '../files/serialization.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { type Schedule, scheduleText } from '../model/schedule.js';
import { type TrainingFlags, UsageError } from './io.js';

/** A saved run with what a resume continues: its optimizer and progress. */
export type SavedRun = ModelBundle & { readonly optimizer: Optimizer; readonly progress: NonNullable<ModelBundle['progress']> };

/**
 * A saved run's settings that a resume cannot change, each with the flag that sets it: what the
 * saved model has and what the command line asks for, as text. Only --lr changes on a resume (a
 * new initial rate, recorded in the history at that epoch); --epochs, the data to evaluate and
 * where to save are about this command, not the run.
 */
function fixedOnResume(options: TrainingFlags, saved: SavedRun): readonly { flag: string; name: string; saved: string; asked: string }[] {
  const spec = saved.network.spec;
  const dense = spec.layers.filter((l) => l.type === 'dense');
  const optimizer = saved.optimizer.config;
  const beta = optimizer.type === 'adam' ? optimizer.beta1 : optimizer.type === 'sgd' ? undefined : optimizer.beta;
  const schedule = (s: Schedule | undefined) => scheduleText(s === undefined || (s.type === 'inverse' && s.decay === 0) ? { type: 'constant' } : s);
  const rows: { flag: string; name: string; saved: string; asked: string }[] = [
    { flag: '--hidden', name: 'hidden', saved: JSON.stringify(dense.slice(0, -1).map((l) => (l.type === 'dense' ? l.units : 0))), asked: JSON.stringify(options.hidden) },
    { flag: '--activation', name: 'activation', saved: spec.layers.find((l) => l.type === 'activation')?.fn ?? options.activation, asked: options.activation },
    { flag: '--no-batch-norm', name: 'batchNorm', saved: String(spec.layers.some((l) => l.type === 'batchNorm')), asked: String(options.batchNorm) },
    { flag: '--optimizer', name: 'optimizer', saved: optimizer.type, asked: options.optimizer },
    { flag: '--momentum', name: 'momentum', saved: optimizer.type === 'sgd' ? 'none (sgd)' : String(beta ?? 0.9), asked: String(options.momentum) },
    { flag: '--momentum-convention', name: 'momentumConvention', saved: optimizer.type === 'momentum' ? (optimizer.convention ?? 'ewa') : `none (${optimizer.type})`, asked: options.momentumConvention },
    { flag: '--weight-decay', name: 'weightDecay', saved: String(optimizer.weightDecay ?? 0), asked: String(options.weightDecay) },
    { flag: '--lr-decay', name: 'lrDecay', saved: schedule(saved.progress.schedule), asked: schedule(options.lrDecay) },
    { flag: '--batch-size', name: 'batchSize', saved: String(saved.progress.batchSize), asked: String(options.batchSize) },
    { flag: '--seed', name: 'seed', saved: String(saved.progress.seed), asked: String(options.seed) },
    { flag: '--no-normalize', name: 'normalize', saved: String(saved.standardizer !== undefined), asked: String(options.normalize) },
    { flag: '--label', name: 'label', saved: saved.columns?.label ?? options.label, asked: options.label },
    { flag: '--features', name: 'features', saved: (saved.columns?.features ?? []).join(','), asked: (options.features ?? []).join(',') },
  ];
  return rows;
}

/**
 * Refuses a resume whose flags ask for other settings than the saved run has, naming every one
 * (`where` names the saved model in the message).
 *
 * @example
 * checkResumeFlags(options, await loadModel(dir), given, `the model in ${dir}`);
 */
export function checkResumeFlags(options: TrainingFlags, saved: SavedRun, given: (option: string) => boolean, where: string): void {
  const changed = fixedOnResume(options, saved).filter((row) => given(row.name) && row.saved !== row.asked);
  if (changed.length === 0) return;
  const list = changed.map((row) => `${row.flag} cannot change when resuming: ${where} has ${row.name} ${row.saved}, the command line asks for ${row.asked}`);
  throw new UsageError(`${list.join('; ')} (on a resume only --lr changes the run; leave the others out)`);
}
