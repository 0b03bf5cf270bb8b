import * as K from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { fail } from '../tensor/errors.js';
import { targetScores, type CamContext } from './gradients.js';
import { firstPrincipalProjection } from './pca.js';
import { postprocess } from './postprocess.js';

/**
 * Every intermediate term of a CAM computation, for teaching and checking (present when
 * `trace: true`). Shapes: A, d1, d2, d3, alpha [N,K,h,w]; sumA [N,K]; weights [N,K];
 * rawMap, map [N,h,w]; upsampled [N,H,W].
 */
export interface CamTrace {
  /** Activation of the target layer. */
  A: Tensor;
  /** First derivative ∂Y/∂A (g), or its noise average D1 for smoothed methods. */
  d1: Tensor;
  /** Second derivative term: g² (closed form), the exact diagonal ∂²Y/∂A², or the noise average D2. */
  d2?: Tensor;
  /** Third derivative term: g³, the exact diagonal ∂³Y/∂A³, or D3. */
  d3?: Tensor;
  /** Σ_ab A_k,ab per channel. */
  sumA?: Tensor;
  alpha?: Tensor;
  weights?: Tensor;
  /**
   * The score each channel's test gave, [N,K]: f_c(x ⊙ M_k) − f_c(x) for Score-CAM (the gain of
   * the input masked by channel k), f_c(x) − f_c(x with A_k = 0) for Ablation-CAM (the drop).
   */
  channelScores?: Tensor;
  /** Σ_k w_k A_k before the ReLU (or, with eigenSmooth, the first principal component of the w_k A_k). */
  rawMap: Tensor;
  map: Tensor;
  upsampled: Tensor;
  /** How the derivatives were obtained, e.g. 'closed form (g², g³)' or 'exact, Y = exp(S − S0)'. */
  derivatives: string;
}

/** What every CAM method returns. */
export interface CamResult {
  method: string;
  layer: string;
  /** Explained class per image (−1 for a custom target function). */
  classes: number[];
  /** The explained output per image (the class score unless the target says otherwise). */
  scores: number[];
  /** Softmax probability of the explained class per image (null for custom targets). */
  probabilities: Array<number | null>;
  /**
   * ReLU(Σ_k w_k A_k) at feature resolution [N,h,w] (CAM: Σ_k w_k A_k without the ReLU unless
   * asked). A result combining several layers or augmentations holds the mean of their
   * normalized maps at the input size [N,H,W] here.
   */
  map: Tensor;
  /** The map upsampled to the input size (bilinear, align_corners = false), min-max normalized to [0,1]: [N,H,W]. */
  upsampled: Tensor;
  /** Channel weights [N,K] (null for methods without per-channel weights, e.g. Layer-CAM). */
  weights: Tensor | null;
  /** Per-position weights [N,K,h,w] of methods that weight each position: ReLU(g) for Layer-CAM, g for HiResCAM. */
  positionWeights?: Tensor;
  /** The results a combined result averages: one per layer (`layer: [...]`) or per augmentation (`augSmooth`). */
  parts?: CamPart[];
  /** Per image: the map was flat (all equal, e.g. all zero) and is returned as zeros. */
  flat: boolean[];
  trace?: CamTrace;
}

/** One result of a combined CAM, named by what produced it ('features.2', 'flip, ×0.9'). */
export interface CamPart {
  label: string;
  result: CamResult;
}

export interface TraceOption {
  /** Keep every intermediate term in `result.trace`. */
  trace?: boolean;
}

/** How a method's per-channel terms become its map. */
export interface MapOptions {
  /**
   * The map is the first principal component of the terms w_k A_k (pytorch-grad-cam's
   * `eigen_smooth`: `firstPrincipalProjection`) instead of their sum Σ_k w_k A_k.
   */
  eigenSmooth?: boolean;
}

/**
 * Sum (or first principal component), ReLU, upsampling and normalization, plus the bookkeeping
 * every method shares. `terms` [N,K,h,w] holds each channel's part of the map: w_k A_k for
 * channel weights, ReLU(g) ⊙ A for Layer-CAM, g ⊙ A for HiResCAM. `relu: false` keeps the raw
 * map (the CAM paper's).
 */
export function finish(
  method: string,
  ctx: CamContext,
  terms: Tensor,
  weights: Tensor | null,
  trace: Omit<CamTrace, 'rawMap' | 'map' | 'upsampled'> | null,
  opts: MapOptions & { relu?: boolean } = {},
): CamResult {
  const rawMap = opts.eigenSmooth ? firstPrincipalProjection(terms) : K.sum(terms, 1);
  const map = opts.relu === false ? rawMap : K.relu(rawMap);
  const size: [number, number] = [ctx.input.shape[2]!, ctx.input.shape[3]!];
  const { maps, flat } = postprocess(map, size, `${method} map`);
  const { scores, probabilities } = targetScores(ctx);
  const result: CamResult = {
    method,
    layer: ctx.layer,
    classes: ctx.targets.map((t) => t.classIndex),
    scores,
    probabilities,
    map,
    upsampled: maps,
    weights,
    flat,
  };
  if (trace !== null) result.trace = { ...trace, rawMap, map, upsampled: maps };
  return result;
}

/** One channel k of a traced CAM, for one image: the per-channel terms a table of the trace shows. */
export interface ChannelSummary {
  channel: number;
  /** ΣA_k = Σ_ij A_k,ij. */
  sumA: number;
  /** mean_ij g_k,ij, with g the trace's first derivative term d1. */
  meanGrad: number;
  /** Σ_ij ReLU(g_k,ij): the gradient mass Grad-CAM++'s weight sums over. */
  reluGradSum: number;
  /** min, mean and max of α_k,ij over the positions (null for methods without α). */
  alpha: { min: number; mean: number; max: number } | null;
  /** w_k (null for methods without channel weights, e.g. Layer-CAM). */
  weight: number | null;
}

/** The per-channel terms of image `image` (default 0) of a CAM trace, in channel order. */
export function channelSummary(trace: CamTrace, image = 0): ChannelSummary[] {
  const [n, k, h, w] = trace.A.shape as [number, number, number, number];
  if (!Number.isInteger(image) || image < 0 || image >= n) fail('channelSummary', `image ${image} is out of range: the trace holds ${n} images`);
  const hw = h * w;
  const rows: ChannelSummary[] = [];
  for (let c = 0; c < k; c++) {
    const at = (image * k + c) * hw;
    let sumA = 0;
    let sumG = 0;
    let relu = 0;
    for (let i = at; i < at + hw; i++) {
      sumA += trace.A.data[i]!;
      const g = trace.d1.data[i]!;
      sumG += g;
      if (g > 0) relu += g;
    }
    let alpha: ChannelSummary['alpha'] = null;
    if (trace.alpha !== undefined) {
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (let i = at; i < at + hw; i++) {
        const a = trace.alpha.data[i]!;
        lo = Math.min(lo, a);
        hi = Math.max(hi, a);
        sum += a;
      }
      alpha = { min: lo, mean: sum / hw, max: hi };
    }
    rows.push({ channel: c, sumA, meanGrad: sumG / hw, reluGradSum: relu, alpha, weight: trace.weights?.data[image * k + c] ?? null });
  }
  return rows;
}
