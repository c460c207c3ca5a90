import { parentPort, workerData } from 'node:worker_threads';
import { type CurvePoint, runTrial, type TrialSpec } from './trial.js';

// Runs one trial on a worker thread, relaying its events and asking the main thread (which holds
// the study's pruner) whether to go on after each epoch.
const port = parentPort!;
let answer: ((goOn: boolean) => void) | undefined;
port.on('message', (message: { type: 'decision'; goOn: boolean }) => {
  if (message.type === 'decision') answer?.(message.goOn);
});
runTrial(workerData as TrialSpec, (_trial: string, point: CurvePoint) =>
  new Promise<boolean>((resolve) => {
    answer = resolve;
    port.postMessage({ type: 'decide', point });
  }),
).subscribe({
  next: (event) => port.postMessage({ type: 'event', event }),
  complete: () => port.close(),
});
