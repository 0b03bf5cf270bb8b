import { backward } from '../autodiff/grad.js';
import { div } from '../autodiff/ops/elementwise.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { fail } from '../tensor/errors.js';
import { argmax } from '../tensor/reduce.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from './losses.js';
import type { Module } from './module.js';
import { makeBatch, type Dataset, type Normalization } from './train.js';

/**
 * A training step in M micro-batches: the step's batch of B examples is cut into M contiguous
 * parts; each part runs forward and backward on its own (batch norm sees the part's statistics)
 * from the same weights and the same running statistics, with loss Σ_part CE / B, so the sum of
 * the parts' gradients is the gradient of the batch's mean loss. The gradients are added in part
 * order, the running statistics averaged over the parts. Where each part runs (this thread or a
 * worker) changes nothing: the result is the same bits either way.
 */

/** What one micro-batch gives back. */
export interface MicroResult {
  /** ∂(Σ_part CE / B)/∂p per parameter (model.parameters() order), null where p got none. */
  grads: Array<FloatArray | null>;
  /** Every buffer (model.namedBuffers() order) after the part's forward pass. */
  buffers: FloatArray[];
  /** Σ CE over the part's examples, and how many it got right. */
  lossSum: number;
  correct: number;
}

/** Runs parts elsewhere (worker threads) while the caller runs the first part itself. */
export interface MicroBatchRunner {
  /** Starts the parts on the given weights and running statistics (copied before this returns). */
  start(params: readonly Tensor[], buffers: readonly Tensor[], parts: readonly number[][], epoch: number, batchSize: number): void;
  /** Waits for the parts started last, and returns their results in part order. */
  finish(): MicroResult[];
  /** How many parts it runs at once. */
  readonly capacity: number;
}

/** `indices` cut into `m` contiguous parts, the first ones one longer when m does not divide the length. */
export function splitBatch(indices: readonly number[], m: number): number[][] {
  if (!Number.isInteger(m) || m < 1) fail('train', `microBatches must be a positive integer, got ${m}`);
  const parts: number[][] = [];
  const base = Math.floor(indices.length / m);
  const extra = indices.length % m;
  let at = 0;
  for (let k = 0; k < m; k++) {
    const len = base + (k < extra ? 1 : 0);
    if (len > 0) parts.push(indices.slice(at, at + len));
    at += len;
  }
  return parts;
}

/** Forward and backward of one part (see the file comment); leaves the gradients in p.grad and the updated statistics in the buffers. */
export function microStep(
  model: Module, data: Dataset, part: readonly number[], epoch: number, batchSize: number, normalize: Normalization | undefined, dtype: DType,
): MicroResult {
  const params = model.parameters();
  for (const p of params) p.grad = null;
  const { x, labels } = makeBatch(data, part, epoch, normalize, dtype);
  const logits = model.call(x);
  const sum = crossEntropy(logits, labels, 'sum');
  backward(div(sum, batchSize));
  const pred = argmax(logits, 1).data;
  let correct = 0;
  labels.forEach((l, i) => (correct += pred[i] === l ? 1 : 0));
  return {
    grads: params.map((p) => (p.grad === null ? null : p.grad.data.slice())),
    buffers: model.namedBuffers().map(([, b]) => b.data.slice()),
    lossSum: sum.item(),
    correct,
  };
}

/**
 * Sets p.grad to the parts' gradients added in part order, and every buffer to the mean of the
 * parts' buffers (each part started from the same statistics).
 */
export function combineParts(model: Module, results: readonly MicroResult[]): void {
  const params = model.parameters();
  params.forEach((p, i) => {
    let acc: FloatArray | null = null;
    for (const r of results) {
      const g = r.grads[i]!;
      if (g === null) continue;
      if (acc === null) acc = g.slice();
      else for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! + g[j]!;
    }
    p.grad = acc === null ? null : new Tensor(acc, p.shape);
  });
  model.namedBuffers().forEach(([, b], i) => {
    const d = b.data;
    for (let j = 0; j < d.length; j++) {
      let s = 0;
      for (const r of results) s += r.buffers[i]![j]!;
      d[j] = s / results.length;
    }
  });
}

/** Copies saved values back into the buffers. */
export function restoreBuffers(model: Module, saved: readonly FloatArray[]): void {
  model.namedBuffers().forEach(([, b], i) => b.data.set(saved[i]!));
}
