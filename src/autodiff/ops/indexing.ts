import * as K from '../../tensor/index.js';
import type { IndexTensor, Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { reshape } from './movement.js';

/** out[i] = x.flat[idx[i]]. ∂ = scatterAdd(g, idx, x.shape); the pair is closed under VJPs. */
export function gather(x: Tensor, idx: IndexTensor): Tensor {
  return record('gather', K.gather(x, idx), [x], (g) => [scatterAdd(g, idx, x.shape)]);
}

/**
 * Zeros of `shape` with out.flat[idx[i]] += g.flat[i]. ∂ = gather(h, idx), in g's shape (g only
 * needs idx's size, not its shape).
 */
export function scatterAdd(g: Tensor, idx: IndexTensor, shape: readonly number[]): Tensor {
  return record('scatterAdd', K.scatterAdd(g, idx, shape), [g], (h) => [reshape(gather(h, idx), g.shape)]);
}
