import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MicroBatchRunner, MicroResult } from '../nn/micro-batches.js';
import type { Module } from '../nn/module.js';
import type { ModelSpec } from '../nn/spec.js';
import type { Normalization } from '../nn/train.js';
import type { FloatArray } from '../tensor/dtype.js';
import { CamlabError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainDataSpec } from './train-data.js';

/**
 * Worker threads that run micro-batches of a training step (micro-batches.ts) while the main
 * thread runs the first one. Each worker holds a replica of the model built from the same spec and
 * the same training data (the data sets are functions of seed, epoch and index, so a worker makes
 * its own pictures); per step it receives the weights, running statistics and its part's indices
 * through shared memory, and writes back the gradients, statistics, loss and hits. The main thread
 * blocks in Atomics.wait meanwhile, so `train()` stays synchronous.
 */

/** What a worker needs to build its replica and its training data. */
export interface TrainWorkerSetup {
  spec: ModelSpec;
  data: TrainDataSpec;
  normalize: Normalization;
}

export type { TrainDataSpec };

// Control words (Int32, per worker).
const REQUEST = 0;
const DONE = 1;
const STATUS = 2;
const READY = 3;
const PART = 4;
const EPOCH = 5;
const BATCH = 6;
const CORRECT = 7;
const CONTROL_WORDS = 8;
const MESSAGE_BYTES = 4096;
/** How long the main thread waits for a worker to start, or to finish one part, before it gives up. */
const START_MS = 120_000;
const PART_MS = 600_000;

