import { parentPort } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { type CurvePoint, runTrial } from './trial.js';
import { fromTrialWorker, type ToTrialWorker } from './trialProtocol.js';

// A pool worker: runs the trials it is sent, one at a time, relaying their events and asking the
// main thread (which holds the study's pruner) whether to go on after each epoch.
const port = parentPort!;
const answers = new Map<string, (goOn: boolean) => void>();
const running = new Map<string, Subscription>();

port.on('message', (message: ToTrialWorker) => {
  switch (message.type) {
    case 'run': {
      const { spec } = message;
      const decide = (_trial: string, point: CurvePoint) =>
        new Promise<boolean>((resolve) => {
          answers.set(spec.id, resolve);
          fromTrialWorker(port, { type: 'decide', trial: spec.id, point });
        });
      running.set(
        spec.id,
        runTrial(spec, decide).subscribe({
          next: (event) => fromTrialWorker(port, { type: 'event', trial: spec.id, event }),
          // An environmental failure (a full disk): the trial stays pending; the study stops.
          error: (error: NodeJS.ErrnoException) => {
            running.delete(spec.id);
            fromTrialWorker(port, {
              type: 'error',
              trial: spec.id,
              error: { name: error.name, message: error.message, code: error.code, syscall: error.syscall, path: error.path },
            });
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
      fromTrialWorker(port, { type: 'cancelled', trial: message.trial });
      break;
  }
});
