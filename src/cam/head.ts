/**
 * The head: what follows a target layer, seen as a function S(A) of its activation. How S depends
 * on A decides when methods coincide — CAM needs global average pooling + one linear layer, the
 * closed form of Grad-CAM++ is exact on piecewise-linear heads, and noise cannot change g when S
 * is affine in A.
 */
import type { Module } from '../nn/module.js';
import { isGraphModel } from '../nn/graph-model.js';
import { AdaptiveAvgPool2d, Dropout, Flatten, GlobalAvgPool, Identity, Linear } from '../nn/layers.js';
import { Tensor } from '../tensor/tensor.js';
import { modulesAfter } from './split.js';

/**
 * - 'gap-linear': global average pooling then one linear layer (S = Σ_k W[c,k]·mean A_k + b);
 * - 'affine': only affine layers (conv, linear, average pooling, batch norm in eval mode, ...);
 * - 'piecewise-linear': affine layers plus ReLU and max pooling (∂²S/∂A² = 0 almost everywhere);
 * - 'smooth': some layer curves (tanh, sigmoid, softmax, GELU, layer norm, attention, ...);
 * - 'unknown': the head is not a chain of modules camlab can read (an imported graph tells only
 *   whether it is 'gap-linear').
 */
export type HeadForm = 'gap-linear' | 'affine' | 'piecewise-linear' | 'smooth' | 'unknown';

/** Layer kinds that are affine in their input in eval mode (dropout is the identity then). */
const AFFINE_KINDS: ReadonlySet<string> = new Set(['Conv2d', 'Linear', 'GlobalAvgPool', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Flatten', 'BatchNorm2d', 'Dropout', 'Identity']);
/** Kinds that are piecewise affine: ReLU's kink, max pooling's choice, a residual block of both. */
const PIECEWISE_KINDS: ReadonlySet<string> = new Set(['ReLU', 'MaxPool2d', 'BasicBlock']);

/** Layers that change nothing in eval mode, skipped when looking for the pooling + linear pattern. */
const isPassThrough = (m: Module): boolean => m instanceof Identity || m instanceof Dropout || m instanceof Flatten;

/**
 * The linear layer of a global-average-pooling + linear head (pass-through layers allowed
 * around them), or null when the modules after the layer have another form.
 */
export function gapLinearLayer(after: readonly Module[] | null, channels?: number): Linear | null {
  const rest = (after ?? []).filter((m) => !isPassThrough(m));
  const pool = rest[0];
  const isGap = pool instanceof GlobalAvgPool || (pool instanceof AdaptiveAvgPool2d && [pool.options].flat().every((v) => v === 1));
  const fc = rest[1];
  if (!isGap || !(fc instanceof Linear) || rest.length !== 2 || (channels !== undefined && fc.inFeatures !== channels)) return null;
  return fc;
}

/** The form of the head after `layer` and its layers as text (`GlobalAvgPool → Linear(32, 4)`). */
export function headForm(model: Module, layer: string): { form: HeadForm; layers: string } {
  if (isGraphModel(model)) {
    // An imported graph says whether global average pooling + one linear layer follows.
    const w = model.gapLinearWeight(layer);
    return w instanceof Tensor ? { form: 'gap-linear', layers: `GlobalAveragePool → a linear layer of ${w.shape[1]} inputs` } : { form: 'unknown', layers: w.follows };
  }
  const after = modulesAfter(model, layer);
  if (after === null) return { form: 'unknown', layers: 'a graph' };
  const layers = after.length === 0 ? 'nothing' : after.map((m) => m.describe()).join(' → ');
  let form: HeadForm;
  if (gapLinearLayer(after) !== null) form = 'gap-linear';
  else if (after.every((m) => AFFINE_KINDS.has(m.kind))) form = 'affine';
  else if (after.every((m) => AFFINE_KINDS.has(m.kind) || PIECEWISE_KINDS.has(m.kind))) form = 'piecewise-linear';
  else form = 'smooth';
  return { form, layers };
}