/** The shared memory of one worker. */
interface Channel {
  ctl: Int32Array;
  loss: Float64Array;
  idx: Int32Array;
  paramsIn: Float32Array;
  buffersIn: Float32Array;
  gradsOut: Float32Array;
  gradFlags: Int32Array;
  buffersOut: Float32Array;
  message: Uint8Array;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

function channel(paramCount: number, bufferCount: number, params: number, maxPart: number): Channel {
  return {
    ctl: new Int32Array(shared(4 * CONTROL_WORDS)),
    loss: new Float64Array(shared(8)),
    idx: new Int32Array(shared(4 * maxPart)),
    paramsIn: new Float32Array(shared(4 * params)),
    buffersIn: new Float32Array(shared(4 * bufferCount)),
    gradsOut: new Float32Array(shared(4 * params)),
    gradFlags: new Int32Array(shared(4 * paramCount)),
    buffersOut: new Float32Array(shared(4 * bufferCount)),
    message: new Uint8Array(shared(MESSAGE_BYTES)),
  };
}

/** How the worker is started: through tsx when camlab runs from its TypeScript sources, else the built module. */
function workerSource(): string {
  const self = import.meta.url;
  const fromSource = self.endsWith('.ts');
  const entry = new URL(fromSource ? './train-worker.ts' : './train-worker.js', self).href;
  const tsx = fromSource ? pathToFileURL(createRequire(self).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs') : null;
  return `
const { workerData } = require('node:worker_threads');
(async () => {
  ${tsx === null ? '' : `(await import(${JSON.stringify(tsx)})).register();`}
  await import(${JSON.stringify(entry)});
})().catch((e) => {
  const { ctl, message } = workerData.channel;
  const text = new TextEncoder().encode(String(e && e.stack || e)).subarray(0, message.length);
  message.set(text);
  Atomics.store(ctl, ${STATUS}, 1);
  Atomics.store(ctl, ${READY}, 1);
  Atomics.notify(ctl, ${READY});
  Atomics.store(ctl, ${DONE}, -2);
  Atomics.notify(ctl, ${DONE});
});`;
}

/** Waits until ctl[at] !== value, failing after ms. */
function waitChange(ctl: Int32Array, at: number, value: number, ms: number, what: string): void {
  const until = Date.now() + ms;
  while (Atomics.load(ctl, at) === value) {
    const left = until - Date.now();
    if (left <= 0) throw new CamlabError('train', `a training worker did not ${what} within ${Math.round(ms / 1000)} s`);
    Atomics.wait(ctl, at, value, Math.min(left, 1000));
  }
}

function workerError(c: Channel): CamlabError {
  const end = c.message.indexOf(0);
  const text = new TextDecoder().decode(c.message.slice(0, end < 0 ? c.message.length : end));
  return new CamlabError('train', `a training worker failed: ${text.split('\n')[0] ?? text}`);
}

/** Micro-batches on `count` worker threads (float32 training only). Call close() when done. */
export class TrainWorkers implements MicroBatchRunner {
  readonly capacity: number;
  private readonly workers: Worker[] = [];
  private readonly channels: Channel[] = [];
  private readonly sizes: number[];
  private readonly bufferSizes: number[];
  private generation = 0;
  private active = 0;
  private ready = false;

  constructor(model: Module, setup: TrainWorkerSetup, count: number, maxPart: number) {
    if (!Number.isInteger(count) || count < 1) throw new CamlabError('train', `workers must be a positive integer, got ${count}`);
    const params = model.parameters();
    if (params.some((p) => p.dtype !== 'float32')) throw new CamlabError('train', 'training workers run float32 models only');
    this.sizes = params.map((p) => p.size);
    this.bufferSizes = model.namedBuffers().map(([, b]) => b.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const buffers = this.bufferSizes.reduce((a, b) => a + b, 0);
    this.capacity = count;
    const source = workerSource();
    for (let k = 0; k < count; k++) {
      const c = channel(params.length, buffers, total, maxPart);
      this.channels.push(c);
      const w = new Worker(source, { eval: true, workerData: { setup, channel: c, sizes: this.sizes, bufferSizes: this.bufferSizes } });
      w.unref();
      this.workers.push(w);
    }
  }

  start(params: readonly Tensor[], buffers: readonly Tensor[], parts: readonly number[][], epoch: number, batchSize: number): void {
    if (parts.length > this.capacity) throw new CamlabError('train', `${parts.length} parts for ${this.capacity} workers`);
    if (!this.ready) {
      for (const c of this.channels) {
        waitChange(c.ctl, READY, 0, START_MS, 'start');
        if (Atomics.load(c.ctl, STATUS) !== 0) throw workerError(c);
      }
      this.ready = true;
    }
    this.generation++;
    parts.forEach((part, k) => {
      const c = this.channels[k]!;
      pack(params.map((p) => p.data), this.sizes, c.paramsIn);
      pack(buffers.map((b) => b.data), this.bufferSizes, c.buffersIn);
      c.idx.set(part);
      c.ctl[PART] = part.length;
      c.ctl[EPOCH] = epoch;
      c.ctl[BATCH] = batchSize;
      Atomics.store(c.ctl, REQUEST, this.generation);
      Atomics.notify(c.ctl, REQUEST);
    });
    this.active = parts.length;
  }

  finish(): MicroResult[] {
    const out: MicroResult[] = [];
    for (let k = 0; k < this.active; k++) {
      const c = this.channels[k]!;
      waitChange(c.ctl, DONE, this.generation - 1, PART_MS, 'finish its part');
      if (Atomics.load(c.ctl, STATUS) !== 0) throw workerError(c);
      out.push({
        grads: unpack(c.gradsOut, this.sizes).map((g, i) => (c.gradFlags[i] === 1 ? g : null)),
        buffers: unpack(c.buffersOut, this.bufferSizes),
        lossSum: c.loss[0]!,
        correct: c.ctl[CORRECT]!,
      });
    }
    this.active = 0;
    return out;
  }

  /** Stops the workers. */
  close(): void {
    for (const c of this.channels) {
      Atomics.store(c.ctl, REQUEST, -1);
      Atomics.notify(c.ctl, REQUEST);
    }
    for (const w of this.workers) void w.terminate();
  }
}

/** Arrays laid end to end into `into`, each at the offset its size gives (a null piece is left as it is). */
export function pack(arrays: ReadonlyArray<ArrayLike<number> | null>, sizes: readonly number[], into: Float32Array): void {
  let at = 0;
  arrays.forEach((a, i) => {
    if (a !== null) into.set(a, at);
    at += sizes[i]!;
  });
}

/** Views of consecutive pieces of `from` with the given sizes (sharing its memory). */
export function pieces(from: Float32Array, sizes: readonly number[]): Float32Array[] {
  let at = 0;
  return sizes.map((n) => from.subarray(at, (at += n)));
}

/** Copies of consecutive pieces of `from`: what stays valid after the shared memory is reused. */
export function unpack(from: Float32Array, sizes: readonly number[]): FloatArray[] {
  return pieces(from, sizes).map((p) => p.slice());
}

export { CONTROL_WORDS, REQUEST, DONE, STATUS, READY, PART, EPOCH, BATCH, CORRECT };
export type { Channel };
