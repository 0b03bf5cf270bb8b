import { add, mul, sub } from '../autodiff/ops/elementwise.js';
import { mean } from '../autodiff/ops/reduce.js';
import { reciprocal, sqrt } from '../autodiff/ops/unary.js';
import { ones, zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Layer normalization over the trailing dims named by `normalizedShape` (Ba, Kiros & Hinton 2016):
 *   y = (x − μ) / √(σ² + eps) · γ + β,  μ and σ² = mean and biased variance over those dims.
 * γ, β (shape `normalizedShape`) are optional (PyTorch's elementwise_affine). Composed from
 * differentiable ops, so every order of derivative is available.
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || x.ndim < k || tail.some((d, i) => d !== normalizedShape[i])) {
    fail('layerNorm', `input ${shapeStr(x.shape)} does not end in the normalized shape ${shapeStr(normalizedShape)}`);
  }
  const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const centered = sub(x, mean(x, axes, { keepdims: true }));
  const variance = mean(mul(centered, centered), axes, { keepdims: true });
  let y = mul(centered, reciprocal(sqrt(add(variance, eps))));
  if (weight !== null) y = mul(y, weight);
  if (bias !== null) y = add(y, bias);
  return y;
}

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5 as PyTorch; torchvision's ViT uses 1e-6). */
  eps?: number;
  /** Learn γ (ones) and β (zeros) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/** torch.nn.LayerNorm: {@link layerNorm} over the last dims, with parameters `weight` (γ) and `bias` (β). */
export class LayerNorm extends Module {
  readonly kind = 'LayerNorm';
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) fail('LayerNorm', `normalized shape must be positive integers, got ${shapeStr(shape)}`);
    this.normalizedShape = shape;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) fail('LayerNorm', `eps must be a positive number, got ${this.eps}`);
    if (opts.elementwiseAffine ?? true) {
      const dtype = opts.dtype ?? 'float64';
      this.registerParameter('weight', ones(shape, { dtype }));
      this.registerParameter('bias', zeros(shape, { dtype }));
    }
  }

  forward(x: Tensor): Tensor {
    const affine = this.hasTensor('weight');
    return layerNorm(x, this.normalizedShape, affine ? this.param('weight') : null, affine ? this.param('bias') : null, this.eps);
  }

  override describe(): string {
    const dims = this.normalizedShape.length === 1 ? `${this.normalizedShape[0]}` : shapeStr(this.normalizedShape);
    return `LayerNorm(${dims}, eps=${this.eps}${this.hasTensor('weight') ? '' : ', elementwise_affine=false'})`;
  }
}
