import { backward } from '../autodiff/grad.js';
import { noGrad } from '../autodiff/mode.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { fail } from '../tensor/errors.js';
import { argmax } from '../tensor/reduce.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from './losses.js';
import type { Module } from './module.js';
import { combineParts, microStep, restoreBuffers, splitBatch, type MicroBatchRunner, type MicroResult } from './micro-batches.js';
import { Adam, SGD, type Optimizer } from './optim.js';

/** One labelled example: pixels in [0, 1], CHW. */
export interface Sample {
  x: ArrayLike<number>;
  label: number;
}

/** A dataset that can produce any example on demand (so large synthetic sets need not sit in memory). */
export interface Dataset {
  size: number;
  /** Shape of one example [C, H, W]. */
  shape: readonly [number, number, number];
  /** Example i; `epoch` lets a dataset vary augmentation deterministically. */
  get(i: number, epoch: number): Sample;
}

export interface Normalization {
  mean?: readonly number[];
  std?: readonly number[];
}

/** Stacks examples into a batch [B, C, H, W], normalizing each channel as (x − mean)/std. */
export function makeBatch(data: Dataset, indices: readonly number[], epoch: number, norm: Normalization = {}, dtype: DType = 'float32'): { x: Tensor; labels: number[] } {
  const [c, h, w] = data.shape;
  const per = c * h * w;
  const buf = allocate(dtype, indices.length * per);
  const labels: number[] = [];
  indices.forEach((idx, b) => {
    const s = data.get(idx, epoch);
    if (s.x.length !== per) fail('makeBatch', `example ${idx} has ${s.x.length} values, expected ${per} for [${c},${h},${w}]`);
    for (let ch = 0; ch < c; ch++) {
      const m = norm.mean?.[ch] ?? 0;
      const sd = norm.std?.[ch] ?? 1;
      const base = ch * h * w;
      for (let i = 0; i < h * w; i++) buf[b * per + base + i] = (s.x[base + i]! - m) / sd;
    }
    labels.push(s.label);
  });
  return { x: new Tensor(buf, [indices.length, c, h, w]), labels };
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  /** 'adamw': Adam with decoupled weight decay (torch.optim.AdamW). Default 'adam'. */
  optimizer?: 'adam' | 'adamw' | 'sgd';
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Cosine decay of the learning rate to 0 over all steps (default true). */
  cosine?: boolean;
  /**
   * Linear warm-up over this many epochs (default 0): step k (from 0) of T runs at
   * lr·min(1, (k + 1)/(warmup·steps per epoch))·(1 + cos(πk/T))/2 with cosine, without it lr·min(1, …).
   */
  warmupEpochs?: number;
  /** Seed of the shuffling. */
  seed: number;
  normalize?: Normalization;
  dtype?: DType;
  /**
   * Micro-batches per step (default 1; micro-batches.ts): each runs forward and backward alone,
   * batch norm sees its own statistics, gradients are added in order. The same bits whichever
   * thread runs which part; `runner` runs all but the first part elsewhere (worker threads).
   */
  microBatches?: number;
  runner?: MicroBatchRunner;
  /** Called after every step with the running loss/accuracy of the epoch and an ETA. */
  onStep?: (p: TrainProgress) => void;
  /** Called after every epoch; return extra metrics (e.g. held-out accuracy) to record. */
  onEpoch?: (p: EpochSummary) => Record<string, number> | void;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
  etaSeconds: number;
  /** The learning rate this step ran at (after warm-up and cosine decay). */
  lr: number;
}

export interface EpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
  extra?: Record<string, number>;
}

/**
 * Minibatch training of a classifier with cross-entropy on logits. Deterministic for a seed: the
 * shuffling comes from Rng(seed), the model's initialization from its own seeded generator.
 * `now` supplies a clock in milliseconds for progress reports (the core has no timer of its own).
 */
