import { zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The initializations torchvision's VisionTransformer and torch.nn.MultiheadAttention use, so a
 * camlab ViT trained from scratch starts where a PyTorch one would.
 */

/** N(0, std²) samples. */
export function normalInit(shape: readonly number[], std: number, rng: Rng, dtype: DType = 'float64'): Tensor {
  const t = zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = std * rng.normal();
  return t;
}

/**
 * N(0, std²) restricted to [lo, hi] by redrawing (torch.nn.init.trunc_normal_; its bounds are
 * absolute values, −2 and 2 by default, not multiples of std).
 */
export function truncNormalInit(shape: readonly number[], std: number, rng: Rng, dtype: DType = 'float64', lo = -2, hi = 2): Tensor {
  const t = zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) {
    let v: number;
    do v = std * rng.normal();
    while (v < lo || v > hi);
    t.data[i] = v;
  }
  return t;
}

/** Glorot/Xavier uniform for a [out, in] matrix: U(−b, b), b = √(6 / (in + out)) (torch.nn.init.xavier_uniform_). */
export function xavierUniformInit(shape: readonly [number, number], rng: Rng, dtype: DType = 'float64'): Tensor {
  const bound = Math.sqrt(6 / (shape[0] + shape[1]));
  const t = zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = (2 * rng.uniform() - 1) * bound;
  return t;
}
