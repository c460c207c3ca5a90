import { parentPort } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { type CurvePoint, runTrial, type TrialSpec } from './trial.js';

// A pool worker: runs the trials it is sent, one at a time, relaying their events and asking the
// main thread (which holds the study's pruner) whether to go on after each epoch.
type Incoming = { type: 'run'; spec: TrialSpec } | { type: 'decision'; trial: string; goOn: boolean } | { type: 'cancel'; trial: string };

const port = parentPort!;
const answers = new Map<string, (goOn: boolean) => void>();
const running = new Map<string, Subscription>();

port.on('message', (message: Incoming) => {
  switch (message.type) {
    case 'run': {
      const { spec } = message;
      const decide = (_trial: string, point: CurvePoint) =>
        new Promise<boolean>((resolve) => {
          answers.set(spec.id, resolve);
          port.postMessage({ type: 'decide', trial: spec.id, point });
        });
      running.set(
        spec.id,
        runTrial(spec, decide).subscribe({
          next: (event) => port.postMessage({ type: 'event', trial: spec.id, event }),
          // An environmental failure (a full disk): the trial stays pending; the study stops.
          error: (error: NodeJS.ErrnoException) => {
            running.delete(spec.id);
            port.postMessage({ type: 'error', trial: spec.id, error: { name: error.name, message: error.message, code: error.code, syscall: error.syscall, path: error.path } });
          },
          complete: () => running.delete(spec.id),
        }),
      );
      break;
    }
    case 'decision':
      answers.get(message.trial)?.(message.goOn);
      answers.delete(message.trial);
      break;
    case 'cancel':
      running.get(message.trial)?.unsubscribe();
      running.delete(message.trial);
      answers.delete(message.trial);
      port.postMessage({ type: 'cancelled', trial: message.trial });
      break;
  }
});
