/**
 * rxgrad: train neural networks as RxJS pipelines over Apache Arrow data.
 *
 * @example
 * import { readArrow, fit, createNetwork, createOptimizer } from 'rxgrad';
 */
export { DataError, DivergedError, ModelFormatError, RxgradError, type DataErrorContext } from './errors.js';

export { Activation } from './model/activation.js';
export type { AdamHyper, Backend, LossResult } from './model/backend.js';
export { float64Backend, typescriptBackend } from './model/typescriptBackend.js';
export { BatchNorm, type BatchNormOptions } from './model/batchNorm.js';
export { Dense, type DenseOptions } from './model/dense.js';
export { ewaUpdate, ewaUpdateInPlace } from './model/ewa.js';
export { type InitName, initWeights } from './model/init.js';
export { type ActivationName, type Layer, type LayerSpec, type Mode, type Param, type PassContext, Workspace } from './model/layer.js';
export { type Allocator, allocMatrix, type FloatArray, float32Allocator, float64Allocator, type Matrix } from './model/matrix.js';
export { buildNetwork, createNetwork, Network, type NetworkOptions, type NetworkSpec } from './model/network.js';
export { Adam } from './model/optimizers/adam.js';
export { createOptimizer } from './model/optimizers/createOptimizer.js';
export { Momentum, type MomentumConvention } from './model/optimizers/momentum.js';
export type { Optimizer, OptimizerBase, OptimizerConfig, OptimizerName, OptimizerState } from './model/optimizers/optimizer.js';
export { RmsProp } from './model/optimizers/rmsprop.js';
export { Sgd } from './model/optimizers/sgd.js';
export { createRandom, type Random } from './model/random.js';
export { type LearningRate, learningRateAt, learningRateFor, parseSchedule, type Schedule } from './model/schedule.js';
export { type DataColumns, loadModel, MODEL_FORMAT_VERSION, type ModelBundle, saveModel, type TrainingProgress } from './files/serialization.js';
export { argmaxRows, softmax, softmaxCrossEntropy, type SoftmaxCrossEntropyResult, softmaxRows } from './model/softmaxCrossEntropy.js';
export { Standardizer, StandardizerAccumulator } from './model/standardizer.js';
export { createBackend } from './backends/createBackend.js';
export { createWasmBackend, type WasmBackend, type WasmBackendOptions, type WasmFlavour } from './backends/wasmBackend.js';

export { backward } from './operators/backward.js';
export { type Evaluation, type EvaluateOptions, evaluate } from './operators/evaluate.js';
export { type EwmaOptions, type EwmaValue, ewma } from './operators/ewma.js';
export { type EpochMetrics, type FitEvent, type FitOptions, fit } from './operators/fit.js';
export { type ForwardOptions, type ForwardPass, forward } from './operators/forward.js';
export { loss, type ScoredPass } from './operators/loss.js';
export { normalize } from './operators/normalize.js';
export { optimizerStep, type StepMetrics } from './operators/optimizerStep.js';
export { type PredictOptions, predict } from './operators/predict.js';
export type { Predictions } from './streams/predictions.js';
export { type DatasetSummary, summarize } from './operators/summarize.js';
export { type TrainEpochOptions, trainEpoch } from './operators/trainEpoch.js';
export { type TrainStepsOptions, trainSteps } from './operators/trainSteps.js';

export { type SplitRowsOptions, splitRows } from './operators/splitRows.js';

export { type AshaOptions, AshaPruner, ashaPrune, ashaRungs, type EpochReport, type PruneDecision } from './tuning/asha.js';
export { type BabysitControl, type BabysitEvent, type BabysitOptions, babysit } from './training/babysit.js';
export {
  choice,
  type Distribution,
  intLogUniform,
  intUniform,
  logUniform,
  oneMinusLogUniform,
  type ParamValue,
  SearchSpaceError,
  uniform,
  unitOf,
  valueAt,
} from './tuning/distributions.js';
export { fullBox, type SamplerName, samplePoints, type UnitBox, zoomBox } from './tuning/samplers.js';
export { configFromParams, defaultSearchSpace, type Params, parseSearchSpace, type SearchSpace, spaceToJSON } from './tuning/space.js';
export { readStudy, readTrialRecords, runStudy, StudyError, type StudyEvent, type StudyOptions, type StudySettings, type StudySummary, summarizeStudy } from './tuning/study.js';
export { type ContinueDecider, type CurvePoint, runTrial, type TrialEvent, type TrialRecord, type TrialSpec } from './tuning/trial.js';
export { TrialWorkerPool } from './tuning/trialWorkerPool.js';
export { DEFAULT_TRAINING_CONFIG, optimizerConfigOf, scheduleOf, type TrainingConfig } from './training/trainingConfig.js';

export { arrowRecordBatch, type ColumnData, type ColumnValues, writeArrowFile } from './streams/arrowColumns.js';
export { type Example, type ExampleBlock, isExampleBlock } from './streams/examples.js';
export { type MiniBatch, type MiniBatchOptions, miniBatches } from './operators/miniBatches.js';
export { type ArrowColumnOptions, type ArrowLayout, inspectArrow, type ReadArrowOptions, readArrow } from './streams/readArrow.js';
export { FASHION_MNIST_SOURCE, prepareFashionMnist } from './streams/prepareFashionMnist.js';
export { type WrittenPredictions, writePredictions } from './streams/writePredictions.js';
