import * as K from '../tensor/index.js';
import { noGrad } from '../autodiff/mode.js';
import { infer } from '../nn/infer.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { weightedSum } from './formulas.js';
import type { CamOptions } from './gradcam.js';
import { prepare } from './gradients.js';
import { minMaxNormalize, upsampleMaps } from './postprocess.js';
import { progressLoop } from './progress.js';
import { finish, type CamResult } from './result.js';
import { targetOutputs } from './target.js';

/** Masked images per forward pass of Score-CAM when `batchSize` is not given. */
export const DEFAULT_SCORE_CAM_BATCH = 16;

export interface ScoreCamOptions extends CamOptions {
  /** Masked images per forward pass (default {@link DEFAULT_SCORE_CAM_BATCH}). The result does not depend on it. */
  batchSize?: number;
}

/**
 * Score-CAM (Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional
 * Neural Networks", CVPR-W 2020), gradient-free: mask_k = minmax(upsample(A_k)) at input size,
 * s_k = S(x ⊙ mask_k), w = softmax_k(s), map = ReLU(Σ_k w_k A_k). A flat channel gives a zero
 * mask. As pytorch-grad-cam, s is the target's output itself (no baseline subtraction).
 */
export function scoreCam(model: Module, input: Tensor, opts: ScoreCamOptions = {}): CamResult {
  const batch = opts.batchSize ?? DEFAULT_SCORE_CAM_BATCH;
  if (!Number.isInteger(batch) || batch < 1) fail('scorecam', `batchSize must be a positive integer, got ${batch}`);
  const ctx = prepare(model, input, opts);
  const a = ctx.split.activation;
  const [n, k, h, w] = a.shape as [number, number, number, number];
  const [hh, ww] = [input.shape[2]!, input.shape[3]!];
  const weights = zeros([n, k], { dtype: a.dtype });
  const loop = progressLoop('masked inputs', n * Math.ceil(k / batch));
  noGrad(() => {
    for (let img = 0; img < n; img++) {
      const ai = K.reshape(K.slice(a, [[img, img + 1], null, null, null]), [k, h, w]);
      const masks = minMaxNormalize(upsampleMaps(ai, [hh, ww]), 'Score-CAM mask').maps; // flat channel → zero mask
      const xi = K.slice(input, [[img, img + 1], null, null, null]);
      const scores: Tensor[] = [];
      for (let start = 0; start < k; start += batch) {
        const b = Math.min(batch, k - start);
        const m = K.reshape(K.slice(masks, [[start, start + b], null, null]), [b, 1, hh, ww]);
        const masked = K.mul(xi, m); // [b, C, H, W]
        const out = infer(model, masked);
        scores.push(targetOutputs(out, Array.from({ length: b }, () => ctx.targets[img]!)));
        loop.step();
      }
      const wi = K.softmax(K.concat(scores), 0);
      weights.data.set(wi.data, img * k);
    }
  });
  loop.end();
  return finish('scorecam', ctx, weightedSum(a, weights), weights, opts.trace ? { A: a, d1: zeros(a.shape, { dtype: a.dtype }), weights, derivatives: 'none (forward scores of masked inputs)' } : null);
}
