/**
 * The rollout recurrences as plain tensor functions (no autodiff) of per-block attention
 * A_l [N, H, S, S] (token 0 = class token) and its derivatives. Each returns the rollout matrix
 * R [N, S, S] and the per-block matrix it multiplied in; the map is R[cls, patches].
 */
import { eye } from '../../tensor/create.js';
import { add, div, le, mul } from '../../tensor/elementwise.js';
import { fail, shapeStr } from '../../tensor/errors.js';
import { matmul } from '../../tensor/matmul.js';
import { expand, reshape, slice } from '../../tensor/movement.js';
import { max, mean, sum } from '../../tensor/reduce.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../tensor/unary.js';
import { safeDiv } from '../formulas.js';
import { checkAttention, discardLowest, fuseHeads, type HeadFusion } from './fusion.js';

/** R and the per-block matrices: Ã_l (attention rollout) or Ā_l (gradient-weighted rollouts), each [N, S, S]. */
export interface Rollout {
  rollout: Tensor;
  blocks: Tensor[];
}

/** Fails unless the blocks are equal-shape [N, H, S, S] tensors (and each `same` list matches); returns [N, S]. */
function checkBlocks(op: string, attentions: readonly Tensor[], ...same: Array<readonly Tensor[]>): [number, number] {
  if (attentions.length === 0) fail(op, 'needs the attention of at least one block');
  const shape = attentions[0]!.shape;
  const [n, , s] = checkAttention(op, attentions[0]!);
  const all = [attentions, ...same];
  for (const list of all) {
    if (list.length !== attentions.length) fail(op, `${list.length} derivative tensors given for ${attentions.length} blocks`);
    list.forEach((t, l) => {
      if (t.ndim !== 4 || t.shape.some((d, i) => d !== shape[i])) fail(op, `block ${l}: expected ${shapeStr(shape)} like block 0's attention, got ${shapeStr(t.shape)}`);
    });
  }
  return [n, s];
}

function identity(n: number, s: number): Tensor {
  return expand(eye(s), [n, s, s]);
}

export interface RolloutOptions {
  /** Head fusion (default 'mean'). */
  fusion?: HeadFusion;
  /** Share of the smallest fused entries zeroed per block (default 0; see {@link discardLowest}). */
  discardRatio?: number;
}

/**
 * Attention rollout (Abnar & Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020):
 *   Â_l = fuse_h A_l (optionally with the smallest entries discarded),
 *   Ã_l = rownorm(Â_l + I),  R = Ã_L ⋯ Ã_1.
 * The identity accounts for the residual connection; rownorm makes each row sum to 1.
 */
export function rolloutMatrix(attentions: readonly Tensor[], opts: RolloutOptions = {}): Rollout {
  const [n, s] = checkBlocks('attention rollout', attentions);
  const ratio = opts.discardRatio ?? 0;
  let r = identity(n, s);
  const blocks: Tensor[] = [];
  attentions.forEach((a, l) => {
    let fused = fuseHeads(a, opts.fusion ?? 'mean');
    if (ratio > 0) fused = discardLowest(fused, ratio);
    const plusI = add(fused, eye(s));
    const rows = sum(plusI, 2, { keepdims: true });
    if (max(le(rows, 0)).data[0] === 1) fail('attention rollout', `block ${l}: a row of Â + I sums to <= 0, so it cannot be row-normalized (attention must be non-negative)`);
    const normalized = div(plusI, rows);
    blocks.push(normalized);
    r = matmul(normalized, r);
  });
  return { rollout: r, blocks };
}

/** R = I, then R ← R + Ā_l·R for each block's Ā_l [N, S, S]: the update of the gradient-weighted rollouts. */
function accumulate(n: number, s: number, blocks: readonly Tensor[]): Tensor {
  let r = identity(n, s);
  for (const b of blocks) r = add(r, matmul(b, r));
  return r;
}

