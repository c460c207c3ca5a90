import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import type { ContinueDecider, CurvePoint, TrialEvent, TrialSpec } from './trial.js';

/** The compiled worker script, also when running from the TypeScript sources (tests). */
function workerScript(): URL {
  const here = new URL('./trialWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/tuning/trialWorker.js', import.meta.url);
}

/**
 * Runs one trial on its own worker thread, so trials train in parallel on all cores. Events stream
 * back as they happen; pruning decisions are made here, by `decide`, on the main thread. A worker
 * that crashes ends the trial with a `failed` record; unsubscribing terminates the worker.
 *
 * @example
 * from(specs).pipe(mergeMap((spec) => runTrialInWorker(spec, decide), 2))
 */
export function runTrialInWorker(spec: TrialSpec, decide: ContinueDecider): Observable<TrialEvent> {
  return new Observable<TrialEvent>((subscriber) => {
    const worker = new Worker(workerScript(), { workerData: spec });
    let ended = false;
    let curve: CurvePoint[] = [];
    worker.on('message', (message: { type: 'decide'; point: CurvePoint } | { type: 'event'; event: TrialEvent }) => {
      if (message.type === 'decide') {
        Promise.resolve(decide(spec.id, message.point)).then(
          (goOn) => worker.postMessage({ type: 'decision', goOn }),
          () => worker.postMessage({ type: 'decision', goOn: false }),
        );
        return;
      }
      const { event } = message;
      if (event.type === 'epoch') curve = [...curve, event];
      if (event.type === 'end') ended = true;
      subscriber.next(event);
      if (event.type === 'end') subscriber.complete();
    });
    const crash = (reason: string) => {
      if (ended || subscriber.closed) return;
      ended = true;
      const last = curve.at(-1);
      subscriber.next({
        type: 'end',
        record: {
          id: spec.id,
          round: spec.round,
          params: spec.params,
          unit: spec.unit,
          config: spec.config,
          status: 'failed',
          curve: curve.map(({ epoch, trainLoss, validationLoss, validationAccuracy, seconds }) => ({ epoch, trainLoss, validationLoss, validationAccuracy, seconds })),
          epochs: last?.epoch ?? 0,
          validationAccuracy: last?.validationAccuracy ?? null,
          validationLoss: last?.validationLoss ?? null,
          error: `worker crashed: ${reason}`,
          resumedFromEpoch: 0,
          seconds: 0,
        },
      });
      subscriber.complete();
    };
    worker.on('error', (error) => crash(error.message));
    worker.on('exit', (code) => crash(`exited with code ${code} before the trial ended`));
    return () => {
      void worker.terminate();
    };
  });
}
