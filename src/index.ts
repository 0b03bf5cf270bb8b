/**
 * camlab: tensors, reverse-mode autodiff of any order, layers, CAM explanations, synthetic data
 * and weight files. Everything exported here is pure ECMAScript and runs in Node, Deno, Bun and
 * browsers. Every tensor op exported here is differentiable; `camlab/tensor` has the raw kernels.
 * File and PNG access (Node only) live in `camlab/node`.
 */
export {
  Tensor, IndexTensor, CamlabError, Rng, detLog,
  zeros, ones, full, scalar, zerosLike, fullLike, tensor, arange, linspace, eye, rand, randn, clone,
  argmax, argmin, indices, sizeOf, shapeStr,
  setBackend, getBackend, backendInfo, setThreads, getThreads,
  type Backend, type DType, type FloatArray, type NestedNumbers, type Shape, type SliceSpec, type Padding,
} from './tensor/index.js';
export * from './autodiff/index.js';
export * from './nn/index.js';
export * from './cam/index.js';
export * from './data/index.js';
export { parseSafetensors, serializeSafetensors, halfToFloat, type SafetensorsFile } from './io/safetensors.js';
export { loadModel, saveWeights, type LoadedModel } from './io/model.js';
export { imageToInput, inputToImage, areaResample } from './io/image.js';
export {
  loadOnnx, OnnxModel, OnnxTap, SUPPORTED_OPS, MIN_OPSET,
  type LoadOnnxOptions, type OnnxLayerInfo, type ExternalData,
} from './onnx/index.js';
export { preprocess, parseOnnxSidecar, describePreprocessing, preprocessedSize, IMAGENET_PREPROCESSING, type Preprocessing, type OnnxSidecar } from './io/preprocess.js';
export { specClassifier, onnxClassifier, onnxDefaults, type Classifier, type OnnxOverrides, type OnnxClassifierOptions } from './io/classifier.js';
export { IMAGENET_CLASSES } from './io/imagenet-classes.js';
export type { RgbaImage } from './io/rgba.js';
