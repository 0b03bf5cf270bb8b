import type { Module } from '../nn/module.js';
import { buildModel, parseModelSpec, type ModelSpec } from '../nn/spec.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

/** A model ready to run: its spec (classes, input format) and the module with weights loaded, in eval mode. */
export interface LoadedModel {
  spec: ModelSpec;
  module: Module;
}

/**
 * Builds the architecture a spec names and loads safetensors weights into it (PyTorch state-dict
 * keys). Missing, unexpected or mis-shaped keys are reported together in one error.
 */
export function loadModel(spec: ModelSpec | unknown, weights: Uint8Array): LoadedModel {
  const s = parseModelSpec(spec);
  const module = buildModel(s);
  // loadStateDict copies the values into the parameters' own storage, converting to their dtype.
  module.loadStateDict(parseSafetensors(weights).tensors);
  module.eval();
  return { spec: s, module };
}

/** The module's state dict as safetensors bytes (float32 by default, the size the bundled models ship in). */
export function saveWeights(module: Module, opts: { dtype?: 'float32' | 'float64'; metadata?: Record<string, string> } = {}): Uint8Array {
  const o: Parameters<typeof serializeSafetensors>[1] = { dtype: opts.dtype ?? 'float32' };
  if (opts.metadata !== undefined) o.metadata = opts.metadata;
  return serializeSafetensors(module.stateDict(), o);
}
