import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { CONFIG_SETTINGS, type Setting } from '../training/settings.js';
import type { TrainingConfig } from '../training/trainingConfig.js';
import {
  choice,
  type Distribution,
  intLogUniform,
  intUniform,
  logUniform,
  oneMinusLogUniform,
  type ParamValue,
  SearchSpaceError,
  uniform,
} from './distributions.js';

/** Hyperparameter names and their distributions. Names are those of `TrainingConfig` (see `configFromParams`). */
export type SearchSpace = Readonly<Record<string, Distribution>>;

/** One sampled configuration. */
export type Params = Readonly<Record<string, ParamValue>>;

/** The names a space may use, i.e. what a trial knows how to apply: each setting's search-space names (see `CONFIG_SETTINGS`). */
export const TUNABLE: readonly string[] = Object.values(CONFIG_SETTINGS).flatMap((setting) => setting.tunable ?? []);

/** The setting each search-space name sets, but `hiddenUnits` and `layers`, which set `hidden` together. */
const TUNED_SETTING = new Map(
  (Object.entries(CONFIG_SETTINGS) as [keyof TrainingConfig, Setting<unknown>][]).flatMap(([key, setting]) =>
    key === 'hidden' ? [] : (setting.tunable ?? []).map((name) => [name, { key, setting }] as const),
  ),
);

/**
 * The default space, in the usual order of importance: the learning rate first; then momentum β,
 * hidden units and mini-batch size; then the number of layers and learning-rate decay. Adam's β₂
 * and ε stay at 0.999 and 1e-8 unless a space asks for them.
 *
 * @example
 * const space = { ...defaultSearchSpace(), layers: intUniform(1, 2) };
 */
export function defaultSearchSpace(): SearchSpace {
  return {
    learningRate: logUniform(1e-4, 1e-1),
    momentum: oneMinusLogUniform(0.8, 0.999),
    hiddenUnits: intLogUniform(16, 256),
    batchSize: choice([32, 64, 128, 256]),
    layers: intUniform(1, 3),
    lrDecay: uniform(0, 0.5),
  };
}

const factories: Record<string, (args: unknown) => Distribution> = {
  uniform: (a) => uniform(...pair('uniform', a)),
  logUniform: (a) => logUniform(...pair('logUniform', a)),
  oneMinusLogUniform: (a) => oneMinusLogUniform(...pair('oneMinusLogUniform', a)),
  intUniform: (a) => intUniform(...pair('intUniform', a)),
  intLogUniform: (a) => intLogUniform(...pair('intLogUniform', a)),
  choice: (a) => {
    if (!Array.isArray(a)) throw new SearchSpaceError(`choice: expected a list of values, got ${JSON.stringify(a)}`);
    return choice(a as ParamValue[]);
  },
};

function pair(kind: string, args: unknown): [number, number] {
  if (!Array.isArray(args) || args.length !== 2 || args.some((v) => typeof v !== 'number')) {
    throw new SearchSpaceError(`${kind}: expected [low, high], got ${JSON.stringify(args)}`);
  }
  return [args[0] as number, args[1] as number];
}

/**
 * Refuses a distribution that can draw a value its setting does not take (`dropout` up to 1, a
 * negative weight decay): the bounds, or every choice, must be values of the setting.
 */
function checkValues(source: string, name: string, d: Distribution): void {
  const tuned = TUNED_SETTING.get(name);
  if (!tuned) return;
  const takes = (v: ParamValue) => tuned.setting.valid(v) || (typeof v === 'string' && tuned.setting.valid(Number(v)));
  const values = d.type === 'choice' ? d.values : [d.low, d.high];
  const outside = values.find((v) => !takes(v));
  if (outside !== undefined)
    throw new SearchSpaceError(
      `${source}: '${name}' can draw ${JSON.stringify(outside)}, but ${name} must be ${tuned.setting.expected}; narrow its ${d.type === 'choice' ? 'choices' : 'bounds'}`,
    );
}

/**
 * Checks a space built in code as `parseSearchSpace` checks one read from JSON: every name is a
 * tunable parameter (an unknown one such as `gamma` is an error, not silently ignored) and
 * every value a distribution.
 *
 * @example
 * checkSpace({ learningRate: logUniform(1e-4, 1) });
 */
