import type { ActivationName } from './layer.js';
import type { Allocator, FloatArray, Matrix } from './matrix.js';

/** What `softmaxCrossEntropy` reports for a batch. */
export interface LossResult {
  /** J = mean over the batch of −log ŷ[label] (weighted by class when class weights are given). */
  readonly loss: number;
  /** How many rows' hardmax (argmax) prediction equals the label. */
  readonly correct: number;
}

/** The numbers of one Adam step. */
export interface AdamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ. */
  readonly correction1: number;
  readonly correction2: number;
  readonly weightDecay: number;
}

/** One parameter tensor of an Adam step over many: values, gradient, moments, its own weight decay. */
export interface AdamTensor {
  readonly w: FloatArray;
  readonly g: FloatArray;
  readonly m: FloatArray;
  readonly v: FloatArray;
  readonly weightDecay: number;
}

/**
 * Storage and every numeric op a model needs: the layers, the loss and the optimizers call these
 * and compute nothing themselves. Each op works on any arrays of the backend's float type; arrays
 * from the backend's own `allocator` are the fast case (a WebAssembly backend works on them where
 * they are, and copies anything else in and out). Matrices are row-major.
 *
 * `typescriptBackend` is the reference every other backend is tested against, op by op.
 *
 * @example
 * const net = createNetwork({ inputSize: 64, classes: 10, backend: float64Backend });
 * const [x, w, z] = [new Float64Array(8 * 64), new Float64Array(32 * 64), new Float64Array(8 * 32)];
 * float64Backend.matmulTransposeB(x, w, z, 8, 64, 32); // Z (8×32) = X (8×64) · Wᵀ (W: 32×64)
 */
export interface Backend {
  readonly name: string;
  readonly allocator: Allocator;

