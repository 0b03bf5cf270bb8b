import { isGraphModel } from '../nn/graph-model.js';
import type { Module } from '../nn/module.js';
import { concat } from '../tensor/movement.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Target } from './target.js';

/** Noisy samples per forward and backward pass when `batchSize` is not given. */
export const DEFAULT_NOISE_BATCH = 8;

export interface NoiseBatchOptions {
  /**
   * Noisy samples run through the model at once (default {@link DEFAULT_NOISE_BATCH}); each
   * sample holds every input image, so a pass sees batchSize · N images. Only speed and memory
   * depend on it: the samples are drawn and their terms summed in the same order either way.
   */
  batchSize?: number;
}

/**
 * The noisy inputs at(0), …, at(samples − 1) in batches of at most `batchSize` samples, drawn in
 * order (the seeded noise is the same as one at a time): visit(x, count) with x the `count`
 * samples concatenated along the batch axis, [count·N, C, H, W], sample after sample. At most
 * `maxBatch` samples go in one pass whatever `batchSize` asks.
 */
export function forEachNoiseBatch(op: string, samples: number, at: (m: number) => Tensor, opts: NoiseBatchOptions, visit: (x: Tensor, count: number) => void, maxBatch = Infinity): void {
  const asked = opts.batchSize ?? DEFAULT_NOISE_BATCH;
  if (!Number.isInteger(asked) || asked < 1) fail(op, `batchSize must be a positive integer, got ${asked}`);
  const batch = Math.min(asked, maxBatch);
  for (let m0 = 0; m0 < samples; m0 += batch) {
    const count = Math.min(batch, samples - m0);
    const xs = Array.from({ length: count }, (_, j) => at(m0 + j));
    visit(count === 1 ? xs[0]! : concat(xs, 0), count);
  }
}

/**
 * Samples per pass when a layer is hooked: 1 for a graph that runs a fixed number of images at a
 * time (its layer would run once per chunk), else no limit.
 */
export function hookedBatchLimit(model: Module): number {
  return isGraphModel(model) && (model.batchFixed ?? null) !== null ? 1 : Infinity;
}

/** The per-sample parts of a batch tensor [count·N, …] as `count` tensors [N, …] sharing its storage (tensors are never written). */
export function perSample(t: Tensor, count: number): Tensor[] {
  if (count === 1) return [t];
  const per = t.size / count;
  const shape = [t.shape[0]! / count, ...t.shape.slice(1)];
  return Array.from({ length: count }, (_, j) => new Tensor(t.data.subarray(j * per, (j + 1) * per), shape));
}

/** One target list for a batch of `count` samples of the same images: the images' targets, sample after sample. */
export function repeatTargets(targets: readonly Target[], count: number): Target[] {
  return Array.from({ length: count }, () => targets).flat();
}
