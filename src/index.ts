/**
 * rxgrad: train neural networks as RxJS pipelines over Apache Arrow data. The root is what a
 * pipeline is composed of: sources and sinks, operators, model builders, backends, one run
 * (`fit`, `trainRun`, `trainFromFiles`, `babysit`), studies, and errors. What lies beneath (layer
 * and optimizer classes, the settings table, samplers, TPE, ASHA) is in `rxgrad/advanced`;
 * reports in `rxgrad/report`, studies on Redis in `rxgrad/distributed`.
 *
 * @example
 * import { createBackend, createNetwork, createOptimizer, fit, readArrow } from 'rxgrad';
 */

export { createBackend } from './backends/createBackend.js';
export {
  DataError,
  type DataErrorContext,
  DivergedError,
  ModelFormatError,
  RxgradError,
  SearchSpaceError,
  StudyError,
  UnsafePathError,
  UsageError,
} from './errors.js';
// Saved models and one run.
export { type DataColumns, loadModel, type ModelBundle, saveModel, type TrainingProgress } from './files/serialization.js';
// What reads or writes data files, loaded on first use: apache-arrow (some 160 modules) is most
// of an import's time, and a program that only builds and trains networks in memory needs none
// of it. Each is the function of the module named, called once its module has loaded.
export {
  convertData,
  inspectData,
  readArrow,
  readData,
  readParquet,
  replayArrow,
  writeArrowFile,
  writePredictions,
} from './lazyStreams.js';
// The model.
// Backends.
export type { AdamHyper, Backend, LossResult } from './model/backend.js';
export type { InitName } from './model/init.js';
export type { ActivationName, Layer, LayerSpec, Mode, Param, PassContext, PassKey } from './model/layer.js';
export type { FloatArray, Matrix } from './model/matrix.js';
export { buildNetwork, createNetwork, Network, type NetworkOptions, type NetworkSpec } from './model/network.js';
// Optimizers and schedules.
export { createOptimizer } from './model/optimizers/createOptimizer.js';
export type { MomentumConvention } from './model/optimizers/momentum.js';
export type { Optimizer, OptimizerBase, OptimizerConfig, OptimizerName, OptimizerState } from './model/optimizers/optimizer.js';
export { type LearningRate, parseSchedule, type Schedule } from './model/schedule.js';
export { Standardizer } from './model/standardizer.js';
export { float64Backend, typescriptBackend } from './model/typescriptBackend.js';
// Operators.
export { backward } from './operators/backward.js';
export { earlyStopping, type Monitor } from './operators/earlyStopping.js';
export { type EvaluateOptions, type Evaluation, evaluate } from './operators/evaluate.js';
export { type EwmaOptions, type EwmaValue, ewma } from './operators/ewma.js';
export { type EpochMetrics, type FitEvent, type FitOptions, fit } from './operators/fit.js';
export { type ForwardOptions, type ForwardPass, forward } from './operators/forward.js';
export { type LossOptions, loss, type ScoredPass } from './operators/loss.js';
export { type BatchMatrix, type MiniBatch, type MiniBatchOptions, miniBatches } from './operators/miniBatches.js';
export { type NormalizeOptions, normalize } from './operators/normalize.js';
export { optimizerStep, type StepMetrics } from './operators/optimizerStep.js';
export { type PredictOptions, predict } from './operators/predict.js';
export { type SplitRowsOptions, splitRows } from './operators/splitRows.js';
export { type DatasetSummary, summarize } from './operators/summarize.js';
export type { ColumnData, ColumnValues } from './streams/arrow/arrowColumns.js';
export type { ReadArrowOptions } from './streams/arrow/recordBatchBlocks.js';
export type { ReplayPace } from './streams/arrow/replayArrow.js';
export type { ConvertOptions } from './streams/convertData.js';
export { type CsvOptions, readCsv } from './streams/csv/readCsv.js';
export type { ReadDataOptions } from './streams/readData.js';
// Sources and sinks.
export type { ArrowColumnOptions, ArrowLayout } from './streams/records/columnLayout.js';
export type { Example, ExampleBlock } from './streams/records/examples.js';
export type { Predictions } from './streams/records/predictions.js';
export type { WrittenPredictions } from './streams/writePredictions.js';
export type { BabysitOptions } from './training/babysit.js';
export {
  type BabysitControl,
  type BabysitEvent,
  type BabysitLoopOptions,
  type BabysitState,
  type BabysitStore,
  babysitLoop,
  type DataSource,
} from './training/babysitLoop.js';
export { babysit, trainFromFiles } from './training/lazyRuns.js';
// A run's history (reports and dashboards are in `rxgrad/report`, Redis studies in `rxgrad/distributed`).
export { type HistoryEpoch, type RunHistory, readRunHistory } from './training/runHistory.js';
export type { TrainFromFilesEvent, TrainFromFilesOptions, TrainReport } from './training/trainFromFiles.js';
export { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './training/trainingConfig.js';
export { type RunCheckpoint, type TrainRunEnd, type TrainRunEvent, type TrainRunOptions, trainRun } from './training/trainRun.js';
// Tuning.
export {
  choice,
  type Distribution,
  intLogUniform,
  intUniform,
  logUniform,
  oneMinusLogUniform,
  type ParamValue,
  uniform,
} from './tuning/distributions.js';
export { runStudy } from './tuning/lazyStudy.js';
export type { ObjectiveRecord, StudyObjective } from './tuning/objective.js';
export { defaultSearchSpace, type Params, parseSearchSpace, type SearchSpace } from './tuning/space.js';
export type { StudyEvent, StudyOptions, StudySettings, TrialPool } from './tuning/study.js';
export { readStudy, readTrialRecords } from './tuning/studyStore.js';
export { type StudySummary, summarizeStudy } from './tuning/studySummary.js';
export { type TpeSettings, tpe } from './tuning/tpe.js';
export type { CurvePoint, TrialRecord } from './tuning/trial.js';
