import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/model/network.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import { Standardizer } from '../../src/model/standardizer.js';
import { typescriptBackend } from '../../src/model/typescriptBackend.js';
import { readConfigFile } from '../../src/training/configSchema.js';
import { resumeConfig } from '../../src/training/resumeConfig.js';
import {
  CONFIG_SETTINGS,
  DATA_SETTINGS,
  DEFAULT_TRAINING_CONFIG,
  type RunSettings,
  type SavedRun,
  type SettingKey,
  settingEntries,
} from '../../src/training/settings.js';
import { networkOptionsOf, optimizerConfigOf, scheduleOf, type TrainingConfig } from '../../src/training/trainingConfig.js';
import { configFromParams, TUNABLE } from '../../src/tuning/space.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { settingsMarkdown } from '../helpers/settingsTable.js';

/**
 * For every setting: a value other than the saved run's (`other`, with the flag's text for it when
 * it has a flag that takes one), and text the flag refuses. A setting added to the table without
 * a row here fails the first test: each facet below is checked for every setting.
 */
const SAMPLES: Record<SettingKey, { other: unknown; text?: string; bad?: string; base?: Partial<TrainingConfig> }> = {
  label: { other: 'y', text: 'y' },
  features: { other: ['c'], text: 'c', bad: ' , ' },
  hidden: { other: [16, 8], text: '16,8', bad: '16,x' },
  activation: { other: 'tanh', text: 'tanh' },
  batchNorm: { other: false },
  dropout: { other: 0.25, text: '0.25', bad: '1' },
  optimizer: { other: 'sgd', text: 'sgd' },
  learningRate: { other: 0.01, text: '0.01', bad: '-1' },
  lrDecay: { other: { type: 'step', every: 2, gamma: 0.5 }, text: 'step:2:0.5', bad: 'step:x' },
  momentum: { other: 0.5, text: '0.5', bad: '1' },
  momentumConvention: { other: 'pytorch', text: 'pytorch', base: { optimizer: 'momentum' } },
  beta2: { other: 0.99 },
  epsilon: { other: 1e-6 },
  weightDecay: { other: 0.1, text: '0.1', bad: '-1' },
  classWeight: { other: 'balanced', text: 'balanced', bad: '{"1": -1}' },
  batchSize: { other: 32, text: '32', bad: '0' },
  epochs: { other: 5, text: '5', bad: '0' },
  seed: { other: 3, text: '3', bad: '-1' },
  normalize: { other: false },
  fillMissing: { other: 'mean', text: 'mean' },
  categorical: { other: ['c'], text: 'c', bad: ' , ' },
  maxLevels: { other: 8, text: '8', bad: '0' },
};

/** A run saved after one epoch with `config`, two features `a` and `b`, standardized, no filling. */
function savedRun(config: TrainingConfig): SavedRun {
  const network = createNetwork({
    inputSize: 2,
    classes: 3,
    ...networkOptionsOf(config),
    seed: 0,
    backend: typescriptBackend,
  });
  return {
    network,
    optimizer: createOptimizer(optimizerConfigOf(config), typescriptBackend),
    standardizer: new Standardizer(new Float64Array(2), new Float64Array(2).fill(1)),
    columns: { label: 'label', features: ['a', 'b'] },
    progress: { epochsCompleted: 1, seed: config.seed, batchSize: config.batchSize, schedule: scheduleOf(config) },
  };
}

const asked = (config: TrainingConfig): RunSettings => ({ config, normalize: true, label: 'label', features: ['a', 'b'] });

/** `asked` with the setting `key` set to `value`. */
function askedWith(base: RunSettings, key: SettingKey, value: unknown): RunSettings {
  return key in CONFIG_SETTINGS ? { ...base, config: { ...base.config, [key]: value } } : { ...base, [key]: value };
}

