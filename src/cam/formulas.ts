/**
 * The CAM weight formulas as plain tensor functions (no autodiff). A = activations [N,K,h,w],
 * g = ∂Y/∂A of the same shape; weights are [N,K]; maps are [N,h,w].
 */
import * as K from '../tensor/index.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

function check4(op: string, ...ts: Tensor[]): void {
  const s = ts[0]!.shape;
  for (const t of ts) {
    if (t.ndim !== 4 || t.shape.some((d, i) => d !== s[i])) fail(op, `expects equal [N,K,h,w] tensors, got ${ts.map((x) => shapeStr(x.shape)).join(' and ')}`);
  }
}

/** x / y where y ≠ 0, else 0 (a true select: no NaN from 0/0). */
export function safeDiv(x: Tensor, y: Tensor): Tensor {
  return K.where(K.ne(y, 0), K.div(x, y), 0);
}

/** Grad-CAM (Selvaraju et al. 2017): w_k = (1/hw) Σ_ij g_k,ij. */
export function gradCamWeights(g: Tensor): Tensor {
  return K.mean(g, [2, 3]);
}

/** XGrad-CAM (Fu et al. 2020): w_k = Σ_ij g_k,ij A_k,ij / Σ_ij A_k,ij (0 where the channel sums to 0). */
export function xGradCamWeights(a: Tensor, g: Tensor): Tensor {
  check4('xGradCamWeights', a, g);
  return safeDiv(K.sum(K.mul(g, a), [2, 3]), K.sum(a, [2, 3]));
}

/** The weighted activations w_k A_k, each channel's term of the map: [N,K,h,w]. */
export function weightedActivations(a: Tensor, w: Tensor): Tensor {
  const [n, k] = a.shape as [number, number];
  if (w.ndim !== 2 || w.shape[0] !== n || w.shape[1] !== k) fail('weightedActivations', `weights ${shapeStr(w.shape)} do not match activations ${shapeStr(a.shape)}`);
  return K.mul(a, K.reshape(w, [n, k, 1, 1]));
}

/** Σ_k w_k A_k before the ReLU: [N,h,w]. */
export function weightedSum(a: Tensor, w: Tensor): Tensor {
  return K.sum(weightedActivations(a, w), 1);
}

/** Layer-CAM's terms (Jiang et al. 2021): ReLU(g_k) ⊙ A_k, a weight per position: [N,K,h,w]. */
export function layerCamTerms(a: Tensor, g: Tensor): Tensor {
  check4('layerCamTerms', a, g);
  return K.mul(K.relu(g), a);
}

/** Layer-CAM before the final ReLU: Σ_k ReLU(g_k) ⊙ A_k, per position. */
export function layerCamRaw(a: Tensor, g: Tensor): Tensor {
  return K.sum(layerCamTerms(a, g), 1);
}

/** HiResCAM's terms (Draelos & Carin 2020): g_k ⊙ A_k, element-wise: [N,K,h,w]; the map is ReLU(Σ_k g_k ⊙ A_k). */
export function hiResCamTerms(a: Tensor, g: Tensor): Tensor {
  check4('hiResCamTerms', a, g);
  return K.mul(g, a);
}

/** How the Grad-CAM++ α is computed; each field reproduces a known implementation choice. */
export interface AlphaOptions {
  /** Added to the denominator (paper: 0; pytorch-grad-cam: 1e-6; torchcam: 1e-8). */
  eps?: number;
  /** 'paper': ΣA_k · g³ at (i,j) (eq. 19); 'index-mixed': Σ_ab A_ab g_ab³ (torchcam). */
  denominator?: 'paper' | 'index-mixed';
  /** Divide α by Σ_ij α per channel (the official code and tf-keras-vis). */
  normalizeAlpha?: boolean;
  /** α = g² with no division (what torchcam's GradCAMpp ends up computing). */
  skipDivision?: boolean;
}

/**
 * Grad-CAM++ α (Chattopadhay et al. 2018, eq. 19) from the second and third derivatives:
 * α_k,ij = d2 / (2·d2 + ΣA_k · d3), with ΣA_k = Σ_ab A_k,ab; α := 0 where the denominator is 0.
 * `numerator` replaces the d2 on top (Smooth Grad-CAM++ as printed uses D1 there).
 */
export function gradCamPlusPlusAlpha(a: Tensor, d2: Tensor, d3: Tensor, opts: AlphaOptions = {}, numerator: Tensor = d2): Tensor {
  check4('gradCamPlusPlusAlpha', a, d2, d3, numerator);
  let alpha: Tensor;
  if (opts.skipDivision) {
    alpha = numerator;
  } else {
    const third = (opts.denominator ?? 'paper') === 'paper' ? K.mul(K.sum(a, [2, 3], { keepdims: true }), d3) : K.sum(K.mul(a, d3), [2, 3], { keepdims: true });
    let den = K.add(K.mul(d2, 2), third);
    if (opts.eps !== undefined && opts.eps !== 0) den = K.add(den, opts.eps);
    alpha = safeDiv(numerator, den);
  }
  if (opts.normalizeAlpha) alpha = safeDiv(alpha, K.sum(alpha, [2, 3], { keepdims: true }));
  return alpha;
}

/** Grad-CAM++ weights: w_k = Σ_ij α_k,ij · ReLU(d1_k,ij), optionally over the positions a 0/1 mask selects. */
export function gradCamPlusPlusWeights(alpha: Tensor, d1: Tensor, positions?: Tensor): Tensor {
  check4('gradCamPlusPlusWeights', alpha, d1);
  const terms = K.mul(alpha, K.relu(d1));
  return K.sum(positions === undefined ? terms : K.mul(terms, positions), [2, 3]);
}
