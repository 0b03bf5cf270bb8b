import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { prepare, type CamTargetOptions } from './gradients.js';
import { finish, type CamResult, type TraceOption } from './result.js';

export type EigenCamOptions = CamTargetOptions & TraceOption;

/**
 * EigenCAM (Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components",
 * IJCNN 2020), as pytorch-grad-cam computes it: the projection of the activations on their first
 * principal component, map = ReLU(X v₁) with X = A as [hw, K] centred per channel
 * ({@link firstPrincipalProjection}, whose sign convention makes the larger side positive).
 * Class-agnostic: no gradient, the target only names the class reported with the map.
 */
export function eigenCam(model: Module, input: Tensor, opts: EigenCamOptions = {}): CamResult {
  const ctx = prepare(model, input, opts);
  const a = ctx.split.activation;
  const trace = opts.trace ? { A: a, d1: zeros(a.shape, { dtype: a.dtype }), derivatives: 'none (first principal component of A)' } : null;
  return finish('eigencam', ctx, a, null, trace, { eigenSmooth: true });
}
