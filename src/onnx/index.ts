/**
 * camlab's ONNX import (DESIGN.md §7, graph models): `loadOnnx(bytes)` reads a .onnx file with
 * its own protobuf reader and returns an {@link OnnxModel}, a Module every CAM method works on.
 *
 * - Load: protobuf → graph checks (opset ≥ 11, one input, every operator supported) → a plan per
 *   input size that folds shape arithmetic (Shape, Gather, Concat, Cast, ConstantOfShape, Range, …)
 *   into constants, evaluated at three batch sizes so entries that follow the batch become k·N + b
 *   of the run-time batch. A graph with the export batch baked in (static torch.onnx exports of
 *   transformers) runs in chunks of that batch instead (`batchFixed` says why).
 * - Run: the remaining tensor ops in topological order with camlab's differentiable ops, so
 *   gradients of every order flow through the graph (exact Grad-CAM++). float32 by default,
 *   float64 on request; inference only (BatchNormalization uses running statistics, Dropout is the
 *   identity).
 * - Layers: every node output is a hookable tap named by its ONNX tensor name; PyTorch module
 *   paths (`layer4.1`, the last node torch.onnx scoped under it) and `name:grid` token map views
 *   (ViTs) resolve through `get()`. As a GraphModel (nn/graph-model.ts) the model tells CAM code
 *   to cut a token layer at its grid view (so `encoder.layers.encoder_layer_11.ln_1` works
 *   without `:grid`) and hands CAM the W_fc of a GAP + linear head (head.ts). The default CAM layer (cam/split.ts) is the last 4-D map
 *   before global pooling, e.g. `/layer4/layer4.1/relu_1/Relu_output_0` for a ResNet-18 and the
 *   last block's `ln_1` grid for a ViT. `layers()` lists the candidates with module paths and shapes.
 * - Operators: {@link SUPPORTED_OPS}; attribute names and defaults as the ONNX spec.
 */
import { isDType, type DType } from '../tensor/dtype.js';
import { declaredShape, fmtDims, readGraph } from './graph.js';
import { OnnxModel } from './model.js';
import type { ExternalData } from './values.js';
import { onnxFail } from './errors.js';

export { OnnxModel, GRID_SUFFIX, type OnnxLayerInfo } from './model.js';
export { OnnxTap } from './taps.js';
export { TokenGrid } from '../nn/token-grid.js';
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
  if (!isDType(dtype)) onnxFail(`dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
  const graph = readGraph(bytes, options.externalData);
  const declared = declaredShape(graph.input);
  let planned: number[];
  if (options.inputShape !== undefined) {
    const s = options.inputShape;
    if (!Array.isArray(s) || s.some((d) => !Number.isInteger(d) || d < 1)) onnxFail(`inputShape must be positive integers [C, H, W], got ${JSON.stringify(s)}`);
    planned = [...s];
  } else if (declared !== null && declared.slice(1).every((d) => d !== null)) {
    planned = declared.slice(1) as number[];
  } else if (declared === null || declared.length === 4) {
    planned = [declared?.[1] ?? 3, declared?.[2] ?? 224, declared?.[3] ?? 224];
  } else {
    onnxFail(`input '${graph.input.name}' is ${fmtDims(declared)}; pass inputShape to plan it`);
  }
  return new OnnxModel(graph, dtype, planned);
}
