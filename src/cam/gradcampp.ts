import * as K from '../tensor/index.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { gradCamPlusPlusAlpha, gradCamPlusPlusWeights, weightedActivations, type AlphaOptions } from './formulas.js';
import { exactDerivatives, layerGradients, prepare, type ExactOptions } from './gradients.js';
import type { CamOptions } from './gradcam.js';
import { withPreset, type PresetTable } from './presets.js';
import { finish, type CamResult } from './result.js';

/**
 * Option sets that reproduce the well-known implementations' α (see docs/grad-cam-plus-plus.md):
 * - camlab / paper: eq. 19 as printed, α = 0 where the denominator is 0, no eps;
 * - pytorch-grad-cam: eq. 19 with eps = 1e-6 in the denominator;
 * - torchcam: α = g² (its in-place division acts on a masked copy and never reaches α);
 * - torchcam-as-written: what torchcam's code means to compute, α = g² / (2g² + Σ_ab A_ab g_ab³ + 1e-8);
 * - official (adityac94/Grad_CAM_plus_plus) and tf-keras-vis: eq. 19, then α /= Σ_ij α per channel.
 */
export const GRAD_CAM_PP_PRESETS = {
  camlab: {},
  paper: {},
  'pytorch-grad-cam': { eps: 1e-6 },
  torchcam: { skipDivision: true },
  'torchcam-as-written': { denominator: 'index-mixed', eps: 1e-8 },
  official: { normalizeAlpha: true },
  'tf-keras-vis': { normalizeAlpha: true },
} as const satisfies PresetTable<AlphaOptions>;

export type GradCamPlusPlusPreset = keyof typeof GRAD_CAM_PP_PRESETS;

export interface GradCamPlusPlusOptions extends CamOptions, AlphaOptions {
  /** Start from a known implementation's choices; explicit α options override it. */
  preset?: GradCamPlusPlusPreset;
  /** Use the true diagonal derivatives of Y (true, or options choosing Y and the batch size). */
  exact?: boolean | ExactOptions;
}

/** The α options a preset plus explicit overrides amount to. */
export function alphaOptions(opts: GradCamPlusPlusOptions): AlphaOptions {
  const { eps, denominator, normalizeAlpha, skipDivision } = opts;
  return withPreset<AlphaOptions>('gradcam++', GRAD_CAM_PP_PRESETS, opts.preset, 'camlab', { eps, denominator, normalizeAlpha, skipDivision });
}

/**
 * Grad-CAM++ (Chattopadhay, Sarkar, Howlader, Balasubramanian, "Grad-CAM++: Generalized
 * Gradient-based Visual Explanations for Deep Convolutional Networks", WACV 2018).
 *
 * Closed form (eq. 19, default): with g = ∂S/∂A,
 *   α_k,ij = g² / (2g² + ΣA_k · g³),  ΣA_k = Σ_ab A_k,ab,  α := 0 where the denominator is 0,
 *   w_k = Σ_ij α_k,ij ReLU(g_k,ij),  map = ReLU(Σ_k w_k A_k).
 * The paper's exp(S) factors cancel in α and only scale w, so they are not applied.
 *
 * Exact (`exact: true`): g², g³ are replaced by the true diagonals ∂²Y/∂A², ∂³Y/∂A³ of
 * Y = exp(S − S₀) (or the softmax probability, or S), and g by ∂Y/∂A, computed by higher-order
 * autodiff. On a piecewise-linear head with Y = exp(S − S₀) this equals the closed form (and
 * autodiff certifies that head, so the diagonals come by the chain rule in one pass).
 */
export function gradCamPlusPlus(model: Module, input: Tensor, opts: GradCamPlusPlusOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const aopts = alphaOptions(opts);
  const a = ctx.split.activation;
  let d1: Tensor;
  let d2: Tensor;
  let d3: Tensor;
  let how: string;
  if (opts.exact) {
    const eo: ExactOptions = opts.exact === true ? {} : opts.exact;
    let linearHead: boolean;
    ({ d1, d2, d3, linearHead } = exactDerivatives(ctx, eo));
    const y = eo.output ?? 'exp';
    how = `exact diagonals of Y = ${y === 'exp' ? 'exp(S − S0)' : y === 'softmax' ? 'softmax probability' : 'S'}${linearHead ? ' (head linear around A: chain rule)' : ''}`;
  } else {
    d1 = layerGradients(ctx).g;
    d2 = K.mul(d1, d1);
    d3 = K.mul(d2, d1);
    how = 'closed form (g², g³)';
  }
  const alpha = gradCamPlusPlusAlpha(a, d2, d3, aopts);
  const w = gradCamPlusPlusWeights(alpha, d1);
  const method = opts.exact ? 'gradcam++ (exact)' : 'gradcam++';
  return finish(method, ctx, weightedActivations(a, w), w, opts.trace ? { A: a, d1, d2, d3, sumA: K.sum(a, [2, 3]), alpha, weights: w, derivatives: how } : null, opts);
}
