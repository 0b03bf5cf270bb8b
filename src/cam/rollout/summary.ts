/**
 * Per-block numbers of a rollout's trace, for tables (`camlab explain --trace`) and reports: how
 * much the class token attends to the patches, how much each block adds to the rollout, and
 * (Grad-CAM++ rollouts) the range of α where it counts, on entries with ReLU(d1) > 0.
 */
import { fail } from '../../tensor/errors.js';
import type { RolloutTrace } from './methods.js';

/** One block of a rollout trace, for one image. */
export interface BlockSummary {
  block: number;
  /** Σ_{j ≥ 1} mean_h A[h, 0, j]: the class token's attention to the patches (the rest goes to itself). */
  clsToPatches: number;
  /** Σ_j M[0, j] of the block matrix multiplied in (Ã_l for attention rollout, Ā_l for the weighted ones). */
  clsRowMass: number;
  /** Share of the attention entries with d1 > 0 (null without derivative terms). */
  positiveShare: number | null;
  /** min, mean and max of α over the entries with d1 > 0 (null without α, or when there are none). */
  alpha: { min: number; mean: number; max: number } | null;
}

/** The per-block numbers of image `image` (default 0) of a rollout trace, in block order. */
export function rolloutSummary(trace: RolloutTrace, image = 0): BlockSummary[] {
  const [n, heads, s] = trace.attentions[0]!.shape as [number, number, number];
  if (!Number.isInteger(image) || image < 0 || image >= n) fail('rolloutSummary', `image ${image} is out of range: the trace holds ${n} images`);
  return trace.attentions.map((a, l) => {
    const at = image * heads * s * s;
    let cls = 0;
    for (let h = 0; h < heads; h++) for (let j = 1; j < s; j++) cls += a.data[at + h * s * s + j]!;
    const m = trace.blocks[l]!;
    let mass = 0;
    for (let j = 0; j < s; j++) mass += m.data[image * s * s + j]!;
    const d1 = trace.d1?.[l];
    const alpha = trace.alpha?.[l];
    let positive = 0;
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    if (d1 !== undefined) {
      for (let e = at; e < at + heads * s * s; e++) {
        if (!(d1.data[e]! > 0)) continue;
        positive++;
        if (alpha === undefined) continue;
        const v = alpha.data[e]!;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        sum += v;
      }
    }
    return {
      block: l,
      clsToPatches: cls / heads,
      clsRowMass: mass,
      positiveShare: d1 === undefined ? null : positive / (heads * s * s),
      alpha: alpha === undefined || positive === 0 ? null : { min: lo, mean: sum / positive, max: hi },
    };
  });
}
