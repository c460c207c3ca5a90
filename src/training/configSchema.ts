import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { CONFIG_SETTINGS, type Setting } from './settings.js';
import type { TrainingConfig } from './trainingConfig.js';

/** What a value must be: a test, and the words for it. */
interface ValueRule {
  readonly valid: (value: unknown) => boolean;
  readonly expected: string;
}

const isPositiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** What a configuration file may hold besides the settings: a search space's names for the hidden layers, and what a study measured. */
const FILE_EXTRAS: Readonly<Record<'hiddenUnits' | 'layers' | 'measured', ValueRule>> = {
  hiddenUnits: { valid: isPositiveInteger, expected: 'a positive integer' },
  layers: { valid: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, expected: 'an integer ≥ 0' },
  // Kept for the reader (best.json), not a setting.
  measured: { valid: (v) => typeof v === 'object' && v !== null && !Array.isArray(v), expected: 'an object (what a study measured)' },
};

/**
 * Reads a configuration file (what `rxgrad tune` writes as best.json, or a run's settings) and
 * checks every setting against its row of `CONFIG_SETTINGS`: the settings it gives, in
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
  const rules: Readonly<Record<string, ValueRule>> = { ...CONFIG_SETTINGS, ...FILE_EXTRAS };
  const unknown = Object.keys(given).find((key) => !(key in rules));
  if (unknown !== undefined)
    throw new UsageError(`--config ${file}: unknown setting '${unknown}'; expected ${Object.keys(rules).join(', ')}`);
  const config: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(rules)) {
    const value = given[key];
    if (value === undefined || value === null) continue;
    if (!rule.valid(value)) throw new UsageError(`--config ${file}: '${key}' must be ${rule.expected}, got ${JSON.stringify(value)}`);
    const setting = (CONFIG_SETTINGS as Readonly<Record<string, Setting<unknown>>>)[key];
    if (setting) {
      try {
        config[key] = setting.fromFile ? setting.fromFile(value) : value;
      } catch (error) {
        throw new UsageError(`--config ${file}: ${(error as Error).message}`);
      }
    }
  }
  const units = given.hiddenUnits as number | undefined;
  const layers = given.layers as number | undefined;
  if (units !== undefined || layers !== undefined) {
    if (config.hidden !== undefined) throw new UsageError(`--config ${file}: give either 'hidden' or 'hiddenUnits' and 'layers', not both`);
    config.hidden = new Array<number>(layers ?? base.hidden.length).fill(units ?? base.hidden[0] ?? 64);
  }
  return config as Partial<TrainingConfig>;
}