describe('the settings table', () => {
  it('declares every TrainingConfig key and the data settings, each with a sample here, and the defaults of rxgrad train', () => {
    expect(
      settingEntries()
        .map(([key]) => key)
        .sort(),
    ).toEqual(Object.keys(SAMPLES).sort());
    expect(Object.keys(DATA_SETTINGS).sort()).toEqual(['categorical', 'features', 'fillMissing', 'label', 'maxLevels', 'normalize']);
    const defaults = Object.fromEntries(
      Object.entries(CONFIG_SETTINGS).flatMap(([key, s]) => (s.default === undefined ? [] : [[key, s.default]])),
    );
    expect(DEFAULT_TRAINING_CONFIG).toEqual(defaults);
    // The defaults the project has always had: a new setting's default changes none of them.
    expect(DEFAULT_TRAINING_CONFIG).toEqual({
      hidden: [64, 32],
      activation: 'relu',
      batchNorm: true,
      dropout: 0,
      optimizer: 'adam',
      learningRate: 0.001,
      weightDecay: 0,
      lrDecay: 0,
      batchSize: 64,
      epochs: 20,
      seed: 0,
    });
  });

  it('every flag is an option of train and babysit, with its help line, and reads its text as the setting', async () => {
    for (const command of ['train', 'babysit']) {
      const help = (await cli([command, '--help'])).stdout.replace(/\s+/g, ' ');
      for (const [key, setting] of settingEntries()) {
        if (!setting.flag) continue;
        expect(help, `${command} --help: ${key}`).toContain(
          setting.placeholder ? `${setting.flag} <${setting.placeholder}>` : setting.flag,
        );
        expect(help, `${command} --help: ${key}`).toContain(setting.help.replace(/\s+/g, ' '));
        for (const choice of setting.choices ?? []) expect(help).toContain(`"${choice}"`);
      }
    }
    for (const [key, setting] of settingEntries()) {
      const sample = SAMPLES[key];
      if (setting.parse) {
        expect(setting.parse(sample.text!), key).toEqual(sample.other);
        if (sample.bad !== undefined) expect(() => setting.parse!(sample.bad!), key).toThrow(setting.flag);
      }
      if (setting.choices) expect(setting.choices, key).toContain(sample.text);
      if (setting.flag && setting.placeholder) expect(sample.text, key).toBeDefined();
    }
  });

  it('a bad value on the command line is one line naming the flag, exit 2', async () => {
    for (const [key, setting] of settingEntries()) {
      const bad = SAMPLES[key].bad ?? (setting.choices ? 'nonsense' : undefined);
      if (!setting.flag || bad === undefined) continue;
      const { code, stderr: err } = await cli(['train', '--data', 'x.arrow', setting.flag, bad]);
      expect(code, key).toBe(2);
      expect(err, key).toContain(setting.flag);
      expect(err, key).not.toMatch(/\n\s+at /);
    }
  });

  it('every training setting is read from a --config file, and a wrong value there is named', async () => {
    const dir = tempDir();
    for (const [key, setting] of Object.entries(CONFIG_SETTINGS)) {
      const sample = SAMPLES[key as SettingKey];
      expect(setting.valid(sample.other), key).toBe(true);
      const file = path.join(dir, `${key}.json`);
      writeFileSync(file, JSON.stringify({ [key]: sample.other }));
      expect(await readConfigFile(file, DEFAULT_TRAINING_CONFIG), key).toEqual({ [key]: sample.other });
      writeFileSync(file, JSON.stringify({ [key]: { nonsense: true } }));
      await expect(readConfigFile(file, DEFAULT_TRAINING_CONFIG), key).rejects.toThrow(`'${key}' must be ${setting.expected}`);
    }
  });

  it('a resume keeps every fixed setting, refuses another value when asked, and takes a new learning rate and epochs', () => {
    for (const [key, setting] of settingEntries()) {
      const sample = SAMPLES[key];
      const config = { ...DEFAULT_TRAINING_CONFIG, ...sample.base };
      const saved = savedRun(config);
      const other = askedWith(asked(config), key, sample.other);
      const where = 'the model in runs/a';
      if (setting.resume.kind === 'fixed') {
        expect(() => resumeConfig(other, saved, { given: (s) => s === key, where }), key).toThrow(
          `${setting.flag ?? key} cannot change when resuming: ${where} has ${key} `,
        );
        // Not asked for: the saved run's value, whatever the asked one.
        const kept = resumeConfig(other, saved, { given: () => false, where });
        const was = config[key as keyof TrainingConfig];
        if (key in CONFIG_SETTINGS && was !== undefined)
          expect(setting.text(kept[key as keyof TrainingConfig]), key).toBe(setting.text(was));
        if (key in CONFIG_SETTINGS) expect(setting.text(kept[key as keyof TrainingConfig]), key).not.toBe(setting.text(sample.other));
        // Asked for the saved value: no change, nothing refused.
        expect(() => resumeConfig(asked(config), saved, { given: () => true, where }), key).not.toThrow();
      } else {
        const resumed = resumeConfig(other, saved, { given: (s) => s === key, where });
        expect(resumed[key as keyof TrainingConfig], key).toEqual(sample.other);
        if (setting.resume.kind === 'changes')
          expect(resumeConfig(other, saved, { given: () => false, where })[key as keyof TrainingConfig], key).toEqual(
            config[key as keyof TrainingConfig],
          );
      }
    }
  });

  it("only the learning rate changes on a resume, and the epochs are the command's", () => {
    expect(settingEntries().flatMap(([key, s]) => (s.resume.kind === 'fixed' ? [] : [[key, s.resume.kind]]))).toEqual([
      ['learningRate', 'changes'],
      ['epochs', 'command'],
    ]);
  });

  it("the README's table of settings is the table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('<!-- settings -->\n');
    const end = readme.indexOf('<!-- /settings -->');
    expect(start, 'README: <!-- settings --> … <!-- /settings -->').toBeGreaterThan(0);
    expect(readme.slice(start + '<!-- settings -->\n'.length, end)).toBe(settingsMarkdown());
  });

  it('one message names every refused setting', () => {
    const saved = savedRun(DEFAULT_TRAINING_CONFIG);
    const config = { ...DEFAULT_TRAINING_CONFIG, hidden: [8], activation: 'tanh' as const, seed: 4 };
    expect(() => resumeConfig(asked(config), saved, { where: 'the model in m' })).toThrow(
      '--hidden cannot change when resuming: the model in m has hidden [64,32], this run asks for [8]; --activation cannot change when resuming: the model in m has activation relu, this run asks for tanh; --seed cannot change when resuming: the model in m has seed 0, this run asks for 4 (on a resume only --lr changes the run; leave the others out)',
    );
  });

  it('an activation or batch normalization a network without hidden layers cannot have is no change', () => {
    const config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, hidden: [] };
    const other = { ...config, activation: 'tanh' as const };
    expect(() => resumeConfig(asked(other), savedRun(config), { where: 'm' })).not.toThrow();
    expect(() => resumeConfig(asked({ ...other, hidden: [8] }), savedRun(config), { where: 'm' })).toThrow('--hidden cannot change');
  });

  it('a momentum, β2 or ε the saved optimizer does not use is no change', () => {
    const config: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, optimizer: 'sgd' };
    const withBetas = { ...config, momentum: 0.95, beta2: 0.99, epsilon: 1e-6 };
    expect(() => resumeConfig(asked(withBetas), savedRun(config), { where: 'm' })).not.toThrow();
  });

  it('every search-space name sets its setting', () => {
    expect([...TUNABLE].sort()).toEqual(
      Object.values(CONFIG_SETTINGS)
        .flatMap((s) => s.tunable ?? [])
        .sort(),
    );
    for (const [key, setting] of Object.entries(CONFIG_SETTINGS)) {
      for (const name of setting.tunable ?? []) {
        const other = SAMPLES[key as SettingKey].other;
        const value = name === 'hiddenUnits' ? 16 : name === 'layers' ? 3 : typeof other === 'object' ? 0.1 : other;
        const config = configFromParams({ [name]: value as never }, DEFAULT_TRAINING_CONFIG);
        const expected = name === 'hiddenUnits' ? [16, 16] : name === 'layers' ? [64, 64, 64] : value;
        expect(config[key as keyof TrainingConfig], name).toEqual(expected);
      }
    }
  });
});
