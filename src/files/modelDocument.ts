import { ModelFormatError } from '../errors.js';
import { isClassWeightSetting } from '../model/classWeights.js';
import type { LayerSpec } from '../model/layer.js';

/** One tensor's place in the weights file. */
export interface TensorEntry {
  readonly name: string;
  readonly group: 'param' | 'buffer' | 'optimizer';
  readonly length: number;
  /** Offset in float32 elements from the start of the weights file. */
  readonly offset: number;
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: Json): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Checks a parsed model.json field by field before anything is built from it, so that an edited
 * or damaged file is refused with a `ModelFormatError` naming the field, instead of a stack trace
 * or a model that silently keeps random weights. `floats` is the weights file's length in float32
 * values. Returns the standardizer's presence as the file states it.
 *
 * @example
 * import { readFile } from 'node:fs/promises';
 * const text = await readFile('models/a/model.json', 'utf8');
 * checkModelDocument(JSON.parse(text), 'models/a/model.json', 4096);
 */
export function checkModelDocument(document: Json, where: string, floats: number): void {
  const fail = (problem: string): never => {
    throw new ModelFormatError(where, problem);
  };
  if (!isObject(document)) fail('expected a JSON object');
  const d = document as Record<string, Json>;
  const version = d.version as number;

  const network = d.network;
  if (!isObject(network)) fail("'network' must be an object");
  const { inputSize, classes, layers } = network as Record<string, Json>;
  if (!isCount(inputSize) || inputSize < 1) fail(`'network.inputSize' must be a positive integer, got ${JSON.stringify(inputSize)}`);
  if (!isCount(classes) || classes < 2) fail(`'network.classes' must be an integer ≥ 2, got ${JSON.stringify(classes)}`);
  if (!Array.isArray(layers) || layers.length === 0) fail("'network.layers' must be a non-empty array");
  (layers as Json[]).forEach((layer, i) => {
    if (!isObject(layer) || typeof layer.type !== 'string') fail(`'network.layers[${i}]' must be an object with a type`);
    const spec = layer as unknown as LayerSpec;
    if (spec.type === 'dense' && (!isCount(spec.inputSize) || !isCount(spec.units) || typeof spec.bias !== 'boolean'))
      fail(`'network.layers[${i}]': a dense layer needs integer inputSize and units and a boolean bias`);
    if (spec.type === 'batchNorm' && (!isCount(spec.size) || !(spec.epsilon > 0) || !(spec.momentum >= 0 && spec.momentum < 1)))
      fail(`'network.layers[${i}]': a batch norm layer needs an integer size, epsilon > 0 and momentum in [0, 1)`);
    if (spec.type === 'activation' && (!isCount(spec.size) || typeof spec.fn !== 'string'))
      fail(`'network.layers[${i}]': an activation layer needs an integer size and a function name`);
    if (spec.type === 'dropout' && (!isCount(spec.size) || !(spec.rate >= 0 && spec.rate < 1)))
      fail(`'network.layers[${i}]': a dropout layer needs an integer size and a rate in [0, 1)`);
  });

  const tensors = d.tensors;
  if (!Array.isArray(tensors)) fail("'tensors' must be an array");
  const ranges: [number, number, string][] = [];
  const names = new Set<string>();
  (tensors as Json[]).forEach((t, i) => {
    if (
      !isObject(t) ||
      typeof t.name !== 'string' ||
      !['param', 'buffer', 'optimizer'].includes(t.group as string) ||
      !isCount(t.length) ||
      !isCount(t.offset)
    ) {
      fail(
        `'tensors[${i}]' must have a name, a group (param, buffer or optimizer) and non-negative integer length and offset, got ${JSON.stringify(t)}`,
      );
    }
    const entry = t as unknown as TensorEntry;
    if (names.has(entry.name)) fail(`tensor '${entry.name}' is listed twice`);
    names.add(entry.name);
    if (entry.offset + entry.length > floats)
      fail(`tensor '${entry.name}' (offset ${entry.offset}, ${entry.length} values) runs past the ${floats} values of the weights file`);
    ranges.push([entry.offset, entry.offset + entry.length, entry.name]);
  });
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) fail(`tensors '${ranges[i - 1]![2]}' and '${ranges[i]![2]}' overlap in the weights file`);
  }

  // From version 3 on, "none" says a model has no standardizer; a missing one is damage.
  const standardizer = d.standardizer;
  if (standardizer === undefined && version >= 3) fail('\'standardizer\' is missing (expected the statistics, or "none")');
  if (standardizer !== undefined && standardizer !== 'none') {
    if (!isObject(standardizer) || !Array.isArray(standardizer.mean) || !Array.isArray(standardizer.std))
      fail("'standardizer' must have mean and std arrays");
    const { mean, std } = standardizer as { mean: Json[]; std: Json[] };
    if (mean.length !== inputSize || std.length !== inputSize)
      fail(`'standardizer' must have ${inputSize as number} means and deviations, one per input, got ${mean.length} and ${std.length}`);
    const badMean = mean.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (badMean >= 0) fail(`'standardizer.mean[${badMean}]' must be a finite number, got ${JSON.stringify(mean[badMean])}`);
    const badStd = std.findIndex((v) => typeof v !== 'number' || !(v > 0) || !Number.isFinite(v));
    if (badStd >= 0) fail(`'standardizer.std[${badStd}]' must be a positive number, got ${JSON.stringify(std[badStd])}`);
  }

  if (d.columns !== undefined) {
    const c = d.columns;
    if (!isObject(c) || typeof c.label !== 'string' || !Array.isArray(c.features) || !c.features.every((f) => typeof f === 'string'))
      fail("'columns' must have a label name and a list of feature names");
    const fill = (c as Record<string, Json>).fillMissing;
    if (fill !== undefined && (!Array.isArray(fill) || !fill.every((v) => typeof v === 'number' && Number.isFinite(v))))
      fail("'columns.fillMissing' must be a list of finite numbers, one per feature value");
    const categories = (c as Record<string, Json>).categories;
    if (categories !== undefined && !isCategoryList(categories, inputSize as number))
      fail(
        "'columns.categories' must be a list of { column, levels } with distinct column names and distinct text levels, fewer inputs than the network's",
      );
    const maxLevels = (c as Record<string, Json>).maxLevels;
    if (maxLevels !== undefined && !(isCount(maxLevels) && maxLevels >= 1)) fail("'columns.maxLevels' must be a positive integer");
    const names = (c as Record<string, Json>).classNames;
    if (
      names !== undefined &&
      (!Array.isArray(names) ||
        !names.every((n) => typeof n === 'string') ||
        names.length !== classes ||
        new Set(names).size !== names.length)
    ) {
      fail(`'columns.classNames' must be ${classes as number} distinct names, one per class`);
    }
  }
  if (d.optimizer !== undefined) {
    const o = d.optimizer;
    if (!isObject(o) || !isObject(o.config) || typeof o.config.type !== 'string' || !isCount(o.steps))
      fail("'optimizer' must have a config with a type and an integer step count");
  }
  if (d.progress !== undefined) {
    const p = d.progress;
    if (
      !isObject(p) ||
      !isCount(p.epochsCompleted) ||
      typeof p.seed !== 'number' ||
      !isCount(p.batchSize) ||
      p.batchSize < 1 ||
      !isObject(p.schedule)
    ) {
      fail("'progress' must have integer epochsCompleted and batchSize, a seed and a schedule");
    }
    const classWeight = (p as Record<string, Json>).classWeight;
    if (classWeight !== undefined && !isClassWeightSetting(classWeight))
      fail(`'progress.classWeight' must be "balanced" or an object of class weights ≥ 0, got ${JSON.stringify(classWeight)}`);
  }
  if (d.notes !== undefined && !isObject(d.notes)) fail("'notes' must be an object");
}

