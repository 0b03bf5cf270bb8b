import { concat, permute, reshape, slice } from '../autodiff/ops/movement.js';
import { expand } from '../autodiff/ops/reduce.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Moving between a ViT's two layouts: patch feature maps [N, D, h, w] and token sequences
 * [N, 1+T, D] with the class token first and the T = h·w patch tokens in row-major grid order
 * (torchvision's `_process_input`). All differentiable (reshapes, permutes, slices).
 */

/** [N, D, h, w] → [N, h·w, D]: token t is the patch at row ⌊t/w⌋, column t mod w. */
export function patchesToTokens(x: Tensor): Tensor {
  if (x.ndim !== 4) fail('patchesToTokens', `expects patch features [N,D,h,w], got ${shapeStr(x.shape)}`);
  const [n, d, h, w] = x.shape as [number, number, number, number];
  return permute(reshape(x, [n, d, h * w]), [0, 2, 1]);
}

/** [cls; tokens]: the class token [1, 1, D] repeated over the batch and put before tokens [N, T, D]. */
export function prependClassToken(tokens: Tensor, classToken: Tensor): Tensor {
  if (tokens.ndim !== 3 || classToken.ndim !== 3 || classToken.shape[0] !== 1 || classToken.shape[1] !== 1 || classToken.shape[2] !== tokens.shape[2]) {
    fail('prependClassToken', `needs tokens [N,T,D] and a class token [1,1,D], got ${shapeStr(tokens.shape)} and ${shapeStr(classToken.shape)}`);
  }
  return concat([expand(classToken, [tokens.shape[0]!, 1, tokens.shape[2]!]), tokens], 1);
}

/**
 * The token-grid reshape of transformer CAMs: tokens [N, P+T, D] → [N, D, h, w], dropping the
 * first P (default 1: the class token) and laying the T = h·w patch tokens on the grid. Without
 * `grid`, T must be a square.
 */
export function tokensToGrid(tokens: Tensor, grid?: readonly [number, number], prefixTokens = 1): Tensor {
  if (tokens.ndim !== 3) fail('tokensToGrid', `expects tokens [N,1+T,D], got ${shapeStr(tokens.shape)}`);
  const [n, s, d] = tokens.shape as [number, number, number];
  if (!Number.isInteger(prefixTokens) || prefixTokens < 0 || prefixTokens >= s) fail('tokensToGrid', `cannot drop ${prefixTokens} leading tokens of ${shapeStr(tokens.shape)}`);
  const [h, w] = grid ?? squareGrid('tokensToGrid', s - prefixTokens);
  if (h * w !== s - prefixTokens) fail('tokensToGrid', `${s - prefixTokens} patch tokens of ${shapeStr(tokens.shape)} do not fill a ${h}x${w} grid`);
  const patches = slice(tokens, [null, [prefixTokens, s], null]);
  return reshape(permute(patches, [0, 2, 1]), [n, d, h, w]);
}

/** [r, r] for a square count r², else a one-line error naming `op`. */
export function squareGrid(op: string, count: number): [number, number] {
  const r = Math.round(Math.sqrt(count));
  if (r * r !== count) fail(op, `${count} patch tokens are not a square grid; pass the grid [h, w]`);
  return [r, r];
}
