import { defaultIfEmpty, from, isObservable, map, type Observable, type ObservableInput, of, take } from 'rxjs';

/**
 * A hook's answer as an Observable: a promise or an Observable as it is, a plain value (or
 * nothing) at once, synchronously, so that a run with synchronous hooks stays in virtual time.
 *
 * @example
 * fromAnswer(store.save(state, 3)).subscribe((where) => console.log(where));
 */
export function fromAnswer<T>(answer: T | ObservableInput<T>): Observable<T> {
  const later = isObservable(answer) || typeof (answer as PromiseLike<T> | undefined)?.then === 'function';
  return later ? from(answer as ObservableInput<T>) : of(answer as T);
}

/**
 * Emits once when a hook's answer has settled: a promise resolved, an Observable's first value or
 * its completion, a plain value at once. An error or rejection is passed on.
 *
 * @example
 * settled(onEpochEnd(metrics)).pipe(map(() => event));
 */
export function settled(answer: unknown): Observable<void> {
  return fromAnswer(answer).pipe(
    defaultIfEmpty(undefined),
    take(1),
    map(() => undefined),
  );
}
