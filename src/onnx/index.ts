/** camlab's ONNX import: protobuf reader, constant folding of shape arithmetic, graph models. */
import { isDType, type DType } from '../tensor/dtype.js';
import { fail } from '../tensor/errors.js';
import { declaredShape, fmtDims, readGraph } from './graph.js';
import { OnnxModel } from './model.js';
import type { ExternalData } from './values.js';

export { OnnxModel, GRID_SUFFIX, type OnnxLayerInfo } from './model.js';
export { OnnxTap, TokenGrid } from './taps.js';
export { SUPPORTED_OPS } from './ops/index.js';
export { MIN_OPSET } from './graph.js';
export type { ExternalData } from './values.js';

export interface LoadOnnxOptions {
  /** Computation dtype (default 'float32'); initializers are cast to it. 'float64' for verification and exact derivatives. */
  dtype?: DType;
  /** Bytes of a side file named by external-data tensors (`location`, relative to the model file). */
  externalData?: ExternalData;
  /** [C, H, W] to plan for when the model declares symbolic (or no) spatial dimensions (default [3, 224, 224]). */
  inputShape?: readonly number[];
}

/**
 * Loads an ONNX model (the bytes of a .onnx file, opsets 11 and newer) as a camlab Module that
 * runs the graph with camlab's differentiable ops. Shape arithmetic is folded at load (with the
 * batch tracked symbolically, so batches of any size run); malformed files, unsupported operators
 * and graphs that cannot run fail here with one line naming the byte offset, node or shape.
 */
export function loadOnnx(bytes: Uint8Array, options: LoadOnnxOptions = {}): OnnxModel {
  const dtype = options.dtype ?? 'float32';
  if (!isDType(dtype)) fail('onnx', `dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
  const graph = readGraph(bytes, options.externalData);
  const declared = declaredShape(graph.input);
  let planned: number[];
  if (options.inputShape !== undefined) {
    const s = options.inputShape;
    if (!Array.isArray(s) || s.some((d) => !Number.isInteger(d) || d < 1)) fail('onnx', `inputShape must be positive integers [C, H, W], got ${JSON.stringify(s)}`);
    planned = [...s];
  } else if (declared !== null && declared.slice(1).every((d) => d !== null)) {
    planned = declared.slice(1) as number[];
  } else if (declared === null || declared.length === 4) {
    planned = [declared?.[1] ?? 3, declared?.[2] ?? 224, declared?.[3] ?? 224];
  } else {
    fail('onnx', `input '${graph.input.name}' is ${fmtDims(declared)}; pass inputShape to plan it`);
  }
  return new OnnxModel(graph, dtype, planned);
}
