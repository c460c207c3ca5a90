import type { Job } from 'bullmq';
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
 * events.on('progress', ({ data }) => { const point = trialProgressOf(data); … });
 */
export function trialProgressOf(data: unknown): CurvePoint | undefined {
  return typeof data === 'object' && data !== null && typeof (data as { epoch?: unknown }).epoch === 'number' ? (data as CurvePoint) : undefined;
}

/**
 * A finished job's trial record, from BullMQ's return value (JSON text in events, an object on a
 * fetched job).
 *
 * @example
 * const record = trialResultOf(job.returnvalue);
 */
export function trialResultOf(returnvalue: unknown): TrialRecord {
  return (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as TrialRecord;
}
