import { lazyObservable } from '../lazy.js';
import type * as Study from './study.js';

/**
 * Runs (or continues) a hyperparameter study (see `tuning/study.ts`); the study runner and the data
 * readers load when the Observable is subscribed, so that the root import loads no Arrow code.
 *
 * @example
 * runStudy({ dir: 'studies/digits', space: defaultSearchSpace(), settings, trials: 40, rounds: 2, parallel: 2 }).subscribe((e) => console.log(e.type));
 */
export const runStudy: typeof Study.runStudy = lazyObservable(async () => (await import('./study.js')).runStudy);
