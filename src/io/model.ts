import { noGrad } from '../autodiff/mode.js';
import type { Module } from '../nn/module.js';
import { buildModel, parseModelSpec, type LayerSpec, type ModelSpec } from '../nn/spec.js';
import { zeros } from '../tensor/create.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

/** A model ready to run: its spec (classes, input format) and the module with weights loaded, in eval mode. */
export interface LoadedModel {
  spec: ModelSpec;
  module: Module;
}

/**
 * Builds the architecture a spec names and loads safetensors weights into it (PyTorch state-dict
 * keys). Missing, unexpected or mis-shaped keys are reported together in one error. The spec's
 * class list must name every output of the model: `classes.length` = K for an output [1, K].
 */
export function loadModel(spec: ModelSpec | unknown, weights: Uint8Array): LoadedModel {
  const s = parseModelSpec(spec);
  const module = buildModel(s);
  // loadStateDict copies the values into the parameters' own storage, converting to their dtype.
  module.loadStateDict(parseSafetensors(weights).tensors);
  module.eval();
  const k = classScores(s, module);
  if (k !== s.classes.length) fail('model spec', `'classes' lists ${s.classes.length} names but model '${s.name}' outputs ${k} class scores; give one name per output`);
  return { spec: s, module };
}

/** Layers that keep their input's shape: they cannot change the number of class scores. */
const SHAPE_KEEPING = new Set(['ReLU', 'Sigmoid', 'Tanh', 'GELU', 'Identity', 'Softmax', 'Dropout']);

/**
 * How many class scores the model gives per input: the `out` of its last Linear layer when only
 * shape-keeping layers follow it (no computation), else the size of the output of one forward
 * pass of a zero input (without a graph), which must be [1, K].
 */
function classScores(spec: ModelSpec, module: Module): number {
  const last = lastLayer(spec.architecture);
  if (last?.type === 'Linear') return last.out;
  const { channels, height, width } = spec.input;
  const y = noGrad(() => module.call(zeros([1, channels, height, width], { dtype: spec.dtype ?? 'float64' })));
  if (y.shape.length !== 2) fail('model spec', `model '${spec.name}' outputs shape ${shapeStr(y.shape)} for one ${channels}x${height}x${width} input; a classifier outputs [1, classes]`);
  return y.shape[1]!;
}

/** The last layer that can change the shape, looking through Sequentials; undefined if there is none. */
function lastLayer(l: LayerSpec): LayerSpec | undefined {
  if (l.type !== 'Sequential') return SHAPE_KEEPING.has(l.type) ? undefined : l;
  const children = l.layers ?? Object.values(l.children ?? {});
  for (let i = children.length - 1; i >= 0; i--) {
    const found = lastLayer(children[i]!);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The module's state dict as safetensors bytes (float32 by default, the size the bundled models ship in). */
export function saveWeights(module: Module, opts: { dtype?: 'float32' | 'float64'; metadata?: Record<string, string> } = {}): Uint8Array {
  const o: Parameters<typeof serializeSafetensors>[1] = { dtype: opts.dtype ?? 'float32' };
  if (opts.metadata !== undefined) o.metadata = opts.metadata;
  return serializeSafetensors(module.stateDict(), o);
}
