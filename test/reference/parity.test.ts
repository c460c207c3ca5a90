import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNorm } from '../../src/model/batchNorm.js';
import type { Backend } from '../../src/model/backend.js';
import { float64Backend, typescriptBackend } from '../../src/model/typescriptBackend.js';
import { Workspace } from '../../src/model/layer.js';
import { dropoutKey } from '../../src/model/dropout.js';
import type { Matrix } from '../../src/model/matrix.js';
import type { FloatArray } from '../../src/model/matrix.js';
import { buildNetwork, type Network, type NetworkSpec } from '../../src/model/network.js';
import { createWasmBackend } from '../../src/backends/wasmBackend.js';
import { createOptimizer } from '../../src/model/optimizers/createOptimizer.js';
import type { OptimizerConfig } from '../../src/model/optimizers/optimizer.js';
import { learningRateAt, type Schedule } from '../../src/model/schedule.js';
import { softmaxCrossEntropy } from '../../src/model/softmaxCrossEntropy.js';
import { backward } from '../../src/operators/backward.js';
import { forward } from '../../src/operators/forward.js';
import { loss } from '../../src/operators/loss.js';
import { optimizerStep } from '../../src/operators/optimizerStep.js';
import type { MiniBatch } from '../../src/operators/miniBatches.js';
import { expectParity, expectWithin, fixture, normRelativeDifference, relativeDifference, reportParity } from './compare.js';

// Single operations in float32 agree with PyTorch to round-off: relative 1e-4 (float32 has ~6e-8
// precision; sums over a batch and the 1/√(σ² + ε) of batch norm lose a few more digits).
const SINGLE_OP = 1e-4;

afterAll(reportParity);

interface BatchNormFixture {
  epsilon: number;
  momentum: number;
  batchOfOneError: string;
  cases: {
    rows: number;
    features: number;
    gamma: number[];
    beta: number[];
    evalX: number[];
    evalY: number[];
    steps: { x: number[]; dy: number[]; y: number[]; dx: number[]; dgamma: number[]; dbeta: number[]; runningMean: number[]; runningVar: number[] }[];
  }[];
}

