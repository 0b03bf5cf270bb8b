/**
 * Head fusion and discarding for attention rollout, as plain tensor functions (no autodiff).
 * Attention tensors are [N, H, S, S] (batch, heads, query token, key token; token 0 = class token).
 */
import { clone } from '../../tensor/create.js';
import { fail, shapeStr } from '../../tensor/errors.js';
import { max, mean, min } from '../../tensor/reduce.js';
import type { Tensor } from '../../tensor/tensor.js';

/** How the heads of one block are combined into one [S, S] matrix per image. */
export type HeadFusion = 'mean' | 'max' | 'min';

/** Fails unless t is [N, H, S, S]; returns [N, H, S]. */
export function checkAttention(op: string, t: Tensor): [number, number, number] {
  if (t.ndim !== 4 || t.shape[2] !== t.shape[3]) fail(op, `expects attention [N,H,S,S], got ${shapeStr(t.shape)}`);
  return [t.shape[0]!, t.shape[1]!, t.shape[2]!];
}

/** Â = mean, max or min over the heads of A [N, H, S, S] → [N, S, S]. */
export function fuseHeads(a: Tensor, fusion: HeadFusion = 'mean'): Tensor {
  checkAttention('fuseHeads', a);
  switch (fusion) {
    case 'mean':
      return mean(a, 1);
    case 'max':
      return max(a, 1);
    case 'min':
      return min(a, 1);
    default:
      return fail('fuseHeads', `head fusion must be 'mean', 'max' or 'min', got '${String(fusion)}'`);
  }
}

/**
 * Zeroes the ⌊ratio·S²⌋ smallest entries of each image's fused attention [N, S, S], except the
 * class token's attention to itself (entry [0, 0]), as jacobgil/vit-explain's discard_ratio: that
 * entry stays even when it is among the smallest (then one entry fewer is zeroed). Ties go to the
 * lower flat index.
 */
export function discardLowest(fused: Tensor, ratio: number): Tensor {
  if (!(ratio >= 0 && ratio < 1)) fail('discardLowest', `discard ratio must be in [0, 1), got ${ratio}`);
  if (fused.ndim !== 3 || fused.shape[1] !== fused.shape[2]) fail('discardLowest', `expects fused attention [N,S,S], got ${shapeStr(fused.shape)}`);
  const out = clone(fused);
  const per = fused.shape[1]! * fused.shape[2]!;
  const k = Math.floor(ratio * per);
  if (k === 0) return out;
  for (let n = 0; n < fused.shape[0]!; n++) {
    const base = n * per;
    const order = Array.from({ length: per }, (_, i) => i).sort((p, q) => fused.data[base + p]! - fused.data[base + q]! || p - q);
    for (let j = 0; j < k; j++) if (order[j] !== 0) out.data[base + order[j]!] = 0;
  }
  return out;
}
