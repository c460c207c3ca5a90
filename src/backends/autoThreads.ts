import { availableParallelism } from 'node:os';

/** The shape of the work a step does: what `autoThreads` sizes the thread count by. */
export interface StepShape {
  readonly inputSize: number;
  readonly hidden: readonly number[];
  readonly classes: number;
  readonly batchSize: number;
}

/**
 * A step's largest matrix product below which a second thread loses: the threads' start-up and
 * hand-overs cost more than they save. Measured here (2 cores, rxgrad train, 20 epochs): the
 * digits network (64→64→32→10, batch 64, largest product 0.5 MFLOP) took 1.07 s on one thread and
 * 1.12 s on two; Fashion-MNIST's (784→256→128→10, batch 128, 51 MFLOP) 1.78 s against 1.28 s an epoch.
 */
export const AUTO_THREADS_MIN_FLOPS = 1e7;

/**
 * How many threads `threads: 'auto'` gives a model: the cores this process may use
 * (`os.availableParallelism()`, which respects CPU affinity) when its largest product is big
 * enough to split, else one. Results do not depend on it: the split kernels are bit for bit those
 * of one thread.
 *
 * @example
 * autoThreads({ inputSize: 784, hidden: [256, 128], classes: 10, batchSize: 128 }) // 2 on a two-core machine
 * autoThreads({ inputSize: 64, hidden: [64, 32], classes: 10, batchSize: 64 }) // 1
 */
export function autoThreads(shape: StepShape, cores: number = availableParallelism()): number {
  const sizes = [shape.inputSize, ...shape.hidden, shape.classes];
  let largest = 0;
  for (let i = 1; i < sizes.length; i++) largest = Math.max(largest, 2 * shape.batchSize * sizes[i - 1]! * sizes[i]!);
  return largest >= AUTO_THREADS_MIN_FLOPS ? Math.max(1, cores) : 1;
}

/**
 * The kernel threads to start for a requested count: at most the machine's cores. More would
 * only wait their turn, and each holds a copy of the kernels' workspaces (`--threads 999`
 * reached 7.5 GB). `notice` hears when the count was cut.
 *
 * @example
 * threadsWithin(64, 2, console.warn); // 2, after "--threads 64: this machine has 2 cores; using 2"
 */
export function threadsWithin(
  requested: number,
  cores: number = availableParallelism(),
  notice: (message: string) => void = () => undefined,
): number {
  if (requested <= cores) return requested;
  notice(`note: --threads ${requested}: this machine has ${cores} cores; using ${cores} (more threads would only wait their turn)`);
  return cores;
}
