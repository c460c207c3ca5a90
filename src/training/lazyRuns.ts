import { lazyAsync, lazyObservable } from '../lazy.js';
import type * as Babysit from './babysit.js';
import type * as TrainFromFiles from './trainFromFiles.js';

// The root's runs on files, each loading its module (and the data readers with it) on first use,
// as `lazyStreams.ts` does for the readers themselves.

/**
 * All of `rxgrad train` as a library call, its printing aside (see `training/trainFromFiles.ts`).
 *
 * @example
 * trainFromFiles({ data: 'data/digits-train.arrow', test: 'data/digits-test.arrow', config: DEFAULT_TRAINING_CONFIG }).subscribe((e) => console.log(e.type));
 */
export const trainFromFiles: typeof TrainFromFiles.trainFromFiles = lazyObservable(
  async () => (await import('./trainFromFiles.js')).trainFromFiles,
);

/**
 * Babysit one model on a file: train, checkpoint, take controls, resume (see `training/babysit.ts`).
 *
 * @example
 * babysit({ data: 'data/digits-train.arrow', dir: 'runs/digits', config: DEFAULT_TRAINING_CONFIG }).subscribe((e) => console.log(e.type));
 */
export const babysit: typeof Babysit.babysit = lazyObservable(async () => (await import('./babysit.js')).babysit);

/**
 * The configuration a babysat run in `dir` goes on with (see `training/babysit.ts`).
 *
 * @example
 * const config = await babysitConfig('runs/digits', { config: DEFAULT_TRAINING_CONFIG, normalize: true, label: 'label' }, { resume: true });
 */
export const babysitConfig: typeof Babysit.babysitConfig = lazyAsync(async () => (await import('./babysit.js')).babysitConfig);
