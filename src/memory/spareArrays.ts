/** The typed arrays `takeArray` hands out. */
export type SpareArray = Uint8Array | Float32Array | Int32Array;

interface SpareKinds {
  Uint8Array: Uint8Array;
  Float32Array: Float32Array;
  Int32Array: Int32Array;
}
const MAKERS: { [K in keyof SpareKinds]: (length: number) => SpareKinds[K] } = {
  Uint8Array: (length) => new Uint8Array(length),
  Float32Array: (length) => new Float32Array(length),
  Int32Array: (length) => new Int32Array(length),
};
/** Arrays given back, by kind and length, held weakly: the garbage collector may still take them. */
const spares = new Map<string, WeakRef<SpareArray>[]>();
/** At most this many spares of one kind and length (two record batch bodies, say). */
const MOST = 4;

/**
 * A typed array of `length` elements, one given back with `giveBackArray` when there is one that
 * the garbage collector has not taken yet, else a new one. A spare's contents are whatever its last
 * user left: write before you read. Why: new memory is memory the kernel must fault in and zero,
 * and on a virtual machine that is slow (13 MB took 35 ms on this project's machine, more than
 * the work done in it); an epoch re-reads its file and reshuffles with the same sizes as the last.
 *
 * @example
 * const pool = takeArray('Uint8Array', 64 * 784);
 * // … use it …
 * giveBackArray(pool);
 */
export function takeArray<K extends keyof SpareKinds>(kind: K, length: number): SpareKinds[K] {
  const list = spares.get(`${kind}:${length}`);
  while (list && list.length > 0) {
    const array = list.pop()!.deref();
    if (array) return array as SpareKinds[K];
  }
  return MAKERS[kind](length);
}

/**
 * Gives an array from `takeArray` back for the next `takeArray` of its kind and length. The
 * caller must hold no view of it that anyone still reads.
 *
 * @example
 * const pool = takeArray('Uint8Array', 64 * 784);
 * giveBackArray(pool);
 */
export function giveBackArray(array: SpareArray): void {
  // A view into a larger buffer is not a whole array to hand out again.
  if (array.byteOffset !== 0 || array.byteLength !== array.buffer.byteLength) return;
  const key = `${array.constructor.name}:${array.length}`;
  let list = spares.get(key);
  if (!list) spares.set(key, (list = []));
  if (list.some((ref) => ref.deref() === array)) return;
  if (list.length >= MOST) list.shift();
  list.push(new WeakRef(array));
}
