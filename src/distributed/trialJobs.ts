import type { Job } from 'bullmq';
import { StudyError } from '../errors.js';
import { safeName } from '../files/safePaths.js';
import { CONFIG_SETTINGS } from '../training/settings.js';
import type { TrainingConfig } from '../training/trainingConfig.js';
import type { CurvePoint, TrialRecord, TrialSpec } from '../tuning/trial.js';
import type { DataDigest } from './dataDigest.js';

/**
 * The one message of the trial queue, written by the coordinator and read by the workers: the
 * trial, and what a worker needs besides it (the data it must train on, how ASHA decides).
 */
export interface TrialJobData {
  readonly study: string;
  readonly spec: TrialSpec;
  readonly digest: DataDigest;
  readonly objective: { readonly name: string; readonly direction: 'maximize' | 'minimize' };
  readonly asha?: { readonly rungs: readonly number[]; readonly eta: number } | undefined;
}

/** A trial job as BullMQ carries it: its data, its progress reports (one per epoch) and its result. */
export type TrialJob = Job<TrialJobData, TrialRecord>;

/**
 * A worker's report of one epoch of its trial (the job's progress): the one way a worker writes
 * progress, read back by `trialProgressOf`.
 *
 * @example
 * await reportTrialProgress(job, { epoch: 1, validationAccuracy: 0.9, validationLoss: 0.3, trainLoss: 0.4, seconds: 1.2 });
 */
export async function reportTrialProgress(job: TrialJob, point: CurvePoint): Promise<void> {
  await job.updateProgress(point);
}

/**
 * An epoch from a job's progress event, or undefined for progress that is not one (BullMQ's
 * progress may be any number or object).
 *
 * @example
 * import { QueueEvents } from 'bullmq';
 * const events = new QueueEvents('rxgrad-trials', { connection: { host: '127.0.0.1', port: 6379 } });
 * events.on('progress', ({ data }) => console.log(trialProgressOf(data)?.epoch));
 */
