import { defer, type Observable, switchMap } from 'rxjs';

// What loads a module on first use: the root's data readers (lazyStreams.ts), trainFromFiles,
// babysit and runStudy, so that `import 'rxgrad'` costs none of their modules.

/**
 * A function returning an Observable, whose module loads when the Observable is subscribed.
 *
 * @example
 * const ticks = lazyObservable(async () => (await import('rxjs')).interval);
 * ticks(1000).subscribe(console.log);
 */
export function lazyObservable<A extends unknown[], T>(load: () => Promise<(...args: A) => Observable<T>>): (...args: A) => Observable<T> {
  return (...args) => defer(load).pipe(switchMap((run) => run(...args)));
}

/**
 * A function returning a promise, whose module loads when it is called.
 *
 * @example
 * const sleep = lazyAsync(async () => (await import('node:timers/promises')).setTimeout);
 * await sleep(100);
 */
export function lazyAsync<A extends unknown[], T>(load: () => Promise<(...args: A) => Promise<T>>): (...args: A) => Promise<T> {
  return async (...args) => (await load())(...args);
}
