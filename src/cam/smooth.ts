import * as K from '../tensor/index.js';
import { grad } from '../autodiff/grad.js';
import { requiresGrad } from '../autodiff/node.js';
import { infer, withEval } from '../nn/infer.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { gradCamPlusPlusAlpha, gradCamPlusPlusWeights, weightedActivations, type AlphaOptions } from './formulas.js';
import type { CamOptions } from './gradcam.js';
import { exactDerivatives, layerGradients, prepare, scoresOf, type ExactOptions } from './gradients.js';
import { noisyInputs, type GivenNoiseOptions, type NoiseOptions } from './noise.js';
import { forEachNoiseBatch, hookedBatchLimit, perSample, repeatTargets, type NoiseBatchOptions } from './noise-batches.js';
import { minMaxNormalize } from './postprocess.js';
import { progressLoop } from './progress.js';
import { withPreset, type PresetTable } from './presets.js';
import { finish, type CamResult } from './result.js';
import { fixedTargets, targetsFor, totalScore, type Target } from './target.js';

/** SmoothGrad aggregation: the mean gradient, the mean of squares (SmoothGrad²), or the variance (VarGrad). */
export type SmoothGradVariant = 'mean' | 'squares' | 'variance';

export interface SmoothGradOptions extends NoiseOptions, GivenNoiseOptions, NoiseBatchOptions {
  target?: Target | readonly Target[];
  variant?: SmoothGradVariant;
  /** Take |∂S/∂x| of each sample before aggregating. */
  abs?: boolean;
}

export interface SaliencyResult {
  method: string;
  classes: number[];
  scores: number[];
  probabilities: Array<number | null>;
  /** Aggregated input gradients [N,C,H,W]. */
  saliency: Tensor;
  /** Σ_c |saliency_c| per pixel [N,H,W]. */
  map: Tensor;
  /** The map min-max normalized to [0,1]. */
  upsampled: Tensor;
  flat: boolean[];
}

/**
 * SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017):
 * s = (1/n) Σ_m ∂S/∂x at x_m = x + N(0, σ²), σ = noise · (max x − min x) (or x + ε_m with `noiseTensors`). Variants: mean (default),
 * mean of squares (1/n) Σ (∂S/∂x)², variance (1/n) Σ (∂S/∂x − mean)²; `abs` applies |·| per sample.
 * The displayed map is Σ over colour channels of |s|.
 */
export function smoothGrad(model: Module, input: Tensor, opts: SmoothGradOptions = {}): SaliencyResult {
  const variant = opts.variant ?? 'mean';
  if (!['mean', 'squares', 'variance'].includes(variant)) fail('smoothgrad', `variant must be 'mean', 'squares' or 'variance', got '${variant}'`);
  if (input.ndim !== 4) fail('smoothgrad', `input must be a batch of images [N,C,H,W], got ${shapeStr(input.shape)}`);
  const { samples, at } = noisyInputs('smoothgrad', input, opts);
  // The other methods refuse a non-finite input when their map turns NaN; SmoothGrad's input
  // gradient can stay finite (a NaN pixel behind a ReLU), so it checks the input and the score.
  const bad = input.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail('smoothgrad', `the input holds ${input.data[bad]} at index ${bad} of ${shapeStr(input.shape)}; SmoothGrad needs finite pixels`);
  const clean = infer(model, input);
  const resolved = targetsFor(opts.target ?? 'predicted', clean);
  const { scores, probabilities } = scoresOf(clean, resolved);
  const nonFinite = scores.findIndex((v) => !Number.isFinite(v));
  if (nonFinite >= 0) fail('smoothgrad', `the model's score of image ${nonFinite} is ${scores[nonFinite]}; the weights or the input are not finite`);
  const fixed = fixedTargets(resolved);
  let s1 = zeros(input.shape, { dtype: input.dtype });
  let s2 = zeros(input.shape, { dtype: input.dtype });
  const loop = progressLoop('noisy samples', samples);
  forEachNoiseBatch('smoothgrad', samples, at, opts, (x, count) => {
    const xm = requiresGrad(x);
    const out = withEval(model, () => model.call(xm));
    const targets = targetsFor(repeatTargets(fixed, count), out);
    let gb = grad(totalScore(out, targets), xm, { onUnused: 'zeros' })[0]!;
    if (opts.abs) gb = K.abs(gb);
    for (const g of perSample(gb, count)) {
      s1 = K.add(s1, g);
      s2 = K.add(s2, K.square(g));
      loop.step();
    }
  });
  loop.end();
  const mean = K.div(s1, samples);
  const saliency = variant === 'mean' ? mean : variant === 'squares' ? K.div(s2, samples) : K.sub(K.div(s2, samples), K.square(mean));
  const map = K.sum(K.abs(saliency), 1);
  const { maps, flat } = minMaxNormalize(map, 'SmoothGrad map');
  return { method: `smoothgrad${variant === 'mean' ? '' : `-${variant}`}`, classes: resolved.map((t) => t.classIndex), scores, probabilities, saliency, map, upsampled: maps, flat };
}

