import { channelAffine } from '../../autodiff/ops/affine.js';
import { conv2d } from '../../autodiff/ops/conv.js';
import * as E from '../../autodiff/ops/elementwise.js';
import { matmul } from '../../autodiff/ops/linalg.js';
import { pad, reshape } from '../../autodiff/ops/movement.js';
import { avgPool2d, maxPool2d } from '../../autodiff/ops/pool.js';
import { mean, softmax } from '../../autodiff/ops/reduce.js';
import { sqrt, square } from '../../autodiff/ops/unary.js';
import { ones } from '../../tensor/create.js';
import { CamlabError } from '../../tensor/errors.js';
import { conv2d as conv2dKernel, conv2dOutputShape } from '../../tensor/conv.js';
import type { ConvEpilogue } from '../../tensor/conv-epilogue.js';
import { sameShape, sizeOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { axisOf, fmt, inputValue, type Attrs, type OnnxOp, type RunArg, type RunContext, type ShapeArg } from '../op.js';
import { intList } from '../values.js';
import { broadcastAll } from './elementwise.js';

/** Resolved 2-D window geometry: kernel, strides, dilations and [top, left, bottom, right] pads. */
interface Window {
  k: [number, number];
  s: [number, number];
  d: [number, number];
  pads: [number, number, number, number];
}

/**
 * Kernel, strides, dilations and pads of a Conv or pooling node on a 4-D input. auto_pad (spec,
 * Conv/MaxPool/AveragePool): "SAME_UPPER or SAME_LOWER mean pad the input so that
 * output_shape[i] = ceil(input_shape[i] / strides[i]) ... the extra padding is added at the end
 * for SAME_UPPER and at the beginning for SAME_LOWER"; VALID means no padding; NOTSET (default)
 * uses `pads` = [x1_begin, x2_begin, x1_end, x2_end] (default 0).
 */
function windowOf(a: Attrs, input: readonly number[], kernel: readonly number[] | null): Window {
  if (input.length !== 4) a.fail(`only 2-D windows on 4-D [N,C,H,W] inputs are supported, got input ${fmt(input)}`);
  const k = kernel ?? a.ints('kernel_shape');
  if (k === null || k.length !== 2) a.fail(`kernel_shape must have 2 entries, got ${k === null ? 'none' : fmt(k)}`);
  const s = a.ints('strides', [1, 1])!;
  const d = a.ints('dilations', [1, 1])!;
  if (s.length !== 2 || d.length !== 2) a.fail(`strides and dilations must have 2 entries, got ${fmt(s)} and ${fmt(d)}`);
  const auto = a.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (auto === 'NOTSET') pads = a.ints('pads', [0, 0, 0, 0])!;
  else if (auto === 'VALID') pads = [0, 0, 0, 0];
  else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const size = input[2 + i]!;
      const total = Math.max(0, (Math.ceil(size / s[i]!) - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - size);
      const small = Math.floor(total / 2);
      pads[i] = auto === 'SAME_UPPER' ? small : total - small;
      pads[i + 2] = total - pads[i]!;
    }
  } else a.fail(`auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '${auto}'`);
  if (pads.length !== 4 || pads.some((p) => !Number.isInteger(p) || p < 0)) a.fail(`pads must be 4 non-negative integers, got ${fmt(pads)}`);
  return { k: [k[0]!, k[1]!], s: [s[0]!, s[1]!], d: [d[0]!, d[1]!], pads: pads as Window['pads'] };
}

const symmetric = (w: Window): boolean => w.pads[0] === w.pads[2] && w.pads[1] === w.pads[3];

/** Explicit padding of H and W by the window's pads (asymmetric, or beyond what the kernel pads itself). */
function padHW(x: Tensor, w: Window, value: number): Tensor {
  return pad(x, [[w.pads[0], w.pads[2]], [w.pads[1], w.pads[3]]], value);
}

/** Runs a camlab kernel call, re-throwing its error under the node's name. */
function named<T>(a: Attrs, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CamlabError) a.fail(e.message);
    throw e;
  }
}

/** Pooling output size (PyTorch's pooling_output_shape, which ONNX Runtime follows for ceil_mode). */
function poolSize(size: number, k: number, s: number, pb: number, pe: number, d: number, ceil: boolean): number {
  const span = size + pb + pe - d * (k - 1) - 1;
  let o = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= size + pb) o--; // the last window must start inside the input or the left padding
  return o;
}