describe('batch norm matches torch.nn.BatchNorm1d', () => {
  const data = fixture<BatchNormFixture>('batchNorm.json');
  // PyTorch's momentum 0.1 weighs the new value by 0.1: our β_ewa = 1 − 0.1 = 0.9.
  const beta = 1 - data.momentum;

  const backends: [string, Backend][] = [
    ['TypeScript', typescriptBackend],
    ['WebAssembly', createWasmBackend({ memoryBytes: 4 * 1024 * 1024 }) ?? typescriptBackend],
  ];
  for (const c of data.cases) for (const [kernels, backend] of backends) {
    it(`batch ${c.rows} × ${c.features} features (${kernels} kernels): training forward and backward, running statistics, inference`, () => {
      const bn = new BatchNorm({ size: c.features, epsilon: data.epsilon, momentum: beta, runningVariance: 'unbiased' }, backend);
      const inMemory = (values: number[]) => {
        const array = backend.allocator.alloc(values.length);
        array.set(values);
        return array;
      };
      bn.gamma.value.set(c.gamma);
      bn.beta.value.set(c.beta);
      for (const step of c.steps) {
        const ctx = { mode: 'train' as const, workspace: new Workspace(backend) };
        const y = bn.forward({ rows: c.rows, cols: c.features, data: inMemory(step.x) }, ctx);
        expectParity('batchNorm train output', y.data, step.y, SINGLE_OP);
        const dx = bn.backward({ rows: c.rows, cols: c.features, data: inMemory(step.dy) }, ctx)!;
        if (c.rows === 2) {
          // With two rows z_norm = ±d/√(d² + ε) is all but constant in x, so the exact dx is tiny and
          // both implementations' dx is mostly round-off of terms of size |dy|·γ/σ. Compared on that scale.
          const scale = batchNormGradientScale(step.x, step.dy, c.gamma, c.rows, c.features, data.epsilon);
          const largest = Math.max(...Array.from(dx.data, (v, i) => Math.abs(v - step.dx[i]!)));
          expectWithin('batchNorm dx, batch of 2 (absolute / |dy|·γ/σ)', largest / scale, SINGLE_OP);
        } else {
          expectParity('batchNorm dx', dx.data, step.dx, SINGLE_OP);
        }
        expectParity('batchNorm dgamma', bn.gamma.grad, step.dgamma, SINGLE_OP);
        expectParity('batchNorm dbeta', bn.beta.grad, step.dbeta, SINGLE_OP);
        expectParity('batchNorm running mean', bn.runningMean, step.runningMean, SINGLE_OP);
        expectParity('batchNorm running variance (unbiased)', bn.runningVar, step.runningVar, SINGLE_OP);
      }
      const y = bn.forward({ rows: c.rows, cols: c.features, data: inMemory(c.evalX) }, { mode: 'inference', workspace: new Workspace(backend) });
      expectParity('batchNorm inference output', y.data, c.evalY, SINGLE_OP);
    });
  }

  it("differs on purpose by default: the running variance averages the biased batch variance (PyTorch's is n/(n − 1) larger)", () => {
    const c = data.cases[1]!;
    const ours = new BatchNorm({ size: c.features, epsilon: data.epsilon, momentum: beta }, typescriptBackend);
    const x = c.steps[0]!.x;
    ours.forward({ rows: c.rows, cols: c.features, data: Float32Array.from(x) }, { mode: 'train', workspace: new Workspace(typescriptBackend) });
    const torchVariance = c.steps[0]!.runningVar;
    // Both start at 1: ours = 0.9 + 0.1·σ², PyTorch's = 0.9 + 0.1·σ²·n/(n − 1).
    const expected = torchVariance.map((v) => 0.9 + ((v - 0.9) * (c.rows - 1)) / c.rows);
    expectParity('batchNorm running variance (biased, derived)', ours.runningVar, expected, SINGLE_OP);
    expect(relativeDifference(ours.runningVar, torchVariance)).toBeGreaterThan(1e-2);
  });

  it('refuses a training batch of one example, as PyTorch does', () => {
    expect(data.batchOfOneError).toMatch(/Expected more than 1 value per channel when training/);
    const bn = new BatchNorm({ size: 3 }, typescriptBackend);
    expect(() => bn.forward({ rows: 1, cols: 3, data: new Float32Array(3) }, { mode: 'train', workspace: new Workspace(typescriptBackend) })).toThrow(/at least 2 examples/);
  });
});

/** max |dy| · max over features of |γ|/√(σ² + ε): the size of the terms that make up batch norm's dx. */
function batchNormGradientScale(x: number[], dy: number[], gamma: number[], rows: number, features: number, epsilon: number): number {
  let scale = 0;
  for (let j = 0; j < features; j++) {
    const column = Array.from({ length: rows }, (_, i) => x[i * features + j]!);
    const mean = column.reduce((a, b) => a + b) / rows;
    const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / rows;
    scale = Math.max(scale, Math.abs(gamma[j]!) / Math.sqrt(variance + epsilon));
  }
  return scale * Math.max(...dy.map(Math.abs));
}

interface SoftmaxFixture {
  cases: { rows: number; classes: number; logits: number[]; labels: number[]; loss: number; dLogits: number[]; probabilities: number[]; note?: string }[];
}

describe('softmax cross-entropy matches torch.nn.functional.cross_entropy', () => {
  for (const c of fixture<SoftmaxFixture>('softmaxCrossEntropy.json').cases) {
    it(`${c.rows} × ${c.classes}${c.note ? ` (${c.note})` : ''}`, () => {
      const probabilities = new Float32Array(c.rows * c.classes);
      const dLogits = new Float32Array(c.rows * c.classes);
      const result = softmaxCrossEntropy({ rows: c.rows, cols: c.classes, data: Float32Array.from(c.logits) }, c.labels, probabilities, dLogits);
      expectParity('softmax cross-entropy loss', [result.loss], [c.loss], SINGLE_OP);
      expectParity('softmax probabilities', probabilities, c.probabilities, SINGLE_OP);
      expectParity('softmax cross-entropy dLogits', dLogits, c.dLogits, SINGLE_OP);
    });
  }
});