export function checkSpace(space: SearchSpace, source = 'search space'): void {
  if (typeof space !== 'object' || space === null || Object.keys(space).length === 0)
    throw new SearchSpaceError(`${source}: names no parameters`);
  for (const [name, d] of Object.entries(space)) {
    if (!TUNABLE.includes(name))
      throw new SearchSpaceError(`${source}: unknown parameter '${name}'; expected one of ${TUNABLE.join(', ')}`);
    if (typeof d !== 'object' || d === null || !(d.type in factories))
      throw new SearchSpaceError(
        `${source}: '${name}' is not a distribution (use uniform, logUniform, oneMinusLogUniform, intUniform, intLogUniform or choice)`,
      );
    checkValues(source, name, d);
  }
}

/**
 * Reads a space from its JSON form: `{ "learningRate": { "logUniform": [1e-4, 1] }, "batchSize":
 * { "choice": [32, 64] } }`. Errors name the parameter and what is wrong with it.
 *
 * @example
 * import { readFile } from 'node:fs/promises';
 * parseSearchSpace(JSON.parse(await readFile('space.json', 'utf8')))
 */
export function parseSearchSpace(json: unknown, source = 'search space'): SearchSpace {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new SearchSpaceError(`${source}: expected an object of parameter names to distributions`);
  const space: Record<string, Distribution> = {};
  for (const [name, spec] of Object.entries(json)) {
    if (!TUNABLE.includes(name))
      throw new SearchSpaceError(`${source}: unknown parameter '${name}'; expected one of ${TUNABLE.join(', ')}`);
    if (typeof spec !== 'object' || spec === null || Object.keys(spec).length !== 1) {
      throw new SearchSpaceError(`${source}: '${name}' must be an object with one distribution, e.g. { "logUniform": [0.0001, 1] }`);
    }
    const [kind, args] = Object.entries(spec)[0]!;
    const factory = factories[kind];
    if (!factory)
      throw new SearchSpaceError(
        `${source}: '${name}' uses unknown distribution '${kind}'; expected one of ${Object.keys(factories).join(', ')}`,
      );
    try {
      space[name] = factory(args);
    } catch (error) {
      throw new SearchSpaceError(`${source}: '${name}': ${(error as Error).message}`);
    }
    checkValues(source, name, space[name]!);
  }
  if (Object.keys(space).length === 0) throw new SearchSpaceError(`${source}: names no parameters`);
  return space;
}

/**
 * The JSON form of a space (what `parseSearchSpace` reads).
 *
 * @example
 * JSON.stringify(spaceToJSON(defaultSearchSpace()))
 */
export function spaceToJSON(space: SearchSpace): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(space).map(([name, d]) => [name, { [d.type]: d.type === 'choice' ? d.values : [d.low, d.high] }]),
  );
}

/**
 * Applies sampled hyperparameters to a base configuration, each to the setting whose row names it
 * (`CONFIG_SETTINGS`); `hiddenUnits` and `layers` together set `hidden` (that many layers of that
 * many units).
 *
 * @example
 * configFromParams({ learningRate: 0.01, hiddenUnits: 128, layers: 2 }, DEFAULT_TRAINING_CONFIG).hidden // [128, 128]
 */
export function configFromParams(params: Params, base: TrainingConfig): TrainingConfig {
  const num = (name: string, fallback: number | undefined): number | undefined =>
    params[name] === undefined ? fallback : Number(params[name]);
  const units = num('hiddenUnits', base.hidden[0] ?? 64)!;
  const layers = num('layers', base.hidden.length)!;
  const hidden = params.hiddenUnits !== undefined || params.layers !== undefined ? new Array<number>(layers).fill(units) : base.hidden;
  const config: Record<string, unknown> = { ...base, hidden };
  for (const [name, value] of Object.entries(params)) {
    const tuned = TUNED_SETTING.get(name);
    // A number a JSON space wrote as text ("32") is the number; a name (relu) or a switch stays as it is.
    if (tuned) config[tuned.key] = typeof value === 'string' && !tuned.setting.valid(value) ? Number(value) : value;
  }
  return config as unknown as TrainingConfig;
}

/**
 * Reads a search space from a JSON file (`rxgrad tune --space FILE`); the default space without one.
 *
 * @example
 * const space = await readSearchSpaceFile('space.json');
 */
export async function readSearchSpaceFile(file: string | undefined): Promise<SearchSpace> {
  if (!file) return defaultSearchSpace();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--space ${file}: cannot read it (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--space ${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseSearchSpace(json, file);
}
