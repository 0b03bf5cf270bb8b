/**
 * camlab: tensors, reverse-mode autodiff of any order, layers, and CAM explanations.
 * Every op exported here is differentiable; `camlab/tensor` has the raw kernels.
 */
export {
  Tensor, IndexTensor, CamlabError, Rng, detLog,
  zeros, ones, full, scalar, zerosLike, fullLike, tensor, arange, linspace, eye, rand, randn, clone,
  argmax, argmin, indices, sizeOf, shapeStr,
  type DType, type FloatArray, type NestedNumbers, type Shape, type SliceSpec, type Padding,
} from './tensor/index.js';
export * from './autodiff/index.js';
