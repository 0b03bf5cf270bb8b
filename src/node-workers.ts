/**
 * Node's worker threads for the wasm kernels' thread pool (Node has no global Web Worker before
 * version 22, and the core may not import `node:` modules). Importing this module installs the
 * factory; camlab/node, the CLI and the benchmarks import it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setWorkerFactory } from './tensor/wasm/threads.js';

/** Lets the pool's worker body (written for Web Workers: `self.onmessage`) run in worker_threads. */
const PRELUDE = `
const { parentPort } = require('node:worker_threads');
const self = { set onmessage(f) { parentPort.on('message', (data) => f({ data })); } };
`;

setWorkerFactory({
  create(source) {
    const w = new Worker(PRELUDE + source, { eval: true });
    // Idle workers sleep in Atomics.wait; unref lets the process exit around them.
    w.unref();
    return { postMessage: (m: unknown) => w.postMessage(m), terminate: () => void w.terminate() };
  },
  unrefs: true,
  cores: availableParallelism(),
});
