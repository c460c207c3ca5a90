import { describe, expect, it } from 'vitest';
import { checkExamples, type Prelude } from '../helpers/checkExamples.js';

/**
 * What an `@example` may use without defining it: rxjs's usual functions, and these givens, each
 * of a public type, so that an example shows a call without the lines that build its arguments.
 */
const PRELUDE: Prelude = {
  rxjs: ['filter', 'finalize', 'from', 'lastValueFrom', 'map', 'merge', 'mergeMap', 'of', 'Subject', 'take', 'tap', 'toArray'],
  givens: {
    network: 'Network',
    net: 'Network',
    optimizer: 'Optimizer',
    adam: 'Optimizer',
    standardizer: 'Standardizer',
    backend: 'Backend',
    config: 'TrainingConfig',
    base: 'TrainingConfig',
    settings: 'StudySettings',
    space: 'SearchSpace',
    file: 'string',
    dir: 'string',
    bundle: 'ModelBundle',
    best: 'unknown',
    batches$: 'import("rxjs").Observable<MiniBatch>',
    data$: 'import("rxjs").Observable<ExampleBlock>',
    train$: 'import("rxjs").Observable<ExampleBlock>',
    validation$: 'import("rxjs").Observable<ExampleBlock>',
    fit$: 'import("rxjs").Observable<FitEvent>',
    record: 'TrialRecord',
    records: 'readonly TrialRecord[]',
    spec: 'import("../src/tuning/trial.js").TrialSpec',
    specs: 'readonly import("../src/tuning/trial.js").TrialSpec[]',
    layer: 'Layer',
    x: 'Matrix',
    dy: 'Matrix',
    workspace: 'import("../src/model/layer.js").Workspace',
    block: 'ExampleBlock',
    miniBatch: 'MiniBatch',
    metrics: 'EpochMetrics',
    history: 'RunHistory',
    summary: 'DatasetSummary',
    predictions: 'Predictions',
    progress: 'TrainingProgress',
    bestEpoch: 'number',
    digest: 'import("../src/distributed/dataDigest.js").DataDigest',
    job: 'import("bullmq").Job<import("../src/distributed/trialJobs.js").TrialJobData>',
    redis: 'import("ioredis").Redis',
    study: 'string',
    asha: 'ReturnType<typeof import("../src/distributed/redisAsha.js").redisAsha>',
    trials: 'readonly ImportanceTrial[]',
    dimensions: 'readonly ImportanceDimension[]',
    input: 'import("../src/report/studyReport.js").StudyInput',
    observations: 'readonly TpeObservation[]',
    io: 'import("../src/cli/io.js").CliIo',
    command: 'import("commander").Command',
    program: 'import("commander").Command',
    threads: 'import("../src/backends/kernelThreads.js").KernelThreads',
    reader: 'import("apache-arrow").RecordBatchReader',
    table: 'import("apache-arrow").Table',
    batch: 'import("apache-arrow").RecordBatch',
    metadataBytes: 'Uint8Array',
    footerBytes: 'Uint8Array',
    nonce: 'string',
    body: 'string',
    item: 'ExampleBlock | Example',
    options: 'FitOptions',
    store: 'BabysitStore',
    state: 'BabysitState',
    controls: 'import("rxjs").Observable<BabysitControl>',
    liveBlocks$: 'import("rxjs").Observable<ExampleBlock>',
    onEpochEnd: '(metrics: EpochMetrics) => unknown',
    event: 'FitEvent',
  },
};

// Every @example in src/ is compiled against its module's exports and the public entry points
// (issue 35: of 16 read by hand, 2 did not compile). A failure names the example's file and line.
describe('the doc comments’ examples', () => {
  it('every @example type-checks', () => {
    const { count, errors } = checkExamples(PRELUDE);
    expect(count).toBeGreaterThan(300);
    expect(errors.map((e) => `${e.example}: ${e.message}`)).toEqual([]);
  }, 120_000);
});
