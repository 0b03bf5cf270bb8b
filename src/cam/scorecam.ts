import * as K from '../tensor/index.js';
import { noGrad } from '../autodiff/mode.js';
import { infer } from '../nn/infer.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { weightedActivations } from './formulas.js';
import type { CamOptions } from './gradcam.js';
import { prepare } from './gradients.js';
import { minMaxNormalize, upsampleMaps } from './postprocess.js';
import { progressLoop } from './progress.js';
import { withPreset, type PresetTable } from './presets.js';
import { finish, type CamResult } from './result.js';
import { targetOutputs } from './target.js';

/** Masked images per forward pass of Score-CAM when `batchSize` is not given. */
export const DEFAULT_SCORE_CAM_BATCH = 16;

/**
 * How Score-CAM turns a channel A_k into a mask M_k at the input size:
 * - 'paper': upsample (bilinear, align_corners = false), then min-max normalize (a flat channel gives 0);
 * - 'torchcam': min-max normalize at feature resolution, (A − min)/(max − min + 1e-8), then upsample with align_corners = false;
 * - 'pytorch-grad-cam': upsample with align_corners = true (torch.nn.UpsamplingBilinear2d), then (U − min)/(max − min + 1e-8).
 */
export type ScoreCamMasks = 'paper' | 'torchcam' | 'pytorch-grad-cam';

/** The ε that torchcam and pytorch-grad-cam add to a mask's range. */
const MASK_EPS = 1e-8;

export interface ScoreCamOptions extends CamOptions {
  /** Masked images per forward pass (default {@link DEFAULT_SCORE_CAM_BATCH}). The result does not depend on it. */
  batchSize?: number;
  /** The mask recipe (default 'paper'). */
  masks?: ScoreCamMasks;
  /** Start from a known implementation's recipe; an explicit `masks` overrides it. */
  preset?: ScoreCamPreset;
}

/**
 * Option sets that reproduce the known implementations' masks (see docs/grad-cam-plus-plus.md);
 * all three use w = softmax_k(f_c(x ⊙ M_k) − f_c(x)) (the subtraction does not change a softmax):
 * - camlab / paper: upsample, then min-max normalize;
 * - torchcam (ScoreCAM._get_weights): min-max at feature resolution, then upsample (align_corners = false);
 * - pytorch-grad-cam (ScoreCAM.get_cam_weights): upsample with align_corners = true, then min-max.
 * On a reduced torchvision ResNet-18 the three masks give visibly different maps (docs).
 */
export const SCORE_CAM_PRESETS = {
  camlab: {},
  paper: { masks: 'paper' },
  torchcam: { masks: 'torchcam' },
  'pytorch-grad-cam': { masks: 'pytorch-grad-cam' },
} as const satisfies PresetTable<ScoreCamOptions>;

export type ScoreCamPreset = keyof typeof SCORE_CAM_PRESETS;

/** Score-CAM's masks M_k [K,H,W] in [0, 1] for one image's activation [K,h,w], by `recipe`. */
export function scoreCamMasks(a: Tensor, size: readonly [number, number], recipe: ScoreCamMasks = 'paper'): Tensor {
  if (recipe === 'paper') return minMaxNormalize(upsampleMaps(a, size), 'Score-CAM mask').maps; // flat channel → zero mask
  if (recipe === 'torchcam') return upsampleMaps(normalizeWithEps(a), size);
  if (recipe === 'pytorch-grad-cam') return normalizeWithEps(upsampleMaps(a, size, true));
  return fail('scorecam', `masks must be 'paper', 'torchcam' or 'pytorch-grad-cam', got '${String(recipe)}'`);
}

/** (m − min)/(max − min + ε) per map of [K,h,w], as torchcam's `_normalize` and pytorch-grad-cam's Score-CAM. */
function normalizeWithEps(maps: Tensor): Tensor {
  const [k, h, w] = maps.shape as [number, number, number];
  const lo = K.reshape(K.min(maps, [1, 2]), [k, 1, 1]);
  const hi = K.reshape(K.max(maps, [1, 2]), [k, 1, 1]);
  const out = K.div(K.sub(maps, lo), K.add(K.sub(hi, lo), MASK_EPS));
  return new Tensor(out.data, [k, h, w]);
}

/**
 * Score-CAM (Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional
 * Neural Networks", CVPR-W 2020), gradient-free: with masks M_k from A_k ({@link scoreCamMasks}),
 * s_k = f_c(x ⊙ M_k) − f_c(x) (the paper's increase of confidence over the clean input; the trace
 * keeps it as `channelScores`), w = softmax_k(s), map = ReLU(Σ_k w_k A_k). Batched forward passes.
 */
export function scoreCam(model: Module, input: Tensor, opts: ScoreCamOptions = {}): CamResult {
  const o = withPreset<ScoreCamOptions>('scorecam', SCORE_CAM_PRESETS, opts.preset, 'camlab', opts);
  const batch = o.batchSize ?? DEFAULT_SCORE_CAM_BATCH;
  if (!Number.isInteger(batch) || batch < 1) fail('scorecam', `batchSize must be a positive integer, got ${batch}`);
  const ctx = prepare(model, input, o);
  const a = ctx.split.activation;
  const [n, k, h, w] = a.shape as [number, number, number, number];
  const [hh, ww] = [input.shape[2]!, input.shape[3]!];
  const weights = zeros([n, k], { dtype: a.dtype });
  const loop = progressLoop('masked inputs', n * Math.ceil(k / batch));
  const gains = zeros([n, k], { dtype: a.dtype });
  const clean = targetOutputs(ctx.split.output, ctx.targets);
  noGrad(() => {
    for (let img = 0; img < n; img++) {
      const masks = scoreCamMasks(K.reshape(K.slice(a, [[img, img + 1], null, null, null]), [k, h, w]), [hh, ww], o.masks);
      const xi = K.slice(input, [[img, img + 1], null, null, null]);
      const scores: Tensor[] = [];
      for (let start = 0; start < k; start += batch) {
        const b = Math.min(batch, k - start);
        const m = K.reshape(K.slice(masks, [[start, start + b], null, null]), [b, 1, hh, ww]);
        const out = infer(model, K.mul(xi, m)); // [b, C, H, W] masked copies
        scores.push(targetOutputs(out, Array.from({ length: b }, () => ctx.targets[img]!)));
        loop.step();
      }
      const gain = K.sub(K.concat(scores), clean.data[img]!);
      gains.data.set(gain.data, img * k);
      weights.data.set(K.softmax(gain, 0).data, img * k);
    }
  });
  loop.end();
  const trace = o.trace ? { A: a, d1: zeros(a.shape, { dtype: a.dtype }), weights, channelScores: gains, derivatives: `none (forward scores of masked inputs, ${o.masks ?? 'paper'} masks)` } : null;
  return finish('scorecam', ctx, weightedActivations(a, weights), weights, trace, o);
}
