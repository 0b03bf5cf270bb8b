/** camlab/autodiff: differentiable ops (same names as the kernels), grad of any order, gradcheck. */
export { isGradEnabled, noGrad, enableGrad } from './mode.js';
export { Node, record, requiresGrad, detach, nodeOf, type Vjp } from './node.js';
export { grad, backward, dependsOn, type GradOptions } from './grad.js';
export {
  gradcheck, gradgradcheck, thirdOrderGradcheck, gradcheckOrder, GradcheckError,
  type CheckedFunction, type GradcheckOptions, type GradcheckReport,
} from './gradcheck.js';
export * from './ops/elementwise.js';
export * from './ops/unary.js';
export * from './ops/reduce.js';
export * from './ops/movement.js';
export * from './ops/indexing.js';
export * from './ops/linalg.js';
export * from './ops/conv.js';
export * from './ops/pool.js';
export * from './ops/affine.js';
export * from './ops/batch-norm.js';
