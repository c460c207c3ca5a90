import type { Backend } from './backend.js';
import type { Layer, LayerSpec, Param, PassContext, PassKey } from './layer.js';
import type { FloatArray, Matrix } from './matrix.js';

/**
 * Wellons' lowbias32: a bijection on 32-bit integers whose output bits each flip with probability
 * ≈ ½ when any input bit does.
 */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const GOLDEN = 0x9e3779b9;

/** Folds one more 32-bit word into a hash. */
const fold = (hash: number, word: number): number => mix32(hash ^ mix32((word + GOLDEN) >>> 0));

/**
 * The 32-bit key of one layer's mask in one training pass: a hash of the run's seed, the batch's
 * epoch and index, and the layer's position. The same four numbers give the same mask on any
 * thread count and after a resume, and no state needs saving.
 *
 * @example
 * dropoutKey({ seed: 0, epoch: 1, batch: 0 }, 3) // 32-bit key of layer 3's mask in the first step
 */
export function dropoutKey(key: PassKey, layer: number): number {
  const seed = key.seed;
  let hash = fold(0, seed >>> 0);
  hash = fold(hash, Math.floor(seed / 2 ** 32) >>> 0);
  hash = fold(hash, key.epoch >>> 0);
  hash = fold(hash, key.batch >>> 0);
  return fold(hash, layer >>> 0);
}

/**
 * Fills `mask` with an inverted-dropout mask: element i is kept with probability 1 − rate and then
 * holds 1/(1 − rate), else 0 (PyTorch's `bernoulli(1 − p) / (1 − p)`). Element i's draw is
 * u = lowbias32(key + (i + 1)·0x9e3779b9) / 2³², SplitMix's counter form, kept when u ≥ rate: a
 * function of the key and the position alone, so any thread may draw any part of it.
 *
 * @example
 * const mask = new Float32Array(8);
 * fillDropoutMask(mask, 8, 0.5, dropoutKey({ seed: 0, epoch: 1, batch: 0 }, 2));
 */
export function fillDropoutMask(mask: FloatArray, n: number, rate: number, key: number): void {
  const kept = 1 / (1 - rate);
  const threshold = rate * 2 ** 32;
  for (let i = 0; i < n; i++) mask[i] = mix32((key + Math.imul(i + 1, GOLDEN)) >>> 0) >= threshold ? kept : 0;
}

/**
 * Inverted dropout: in training each input is zeroed with probability `rate` and the rest scaled
 * by 1/(1 − rate), so inference (where the layer passes its input through) needs no rescaling. The
 * mask is drawn from the pass's key (`PassContext.key`: the run's seed, the batch's epoch and
 * index) and the layer's position, so seeded runs repeat exactly.
 *
 * @example
 * const drop = new Dropout({ size: 32, rate: 0.2 }, typescriptBackend, 3);
 */
export class Dropout implements Layer {
  readonly spec: LayerSpec & { type: 'dropout' };
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: readonly Param[] = [];
  readonly buffers: ReadonlyMap<string, FloatArray> = new Map();

  /** @param position the layer's index in its network, which keeps the masks of two dropout layers apart. */
  constructor(
    options: { readonly size: number; readonly rate: number },
    private readonly backend: Backend,
    private readonly position: number,
  ) {
    if (!(options.rate >= 0 && options.rate < 1)) throw new RangeError(`Dropout: rate must be in [0, 1), got ${options.rate}`);
    this.spec = { type: 'dropout', size: options.size, rate: options.rate };
    this.inputSize = options.size;
    this.outputSize = options.size;
  }

  forward(x: Matrix, ctx: PassContext): Matrix {
    if (ctx.mode === 'inference' || this.spec.rate === 0) return x;
    if (!ctx.key) throw new Error('Dropout: a training pass needs a key (the run seed, epoch and batch); forward() sets it from the batch');
    const n = x.data.length;
    const mask = ctx.workspace.buffer(this, 'mask', n);
    this.backend.dropoutMask(mask, n, this.spec.rate, dropoutKey(ctx.key, this.position));
    const out = ctx.workspace.buffer(this, 'out', n);
    this.backend.multiply(x.data, mask, out, n);
    ctx.workspace.save(this, mask);
    return { rows: x.rows, cols: x.cols, data: out };
  }

  backward(dy: Matrix, ctx: PassContext): Matrix | undefined {
    if (this.spec.rate === 0) return dy;
    const mask = ctx.workspace.load<FloatArray>(this);
    const n = dy.data.length;
    const dx = ctx.workspace.buffer(this, 'dx', n);
    this.backend.multiply(dy.data, mask, dx, n);
    return { rows: dy.rows, cols: dy.cols, data: dx };
  }
}