function poolShape(ins: readonly ShapeArg[], a: Attrs): number[][] {
  const x = ins[0]!.shape;
  const w = windowOf(a, x, null);
  const ceil = a.int('ceil_mode', 0) === 1;
  const oh = poolSize(x[2]!, w.k[0], w.s[0], w.pads[0], w.pads[2], w.d[0], ceil);
  const ow = poolSize(x[3]!, w.k[1], w.s[1], w.pads[1], w.pads[3], w.d[1], ceil);
  if (oh < 1 || ow < 1) a.fail(`kernel ${fmt(w.k)} does not fit the padded input ${fmt(x)}`);
  return [[x[0]!, x[1]!, oh, ow]];
}

/** Whether the kernel's own padding can serve: symmetric and at most half the (effective) kernel, as PyTorch allows. */
function kernelPads(w: Window): boolean {
  return symmetric(w) && 2 * w.pads[0] <= w.d[0] * (w.k[0] - 1) + 1 && 2 * w.pads[1] <= w.d[1] * (w.k[1] - 1) + 1;
}

/** Per-channel vector v [C] as [1, C, 1, 1] (broadcast over N, H, W). */
function channel(v: Tensor, rank: number): Tensor {
  return reshape(v, [1, v.size, ...new Array<number>(rank - 2).fill(1)]);
}

/**
 * Conv for inference without a graph, with an epilogue applied in the same kernel call (its bias
 * first, then `ep`'s steps: the bits of Conv then Add and Relu run one by one); null when a
 * residual does not have the output's shape (the caller then runs the steps one by one).
 */
export function convInference(ins: readonly RunArg[], a: Attrs, ctx: RunContext, ep: { residual: Tensor | null; relu: boolean }): Tensor | null {
  const x = ctx.tensor(ins[0]!, 'X');
  const w = ctx.tensor(ins[1]!, 'W');
  const b = ins[2] === null || ins[2] === undefined ? null : ctx.tensor(ins[2], 'B');
  const win = windowOf(a, x.shape, w.shape.slice(2));
  const opts = { stride: win.s, dilation: win.d, groups: a.int('group', 1) };
  const xp = symmetric(win) ? x : padHW(x, win, 0);
  const o = symmetric(win) ? { ...opts, padding: [win.pads[0]!, win.pads[1]!] as [number, number] } : opts;
  return named(a, () => {
    const same = [w, ...(b === null ? [] : [b]), ...(ep.residual === null ? [] : [ep.residual])].every((t) => t.dtype === xp.dtype);
    if (!same || (ep.residual !== null && !sameShape(ep.residual.shape, conv2dOutputShape(xp.shape, w.shape, o)))) return null;
    const epilogue: ConvEpilogue = { relu: ep.relu };
    if (b !== null) epilogue.bias = b.data;
    if (ep.residual !== null) epilogue.residual = ep.residual.data;
    return conv2dKernel(xp, w, o, epilogue);
  });
}

