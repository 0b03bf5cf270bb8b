import * as KA from '../../tensor/channel-affine.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { mul, sub } from './elementwise.js';
import { sumTo } from './reduce.js';
import { neg } from './unary.js';

/**
 * Batch norm's per-channel affine map y = (x − m)·s + b in one op (x [N, C, …]; m, s, b of shape
 * [1, C, 1, …]), with the same bits as add(mul(sub(x, m), s), b) and the same gradients:
 * ∂x = g·s, ∂m = −Σ g·s, ∂s = Σ g·(x − m), ∂b = Σ g (Σ over every axis but the channels; the
 * sum is negated after it is taken: the value of the sum of the negated terms, up to the sign of
 * a zero),
 * written in differentiable ops on the live inputs, so every order works.
 */
export function channelAffine(x: Tensor, m: Tensor, s: Tensor, b: Tensor): Tensor {
  return record('channelAffine', KA.channelAffine(x, m, s, b), [x, m, s, b], (g, needs) => {
    const gx = needs[0] || needs[1] ? mul(g, s) : null;
    return [
      needs[0] ? gx : null,
      needs[1] ? neg(sumTo(gx!, m.shape)) : null,
      needs[2] ? sumTo(mul(g, sub(x, m)), s.shape) : null,
      needs[3] ? sumTo(g, b.shape) : null,
    ];
  });
}