export function trialProgressOf(data: unknown): CurvePoint | undefined {
  return isCurvePoint(data) ? data : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
/** A metric as JSON carries it: a number, or null where it was NaN. */
const isMetric = (value: unknown) => value === null || typeof value === 'number';
const isCurvePoint = (value: unknown): value is CurvePoint =>
  isObject(value) &&
  isCount(value.epoch) &&
  value.epoch >= 1 &&
  ['trainLoss', 'validationLoss', 'validationAccuracy', 'seconds'].every((k) => isMetric(value[k])) &&
  (value.objective === undefined || isMetric(value.objective));

/** The most weights a job's network may have (a gigabyte of float32): a job cannot make a worker allocate without bound. */
const MAX_JOB_WEIGHTS = 2 ** 28;

/** Throws the protocol's error: what was refused, and why. */
function refuse(what: string, why: string): never {
  throw new StudyError(`refused ${what}: ${why}`);
}

/**
 * A job's data as a worker takes it: every field checked before anything is read, written or
 * run, and the names that make paths (the study, the trial id) checked as safe names. A job that
 * is not one the coordinator could have written is a `StudyError` (or an `UnsafePathError` for a
 * name that would leave its folder), and the worker refuses it.
 *
 * @example
 * const { study, spec } = trialJobOf(job.data);
 */
export function trialJobOf(data: unknown): TrialJobData {
  const what = 'a trial job';
  if (!isObject(data)) refuse(what, 'its data is not an object');
  safeName(data.study, 'study name in a trial job');
  const spec = data.spec;
  if (!isObject(spec)) refuse(what, 'it has no trial spec');
  safeName(spec.id, 'trial id in a trial job');
  const file = isObject(spec.data) ? spec.data : refuse(what, `trial ${spec.id} names no data`);
  if (
    typeof file.file !== 'string' ||
    file.file === '' ||
    typeof file.label !== 'string' ||
    !Array.isArray(file.features) ||
    !file.features.every((f) => typeof f === 'string')
  ) {
    refuse(what, `trial ${spec.id}: its data must name a file, a label and features`);
  }
  if (file.classNames !== undefined && (!Array.isArray(file.classNames) || !file.classNames.every((c) => typeof c === 'string')))
    refuse(what, `trial ${spec.id}: its class names must be text`);
  if (
    file.categories !== undefined &&
    (!Array.isArray(file.categories) ||
      !file.categories.every(
        (c) => isObject(c) && typeof c.column === 'string' && Array.isArray(c.levels) && c.levels.every((l) => typeof l === 'string'),
      ) ||
      file.categories.reduce((sum: number, c) => sum + (c as { levels: unknown[] }).levels.length, 0) >= (spec.inputSize as number))
  )
    refuse(what, `trial ${spec.id}: its categorical columns must be names with text levels, fewer inputs than the network's`);
  const config = isObject(spec.config) ? spec.config : refuse(what, `trial ${spec.id} has no configuration`);
  for (const [key, rule] of Object.entries(CONFIG_SETTINGS) as [keyof TrainingConfig, (typeof CONFIG_SETTINGS)[keyof TrainingConfig]][]) {
    const value = config[key];
    if (value !== undefined && (!rule.valid(value) || (key === 'hidden' && !Array.isArray(value))))
      refuse(what, `trial ${spec.id}: its ${key} must be ${rule.expected}`);
  }
  if (!isCount(spec.inputSize) || spec.inputSize < 1 || !isCount(spec.classes) || spec.classes < 2)
    refuse(what, `trial ${spec.id}: its input size and classes must be positive integers`);
  const sizes = [spec.inputSize, ...((config.hidden as number[] | undefined) ?? []), spec.classes];
  const weights = sizes.slice(1).reduce((sum, units, i) => sum + (sizes[i]! + 1) * units, 0);
  if (weights > MAX_JOB_WEIGHTS)
    refuse(
      what,
      `trial ${spec.id}: its network would have ${weights.toExponential(2)} weights, more than the ${MAX_JOB_WEIGHTS.toExponential(2)} a worker trains`,
    );
  const digest = data.digest;
  if (!isObject(digest) || !isCount(digest.size) || typeof digest.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(digest.sha256))
    refuse(what, `trial ${spec.id}: its data digest must be a size and a SHA-256`);
  const objective = data.objective;
  if (
    !isObject(objective) ||
    typeof objective.name !== 'string' ||
    (objective.direction !== 'maximize' && objective.direction !== 'minimize')
  )
    refuse(what, `trial ${spec.id}: its objective must be a name and a direction`);
  const asha = data.asha;
  if (
    asha !== undefined &&
    (!isObject(asha) ||
      !Array.isArray(asha.rungs) ||
      !asha.rungs.every((r) => isCount(r) && r >= 1) ||
      typeof asha.eta !== 'number' ||
      !(asha.eta > 1))
  ) {
    refuse(what, `trial ${spec.id}: its ASHA rungs must be epochs and its eta above 1`);
  }
  return data as unknown as TrialJobData;
}

/**
 * A finished job's trial record, from BullMQ's return value (JSON text in events, an object on a
 * fetched job), checked to be the record of `trial`: a worker's result crosses a machine boundary,
 * and its id names the files the coordinator writes, so a result of another trial, or one that is
 * not a record, is a `StudyError` and is never written.
 *
 * @example
 * const record = trialResultOf(job.returnvalue, 'r0-003');
 */
export function trialResultOf(returnvalue: unknown, trial: string): TrialRecord {
  const what = `the result of trial ${trial}`;
  let record: unknown = returnvalue;
  if (typeof returnvalue === 'string') {
    try {
      record = JSON.parse(returnvalue) as unknown;
    } catch {
      refuse(what, 'it is not JSON');
    }
  }
  if (!isObject(record)) refuse(what, 'it is not a trial record');
  if (record.id !== trial) refuse(what, `it is the record of ${JSON.stringify(String(record.id).slice(0, 80))}`);
  if (!['completed', 'pruned', 'failed'].includes(record.status as string)) refuse(what, 'its status is not completed, pruned or failed');
  if (!Array.isArray(record.curve) || !record.curve.every(isCurvePoint)) refuse(what, 'its curve is not a list of epochs');
  if (!isCount(record.epochs) || !isCount(record.round) || !isCount(record.resumedFromEpoch) || !isMetric(record.seconds))
    refuse(what, 'its epochs, round and seconds are not numbers');
  if (!isObject(record.params) || !isObject(record.config) || !Array.isArray(record.unit))
    refuse(what, 'it has no params, unit or configuration');
  if (!isMetric(record.validationAccuracy) || !isMetric(record.validationLoss)) refuse(what, 'its validation metrics are not numbers');
  return record as unknown as TrialRecord;
}
