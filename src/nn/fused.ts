import { isGradEnabled } from '../autodiff/mode.js';
import { conv2d, conv2dOutputShape } from '../tensor/conv.js';
import { sameShape } from '../tensor/shape.js';
import type { ConvEpilogue } from '../tensor/conv-epilogue.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchNorm2d, Conv2d } from './layers.js';
import type { Module } from './module.js';

// Inference without a graph: a convolution and the batch norm, residual addition and relu that
// follow it run as one kernel call (tensor/conv-epilogue.ts), so their intermediate outputs are
// never written out, copied or allocated. The bits are those of the layers run one by one. Only
// when no graph is recorded (gradients need the intermediates) and no forward hook watches a
// module whose output would be skipped (layers are matched by their `kind`, not their class, so
// this file needs no runtime import of layers.ts).

/** A conv → batch norm → relu chain starting at one module, as far as it can be fused. */
interface ConvChain {
  conv: Conv2d;
  bn: BatchNorm2d | null;
  relu: boolean;
  /** Modules the chain covers. */
  length: number;
}

/** Whether the modules' outputs may go unseen: inference without a graph, no hooks on them. */
function unobserved(...mods: Module[]): boolean {
  return !isGradEnabled() && mods.every((m) => !m.hasForwardHooks());
}

/** The output of a convolution layer with its bias (and an epilogue's further steps) in one call; null when dtypes differ. */
function convWith(conv: Conv2d, x: Tensor, ep: ConvEpilogue, extra: readonly Tensor[]): Tensor | null {
  const w = conv.weight;
  const dtype = x.dtype === 'float64' || w.dtype === 'float64' ? 'float64' : 'float32';
  const bias = conv.bias;
  if ([...extra, ...(bias === null ? [] : [bias])].some((t) => t.dtype !== dtype)) return null;
  return conv2d(x, w, conv.options, bias === null ? ep : { ...ep, bias: bias.data });
}

/** The epilogue steps of a batch norm in eval mode (its statistics as per-channel arrays). */
function bnSteps(bn: BatchNorm2d): { ep: ConvEpilogue; tensors: Tensor[] } | null {
  if (bn.training) return null;
  const { mean, scale, shift } = bn.evalAffine();
  return { ep: { affine: { mean: mean.data, scale: scale.data, shift: shift.data } }, tensors: [mean, scale, shift] };
}

/**
 * The longest fusable chain at mods[i]: a Conv2d, then a BatchNorm2d in eval mode, then a ReLU,
 * each taken only while the chain so far and the module itself are unobserved. null when nothing
 * follows the convolution into it.
 */
function chainAt(mods: readonly Module[], i: number): ConvChain | null {
  const conv = mods[i];
  if (conv?.kind !== 'Conv2d' || !unobserved(conv)) return null;
  let at = i + 1;
  let bn: BatchNorm2d | null = null;
  const next = mods[at];
  if (next?.kind === 'BatchNorm2d' && !next.training && unobserved(next)) {
    bn = next as BatchNorm2d;
    at++;
  }
  const relu = mods[at]?.kind === 'ReLU' && unobserved(mods[at]!);
  if (relu) at++;
  return at === i + 1 ? null : { conv: conv as Conv2d, bn, relu, length: at - i };
}

/**
 * Runs a Sequential's modules from i: a fusable conv chain as one call (returning the index after
 * it), else null (the caller runs mods[i] itself).
 */
export function runFusedChain(mods: readonly Module[], i: number, x: Tensor): { out: Tensor; next: number } | null {
  if (isGradEnabled()) return null;
  const chain = chainAt(mods, i);
  if (chain === null) return null;
  const out = fusedConv(chain.conv, chain.bn, chain.relu, x, null);
  return out === null ? null : { out, next: i + chain.length };
}

/**
 * conv → bn (if given) → + residual (if given) → relu (if asked) as one call, when the modules
 * are unobserved (the relu module's hooks included); null when they cannot be fused (a graph is
 * recorded, a hook, batch norm in training, mixed dtypes).
 */
export function fusedConv(conv: Conv2d, bn: BatchNorm2d | null, relu: boolean | Module, x: Tensor, residual: Tensor | null): Tensor | null {
  if (!canFuseConv(conv, bn, relu)) return null;
  const steps = bn === null ? { ep: {}, tensors: [] } : bnSteps(bn);
  if (steps === null) return null;
  const ep: ConvEpilogue = { ...steps.ep, relu: relu !== false };
  if (residual !== null) {
    // A residual of another shape is broadcast (or refused) by the unfused add.
    if (!sameShape(residual.shape, conv2dOutputShape(x.shape, conv.weight.shape, conv.options))) return null;
    ep.residual = residual.data;
  }
  return convWith(conv, x, ep, residual === null ? steps.tensors : [...steps.tensors, residual]);
}

/** Whether conv → bn → relu may run as one call now (no graph, no hooks on them, batch norm in eval mode); dtypes are checked when it runs. */
export function canFuseConv(conv: Conv2d, bn: BatchNorm2d | null, relu: boolean | Module): boolean {
  const mods: Module[] = [conv, ...(bn === null ? [] : [bn]), ...(typeof relu === 'boolean' ? [] : [relu])];
  return unobserved(...mods) && (bn === null || !bn.training);
}

/** A Conv2d layer's own output (conv + bias in one call) when no graph is recorded; null otherwise. */
export function convLayerInference(conv: Conv2d, x: Tensor): Tensor | null {
  if (isGradEnabled()) return null;
  return convWith(conv, x, {}, []);
}