/**
 * Gradient-weighted rollout (Chefer, Gur & Wolf, "Generic Attention-model Explainability for
 * Interpreting Bi-Modal and Encoder-Decoder Transformers", ICCV 2021), for self-attention:
 *   Ā_l = mean_h (∇A_l ⊙ A_l)⁺,  R = I,  R ← R + Ā_l·R  (blocks in forward order),
 * with ∇A_l = ∂S/∂A_l the gradient of the class score.
 */
export function gradientRolloutMatrix(attentions: readonly Tensor[], grads: readonly Tensor[]): Rollout {
  const [n, s] = checkBlocks('gradient rollout', attentions, grads);
  const blocks = attentions.map((a, l) => mean(relu(mul(grads[l]!, a)), 1));
  return { rollout: accumulate(n, s, blocks), blocks };
}

/** The derivative terms of one block for the Grad-CAM++ weighting, each [N, H, S, S]. */
export interface AttentionTerms {
  /** ∂Y/∂A (or its noise average D1). */
  d1: Tensor;
  /** g² (closed form), the exact diagonal ∂²Y/∂A², or the noise average D2. */
  d2: Tensor;
  /** g³, the exact diagonal ∂³Y/∂A³, or D3. */
  d3: Tensor;
}

/**
 * Grad-CAM++'s α on attention (eq. 19 of Chattopadhay et al. 2018 with the "channel" being one
 * query row of one head): α = d2 / (2·d2 + ΣA·d3), ΣA = Σ_j A[h, i, j] (1 for softmax rows);
 * α := 0 where the denominator is 0.
 */
export function rolloutAlpha(a: Tensor, d2: Tensor, d3: Tensor): Tensor {
  return safeDiv(d2, add(mul(d2, 2), mul(sum(a, 3, { keepdims: true }), d3)));
}

/**
 * Grad-CAM++-weighted rollout (camlab, DESIGN.md §7): gradient-weighted rollout with ∇A replaced
 * by Grad-CAM++'s weighting,
 *   Ā_l = mean_h (α_l ⊙ ReLU(d1_l) ⊙ A_l),  R = I,  R ← R + Ā_l·R,
 * α from {@link rolloutAlpha}. With d1 = g, d2 = g², d3 = g³ this is the closed form; with the
 * exact diagonals of Y = exp(S − S₀) it is exact; with noise averages it is the smoothed version.
 */
export function gradCamPlusPlusRolloutMatrix(attentions: readonly Tensor[], terms: readonly AttentionTerms[]): Rollout & { alpha: Tensor[] } {
  const [n, s] = checkBlocks('Grad-CAM++ rollout', attentions, terms.map((t) => t.d1), terms.map((t) => t.d2), terms.map((t) => t.d3));
  const alpha = attentions.map((a, l) => rolloutAlpha(a, terms[l]!.d2, terms[l]!.d3));
  const blocks = attentions.map((a, l) => mean(mul(mul(alpha[l]!, relu(terms[l]!.d1)), a), 1));
  return { rollout: accumulate(n, s, blocks), blocks, alpha };
}

/**
 * The explanation of a rollout: row 0 (the class token) over the patch tokens, R[n, 0, 1:],
 * laid on the patch grid [N, h, w].
 */
export function rolloutMap(rollout: Tensor, grid: readonly [number, number]): Tensor {
  if (rollout.ndim !== 3 || rollout.shape[1] !== rollout.shape[2]) fail('rolloutMap', `expects a rollout matrix [N,S,S], got ${shapeStr(rollout.shape)}`);
  const [n, s] = rollout.shape as [number, number];
  const [h, w] = grid;
  if (h * w !== s - 1) fail('rolloutMap', `${s - 1} patch tokens of rollout ${shapeStr(rollout.shape)} do not fill a ${h}x${w} grid`);
  return reshape(slice(rollout, [null, [0, 1], [1, s]]), [n, h, w]);
}
