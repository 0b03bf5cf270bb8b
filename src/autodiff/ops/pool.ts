import * as KP from '../../tensor/pool.js';
import * as KR from '../../tensor/resize.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { scatterAdd } from './indexing.js';

export type Pool2dOptions = KP.Pool2dOptions;

/**
 * Max pooling, a gather of each window's first maximum (the kernel's values are those elements):
 * the VJP is scatterAdd, whose VJP is gather again, so max pooling is piecewise linear to every
 * order (second derivative 0).
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { values, indices } = KP.maxPool2d(x, opts);
  return record('maxPool2d', values, [x], (g) => [scatterAdd(g, indices, x.shape)]);
}

/** Average pooling: a fixed linear map A; ∂ = Aᵀg (avgPool2dAdjoint), whose VJP is A again. */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return record('avgPool2d', KP.avgPool2d(x, opts), [x], (g) => [avgPool2dAdjoint(g, x.shape, opts)]);
}

/** Aᵀg, the transpose of avgPool2d for inputs of `inputShape`; its VJP is avgPool2d. */
export function avgPool2dAdjoint(g: Tensor, inputShape: readonly number[], opts: Pool2dOptions): Tensor {
  return record('avgPool2dAdjoint', KP.avgPool2dAdjoint(g, inputShape, opts), [g], (h) => [avgPool2d(h, opts)]);
}

/** Adaptive average pooling to a fixed output size (PyTorch bins). Linear; VJP is its adjoint. */
export function adaptiveAvgPool2d(x: Tensor, outSize: number | readonly [number, number]): Tensor {
  return record('adaptiveAvgPool2d', KP.adaptiveAvgPool2d(x, outSize), [x], (g) => [adaptiveAvgPool2dAdjoint(g, x.shape)]);
}

/** The transpose of adaptiveAvgPool2d to g's size, for inputs of `inputShape`; its VJP is adaptiveAvgPool2d. */
export function adaptiveAvgPool2dAdjoint(g: Tensor, inputShape: readonly number[]): Tensor {
  const outSize: [number, number] = [g.shape[2]!, g.shape[3]!];
  return record('adaptiveAvgPool2dAdjoint', KP.adaptiveAvgPool2dAdjoint(g, inputShape), [g], (h) => [adaptiveAvgPool2d(h, outSize)]);
}

/**
 * Bilinear resize y = R x, align_corners = false (half-pixel centres, clamped edges) or true
 * (corners aligned, src = dst·(in − 1)/(out − 1)). Linear: the VJP is Rᵀg, its adjoint.
 */
export function resizeBilinear(x: Tensor, size: readonly [number, number], alignCorners = false): Tensor {
  return record('resizeBilinear', KR.resizeBilinear(x, size, alignCorners), [x], (g) => [resizeBilinearAdjoint(g, x.shape, alignCorners)]);
}

/** Rᵀg, the transpose of resizeBilinear to g's size, for inputs of `inputShape`; its VJP is resizeBilinear (R h). */
export function resizeBilinearAdjoint(g: Tensor, inputShape: readonly number[], alignCorners = false): Tensor {
  const size: [number, number] = [g.shape[2]!, g.shape[3]!];
  return record('resizeBilinearAdjoint', KR.resizeBilinearAdjoint(g, inputShape, alignCorners), [g], (h) => [resizeBilinear(h, size, alignCorners)]);
}