export interface SmoothGradCamPlusPlusOptions extends CamOptions, NoiseOptions, GivenNoiseOptions, NoiseBatchOptions, Pick<AlphaOptions, 'eps' | 'denominator'> {
  /** α numerator: D2 (default; the consistent generalization of eq. 19) or D1 (as printed in the paper). */
  numerator?: 'D2' | 'D1';
  /** Gradient inside ReLU(·) of the weights: the mean D1 (default) or the last sample's gradient (torchcam). */
  weightGradient?: 'mean' | 'last';
  /** Activation in the map: the clean A (default) or the last noisy sample's (torchcam). */
  mapActivation?: 'clean' | 'last-noisy';
  /** Start from a known implementation's choices; explicit options override it. */
  preset?: SmoothGradCamPlusPlusPreset;
  /** Explain only these feature maps (channel indices): the other channels get weight 0. */
  channels?: readonly number[];
  /** Explain only these neurons (spatial positions [i, j] of the feature map): w_k sums over them only. */
  positions?: ReadonlyArray<readonly [number, number]>;
  /** D1, D2, D3 from the exact derivatives at each noisy input instead of g, g², g³. */
  exact?: boolean | ExactOptions;
}

/**
 * Option sets that reproduce the known variants of Smooth Grad-CAM++ (see docs/grad-cam-plus-plus.md):
 * - camlab: D2 in the numerator (eq. 19 generalized), ReLU of the mean gradient, the clean activation;
 * - paper: D1 in the numerator, as printed in Omeiza et al. 2019;
 * - torchcam: D2, torchcam's Σ_ab A·D3 denominator with eps 1e-8, the last sample's gradient and activation.
 */
export const SMOOTH_GRAD_CAM_PP_PRESETS = {
  camlab: {},
  paper: { numerator: 'D1' },
  torchcam: { numerator: 'D2', denominator: 'index-mixed', eps: 1e-8, weightGradient: 'last', mapActivation: 'last-noisy' },
} as const satisfies PresetTable<SmoothGradCamPlusPlusOptions>;

export type SmoothGradCamPlusPlusPreset = keyof typeof SMOOTH_GRAD_CAM_PP_PRESETS;

/**
 * Smooth Grad-CAM++ (Omeiza, Speakman, Cintas, Weldemariam, "Smooth Grad-CAM++: An Enhanced
 * Inference Level Visualization Technique for Deep Convolutional Neural Network Models", 2019).
 * For m = 1..n noisy inputs x_m = x + N(0, σ²) (or x + ε_m with the caller's `noiseTensors`) take g_m = ∂S/∂A at x_m; D1 = mean g_m,
 * D2 = mean g_m², D3 = mean g_m³; with the clean activation A:
 *   α = D2 / (2·D2 + ΣA_k · D3),  w_k = Σ_ij α ReLU(D1),  map = ReLU(Σ_k w_k A_k).
 * With n = 1 and zero noise this is exactly Grad-CAM++.
 */
