// Entry point of a kernel worker thread (see KernelThreads): instantiates the shared-memory build
// of the kernels on the memory it is given and serves its control block until terminated.
import { workerData } from 'node:worker_threads';
import { type KernelExports, type KernelWorkerData, serveKernels } from './kernelThreads.js';

const { module, memory, control, spinMilliseconds } = workerData as KernelWorkerData;
const instance = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => {
      throw new Error('rxgrad wasm kernels aborted');
    },
  },
});
serveKernels(instance.exports as unknown as KernelExports, memory, control, spinMilliseconds);