export function train(model: Module, data: Dataset, opts: TrainOptions, now: () => number = () => 0): EpochSummary[] {
  const batch = opts.batchSize ?? 32;
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) fail('train', `epochs must be a positive integer, got ${opts.epochs}`);
  if (!Number.isInteger(batch) || batch < 1) fail('train', `batchSize must be a positive integer, got ${batch}`);
  const params = model.parameters();
  const lr = opts.lr ?? 1e-3;
  const kind = opts.optimizer ?? 'adam';
  if (kind !== 'adam' && kind !== 'adamw' && kind !== 'sgd') fail('train', `optimizer must be adam, adamw or sgd, got '${String(kind)}'`);
  const warmup = opts.warmupEpochs ?? 0;
  if (!(warmup >= 0 && Number.isFinite(warmup))) fail('train', `warmupEpochs must be a finite number >= 0, got ${warmup}`);
  const optim: Optimizer & { setLearningRate(lr: number): void } = kind === 'sgd'
    ? new SGD(params, { lr, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 0 })
    : new Adam(params, { lr, weightDecay: opts.weightDecay ?? 0, decoupled: kind === 'adamw' });
  const micro = opts.microBatches ?? 1;
  if (!Number.isInteger(micro) || micro < 1 || micro > batch) fail('train', `microBatches must be an integer in [1, batchSize ${batch}], got ${micro}`);
  const rng = new Rng(opts.seed);
  const stepsPerEpoch = Math.ceil(data.size / batch);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const start = now();
  const history: EpochSummary[] = [];
  let done = 0;
  model.train();
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = rng.permutation(data.size);
    const t0 = now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const ramp = warmup > 0 ? Math.min(1, (done + 1) / (warmup * stepsPerEpoch)) : 1;
      const cosine = (opts.cosine ?? true) ? 0.5 * (1 + Math.cos((Math.PI * done) / totalSteps)) : 1;
      const stepLr = ramp !== 1 || cosine !== 1 ? lr * ramp * cosine : lr;
      optim.setLearningRate(stepLr);
      const idx = order.slice(s * batch, (s + 1) * batch);
      if (micro === 1) {
        const { x, labels } = makeBatch(data, idx, epoch, opts.normalize, opts.dtype ?? 'float32');
        optim.zeroGrad();
        const logits = model.call(x);
        const loss = crossEntropy(logits, labels);
        backward(loss);
        const pred = argmax(logits, 1).data;
        labels.forEach((l, i) => (correct += pred[i] === l ? 1 : 0));
        lossSum += loss.item() * labels.length;
      } else {
        const r = microBatchStep(model, data, idx, epoch, opts);
        correct += r.correct;
        lossSum += r.lossSum;
      }
      optim.step();
      seen += idx.length;
      done++;
      const elapsed = (now() - start) / 1000;
      opts.onStep?.({ epoch, epochs: opts.epochs, step: s + 1, stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen, seconds: elapsed, etaSeconds: (elapsed / done) * (totalSteps - done), lr: stepLr });
    }
    const summary: EpochSummary = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: (now() - t0) / 1000 };
    model.eval();
    const extra = opts.onEpoch?.(summary);
    model.train();
    if (extra) summary.extra = extra;
    history.push(summary);
  }
  model.eval();
  return history;
}

/** One step's gradients (left in p.grad) from micro-batches, the first on this thread, the others on opts.runner when given. */
function microBatchStep(model: Module, data: Dataset, idx: readonly number[], epoch: number, opts: TrainOptions): { lossSum: number; correct: number } {
  const parts = splitBatch(idx, opts.microBatches!);
  const dtype = opts.dtype ?? 'float32';
  const buffers = model.namedBuffers().map(([, b]) => b);
  const saved = buffers.map((b) => b.data.slice());
  const runner = opts.runner;
  const elsewhere = runner === undefined ? [] : parts.slice(1, 1 + runner.capacity);
  if (elsewhere.length > 0) runner!.start(model.parameters(), buffers, elsewhere, epoch, idx.length);
  const results: MicroResult[] = [microStep(model, data, parts[0]!, epoch, idx.length, opts.normalize, dtype)];
  restoreBuffers(model, saved);
  if (elsewhere.length > 0) results.push(...runner!.finish());
  for (const part of parts.slice(1 + elsewhere.length)) {
    results.push(microStep(model, data, part, epoch, idx.length, opts.normalize, dtype));
    restoreBuffers(model, saved);
  }
  combineParts(model, results);
  return { lossSum: results.reduce((a, r) => a + r.lossSum, 0), correct: results.reduce((a, r) => a + r.correct, 0) };
}

/** Accuracy and mean loss of the model (eval mode, no graph) on a dataset. */
export function evaluateClassifier(model: Module, data: Dataset, opts: { batchSize?: number; normalize?: Normalization; dtype?: DType; limit?: number } = {}): { accuracy: number; loss: number; count: number } {
  const batch = opts.batchSize ?? 64;
  if (!Number.isInteger(batch) || batch < 1) fail('evaluateClassifier', `batchSize must be a positive integer, got ${batch}`);
  const n = Math.min(data.size, opts.limit ?? data.size);
  if (!(n >= 1)) fail('evaluateClassifier', `needs at least one example, got limit ${String(opts.limit)} on a dataset of ${data.size}`);
  if (!Number.isInteger(n)) fail('evaluateClassifier', `limit must be an integer, got ${String(opts.limit)}`);
  let correct = 0;
  let loss = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < n; s += batch) {
        const idx = Array.from({ length: Math.min(batch, n - s) }, (_, i) => s + i);
        const { x, labels } = makeBatch(data, idx, 0, opts.normalize, opts.dtype ?? 'float32');
        const logits = model.call(x);
        loss += crossEntropy(logits, labels, 'sum').item();
        const pred = argmax(logits, 1).data;
        labels.forEach((l, i) => (correct += pred[i] === l ? 1 : 0));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { accuracy: correct / n, loss: loss / n, count: n };
}