  /** out (m×n) = a (m×k) · b (k×n): dX = dZ·W. */
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out (m×n) = aᵀ · b, with a stored as (k×m) and b as (k×n): dW = dZᵀ·X. */
  matmulTransposeA(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out (m×n) = a · bᵀ, with a stored as (m×k) and b as (n×k): Z = X·Wᵀ. */
  matmulTransposeB(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number): void;
  /** out[i, j] += bias[j] over a rows × cols matrix. */
  addBias(out: FloatArray, bias: FloatArray, rows: number, cols: number): void;
  /** out[j] = Σᵢ g[i, j]: a bias's gradient. */
  sumRows(g: FloatArray, out: FloatArray, rows: number, cols: number): void;

  /**
   * Batch norm in training, per column of z (rows × size): x̂ = (z − μ)/√(σ² + ε) with the batch's
   * mean and biased variance, out = γ·x̂ + β; fills x̂ and 1/√(σ² + ε) for the backward pass, and
   * updates the running averages v ← m·v + (1 − m)·x with the batch mean and the biased variance
   * (or the unbiased one, n/(n − 1) times larger, when `unbiased`).
   */
  batchNormTrain(
    z: FloatArray,
    out: FloatArray,
    xhat: FloatArray,
    invStd: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    runningMean: FloatArray,
    runningVar: FloatArray,
    rows: number,
    size: number,
    epsilon: number,
    momentum: number,
    unbiased: boolean,
  ): void;
  /** Batch norm in inference: out = γ·(z − running mean)/√(running variance + ε) + β. */
  batchNormInference(
    z: FloatArray,
    out: FloatArray,
    runningMean: FloatArray,
    runningVar: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    rows: number,
    size: number,
    epsilon: number,
  ): void;
  /** Batch norm's full backward pass (through μ and σ² as well): fills dx, dγ and dβ. */
  batchNormBackward(
    dy: FloatArray,
    xhat: FloatArray,
    invStd: FloatArray,
    gamma: FloatArray,
    dx: FloatArray,
    dgamma: FloatArray,
    dbeta: FloatArray,
    rows: number,
    size: number,
  ): void;
  /**
   * `batchNormTrain` followed by ReLU in one pass: out = max(γ·x̂ + β, 0), the same values as the
   * two ops one after the other.
   */
  batchNormReluTrain(
    z: FloatArray,
    out: FloatArray,
    xhat: FloatArray,
    invStd: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    runningMean: FloatArray,
    runningVar: FloatArray,
    rows: number,
    size: number,
    epsilon: number,
    momentum: number,
    unbiased: boolean,
  ): void;
  /**
   * The backward pass of a batch norm followed by ReLU: `da` is the gradient of the ReLU's output
   * `a`; the same values as `activationBackward('relu', …)` then `batchNormBackward`. `dx` may be
   * `da` itself.
   */
  batchNormReluBackward(
    da: FloatArray,
    a: FloatArray,
    xhat: FloatArray,
    invStd: FloatArray,
    gamma: FloatArray,
    dx: FloatArray,
    dgamma: FloatArray,
    dbeta: FloatArray,
    rows: number,
    size: number,
  ): void;

  /** out = f(x) element-wise over n values; NaN passes through. */
  activation(fn: ActivationName, x: FloatArray, out: FloatArray, n: number): void;
  /** out = g·f′, with f′ computed from the saved output a = f(z). */
  activationBackward(fn: ActivationName, a: FloatArray, g: FloatArray, out: FloatArray, n: number): void;

  /** out = a ⊙ b element-wise over n values (dropout's mask). */
  multiply(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void;
  /**
   * Fills n values of `mask` with an inverted-dropout mask drawn from `key` (see
   * `fillDropoutMask`): 0 with probability `rate`, else 1/(1 − rate).
   */
  dropoutMask(mask: FloatArray, n: number, rate: number, key: number): void;

  /**
   * Softmax over each row of the logits and the cross-entropy against integer labels, stably (the
   * row maximum subtracted first); writes ŷ to `probabilities` and, when given, ∂J/∂z = (ŷ − y)/m
   * to `dLogits`. With `classWeights`, the mean and its gradient are weighted by each row's
   * class (PyTorch's `CrossEntropyLoss(weight=…)`).
   */
  softmaxCrossEntropy(
    logits: Matrix,
    labels: ArrayLike<number>,
    probabilities: FloatArray,
    dLogits?: FloatArray,
    classWeights?: ArrayLike<number>,
  ): LossResult;
  /** Mean squared error over every element, PyTorch's `MSELoss()`; ∂J/∂p to `dPredictions` when given (see `meanSquaredError`). */
  meanSquaredError(predictions: Matrix, targets: ArrayLike<number>, dPredictions?: FloatArray): number;
  /** Huber loss with threshold δ, mean over every element, PyTorch's `HuberLoss(delta)` (see `huberLoss`). */
  huberLoss(predictions: Matrix, targets: ArrayLike<number>, delta: number, dPredictions?: FloatArray): number;
  /** Sigmoid cross-entropy on logits against 0/1 targets, PyTorch's `BCEWithLogitsLoss()`: σ(z) to `probabilities`, ∂J/∂z to `dLogits` (see `sigmoidCrossEntropy`). */
  sigmoidCrossEntropy(logits: Matrix, targets: ArrayLike<number>, probabilities: FloatArray, dLogits?: FloatArray): number;
  /** Row-wise softmax of a logits matrix into `out`, stably. */
  softmax(logits: Matrix, out: FloatArray): void;

  /** W ← W − α·(dW + λW). */
  sgdStep(w: FloatArray, g: FloatArray, learningRate: number, weightDecay: number): void;
  /** v ← β·v + gradientWeight·(dW + λW); W ← W − α·v. */
  momentumStep(
    w: FloatArray,
    g: FloatArray,
    velocity: FloatArray,
    learningRate: number,
    weightDecay: number,
    beta: number,
    gradientWeight: number,
  ): void;
  /** s ← β·s + (1 − β)·d², W ← W − α·d/(√s + ε), d = dW + λW. */
  rmspropStep(
    w: FloatArray,
    g: FloatArray,
    meanSquare: FloatArray,
    learningRate: number,
    weightDecay: number,
    beta: number,
    epsilon: number,
  ): void;
  /** One bias-corrected Adam step in place. */
  adamStep(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, hyper: AdamHyper): void;
  /**
   * One bias-corrected Adam step over every tensor in one pass (each with its own weight decay;
   * `hyper.weightDecay` is not used): the same values as `adamStep` on each.
   */
  adamSteps(tensors: readonly AdamTensor[], hyper: AdamHyper): void;

  /** out = (x − mean)·invStd per column of a rows × cols block (bytes or floats). */
  standardize(x: FloatArray | Uint8Array, out: FloatArray, mean: FloatArray, invStd: FloatArray, rows: number, cols: number): void;

  /** Releases what the backend holds beyond its memory (worker threads); its ops keep working on one thread. */
  close(): void;

  /** Threads its ops run on; one when absent. */
  readonly threads?: number;
}
