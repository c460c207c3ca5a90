/**
 * `rxgrad/advanced`: what lies beneath the root API, for those who build their own tools on
 * rxgrad: the layers and optimizers as classes, the WebAssembly backend by hand, one epoch as an
 * operator, the file inspectors, the settings table and the resume rule, the babysit control
 * protocol and checkpoints, and the parts of a study (samplers, TPE, ASHA, spaces as JSON).
 * Everything here is as stable as the root; it is apart so that the root stays what a pipeline
 * is composed of.
 *
 * @example
 * import { CONFIG_SETTINGS, resumeConfig, tpeSampler } from 'rxgrad/advanced';
 */

export { autoThreads, type StepShape } from '../backends/autoThreads.js';
export { createWasmBackend, type WasmBackend, type WasmBackendOptions, type WasmFlavour } from '../backends/wasmBackend.js';
export { MODEL_FORMAT_VERSION } from '../files/serialization.js';
export { inspectArrow, inspectLabels, inspectParquet, prepareFashionMnist } from '../lazyStreams.js';
export { Activation } from '../model/activation.js';
export { BatchNorm, type BatchNormOptions } from '../model/batchNorm.js';
export { balancedClassWeights, type ClassWeightSetting, classWeightsOf } from '../model/classWeights.js';
export { Dense, type DenseOptions } from '../model/dense.js';
export { Dropout, dropoutKey, fillDropoutMask } from '../model/dropout.js';
export {
  type ClassificationScores,
  type ClassScores,
  classificationScores,
  MultilabelAccumulator,
  type MultilabelScores,
  RegressionAccumulator,
  type RegressionScores,
  rocAuc,
} from '../model/metrics.js';
export { Adam } from '../model/optimizers/adam.js';
export { Momentum } from '../model/optimizers/momentum.js';
export { RmsProp } from '../model/optimizers/rmsprop.js';
export { Sgd } from '../model/optimizers/sgd.js';
export { learningRateAt } from '../model/schedule.js';
export { huberLoss, meanSquaredError, sigmoidCrossEntropy } from '../model/targetLosses.js';
export { EpochMonitor } from '../operators/earlyStopping.js';
export { type TrainEpochOptions, trainEpoch } from '../operators/trainEpoch.js';
export { type TrainStepsOptions, trainSteps } from '../operators/trainSteps.js';
export {
  type CategoricalColumn,
  type ColumnLevels,
  columnLevels,
  levelOf,
  type OneHotOptions,
  oneHotBlocks,
  oneHotWidth,
} from '../streams/categories.js';
export { inspectCsv } from '../streams/csv/readCsv.js';
export {
  BABYSIT_CONTROLS,
  type ControlSpec,
  controlFromJson,
  controlLines,
  controlText,
  parseControlLine,
} from '../training/babysitControls.js';
export { type Checkpoint, latestCheckpoint, listCheckpoints } from '../training/checkpoints.js';
export { readConfigFile } from '../training/configSchema.js';
export { babysitConfig } from '../training/lazyRuns.js';
export { type ResumeOptions, type RunSettings, resumeConfig, type SavedRun } from '../training/resumeConfig.js';
export { CONFIG_SETTINGS, DATA_SETTINGS, type OnResume, type Setting, type SettingKey } from '../training/settings.js';
export { type AshaOptions, AshaPruner, ashaPrune, ashaRungs, type EpochReport, type PruneDecision } from '../tuning/asha.js';
export { OBJECTIVES } from '../tuning/objective.js';
export { fullBox, type SamplerName, samplePoints, type UnitBox, zoomBox } from '../tuning/samplers.js';
export { checkSpace, readSearchSpaceFile, spaceToJSON } from '../tuning/space.js';
export { plannedSampler, type StudySampler, type StudySamplerContext, studySampler, tpeSampler } from '../tuning/studySampler.js';
export { summaryJson } from '../tuning/studySummary.js';
export { suggestTpe, type TpeDimension, type TpeObservation, tpeDimensions } from '../tuning/tpe.js';