export const NN_OPS: Record<string, OnnxOp> = {
  /** Conv (2-D): X [N,C,H,W], W [M,C/group,kH,kW], optional B [M]; asymmetric pads are applied explicitly. */
  Conv: {
    shapes: (ins, a) => {
      const [x, w] = [ins[0]!.shape, ins[1]!.shape];
      const win = windowOf(a, x, w.length === 4 ? w.slice(2) : null);
      const padded = [x[0]!, x[1]!, x[2]! + win.pads[0] + win.pads[2], x[3]! + win.pads[1] + win.pads[3]];
      return [named(a, () => conv2dOutputShape(padded, w, { stride: win.s, dilation: win.d, groups: a.int('group', 1) }))];
    },
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      const w = ctx.tensor(ins[1]!, 'W');
      const b = ins[2] === null || ins[2] === undefined ? null : ctx.tensor(ins[2], 'B');
      const win = windowOf(a, x.shape, w.shape.slice(2));
      const opts = { stride: win.s, dilation: win.d, groups: a.int('group', 1) };
      if (symmetric(win)) return [conv2d(x, w, b, { ...opts, padding: [win.pads[0], win.pads[1]] })];
      return [conv2d(padHW(x, win, 0), w, b, opts)];
    },
  },
  /** MaxPool (2-D): padding never wins (explicit pads are −∞); storage_order only concerns the Indices output, which is not supported. */
  MaxPool: {
    shapes: (ins, a) => {
      if (a.node.outputs.length > 1 && a.node.outputs[1] !== '') a.fail('the Indices output is not supported');
      return poolShape(ins, a);
    },
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      const w = windowOf(a, x.shape, null);
      const ceilMode = a.int('ceil_mode', 0) === 1;
      if (kernelPads(w)) return [maxPool2d(x, { kernelSize: w.k, stride: w.s, dilation: w.d, padding: [w.pads[0], w.pads[1]], ceilMode })];
      return [maxPool2d(padHW(x, w, -Infinity), { kernelSize: w.k, stride: w.s, dilation: w.d, ceilMode })];
    },
  },
  /**
   * AveragePool (2-D): count_include_pad = 0 by default (spec), so the divisor is the number of
   * real inputs in the window; with explicit (asymmetric) pads and count_include_pad = 0 the
   * result is avg(pad(x)) / avg(pad(1)).
   */
  AveragePool: {
    shapes: poolShape,
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      const w = windowOf(a, x.shape, null);
      if (w.d[0] !== 1 || w.d[1] !== 1) a.fail(`dilations ${fmt(w.d)} are not supported for AveragePool`);
      const countIncludePad = a.int('count_include_pad', 0) === 1;
      const opts = { kernelSize: w.k, stride: w.s, ceilMode: a.int('ceil_mode', 0) === 1 };
      if (kernelPads(w)) return [avgPool2d(x, { ...opts, padding: [w.pads[0], w.pads[1]], countIncludePad })];
      const sum = avgPool2d(padHW(x, w, 0), opts);
      if (countIncludePad) return [sum];
      const count = avgPool2d(padHW(ones([1, 1, x.shape[2]!, x.shape[3]!], { dtype: x.dtype }), w, 0), opts);
      return [E.div(sum, count)];
    },
  },
  /** GlobalAveragePool: the mean over every spatial axis, kept as size 1. */
  GlobalAveragePool: {
    shapes: (ins) => [ins[0]!.shape.map((d, i) => (i < 2 ? d : 1))],
    run: (ins, _a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      return [mean(x, x.shape.map((_, i) => i).slice(2), { keepdims: true })];
    },
  },
  /**
   * BatchNormalization (inference): Y = (X − mean) / √(var + ε) · scale + B per channel (axis 1),
   * ε = 1e-5 by default; training_mode = 1 (opset 14) is not supported.
   */
  BatchNormalization: {
    shapes: (ins, a) => {
      if (a.int('training_mode', 0) !== 0) a.fail('training_mode = 1 is not supported (inference only)');
      const x = ins[0]!.shape;
      for (let i = 1; i < 5; i++) if (ins[i] === undefined || sizeOf(ins[i]!.shape) !== x[1]) a.fail(`input ${i} must have ${x[1]} values (one per channel of ${fmt(x)})`);
      return [x.slice()];
    },
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      const [scale, bias, mu, variance] = [1, 2, 3, 4].map((i) => channel(ctx.tensor(ins[i]!, `input ${i}`), x.ndim));
      const inv = E.div(scale!, sqrt(E.add(variance!, a.float('epsilon', 1e-5))));
      return [channelAffine(x, mu!, inv, bias!)];
    },
  },
  /**
   * LayerNormalization (opset 17): normalizes over the axes from `axis` (default −1) to the end,
   * Y = (X − E[X]) / √(Var[X] + ε) · Scale + B, ε = 1e-5 by default, Var the biased variance.
   */
  LayerNormalization: {
    shapes: (ins, a) => {
      if (a.node.outputs.length > 1 && a.node.outputs.slice(1).some((o) => o !== '')) a.fail('the Mean and InvStdDev outputs are not supported');
      const x = ins[0]!.shape;
      axisOf(a, a.int('axis', -1), x.length);
      return [broadcastAll(ins.map((s) => s.shape), a)];
    },
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      const first = axisOf(a, a.int('axis', -1), x.ndim);
      const axes = x.shape.map((_, i) => i).slice(first);
      const centred = E.sub(x, mean(x, axes, { keepdims: true }));
      const variance = mean(square(centred), axes, { keepdims: true });
      let y = E.div(centred, sqrt(E.add(variance, a.float('epsilon', 1e-5))));
      y = E.mul(y, ctx.tensor(ins[1]!, 'Scale'));
      return [ins[2] === null || ins[2] === undefined ? y : E.add(y, ctx.tensor(ins[2], 'B'))];
    },
  },
  /**
   * Softmax. Opset 13+: along `axis` (default −1). Opsets 1–12: "the input is coerced into a 2-D
   * tensor [a_0 ... a_{k-1}, a_k ... a_{n-1}]" at axis k (default 1) and the softmax is taken over
   * the whole second dimension, i.e. over every axis from `axis` on.
   */
  Softmax: {
    shapes: (ins, a) => {
      axisOf(a, a.int('axis', a.opset >= 13 ? -1 : 1), ins[0]!.shape.length);
      return [ins[0]!.shape.slice()];
    },
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'input');
      const axis = axisOf(a, a.int('axis', a.opset >= 13 ? -1 : 1), x.ndim);
      if (a.opset >= 13 || axis === x.ndim - 1) return [softmax(x, axis)];
      const flat = reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]);
      return [reshape(softmax(flat, 1), x.shape)];
    },
  },
  /** ReduceMean: axes from the attribute (opsets < 18) or the second input (18+); all axes when absent; keepdims = 1 by default. */
  ReduceMean: {
    shapes: (ins, a) => {
      const x = ins[0]!.shape;
      const axes = reduceAxes(ins, a, x.length);
      const keep = a.int('keepdims', 1) === 1;
      return [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
    },
    run: (ins, a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'data');
      const axes = reduceAxes(ins, a, x.ndim);
      if (axes.length === 0) return [x];
      return [mean(x, axes, { keepdims: a.int('keepdims', 1) === 1 })];
    },
  },
  /** Gemm: Y = α·op(A)·op(B) + β·C, op = optional transpose, α = β = 1 by default, C optional and broadcast (unidirectional). */
  Gemm: {
    shapes: (ins, a) => {
      const [sa, sb] = [ins[0]!.shape, ins[1]!.shape];
      if (sa.length !== 2 || sb.length !== 2) a.fail(`A and B must be 2-D, got ${fmt(sa)} and ${fmt(sb)}`);
      const [m, ka] = a.int('transA', 0) ? [sa[1]!, sa[0]!] : [sa[0]!, sa[1]!];
      const [kb, n] = a.int('transB', 0) ? [sb[1]!, sb[0]!] : [sb[0]!, sb[1]!];
      if (ka !== kb) a.fail(`inner dimensions differ: A ${fmt(sa)}${a.int('transA', 0) ? 'ᵀ' : ''} and B ${fmt(sb)}${a.int('transB', 0) ? 'ᵀ' : ''}`);
      const out = [m, n];
      if (ins[2] !== undefined && ins[2] !== null) broadcastAll([out, ins[2].shape], a);
      return [out];
    },
    run: (ins, a, ctx) => {
      let y = matmul(ctx.tensor(ins[0]!, 'A'), ctx.tensor(ins[1]!, 'B'), { transA: a.int('transA', 0) === 1, transB: a.int('transB', 0) === 1 });
      const alpha = a.float('alpha', 1);
      if (alpha !== 1) y = E.mul(y, alpha);
      if (ins[2] === null || ins[2] === undefined) return [y];
      const beta = a.float('beta', 1);
      const c = ctx.tensor(ins[2], 'C');
      return [E.add(y, beta === 1 ? c : E.mul(c, beta))];
    },
  },
  /** MatMul: NumPy matmul (1-D operands as vectors, batch axes broadcast). */
  MatMul: {
    shapes: (ins, a) => [matmulShape(ins[0]!.shape, ins[1]!.shape, a)],
    run: (ins, _a, ctx) => [matmul(ctx.tensor(ins[0]!, 'A'), ctx.tensor(ins[1]!, 'B'))],
  },
};