interface WeightedFixture {
  cases: { rows: number; classes: number; logits: number[]; labels: number[]; weights: number[]; loss: number; dLogits: number[] }[];
}

describe('class-weighted cross-entropy matches torch.nn.CrossEntropyLoss(weight=…)', () => {
  for (const c of fixture<WeightedFixture>('weightedCrossEntropy.json').cases) {
    for (const [name, backend] of [
      ['float32', typescriptBackend],
      ['float64', float64Backend],
    ] as const) {
      it(`${c.rows} × ${c.classes}, ${name}`, () => {
        const make = (n: number) => backend.allocator.alloc(n);
        const logits = make(c.rows * c.classes);
        logits.set(c.logits);
        const dLogits = make(c.rows * c.classes);
        const result = backend.softmaxCrossEntropy(
          { rows: c.rows, cols: c.classes, data: logits },
          c.labels,
          make(c.rows * c.classes),
          dLogits,
          Float64Array.from(c.weights, Math.fround),
        );
        expectParity(`weighted cross-entropy loss ${name}`, [result.loss], [c.loss], SINGLE_OP);
        expectParity(`weighted cross-entropy dLogits ${name}`, dLogits, c.dLogits, SINGLE_OP);
      });
    }
  }
});

interface TargetLossFixture {
  delta: number;
  cases: {
    rows: number;
    cols: number;
    predictions: number[];
    targets: number[];
    labels: number[];
    sigmoid: number[];
    mse: { loss: number; gradient: number[] };
    huber: { loss: number; gradient: number[] };
    bce: { loss: number; gradient: number[] };
  }[];
  extreme: { logits: number[]; labels: number[]; loss: number; gradient: number[] };
}

describe('regression and multi-label losses match MSELoss, HuberLoss and BCEWithLogitsLoss', () => {
  const data = fixture<TargetLossFixture>('targetLosses.json');
  for (const [name, backend] of [
    ['float32', typescriptBackend],
    ['float64', float64Backend],
  ] as const) {
    for (const c of data.cases) {
      it(`${c.rows} × ${c.cols}, ${name}`, () => {
        const array = (values: readonly number[]) => {
          const a = backend.allocator.alloc(values.length);
          a.set(values);
          return a;
        };
        const m = { rows: c.rows, cols: c.cols, data: array(c.predictions) };
        const n = c.rows * c.cols;
        const grad = backend.allocator.alloc(n);
        expectParity(`mse loss ${name}`, [backend.meanSquaredError(m, c.targets, grad)], [c.mse.loss], SINGLE_OP);
        expectParity(`mse gradient ${name}`, grad, c.mse.gradient, SINGLE_OP);
        expectParity(`huber loss ${name}`, [backend.huberLoss(m, c.targets, data.delta, grad)], [c.huber.loss], SINGLE_OP);
        expectParity(`huber gradient ${name}`, grad, c.huber.gradient, SINGLE_OP);
        const probabilities = backend.allocator.alloc(n);
        expectParity(`bce loss ${name}`, [backend.sigmoidCrossEntropy(m, c.labels, probabilities, grad)], [c.bce.loss], SINGLE_OP);
        expectParity(`bce gradient ${name}`, grad, c.bce.gradient, SINGLE_OP);
        expectParity(`sigmoid ${name}`, probabilities, c.sigmoid, SINGLE_OP);
      });
    }
  }

  it('sigmoid cross-entropy stays finite for logits of ±1e4 and ±40', () => {
    const e = data.extreme;
    const grad = new Float32Array(e.logits.length);
    const loss = typescriptBackend.sigmoidCrossEntropy(
      { rows: 2, cols: 3, data: Float32Array.from(e.logits) },
      e.labels,
      new Float32Array(e.logits.length),
      grad,
    );
    expectParity('bce extreme loss', [loss], [e.loss], SINGLE_OP);
    expectParity('bce extreme gradient', grad, e.gradient, SINGLE_OP);
  });
});

interface OptimizerFixture {
  learningRate: number;
  initial: number[];
  gradients: number[][];
  runs: { optimizer: string; weightDecay: number; trajectory: number[][] }[];
}

