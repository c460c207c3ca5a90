import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { checked, parseSchedule, type Schedule } from '../model/schedule.js';
import { lrDecayOf, type TrainingConfig } from './trainingConfig.js';

/** What one setting must be: a test, the words for it, and the `rxgrad` flag that sets it (when one does). */
export interface SettingRule {
  readonly valid: (value: unknown) => boolean;
  readonly expected: string;
  readonly flag?: string;
}

const isPositiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isNumberIn = (low: number, high: number) => (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= low && v < high;

/**
 * The one declaration of what each `TrainingConfig` setting may be (keyed by the interface's own
 * keys, so a setting added there must be declared here): `--config` files are checked against it,
 * and a resume names settings by its flags.
 *
 * @example
 * TRAINING_CONFIG_RULES.batchSize.valid(0) // false
 * TRAINING_CONFIG_RULES.learningRate.flag // '--lr'
 */
export const TRAINING_CONFIG_RULES: { readonly [K in keyof TrainingConfig]-?: SettingRule } = {
  hidden: {
    valid: (v) => (Array.isArray(v) && v.every(isPositiveInteger)) || typeof v === 'string',
    expected: 'a list of positive integers, e.g. [64, 32] (or "64,32")',
    flag: '--hidden',
  },
  activation: {
    valid: (v) => ['relu', 'tanh', 'sigmoid', 'linear'].includes(v as string),
    expected: 'one of relu, tanh, sigmoid, linear',
    flag: '--activation',
  },
  batchNorm: { valid: (v) => typeof v === 'boolean', expected: 'true or false', flag: '--no-batch-norm' },
  optimizer: {
    valid: (v) => ['sgd', 'momentum', 'rmsprop', 'adam'].includes(v as string),
    expected: 'one of sgd, momentum, rmsprop, adam',
    flag: '--optimizer',
  },
  learningRate: { valid: (v) => typeof v === 'number' && v > 0 && Number.isFinite(v), expected: 'a positive number', flag: '--lr' },
  momentum: { valid: isNumberIn(0, 1), expected: 'a number in [0, 1)', flag: '--momentum' },
  momentumConvention: { valid: (v) => v === 'ewa' || v === 'pytorch', expected: "'ewa' or 'pytorch'", flag: '--momentum-convention' },
  beta2: { valid: isNumberIn(0, 1), expected: 'a number in [0, 1)' },
  epsilon: { valid: (v) => typeof v === 'number' && v > 0, expected: 'a positive number' },
  weightDecay: { valid: isNumberIn(0, Infinity), expected: 'a number ≥ 0', flag: '--weight-decay' },
  lrDecay: {
    valid: (v) => scheduleSetting(v) !== undefined,
    expected: 'a number ≥ 0 (inverse-time decay), a schedule such as "step:10:0.5", or one as a run\'s history.json writes it',
    flag: '--lr-decay',
  },
  batchSize: { valid: isPositiveInteger, expected: 'a positive integer', flag: '--batch-size' },
  epochs: { valid: isPositiveInteger, expected: 'a positive integer', flag: '--epochs' },
  seed: { valid: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, expected: 'an integer ≥ 0', flag: '--seed' },
};

/** What a configuration file may hold besides the settings: a search space's names for the hidden layers, and what a study measured. */
const FILE_EXTRAS: Readonly<Record<'hiddenUnits' | 'layers' | 'measured', SettingRule>> = {
  hiddenUnits: { valid: isPositiveInteger, expected: 'a positive integer' },
  layers: { valid: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, expected: 'an integer ≥ 0' },
  // Kept for the reader (best.json), not a setting.
  measured: { valid: (v) => typeof v === 'object' && v !== null && !Array.isArray(v), expected: 'an object (what a study measured)' },
};

/** An lrDecay as a schedule: a number (inverse-time), the CLI's words, or a schedule object; undefined when it is none of these. */
function scheduleSetting(value: unknown): Schedule | undefined {
  try {
    if (typeof value === 'number') return value >= 0 ? checked({ type: 'inverse', decay: value }) : undefined;
    if (typeof value === 'string') return parseSchedule(value);
    const kind = (value as { type?: unknown } | null)?.type;
    if (typeof kind === 'string' && ['constant', 'inverse', 'exponential', 'step'].includes(kind)) return checked(value as Schedule);
  } catch {
    return undefined;
  }
  return undefined;
}

function hiddenOf(text: string, file: string): number[] {
  if (text.trim() === '' || text.trim() === 'none') return [];
  return text.split(',').map((part) => {
    const units = Number(part.trim());
    if (!isPositiveInteger(units))
      throw new UsageError(`--config ${file}: 'hidden' must be ${TRAINING_CONFIG_RULES.hidden.expected}, got ${JSON.stringify(text)}`);
    return units;
  });
}

/**
 * Reads a configuration file (what `rxgrad tune` writes as best.json, or a run's settings) and
 * checks every setting against `TRAINING_CONFIG_RULES`: the settings it gives, in
 * `TrainingConfig`'s own form. `hiddenUnits` and `layers` set the hidden layers as they do in a
 * study, the rest taken from `base`.
 *
 * @example
 * const config = { ...base, ...(await readConfigFile('study/best.json', base)) };
 */
export async function readConfigFile(file: string, base: TrainingConfig): Promise<Partial<TrainingConfig>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--config ${file}: cannot read it as JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`--config ${file}: expected a JSON object`);
  const given = json as Record<string, unknown>;
  const rules: Readonly<Record<string, SettingRule>> = { ...TRAINING_CONFIG_RULES, ...FILE_EXTRAS };
  const unknown = Object.keys(given).find((key) => !(key in rules));
  if (unknown !== undefined)
    throw new UsageError(`--config ${file}: unknown setting '${unknown}'; expected ${Object.keys(rules).join(', ')}`);
  const config: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(rules)) {
    const value = given[key];
    if (value === undefined || value === null) continue;
    if (!rule.valid(value)) throw new UsageError(`--config ${file}: '${key}' must be ${rule.expected}, got ${JSON.stringify(value)}`);
    if (key in TRAINING_CONFIG_RULES)
      config[key] =
        key === 'lrDecay'
          ? lrDecayOf(scheduleSetting(value))
          : key === 'hidden' && typeof value === 'string'
            ? hiddenOf(value, file)
            : value;
  }
  const units = given.hiddenUnits as number | undefined;
  const layers = given.layers as number | undefined;
  if (units !== undefined || layers !== undefined) {
    if (config.hidden !== undefined) throw new UsageError(`--config ${file}: give either 'hidden' or 'hiddenUnits' and 'layers', not both`);
    config.hidden = new Array<number>(layers ?? base.hidden.length).fill(units ?? base.hidden[0] ?? 64);
  }
  return config as Partial<TrainingConfig>;
}
