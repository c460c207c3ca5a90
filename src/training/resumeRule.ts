import { UsageError } from '../errors.js';
import type { ModelBundle } from '../files/serialization.js';
import type { Optimizer } from '../model/optimizers/optimizer.js';
import { type Schedule, scheduleText } from '../model/schedule.js';
import { TRAINING_CONFIG_RULES } from './configSchema.js';
import { scheduleOf, type TrainingConfig } from './trainingConfig.js';

/** A saved run with what a resume continues: its optimizer and progress. */
export type SavedRun = ModelBundle & { readonly optimizer: Optimizer; readonly progress: NonNullable<ModelBundle['progress']> };

/** What a run is asked to be: its configuration, and how it reads its data. */
export interface RunSettings {
  readonly config: TrainingConfig;
  readonly normalize: boolean;
  readonly label: string;
  readonly features?: readonly string[] | undefined;
}

/** A setting a resume cannot change: its name, its flag, what the saved run has and what is asked, as text. */
interface FixedSetting {
  readonly name: string;
  readonly flag: string;
  readonly saved: string;
  readonly asked: string;
}

/**
 * A saved run's settings that a resume cannot change. Only the learning rate changes on a resume
 * (a new initial rate, recorded in the history at that epoch); the epochs, the data to evaluate
 * and where to save are about the command, not the run.
 */
function fixedOnResume(asked: RunSettings, saved: SavedRun): readonly FixedSetting[] {
  const { config } = asked;
  const spec = saved.network.spec;
  const dense = spec.layers.filter((l) => l.type === 'dense');
  const optimizer = saved.optimizer.config;
  const beta = optimizer.type === 'adam' ? optimizer.beta1 : optimizer.type === 'sgd' ? undefined : optimizer.beta;
  const schedule = (s: Schedule) => scheduleText(s.type === 'inverse' && s.decay === 0 ? { type: 'constant' } : s);
  const row = (name: keyof TrainingConfig, savedText: string, askedText: string): FixedSetting => ({
    name,
    flag: TRAINING_CONFIG_RULES[name].flag ?? name,
    saved: savedText,
    asked: askedText,
  });
  return [
    row('hidden', JSON.stringify(dense.slice(0, -1).map((l) => (l.type === 'dense' ? l.units : 0))), JSON.stringify(config.hidden)),
    row('activation', spec.layers.find((l) => l.type === 'activation')?.fn ?? config.activation, config.activation),
    row('batchNorm', String(spec.layers.some((l) => l.type === 'batchNorm')), String(config.batchNorm)),
    row('optimizer', optimizer.type, config.optimizer),
    row('momentum', optimizer.type === 'sgd' ? 'none (sgd)' : String(beta ?? 0.9), String(config.momentum)),
    row(
      'momentumConvention',
      optimizer.type === 'momentum' ? (optimizer.convention ?? 'ewa') : `none (${optimizer.type})`,
      config.momentumConvention ?? 'ewa',
    ),
    row('weightDecay', String(optimizer.weightDecay ?? 0), String(config.weightDecay)),
    row('lrDecay', schedule(saved.progress.schedule ?? { type: 'constant' }), schedule(scheduleOf(config))),
    row('batchSize', String(saved.progress.batchSize), String(config.batchSize)),
    row('seed', String(saved.progress.seed), String(config.seed)),
    { name: 'normalize', flag: '--no-normalize', saved: String(saved.standardizer !== undefined), asked: String(asked.normalize) },
    { name: 'label', flag: '--label', saved: saved.columns?.label ?? asked.label, asked: asked.label },
    { name: 'features', flag: '--features', saved: (saved.columns?.features ?? []).join(','), asked: (asked.features ?? []).join(',') },
  ];
}

/**
 * Refuses a resume asked for other settings than the saved run has, naming every one: `given`
 * says which settings were asked for (a `TrainingConfig` key, or normalize, label, features);
 * the others are the saved run's. `where` names the saved model in the message.
 *
 * @example
 * checkResume({ config, normalize: true, label: 'label' }, saved, (name) => name === 'hidden', `the model in ${dir}`);
 */
export function checkResume(asked: RunSettings, saved: SavedRun, given: (setting: string) => boolean, where: string): void {
  const changed = fixedOnResume(asked, saved).filter((row) => given(row.name) && row.saved !== row.asked);
  if (changed.length === 0) return;
  const list = changed.map(
    (row) => `${row.flag} cannot change when resuming: ${where} has ${row.name} ${row.saved}, this run asks for ${row.asked}`,
  );
  throw new UsageError(`${list.join('; ')} (on a resume only the learning rate, --lr, changes the run; leave the others out)`);
}