describe('optimizers match torch.optim over 20 steps', () => {
  const data = fixture<OptimizerFixture>('optimizers.json');
  const lr = data.learningRate;
  const ours: Record<string, (weightDecay: number) => OptimizerConfig> = {
    sgd: (weightDecay) => ({ type: 'sgd', learningRate: lr, weightDecay }),
    momentumPytorch: (weightDecay) => ({ type: 'momentum', learningRate: lr, beta: 0.9, convention: 'pytorch', weightDecay }),
    rmsprop: (weightDecay) => ({ type: 'rmsprop', learningRate: lr, beta: 0.9, epsilon: 1e-8, weightDecay }),
    adam: (weightDecay) => ({ type: 'adam', learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay }),
  };

  const run = (config: OptimizerConfig, stepLr: number) => {
    const value = Float32Array.from(data.initial);
    const param = { name: 'w', shape: [value.length], value, grad: new Float32Array(value.length), decay: true };
    const optimizer = createOptimizer(config, typescriptBackend);
    return data.gradients.map((g) => {
      param.grad.set(g);
      optimizer.step([param], stepLr);
      return Array.from(value);
    });
  };

  for (const r of data.runs) {
    it(`${r.optimizer}${r.weightDecay ? `, weight decay ${r.weightDecay}` : ''}`, () => {
      const trajectory = run(ours[r.optimizer]!(r.weightDecay), lr);
      trajectory.forEach((w, t) => expectParity(`optimizer ${r.optimizer}${r.weightDecay ? ' +L2' : ''}`, w, r.trajectory[t]!, SINGLE_OP));
    });
  }

  it("our default momentum (v ← βv + (1 − β)g) equals PyTorch's with α scaled by 1/(1 − β)", () => {
    const torch = data.runs.find((r) => r.optimizer === 'momentumPytorch' && r.weightDecay === 0)!;
    const trajectory = run({ type: 'momentum', learningRate: lr / (1 - 0.9), beta: 0.9 }, lr / (1 - 0.9));
    trajectory.forEach((w, t) => expectParity('optimizer momentum (ewa, α/(1 − β))', w, torch.trajectory[t]!, SINGLE_OP));
    const unscaled = run({ type: 'momentum', learningRate: lr, beta: 0.9 }, lr);
    expect(relativeDifference(unscaled[19]!, torch.trajectory[19]!)).toBeGreaterThan(1e-2);
  });
});

interface ScheduleFixture {
  initial: number;
  inverse: { decay: number; lrs: number[] };
  exponential: { rate: number; lrs: number[] };
  step: { every: number; gamma: number; lrs: number[] };
}

describe('learning-rate schedules match torch.optim.lr_scheduler', () => {
  const data = fixture<ScheduleFixture>('schedules.json');
  const cases: [string, Schedule, number[]][] = [
    ['LambdaLR 1/(1 + decay·epoch)', { type: 'inverse', decay: data.inverse.decay }, data.inverse.lrs],
    ['ExponentialLR', { type: 'exponential', rate: data.exponential.rate }, data.exponential.lrs],
    ['StepLR', { type: 'step', every: data.step.every, gamma: data.step.gamma }, data.step.lrs],
  ];
  for (const [name, schedule, lrs] of cases) {
    it(name, () => {
      expectParity(`schedule ${schedule.type}`, lrs.map((_, epoch) => learningRateAt(data.initial, schedule, epoch)), lrs, 1e-12);
    });
  }
});

interface RunFixture {
  losses: number[];
  final: Record<string, number[]>;
}

interface TrainingFixture {
  batchSize: number;
  pixels: number[];
  labels: number[];
  mean: number[];
  std: number[];
  initial: Record<string, number[]>;
  adam: { learningRate: number; float32: RunFixture; float64: RunFixture };
  sgd: { learningRate: number; float32: RunFixture; float64: RunFixture };
}

/** What a training-run fixture trained on and from. */
type TrainingData = Omit<TrainingFixture, 'adam' | 'sgd'>;