export function smoothGradCamPlusPlus(model: Module, input: Tensor, opts: SmoothGradCamPlusPlusOptions = {}): CamResult {
  const o: SmoothGradCamPlusPlusOptions = withPreset<SmoothGradCamPlusPlusOptions>('smooth gradcam++', SMOOTH_GRAD_CAM_PP_PRESETS, opts.preset, 'camlab', opts);
  const ctx = prepare(model, input, o);
  const { samples, at } = noisyInputs('smooth gradcam++', input, o);
  const fixed = fixedTargets(ctx.targets);
  const a = ctx.split.activation;
  let d1 = zeros(a.shape, { dtype: a.dtype });
  let d2 = zeros(a.shape, { dtype: a.dtype });
  let d3 = zeros(a.shape, { dtype: a.dtype });
  let lastG = d1;
  let lastA = a;
  const loop = progressLoop('noisy samples', samples);
  forEachNoiseBatch('smooth gradcam++', samples, at, o, (x, count) => {
    const cm = prepare(model, x, { layer: ctx.layer, target: repeatTargets(fixed, count) });
    // The moments of every sample in the batch at once, then summed sample after sample.
    let e: { d1: Tensor; d2: Tensor; d3: Tensor };
    if (o.exact) e = exactDerivatives(cm, o.exact === true ? {} : o.exact);
    else {
      const { g } = layerGradients(cm);
      const g2 = K.mul(g, g);
      e = { d1: g, d2: g2, d3: K.mul(g2, g) };
    }
    const [g1, g2, g3] = [e.d1, e.d2, e.d3].map((t) => perSample(t, count)) as [Tensor[], Tensor[], Tensor[]];
    for (let j = 0; j < count; j++) {
      d1 = K.add(d1, g1[j]!);
      d2 = K.add(d2, g2[j]!);
      d3 = K.add(d3, g3[j]!);
      loop.step();
    }
    lastG = g1[count - 1]!;
    lastA = perSample(cm.split.activation, count)[count - 1]!;
  }, hookedBatchLimit(model));
  loop.end();
  d1 = K.div(d1, samples);
  d2 = K.div(d2, samples);
  d3 = K.div(d3, samples);
  const aopts: AlphaOptions = { denominator: o.denominator ?? 'paper' };
  if (o.eps !== undefined) aopts.eps = o.eps;
  // The paper prints D1 in the numerator; eq. 19's structure (and torchcam) has D2.
  const num = (o.numerator ?? 'D2') === 'D2' ? d2 : d1;
  const alpha = gradCamPlusPlusAlpha(a, d2, d3, aopts, num);
  let w = gradCamPlusPlusWeights(alpha, (o.weightGradient ?? 'mean') === 'mean' ? d1 : lastG, restrictPositions(a, o.positions));
  w = restrictChannels(w, o.channels);
  const mapA = (o.mapActivation ?? 'clean') === 'clean' ? a : lastA;
  return finish('smooth gradcam++', ctx, weightedActivations(mapA, w), w, o.trace ? { A: a, d1, d2, d3, sumA: K.sum(a, [2, 3]), alpha, weights: w, derivatives: `${o.exact ? 'exact' : 'closed form'} moments over ${samples} noisy samples` } : null, o);
}

/** A [1,1,h,w] 0/1 mask of the selected positions (undefined = all). */
function restrictPositions(a: Tensor, positions: ReadonlyArray<readonly [number, number]> | undefined): Tensor | undefined {
  if (positions === undefined) return undefined;
  const [, , h, w] = a.shape as [number, number, number, number];
  const mask = zeros([1, 1, h, w], { dtype: a.dtype });
  if (positions.length === 0) fail('smooth gradcam++', 'positions must name at least one [i, j]');
  for (const [i, j] of positions) {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || i >= h || j < 0 || j >= w) {
      fail('smooth gradcam++', `position [${i}, ${j}] is outside the ${h}x${w} feature map of ${shapeStr(a.shape)}`);
    }
    mask.data[i * w + j] = 1;
  }
  return mask;
}

function restrictChannels(w: Tensor, channels: readonly number[] | undefined): Tensor {
  if (channels === undefined) return w;
  const k = w.shape[1]!;
  if (channels.length === 0) fail('smooth gradcam++', 'channels must name at least one feature map');
  const keep = zeros([1, k], { dtype: w.dtype });
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 0 || c >= k) fail('smooth gradcam++', `channel ${c} is out of range: the layer has ${k} feature maps`);
    keep.data[c] = 1;
  }
  return K.mul(w, keep);
}