export function reduceAxes(ins: readonly (ShapeArg | RunArg)[], a: Attrs, nd: number): number[] {
  let axes: number[] | null;
  if (a.opset >= 18) {
    const v = inputValue(ins, 1, a, 'axes');
    axes = v === null ? null : intList(v, 'axes');
    if (axes !== null && axes.length === 0) axes = null;
    if (axes === null && a.int('noop_with_empty_axes', 0) === 1) return [];
  } else axes = a.ints('axes');
  const all = Array.from({ length: nd }, (_, i) => i);
  if (axes === null) return all;
  return [...new Set(axes.map((x) => axisOf(a, x, nd, 'axes entry')))].sort((p, q) => p - q);
}

function matmulShape(sa: readonly number[], sb: readonly number[], a: Attrs): number[] {
  const A = sa.length === 1 ? [1, sa[0]!] : sa;
  const B = sb.length === 1 ? [sb[0]!, 1] : sb;
  if (A.length < 2 || B.length < 2) a.fail(`operands must have rank >= 1, got ${fmt(sa)} and ${fmt(sb)}`);
  if (A[A.length - 1] !== B[B.length - 2]) a.fail(`inner dimensions differ: ${fmt(sa)} @ ${fmt(sb)}`);
  const batch = broadcastAll([A.slice(0, -2), B.slice(0, -2)], a);
  const out = [...batch, A[A.length - 2]!, B[B.length - 1]!];
  if (sb.length === 1) out.pop();
  if (sa.length === 1) out.splice(out.length - (sb.length === 1 ? 1 : 2), 1);
  return out;
}
