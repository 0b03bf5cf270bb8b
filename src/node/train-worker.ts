/**
 * A training worker (started by train-workers.ts): builds the model replica and the training data,
 * then runs one micro-batch per request until told to stop. Its kernels run on this thread only.
 */
import { workerData } from 'node:worker_threads';
import { trainSetFor } from './train-data.js';
import { microStep } from '../nn/micro-batches.js';
import { buildModel } from '../nn/spec.js';
import { Rng } from '../tensor/rng.js';
import { setThreads } from '../tensor/wasm/threads.js';
import { BATCH, CORRECT, DONE, EPOCH, pack, PART, pieces, READY, REQUEST, STATUS, type Channel, type TrainWorkerSetup } from './train-workers.js';

const { setup, channel: c, sizes, bufferSizes } = workerData as { setup: TrainWorkerSetup; channel: Channel; sizes: number[]; bufferSizes: number[] };

function fail(e: unknown): void {
  // The message on the first line (what the main thread reports), the stack after it.
  const text = new TextEncoder().encode(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)).subarray(0, c.message.length - 1);
  c.message.fill(0);
  c.message.set(text);
  Atomics.store(c.ctl, STATUS, 1);
}

function serve(): void {
  setThreads(1);
  // The weights are overwritten before every part; the seed only has to build the same shapes.
  const model = buildModel({ ...setup.spec, dtype: 'float32' }, new Rng(0));
  model.train();
  const data = trainSetFor(setup.data);
  const params = model.parameters();
  const buffers = model.namedBuffers().map(([, b]) => b);
  Atomics.store(c.ctl, READY, 1);
  Atomics.notify(c.ctl, READY);
  let seen = 0;
  for (;;) {
    Atomics.wait(c.ctl, REQUEST, seen);
    const gen = Atomics.load(c.ctl, REQUEST);
    if (gen === -1) return;
    seen = gen;
    try {
      pieces(c.paramsIn, sizes).forEach((v, i) => params[i]!.data.set(v));
      pieces(c.buffersIn, bufferSizes).forEach((v, i) => buffers[i]!.data.set(v));
      const part = Array.from(c.idx.subarray(0, c.ctl[PART]!));
      const r = microStep(model, data, part, c.ctl[EPOCH]!, c.ctl[BATCH]!, setup.normalize, 'float32');
      pack(r.grads, sizes, c.gradsOut);
      r.grads.forEach((g, i) => (c.gradFlags[i] = g === null ? 0 : 1));
      pack(r.buffers, bufferSizes, c.buffersOut);
      c.loss[0] = r.lossSum;
      c.ctl[CORRECT] = r.correct;
    } catch (e) {
      fail(e);
    }
    Atomics.store(c.ctl, DONE, gen);
    Atomics.notify(c.ctl, DONE);
  }
}

try {
  serve();
} catch (e) {
  fail(e);
  Atomics.store(c.ctl, READY, 1);
  Atomics.notify(c.ctl, READY);
}
