import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackend } from '../backends/createBackend.js';
import { ModelFormatError } from '../errors.js';
import type { Backend } from '../model/backend.js';
import type { ClassWeightSetting } from '../model/classWeights.js';
import type { FloatArray } from '../model/matrix.js';
import { buildNetwork, type Network, type NetworkSpec } from '../model/network.js';
import { createOptimizer } from '../model/optimizers/createOptimizer.js';
import type { Optimizer, OptimizerConfig } from '../model/optimizers/optimizer.js';
import type { Schedule } from '../model/schedule.js';
import { Standardizer } from '../model/standardizer.js';
import { isWeightsFileName, writeModelDirectory } from './modelDirectory.js';
import { checkFiniteWeights, checkModelDocument, type TensorEntry } from './modelDocument.js';
import { MODEL_FILES, modelIndexFile } from './modelLayout.js';

/** The format written by `saveModel`; bumped on any incompatible change. */
export const MODEL_FORMAT_VERSION = 3;

/** Which columns of an Arrow file a model reads. */
export interface DataColumns {
  readonly label: string;
  readonly features: readonly string[];
  /** The classes by name, when the labels were names (or numbers other than 0…K−1); index = class. */
  readonly classNames?: readonly string[] | undefined;
  /** What fills a missing feature value, one per numeric feature value (training's `--fill-missing`); without it a missing value is an error. */
  readonly fillMissing?: readonly number[] | undefined;
  /** Columns read as categories, their one-hot inputs after the numeric `features` (see `readData`). */
  readonly categories?: readonly { readonly column: string; readonly levels: readonly string[] }[] | undefined;
  /** The `--max-levels` the categories were found with. */
  readonly maxLevels?: number | undefined;
}

/** How far training got, so that it can resume. */
export interface TrainingProgress {
  readonly epochsCompleted: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly schedule: Schedule;
  /** How the loss weighs the classes, when it does: a resume weighs them alike. */
  readonly classWeight?: ClassWeightSetting | undefined;
}

/** Everything saved with a model. Only the network is required. */
export interface ModelBundle {
  readonly network: Network;
  readonly standardizer?: Standardizer | undefined;
  readonly columns?: DataColumns | undefined;
  readonly optimizer?: Optimizer | undefined;
  readonly progress?: TrainingProgress | undefined;
  /** Anything else to keep with the model (JSON), e.g. a tuning trial's learning curve. */
  readonly notes?: Readonly<Record<string, unknown>> | undefined;
}

/** The `model.json` document. */
interface ModelDocument {
  readonly format: 'rxgrad-model';
  readonly version: number;
  /** The weights file (version 3 on); `weights.bin` before. */
  readonly weights?: string;
  readonly network: NetworkSpec;
  /** The statistics, or "none" (version 3 on) when the model reads its inputs as they are. */
  readonly standardizer?: { mean: number[]; std: number[] } | 'none';
  readonly columns?: DataColumns;
  readonly optimizer?: { config: OptimizerConfig; steps: number };
  readonly progress?: TrainingProgress;
  readonly notes?: Readonly<Record<string, unknown>>;
  readonly tensors: readonly TensorEntry[];
}

/**
 * Saves a model as a directory with two files, so that it holds the old model or the new one at
 * every instant (see `writeModelDirectory`):
 * - `model.json`: format version, architecture, input columns, standardization statistics,
 *   optimizer configuration and step count, training progress, the index of every tensor, and the
 *   name of the weights file;
 * - `weights-<id>.bin`: the tensors (parameters, batch-norm running statistics, optimizer moments)
 *   as little-endian float32, concatenated in index order.
 * A directory that holds anything else is refused with a `ModelFormatError`.
 *
 * @example
 * await saveModel('models/digits', { network, standardizer, optimizer, columns: { label: 'label', features: ['pixels'] } });
 */
export async function saveModel(dir: string, bundle: ModelBundle): Promise<void> {
  const tensors: TensorEntry[] = [];
  const arrays: FloatArray[] = [];
  let offset = 0;
  const add = (name: string, group: TensorEntry['group'], values: FloatArray) => {
    tensors.push({ name, group, length: values.length, offset });
    arrays.push(values);
    offset += values.length;
  };
  for (const p of bundle.network.params) add(p.name, 'param', p.value);
  for (const [name, values] of bundle.network.buffers) add(name, 'buffer', values);
  const optimizerState = bundle.optimizer?.state();
  if (optimizerState) for (const [name, values] of optimizerState.slots) add(name, 'optimizer', values);

  const weights = new Float32Array(offset);
  for (let i = 0; i < arrays.length; i++) weights.set(arrays[i]!, tensors[i]!.offset);
  const document = (weightsFile: string): ModelDocument => ({
    format: 'rxgrad-model',
    version: MODEL_FORMAT_VERSION,
    weights: weightsFile,
    network: bundle.network.spec,
    standardizer: bundle.standardizer ? bundle.standardizer.toJSON() : 'none',
    ...(bundle.columns ? { columns: bundle.columns } : {}),
    ...(bundle.optimizer && optimizerState ? { optimizer: { config: bundle.optimizer.config, steps: optimizerState.steps } } : {}),
    ...(bundle.progress ? { progress: bundle.progress } : {}),
    ...(bundle.notes ? { notes: bundle.notes } : {}),
    tensors,
  });
  await writeModelDirectory(dir, (weightsFile) => `${JSON.stringify(document(weightsFile), null, 2)}\n`, littleEndianBytes(weights));
}

/**
 * Loads a directory written by `saveModel`: the network with its weights and running statistics,
 * and, where they were saved, the standardizer, columns, progress and an optimizer whose moments
 * are restored so that training resumes exactly.
 *
 * @example
 * const { network, standardizer } = await loadModel('models/digits');
 */