/** Our array for a PyTorch state_dict entry (Linear weights are (out × in) in both). */
function ours(network: Network, name: string): FloatArray {
  const [layer, field] = name.split('.') as [string, string];
  if (field === 'running_mean') return network.buffers.get(`${layer}.runningMean`)!;
  if (field === 'running_var') return network.buffers.get(`${layer}.runningVar`)!;
  const isBatchNorm = network.layers[Number(layer)]!.spec.type === 'batchNorm';
  return network.params.find((q) => q.name === `${layer}.${isBatchNorm ? (field === 'weight' ? 'gamma' : 'beta') : field}`)!.value;
}

function load(network: Network, state: Record<string, number[]>) {
  for (const [name, values] of Object.entries(state)) ours(network, name).set(values);
}

const readBack = (network: Network, name: string): number[] => Array.from(ours(network, name));

const bn = (size: number) => ({ type: 'batchNorm' as const, size, epsilon: 1e-5, momentum: 0.9, runningVariance: 'unbiased' as const });

/** The digits a fixture trained on, as the mini-batches it took, standardized in the backend's precision with PyTorch's (float32) mean and std. */
function fixtureBatches(data: TrainingData, backend: Backend): MiniBatch[] {
  const n = data.batchSize;
  return Array.from({ length: data.pixels.length / (n * 64) }, (_, s) => {
    const x = backend.allocator.alloc(n * 64);
    for (let k = 0; k < n * 64; k++) x[k] = (data.pixels[s * n * 64 + k]! - data.mean[k % 64]!) / data.std[k % 64]!;
    return { x: { rows: n, cols: 64, data: x }, labels: Int32Array.from(data.labels.slice(s * n, (s + 1) * n)), size: n, epoch: 0, index: s };
  });
}

/** Trains `spec` from the fixture's initial weights on its batches; the losses and the final state_dict. */
async function trainFixture(spec: NetworkSpec, data: TrainingData, backend: Backend, config: OptimizerConfig) {
  const network = buildNetwork(spec, { backend });
  load(network, data.initial);
  const optimizer = createOptimizer(config, backend);
  const steps = await lastValueFrom(from(fixtureBatches(data, backend)).pipe(forward(network), loss(), backward(), optimizerStep(optimizer), toArray()));
  return {
    network,
    losses: steps.map((s) => s.loss),
    final: Object.fromEntries(Object.keys(data.initial).map((name) => [name, readBack(network, name)])),
  };
}

describe('a whole training run matches PyTorch', () => {
  const data = fixture<TrainingFixture>('trainingRun.json');
  const spec: NetworkSpec = {
    inputSize: 64,
    classes: 10,
    layers: [
      { type: 'dense', inputSize: 64, units: 32, bias: false },
      bn(32),
      { type: 'activation', size: 32, fn: 'relu' },
      { type: 'dense', inputSize: 32, units: 16, bias: false },
      bn(16),
      { type: 'activation', size: 16, fn: 'relu' },
      { type: 'dense', inputSize: 16, units: 10, bias: true },
    ],
  };

  const train = (backend: Backend, config: OptimizerConfig) => trainFixture(spec, data, backend, config);

  it('loads PyTorch initial weights exactly', () => {
    const network = buildNetwork(spec, { backend: typescriptBackend });
    load(network, data.initial);
    for (const [name, values] of Object.entries(data.initial)) expect(readBack(network, name)).toEqual(values.map(Math.fround));
  });

  const runs = [
    ['adam', { type: 'adam', learningRate: data.adam.learningRate }, data.adam],
    ['sgd', { type: 'sgd', learningRate: data.sgd.learningRate }, data.sgd],
  ] as const;

  for (const [name, config, reference] of runs) {
    it(`Dense→BN→ReLU→Dense→BN→ReLU→Dense, ${name}, 30 mini-batches of digits, in float64: every loss, final weights and running statistics`, async () => {
      // Without float32 round-off the two implementations agree to ~1e-12 on the losses (1e-9 allowed)
      // and ~1e-9 on the weights (Adam amplifies even float64 round-off on near-zero gradients; 1e-7
      // allowed): any difference in the math (a gradient, a bias correction, the running-variance
      // convention) would show at once, in the first digits.
      const run = await train(float64Backend, config);
      expectParity(`training run ${name} float64 losses`, run.losses, reference.float64.losses, 1e-9);
      for (const [tensor, values] of Object.entries(reference.float64.final)) expectParity(`training run ${name} float64 final tensors`, run.final[tensor]!, values, 1e-7);
    });

    it(`the same ${name} run in float32, within PyTorch's own float32 round-off`, async () => {
      const run = await train(typescriptBackend, config);
      // Adam divides by √v̂, so near-zero gradients whose sign is round-off move weights by up to α:
      // float32 results drift from float64 ones, in PyTorch as much as here. So the bound is
      // PyTorch's own float32-vs-float64 difference (running maximum over the steps), tripled, plus
      // round-off of a single op. For SGD that difference stays near 1e-7. Individual weights can
      // drift by ±α either way, so final tensors are compared by norm: ‖ours − torch‖/‖torch‖.
      let drift = 0;
      run.losses.forEach((value, t) => {
        drift = Math.max(drift, relativeDifference([reference.float32.losses[t]!], [reference.float64.losses[t]!]));
        expectParity(`training run ${name} float32 losses`, [value], [reference.float32.losses[t]!], 3 * drift + SINGLE_OP);
      });
      for (const [tensor, values] of Object.entries(reference.float32.final)) {
        const own = normRelativeDifference(values, reference.float64.final[tensor]!);
        expectWithin(`training run ${name} float32 final tensors (norm)`, normRelativeDifference(run.final[tensor]!, values), 3 * own + SINGLE_OP);
      }
    });
  }
});