/**
 * Checks that every value of the weights is finite: a NaN or infinite weight is damage (training
 * stops before writing one).
 *
 * @example
 * checkFiniteWeights(new Float32Array(6), [{ name: 'dense0.weight', group: 'param', offset: 0, length: 6 }], 'models/a/weights-….bin');
 */
export function checkFiniteWeights(weights: Float32Array, tensors: readonly TensorEntry[], where: string): void {
  for (const t of tensors) {
    for (let i = t.offset; i < t.offset + t.length; i++) {
      if (!Number.isFinite(weights[i]!))
        throw new ModelFormatError(where, `tensor '${t.name}' holds ${weights[i]} at index ${i - t.offset}`);
    }
  }
}

/** A saved list of categorical columns: names and levels as text, each distinct, whose inputs fit within the network's. */
function isCategoryList(value: Json, inputSize: number): boolean {
  if (!Array.isArray(value)) return false;
  const columns = new Set<string>();
  let width = 0;
  for (const entry of value) {
    if (!isObject(entry) || typeof entry.column !== 'string' || columns.has(entry.column)) return false;
    const levels = entry.levels;
    if (!Array.isArray(levels) || !levels.every((l) => typeof l === 'string') || new Set(levels).size !== levels.length) return false;
    columns.add(entry.column);
    width += levels.length;
  }
  return width < inputSize;
}
