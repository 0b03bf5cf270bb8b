import * as K from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { targetScores, type CamContext } from './gradients.js';
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
  /** Σ_k w_k A_k before the ReLU. */
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
  /** ReLU(Σ_k w_k A_k) at feature resolution [N,h,w]. */
  map: Tensor;
  /** The map upsampled to the input size (bilinear, align_corners = false), min-max normalized to [0,1]: [N,H,W]. */
  upsampled: Tensor;
  /** Channel weights [N,K] (null for methods without per-channel weights, e.g. Layer-CAM). */
  weights: Tensor | null;
  /** Per image: the map was flat (all equal, e.g. all zero) and is returned as zeros. */
  flat: boolean[];
  trace?: CamTrace;
}

export interface TraceOption {
  /** Keep every intermediate term in `result.trace`. */
  trace?: boolean;
}

/** ReLU, upsampling and normalization, plus the bookkeeping every method shares. */
export function finish(
  method: string,
  ctx: CamContext,
  rawMap: Tensor,
  weights: Tensor | null,
  trace: Omit<CamTrace, 'rawMap' | 'map' | 'upsampled'> | null,
): CamResult {
  const map = K.relu(rawMap);
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