interface DropoutFixture extends TrainingData {
  rate: number;
  firstMask: number[];
  adam: { learningRate: number; float32: RunFixture & { inference: number[] }; float64: RunFixture & { inference: number[] } };
}

describe('dropout matches PyTorch applying the same masks', () => {
  const data = fixture<DropoutFixture>('dropoutRun.json');
  const dropout = (size: number, rate: number) => ({ type: 'dropout' as const, size, rate });
  const spec: NetworkSpec = {
    inputSize: 64,
    classes: 10,
    layers: [
      { type: 'dense', inputSize: 64, units: 32, bias: false },
      bn(32),
      { type: 'activation', size: 32, fn: 'relu' },
      dropout(32, data.rate),
      { type: 'dense', inputSize: 32, units: 16, bias: false },
      bn(16),
      { type: 'activation', size: 16, fn: 'relu' },
      dropout(16, data.rate),
      { type: 'dense', inputSize: 16, units: 10, bias: true },
    ],
  };
  const config = { type: 'adam', learningRate: data.adam.learningRate } as const;

  it('draws the mask the fixture script drew on its own from the same hash', () => {
    const mask = new Float64Array(data.firstMask.length);
    float64Backend.dropoutMask(mask, mask.length, data.rate, dropoutKey({ seed: 0, epoch: 0, batch: 0 }, 3));
    expect(Array.from(mask)).toEqual(data.firstMask);
  });

  it('Dense→BN→ReLU→Dropout(0.2) twice→Dense, Adam, 30 mini-batches, in float64: every loss, final weights, inference logits', async () => {
    const run = await trainFixture(spec, data, float64Backend, config);
    expectParity('dropout run float64 losses', run.losses, data.adam.float64.losses, 1e-9);
    for (const [tensor, values] of Object.entries(data.adam.float64.final)) expectParity('dropout run float64 final tensors', run.final[tensor]!, values, 1e-7);
    // Inference passes through the dropout layers: the same logits on the first batch.
    const [first] = fixtureBatches(data, float64Backend);
    const logits = run.network.forward(first!.x as Matrix, { mode: 'inference', workspace: run.network.acquireWorkspace() });
    expectParity('dropout run float64 inference logits', logits.data, data.adam.float64.inference, 1e-7);
  });

  it('the same run in float32, within PyTorch\'s own float32 round-off', async () => {
    const run = await trainFixture(spec, data, typescriptBackend, config);
    let drift = 0;
    run.losses.forEach((value, t) => {
      drift = Math.max(drift, relativeDifference([data.adam.float32.losses[t]!], [data.adam.float64.losses[t]!]));
      expectParity('dropout run float32 losses', [value], [data.adam.float32.losses[t]!], 3 * drift + SINGLE_OP);
    });
  });
});
