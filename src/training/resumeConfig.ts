import { UsageError } from '../errors.js';
import { CONFIG_SETTINGS, type RunSettings, type SavedRun, type Setting, type SettingKey, settingEntries } from './settings.js';
import type { TrainingConfig } from './trainingConfig.js';

export type { RunSettings, SavedRun } from './settings.js';

/** What `resumeConfig` may be told besides the settings asked for. */
export interface ResumeOptions {
  /** Which settings were asked for (the others are the saved run's); every one by default. */
  readonly given?: (setting: SettingKey) => boolean;
  /** The saved run in words, for messages: "the model in runs/a". */
  readonly where: string;
  /** What a setting that changes on a resume was last set to, where the saved run does not say (a babysat run's last `lr` control). */
  readonly current?: Partial<TrainingConfig> | undefined;
}

/** A setting's value as a message shows it. */
const textOf = (setting: Setting<unknown>, value: unknown) => setting.text(value);

/**
 * The configuration a saved run goes on with, decided by each setting's row of the settings table
 * (`CONFIG_SETTINGS`, `DATA_SETTINGS`): a `fixed` setting is the saved run's, and asking for
 * another value is refused, every such setting named in one UsageError; the learning rate is the
 * one asked for when given (the run's new initial rate), else the rate the run was last set to
 * (`current`, else the saved optimizer's);
 * the epochs are the command's. Used by `train --resume`, a resumed babysat run and a trial that
 * goes on from its checkpoint.
 *
 * @example
 * const saved = await loadModel('runs/a');
 * const resumed = resumeConfig({ config, normalize: true, label: 'label' }, { ...saved, optimizer: saved.optimizer!, progress: saved.progress! }, {
 *   given: (s) => s === 'learningRate',
 *   where: 'the model in runs/a',
 * });
 */
export function resumeConfig(asked: RunSettings, saved: SavedRun, options: ResumeOptions): TrainingConfig {
  const given = options.given ?? (() => true);
  const askedValue = (key: SettingKey): unknown =>
    key in CONFIG_SETTINGS ? asked.config[key as keyof TrainingConfig] : asked[key as keyof Omit<RunSettings, 'config'>];
  const refused: string[] = [];
  const config: Record<string, unknown> = { ...asked.config };
  for (const [key, setting] of settingEntries()) {
    const rule = setting.resume;
    if (rule.kind === 'command') continue;
    if (rule.kind === 'changes') {
      if (!given(key)) config[key] = options.current?.[key as keyof TrainingConfig] ?? rule.saved(saved);
      continue;
    }
    const kept = rule.saved(saved, asked);
    const wanted = askedValue(key);
    // An optional setting left unset (momentum: the optimizer's default) asks for nothing.
    if (given(key) && wanted !== undefined && textOf(setting, kept) !== textOf(setting, wanted))
      refused.push(
        `${setting.flag ?? key} cannot change when resuming: ${options.where} has ${key} ${textOf(setting, kept)}, this run asks for ${textOf(setting, wanted)}`,
      );
    if (key in CONFIG_SETTINGS) config[key] = kept;
  }
  if (refused.length > 0) {
    const changing = settingEntries()
      .filter(([, s]) => s.resume.kind === 'changes')
      .map(([key, s]) => s.flag ?? key);
    throw new UsageError(`${refused.join('; ')} (on a resume only ${changing.join(', ')} changes the run; leave the others out)`);
  }
  // A setting the saved run does not have (Adam's β₂ on a momentum run) stays unset.
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  return config as unknown as TrainingConfig;
}
