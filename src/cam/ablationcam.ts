import * as K from '../tensor/index.js';
import { noGrad } from '../autodiff/mode.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { weightedActivations } from './formulas.js';
import type { CamOptions } from './gradcam.js';
import { prepare } from './gradients.js';
import { finish, type CamResult } from './result.js';
import { splitAt } from './split.js';
import { targetOutputs } from './target.js';

/** Ablated copies of the activation per pass of the head when `batchSize` is not given (pytorch-grad-cam's 32). */
export const DEFAULT_ABLATION_BATCH = 32;

export interface AblationCamOptions extends CamOptions {
  /** Ablated copies per pass through the rest of the network (default {@link DEFAULT_ABLATION_BATCH}). The result does not depend on it. */
  batchSize?: number;
}

/**
 * Ablation-CAM (Desai & Ramaswamy, "Ablation-CAM: Visual Explanation for Deep Convolutional
 * Network via Gradient-free Localization", WACV 2020), gradient-free: with S = f_c(x) and S_k the
 * same output when channel k of the layer is set to 0,
 *   w_k = (S − S_k) / S,  map = ReLU(Σ_k w_k A_k).
 * The copies with one channel zeroed go through the rest of the network in batches (the layers
 * before the target run once). The drops S − S_k are in the trace as `channelScores`. S = 0 is
 * an error (the weights are undefined); a negative S flips every weight's sign, as in the paper's
 * formula and pytorch-grad-cam. pytorch-grad-cam sets the channel to min(A) − 1e7 instead of 0
 * when the layer's activations are not all ≥ 0 (docs/grad-cam-plus-plus.md).
 */
export function ablationCam(model: Module, input: Tensor, opts: AblationCamOptions = {}): CamResult {
  const batch = opts.batchSize ?? DEFAULT_ABLATION_BATCH;
  if (!Number.isInteger(batch) || batch < 1) fail('ablationcam', `batchSize must be a positive integer, got ${batch}`);
  const ctx = prepare(model, input, opts);
  const a = ctx.split.activation;
  const [n, k, h, w] = a.shape as [number, number, number, number];
  const per = k * h * w;
  const weights = zeros([n, k], { dtype: a.dtype });
  const drops = zeros([n, k], { dtype: a.dtype });
  noGrad(() => {
    for (let img = 0; img < n; img++) {
      const split = n === 1 ? ctx.split : splitAt(model, K.slice(input, [[img, img + 1], null, null, null]), ctx.layer);
      const target = ctx.targets[img]!;
      const s = targetOutputs(split.output, [target]).data[0]!;
      if (s === 0) fail('ablationcam', `the explained output of image ${img} is 0, so w_k = (S − S_k)/S is undefined; explain another class or output`);
      for (let start = 0; start < k; start += batch) {
        const b = Math.min(batch, k - start);
        const copies = K.expand(split.activation, [b, k, h, w]).data.slice(); // b copies of A
        for (let j = 0; j < b; j++) copies.fill(0, j * per + (start + j) * h * w, j * per + (start + j + 1) * h * w);
        const out = split.head(new Tensor(copies, [b, k, h, w]));
        const sk = targetOutputs(out, Array.from({ length: b }, () => target)).data;
        for (let j = 0; j < b; j++) {
          drops.data[img * k + start + j] = s - sk[j]!;
          weights.data[img * k + start + j] = (s - sk[j]!) / s;
        }
      }
    }
  });
  const trace = opts.trace ? { A: a, d1: zeros(a.shape, { dtype: a.dtype }), weights, channelScores: drops, derivatives: 'none (scores with each channel zeroed)' } : null;
  return finish('ablationcam', ctx, weightedActivations(a, weights), weights, trace, opts);
}
