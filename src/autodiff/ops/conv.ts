import * as KC from '../../tensor/conv.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { add } from './elementwise.js';
import { reshape } from './movement.js';
import { expand, sumTo } from './reduce.js';

export type Conv2dOptions = KC.Conv2dOptions;

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N,C,H,W] with w [O,C/groups,kh,kw],
 * plus an optional bias [O]. The three kernels conv2d, conv2dInputGrad and conv2dWeightGrad are
 * closed under VJPs (each is bilinear), so derivatives of every order stay in this set.
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const vjps = (g: Tensor, needs: readonly boolean[]): (Tensor | null)[] => [
    needs[0] ? conv2dInputGrad(g, w, x.shape, opts) : null,
    needs[1] ? conv2dWeightGrad(x, g, w.shape, opts) : null,
  ];
  if (bias === undefined || bias === null) return record('conv2d', KC.conv2d(x, w, opts), [x, w], vjps);
  const b4 = reshape(bias, [1, bias.size, 1, 1]);
  // A bias of the output's dtype is added by the kernel call (its epilogue: the bits of the add),
  // ∂bias = Σ g over every axis but the channels, as add's VJP; another dtype promotes through add.
  if (bias.dtype !== x.dtype || w.dtype !== x.dtype) return add(record('conv2d', KC.conv2d(x, w, opts), [x, w], vjps), b4);
  return record('conv2d', KC.conv2d(x, w, opts, { bias: bias.data }), [x, w, b4], (g, needs) => [...vjps(g, needs), needs[2] ? sumTo(g, b4.shape) : null]);
}

/**
 * The input gradient of conv2d (a transposed convolution): dx = convᵀ_w(g).
 * Adjoint identities ⟨h, convᵀ_w(g)⟩ = ⟨conv_w(h), g⟩ = ⟨convWeightGrad(h, g), w⟩ give its VJPs.
 */
export function conv2dInputGrad(g: Tensor, w: Tensor, inputShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  return record('conv2dInputGrad', KC.conv2dInputGrad(g, w, inputShape, opts), [g, w], (h, needs) => [
    needs[0] ? conv2d(h, w, null, opts) : null,
    needs[1] ? conv2dWeightGrad(h, g, w.shape, opts) : null,
  ]);
}

/**
 * The weight gradient of conv2d: dw = Σ_n x_n ⋆ g_n (x or g may have batch 1 and broadcast).
 * ⟨h, dw(x, g)⟩ = ⟨conv_h(x), g⟩ = ⟨x, convᵀ_h(g)⟩ give its VJPs.
 */
export function conv2dWeightGrad(x: Tensor, g: Tensor, weightShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  return record('conv2dWeightGrad', KC.conv2dWeightGrad(x, g, weightShape, opts), [x, g], (h, needs) => [
    needs[0] ? fitBatch(conv2dInputGrad(g, h, [g.shape[0]!, ...x.shape.slice(1)], opts), x.shape) : null,
    needs[1] ? fitBatch(conv2d(x, h, null, opts), g.shape) : null,
  ]);
}

/** Matches a batch-broadcast operand's gradient to its shape: sum a larger batch, expand a smaller. */
function fitBatch(t: Tensor, shape: readonly number[]): Tensor {
  return t.shape[0]! > shape[0]! ? sumTo(t, shape) : expand(t, shape);
}