export async function loadModel(dir: string, backend: Backend = createBackend()): Promise<ModelBundle> {
  const jsonPath = modelIndexFile(dir);
  const text = await fs.readFile(jsonPath, 'utf8').catch((cause: unknown) => {
    throw new ModelFormatError(dir, `cannot read ${MODEL_FILES.index} (${(cause as Error).message})`, { cause });
  });
  let document: ModelDocument;
  try {
    document = JSON.parse(text) as ModelDocument;
  } catch (cause) {
    throw new ModelFormatError(jsonPath, 'is not valid JSON', { cause });
  }
  if (document.format !== 'rxgrad-model' || ![1, 2, MODEL_FORMAT_VERSION].includes(document.version)) {
    throw new ModelFormatError(
      jsonPath,
      `expected format 'rxgrad-model' version 1 to ${MODEL_FORMAT_VERSION}, got '${document.format}' version ${document.version}`,
    );
  }
  const weightsFile = document.version >= 3 ? document.weights : MODEL_FILES.legacyWeights;
  if (typeof weightsFile !== 'string' || !isWeightsFileName(weightsFile)) {
    throw new ModelFormatError(
      jsonPath,
      `'weights' must name a weights file in the model directory (weights-<id>.bin), got ${JSON.stringify(weightsFile)}`,
    );
  }
  const bytes = await fs.readFile(path.join(dir, weightsFile)).catch((cause: unknown) => {
    throw new ModelFormatError(dir, `cannot read ${weightsFile} (${(cause as Error).message})`, { cause });
  });
  if (bytes.byteLength % 4 !== 0)
    throw new ModelFormatError(dir, `${weightsFile} is ${bytes.byteLength} bytes, not a whole number of float32 values`);
  const weights = fromLittleEndianBytes(bytes);
  checkModelDocument(document, jsonPath, weights.length);
  const expected = document.tensors.reduce((n, t) => Math.max(n, t.offset + t.length), 0);
  if (weights.length !== expected) {
    throw new ModelFormatError(dir, `${weightsFile} holds ${weights.length} floats, model.json indexes ${expected}`);
  }
  checkFiniteWeights(weights, document.tensors, path.join(dir, weightsFile));
  let network: Network;
  try {
    network = buildNetwork(document.network, { backend });
  } catch (cause) {
    throw new ModelFormatError(jsonPath, `invalid network: ${(cause as Error).message}`, { cause });
  }
  const byName = new Map(document.tensors.map((t) => [t.name, t]));
  if (document.version === 1) denseWeightsFromVersion1(document, weights);
  const fill = (name: string, target: FloatArray) => {
    const entry = byName.get(name);
    if (!entry || entry.length !== target.length) {
      throw new ModelFormatError(dir, `tensor '${name}' is missing or has the wrong size`);
    }
    target.set(weights.subarray(entry.offset, entry.offset + entry.length));
  };
  for (const p of network.params) fill(p.name, p.value);
  for (const [name, values] of network.buffers) fill(name, values);

  let optimizer: Optimizer | undefined;
  if (document.optimizer) {
    try {
      optimizer = createOptimizer(document.optimizer.config, backend);
    } catch (cause) {
      throw new ModelFormatError(jsonPath, `invalid optimizer: ${(cause as Error).message}`, { cause });
    }
    const slots = new Map<string, FloatArray>();
    for (const t of document.tensors) {
      if (t.group === 'optimizer') slots.set(t.name, weights.slice(t.offset, t.offset + t.length));
    }
    for (const p of network.params) {
      for (const [key, values] of slots)
        if (key.startsWith(`${p.name}.`) && values.length !== p.value.length)
          throw new ModelFormatError(dir, `optimizer tensor '${key}' has ${values.length} values, its parameter ${p.value.length}`);
    }
    optimizer.restore({ steps: document.optimizer.steps, slots });
  }
  return {
    network,
    standardizer: document.standardizer && document.standardizer !== 'none' ? Standardizer.fromJSON(document.standardizer) : undefined,
    columns: document.columns,
    optimizer,
    progress: document.progress,
    notes: document.notes,
  };
}

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (littleEndian) return bytes;
  const view = new DataView(new ArrayBuffer(values.byteLength));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return new Uint8Array(view.buffer);
}

function fromLittleEndianBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Version 1 stored dense weights (inputs × units); version 2 stores them (units × inputs), as
 * PyTorch does. Transposes each dense weight, and its optimizer moments, in place.
 */
function denseWeightsFromVersion1(document: ModelDocument, weights: Float32Array): void {
  document.network.layers.forEach((layer, i) => {
    if (layer.type !== 'dense') return;
    const name = `${i}.weight`;
    for (const t of document.tensors) {
      if (t.name !== name && !(t.group === 'optimizer' && t.name.startsWith(`${name}.`))) continue;
      if (t.length !== layer.inputSize * layer.units) continue;
      const stored = weights.slice(t.offset, t.offset + t.length);
      for (let r = 0; r < layer.inputSize; r++) {
        for (let c = 0; c < layer.units; c++) weights[t.offset + c * layer.inputSize + r] = stored[r * layer.units + c]!;
      }
    }
  });
}

/**
 * What a saved model says of its data columns, read from its index without loading its weights;
 * undefined when it says nothing (or there is no model).
 *
 * @example
 * const columns = await readSavedColumns('models/digits'); // { label: 'label', features: [...] }
 */
export async function readSavedColumns(dir: string): Promise<DataColumns | undefined> {
  const text = await fs.readFile(modelIndexFile(dir), 'utf8').catch(() => '{}');
  return (JSON.parse(text) as { columns?: DataColumns }).columns;
}
