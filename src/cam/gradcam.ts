import * as K from '../tensor/index.js';
import { isGraphModel } from '../nn/graph-model.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import { fail } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { gradCamWeights, hiResCamTerms, layerCamTerms, weightedActivations, xGradCamWeights } from './formulas.js';
import { layerGradients, prepare, type CamTargetOptions } from './gradients.js';
import { gapLinearLayer } from './head.js';
import { modulesAfter } from './split.js';
import { finish, type CamResult, type MapOptions, type TraceOption } from './result.js';
import { upsampleMaps, minMaxNormalize } from './postprocess.js';

export type CamOptions = CamTargetOptions & TraceOption & MapOptions;

/**
 * Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", ICCV 2017): w_k = (1/hw) Σ_ij ∂S/∂A_k,ij, map = ReLU(Σ_k w_k A_k).
 */
export function gradCam(model: Module, input: Tensor, opts: CamOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const { a, g } = layerGradients(ctx);
  const w = gradCamWeights(g);
  return finish('gradcam', ctx, weightedActivations(a, w), w, opts.trace ? { A: a, d1: g, weights: w, derivatives: 'first order (g)' } : null, opts);
}

/**
 * XGrad-CAM (Fu et al., "Axiom-based Grad-CAM", BMVC 2020): w_k = Σ_ij g_k,ij A_k,ij / Σ_ij A_k,ij.
 */
export function xGradCam(model: Module, input: Tensor, opts: CamOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const { a, g } = layerGradients(ctx);
  const w = xGradCamWeights(a, g);
  return finish('xgradcam', ctx, weightedActivations(a, w), w, opts.trace ? { A: a, d1: g, sumA: K.sum(a, [2, 3]), weights: w, derivatives: 'first order (g)' } : null, opts);
}

/**
 * Layer-CAM (Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization", IEEE TIP 2021): map = ReLU(Σ_k ReLU(g_k) ⊙ A_k), a weight per position.
 */
export function layerCam(model: Module, input: Tensor, opts: CamOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const { a, g } = layerGradients(ctx);
  const r = finish('layercam', ctx, layerCamTerms(a, g), null, opts.trace ? { A: a, d1: g, derivatives: 'first order (g)' } : null, opts);
  r.positionWeights = K.relu(g);
  return r;
}

/**
 * HiResCAM (Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks", arXiv:2011.08891, 2020): map = ReLU(Σ_k g_k ⊙ A_k), the
 * gradient as a weight per position (Grad-CAM averages it over positions first). For a head that
 * is one linear layer on the flattened map, the map is exactly each position's contribution to S.
 */
export function hiResCam(model: Module, input: Tensor, opts: CamOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const { a, g } = layerGradients(ctx);
  const r = finish('hirescam', ctx, hiResCamTerms(a, g), null, opts.trace ? { A: a, d1: g, derivatives: 'first order (g)' } : null, opts);
  r.positionWeights = g;
  return r;
}

/**
 * Layer-CAM's multi-layer fusion: each layer's map is upsampled to the input size and rescaled
 * by tanh(γ · M / max M) with γ = 2 (lifting the weak values of shallow layers), then the maps
 * are combined by an element-wise maximum and min-max normalized.
 */
export function fuseLayerCams(results: readonly CamResult[], gamma = 2): { upsampled: Tensor; flat: boolean[] } {
  if (results.length === 0) fail('fuseLayerCams', 'needs at least one Layer-CAM result');
  const first = results[0]!;
  const size: [number, number] = [first.upsampled.shape[1]!, first.upsampled.shape[2]!];
  let fused: Tensor | null = null;
  for (const r of results) {
    const up = upsampleMaps(r.map, size);
    const peak = K.max(up, [1, 2], { keepdims: true });
    const scaled = K.tanh(K.mul(K.div(up, K.maximum(peak, 1e-300)), gamma));
    fused = fused === null ? scaled : K.maximum(fused, scaled);
  }
  const { maps, flat } = minMaxNormalize(fused!, 'fused Layer-CAM map');
  return { upsampled: maps, flat };
}

export interface ClassActivationMapOptions extends CamOptions {
  /** ReLU(Σ_k w_k A_k) as Grad-CAM does (default false: the CAM paper's and torchcam's raw map). */
  relu?: boolean;
}

/**
 * CAM (Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016): for a
 * network ending in global average pooling + a linear layer, w_k = W_fc[c, k] and the map is
 * the raw Σ_k w_k A_k (negative where the layer argues against the class), then min-max
 * normalized, as in the paper and torchcam; `relu: true` clips it at 0 as Grad-CAM does. Throws
 * naming what follows the layer when the head has another form.
 */
export function cam(model: Module, input: Tensor, opts: ClassActivationMapOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const fc = gapLinearWeight(model, ctx.layer, ctx.split.activation.shape[1]!);
  const [n, k] = ctx.split.activation.shape as [number, number];
  const w = zeros([n, k], { dtype: ctx.split.activation.dtype });
  ctx.targets.forEach((t, i) => {
    if (t.classIndex < 0) fail('cam', 'CAM needs a class target, not a custom function');
    for (let j = 0; j < k; j++) w.data[i * k + j] = fc.data[t.classIndex * k + j]!;
  });
  const a = ctx.split.activation;
  return finish('cam', ctx, weightedActivations(a, w), w, opts.trace ? { A: a, d1: zeros(a.shape, { dtype: a.dtype }), weights: w, derivatives: 'none (fc weights)' } : null, { ...opts, relu: opts.relu ?? false });
}

/** W_fc [classes, K] of the GAP + linear head after the layer (a graph model finds it in its graph). */
function gapLinearWeight(model: Module, layer: string, channels: number): Tensor {
  if (isGraphModel(model)) {
    const w = model.gapLinearWeight(layer);
    if (!(w instanceof Tensor) || w.shape[1] !== channels) {
      fail('cam', `CAM needs global average pooling then one linear layer after '${layer}'; the graph has ${w instanceof Tensor ? `a linear layer of ${w.shape[1]} inputs` : w.follows}. Use gradcam (equal to CAM on such heads) instead`);
    }
    return w;
  }
  const after = modulesAfter(model, layer);
  const fc = gapLinearLayer(after, channels);
  if (fc === null) {
    const names = after?.map((m) => m.describe()).join(' → ') ?? 'a non-sequential head';
    fail('cam', `CAM needs global average pooling then one linear layer after '${layer}'; the model has ${names}. Use gradcam (equal to CAM on such heads) instead`);
  }
  return fc.weight;
}
