import type { MessagePort, Worker } from 'node:worker_threads';
import type { CurvePoint, TrialEvent, TrialSpec } from './trial.js';

/** What the study's thread sends a trial worker: a trial to run, ASHA's answer after an epoch, or a cancel. */
export type ToTrialWorker =
  | { readonly type: 'run'; readonly spec: TrialSpec }
  | { readonly type: 'decision'; readonly trial: string; readonly goOn: boolean }
  | { readonly type: 'cancel'; readonly trial: string };

/** An OS error as it crosses the thread boundary: what the study needs to tell an environmental failure. */
export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly code?: string | undefined;
  readonly syscall?: string | undefined;
  readonly path?: string | undefined;
}

/** What a trial worker sends back: an epoch to decide on, a trial's event, a cancel done, or a failure of the environment. */
export type FromTrialWorker =
  | { readonly type: 'decide'; readonly trial: string; readonly point: CurvePoint }
  | { readonly type: 'event'; readonly trial: string; readonly event: TrialEvent }
  | { readonly type: 'cancelled'; readonly trial: string }
  | { readonly type: 'error'; readonly trial: string; readonly error: WorkerError };

/**
 * Sends a message to a trial worker: the one way the study's thread writes to one, so the sender
 * is checked against the type the worker reads.
 *
 * @example
 * import { Worker } from 'node:worker_threads';
 * import { workerScript } from '../workerScript.js';
 * toTrialWorker(new Worker(workerScript('trialWorker.js', import.meta.url)), { type: 'run', spec });
 */
export function toTrialWorker(worker: Worker, message: ToTrialWorker): void {
  worker.postMessage(message);
}

/**
 * Sends a message from a trial worker to the study's thread (the worker's side of `toTrialWorker`).
 *
 * @example
 * import { parentPort } from 'node:worker_threads';
 * fromTrialWorker(parentPort!, { type: 'cancelled', trial: 'r0-001' });
 */
export function fromTrialWorker(port: MessagePort, message: FromTrialWorker): void {
  port.postMessage(message);
}
