import { kernels } from './backend.js';
import { detExp, detLogAny } from './detmath.js';
import { allocate } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { permute } from './movement.js';
import { normAxes, normAxis, sameShape, sizeOf } from './shape.js';
import { IndexTensor, Tensor } from './tensor.js';

export type Axes = number | readonly number[];

export interface ReduceOptions {
  /** Keep reduced axes as size-1 dimensions (default false). */
  keepdims?: boolean;
}

interface Layout {
  data: Tensor['data'];
  outer: number;
  r: number;
  inner: number;
  outShape: number[];
  /** The permutation `data` was copied with, or null when `data` is x's own storage. */
  perm: number[] | null;
}

/**
 * Views x as [outer, R, inner] with the reduced axes in the middle block. Axes that are not
 * adjacent are first moved to the end by one permuting copy.
 */
function layout(op: string, x: Tensor, axesIn: Axes | undefined, keepdims: boolean): Layout {
  const nd = x.ndim;
  const axes = normAxes(op, axesIn, nd);
  const outShape = keepdims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  if (axes.length === 0) return { data: x.data, outer: x.size, r: 1, inner: 1, outShape, perm: null };
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  let t = x;
  let lo = first;
  let hi = last + 1;
  let perm: number[] | null = null;
  if (last - first + 1 !== axes.length) {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    perm = [...kept, ...axes];
    t = permute(x, perm);
    lo = kept.length;
    hi = nd;
  }
  const s = t.shape;
  return {
    data: t.data,
    outer: sizeOf(s.slice(0, lo)),
    r: sizeOf(s.slice(lo, hi)),
    inner: sizeOf(s.slice(hi)),
    outShape,
    perm,
  };
}

/** Σ over the given axes (all by default). */
export function sum(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  return sumAs('sum', x, axes, opts);
}

function sumAs(op: string, x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  const around = keptBlock(op, x, axes, opts?.keepdims ?? false);
  if (around !== null) return around;
  const { data, outer, r, inner, outShape } = layout(op, x, axes, opts?.keepdims ?? false);
  const out = allocate(x.dtype, outer * inner);
  if (kernels().sum(data, outer, r, inner, out)) return new Tensor(out, outShape);
  if (inner === 1) {
    const acc = new Float64Array(outer);
    addRowSums(data, 0, outer, r, acc);
    out.set(acc);
  } else {
    // Accumulate in float64 even for float32 tensors, then round once.
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      for (let k = 0; k < r; k++) {
        const base = (o * r + k) * inner;
        for (let i = 0; i < inner; i++) acc[i]! += data[base + i]!;
      }
      out.set(acc, o * inner);
    }
  }
  return new Tensor(out, outShape);
}

/**
 * acc[k] += Σ_b d[start + k·B + b] for the K rows of length B from `start`, each row's float64
 * running sum in ascending b. Four rows at a time: four independent chains of adds (each still in
 * its own order) keep the adder busy where one chain waits for every add.
 */
function addRowSums(d: ArrayLike<number>, start: number, K: number, B: number, acc: Float64Array): void {
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const at = start + k * B;
    let s0 = acc[k]!;
    let s1 = acc[k + 1]!;
    let s2 = acc[k + 2]!;
    let s3 = acc[k + 3]!;
    for (let b = 0; b < B; b++) {
      s0 += d[at + b]!;
      s1 += d[at + B + b]!;
      s2 += d[at + 2 * B + b]!;
      s3 += d[at + 3 * B + b]!;
    }
    acc[k] = s0;
    acc[k + 1] = s1;
    acc[k + 2] = s2;
    acc[k + 3] = s3;
  }
  for (; k < K; k++) {
    const at = start + k * B;
    let s0 = acc[k]!;
    for (let b = at; b < at + B; b++) s0 += d[b]!;
    acc[k] = s0;
  }
}

/**
 * The sum over every axis but one contiguous block of kept axes (batch norm's per-channel sums:
 * [N, C, H, W] over 0, 2, 3), x viewed as [A, K, B]: out[k] = Σ_a Σ_b x[a, k, b], read in
 * storage order without the permuting copy layout() makes. Each output's float64 running sum
 * adds the same elements in the same order as the permuted copy would (a, then b, ascending).
 * null for any other set of axes.
 */
function keptBlock(op: string, x: Tensor, axesIn: Axes | undefined, keepdims: boolean): Tensor | null {
  const axes = normAxes(op, axesIn, x.ndim);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  if (kept.length === 0 || axes.length === 0) return null;
  const k0 = kept[0]!;
  const k1 = kept[kept.length - 1]! + 1;
  // Only a contiguous kept block with reduced axes on both sides (else layout() needs no copy).
  if (k1 - k0 !== kept.length || k0 === 0 || k1 === x.ndim) return null;
  const A = sizeOf(x.shape.slice(0, k0));
  const K = sizeOf(x.shape.slice(k0, k1));
  const B = sizeOf(x.shape.slice(k1));
  const acc = new Float64Array(K);
  for (let a = 0; a < A; a++) addRowSums(x.data, a * K * B, K, B, acc);
  const out = allocate(x.dtype, K);
  out.set(acc);
  return new Tensor(out, keepdims ? x.shape.map((v, i) => (axes.includes(i) ? 1 : v)) : kept.map((i) => x.shape[i]!));
}

/** Arithmetic mean over the given axes. */
export function mean(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  const s = sumAs('mean', x, axes, opts);
  const n = x.size / s.size;
  const d = s.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! / n;
  return s;
}

/**
 * Max (or min) over axes, with the flat index into x of the winner. Ties go to the first element
 * in scan order; a NaN wins (and propagates) as in PyTorch.
 */
export function extremeWithIndices(
  op: 'max' | 'min',
  x: Tensor,
  axes?: Axes,
  opts?: ReduceOptions,
): { values: Tensor; indices: IndexTensor } {
  const L = layout(op, x, axes, opts?.keepdims ?? false);
  const { outer, r, inner, outShape } = L;
  // Where layout copied x with a permutation, the flat index in x of every element of that copy
  // (the same permutation applied to 0, 1, 2, ...), so winners map back to x.
  let pos: Tensor['data'] | null = null;
  if (L.perm !== null) {
    const flat = new Float64Array(x.size);
    for (let i = 0; i < flat.length; i++) flat[i] = i;
    pos = permute(new Tensor(flat, x.shape), L.perm).data;
  }
  const out = allocate(x.dtype, outer * inner);
  const idx = new Int32Array(outer * inner);
  const isMax = op === 'max';
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let bestK = 0;
      let best = L.data[o * r * inner + i]!;
      if (best === best) {
        for (let k = 1; k < r; k++) {
          const v = L.data[(o * r + k) * inner + i]!;
          if (v !== v) {
            best = v;
            bestK = k;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            bestK = k;
          }
        }
      }
      const at = (o * r + bestK) * inner + i;
      out[o * inner + i] = best;
      idx[o * inner + i] = pos === null ? at : pos[at]!;
    }
  }
  return { values: new Tensor(out, outShape), indices: new IndexTensor(idx, outShape) };
}

/** max over the given axes (all by default); a NaN propagates. */
export function max(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  return extremeWithIndices('max', x, axes, opts).values;
}

/** min over the given axes (all by default); a NaN propagates. */
export function min(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  return extremeWithIndices('min', x, axes, opts).values;
}

/** Position of the maximum along one axis (or over the flattened tensor); first maximum wins. */
export function argmax(x: Tensor, axis?: number, opts?: ReduceOptions): IndexTensor {
  return argExtreme('argmax', 'max', x, axis, opts);
}

/** Position of the minimum along one axis (or over the flattened tensor); first minimum wins. */
export function argmin(x: Tensor, axis?: number, opts?: ReduceOptions): IndexTensor {
  return argExtreme('argmin', 'min', x, axis, opts);
}

function argExtreme(name: string, op: 'max' | 'min', x: Tensor, axis: number | undefined, opts?: ReduceOptions): IndexTensor {
  if (axis === undefined) {
    const { indices } = extremeWithIndices(op, x, undefined, opts);
    return indices;
  }
  const a = normAxis(name, axis, x.ndim);
  const { indices } = extremeWithIndices(op, x, a, opts);
  // Convert flat positions in x to positions along the axis.
  const stride = sizeOf(x.shape.slice(a + 1));
  const d = x.shape[a]!;
  const out = new Int32Array(indices.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(indices.data[i]! / stride) % d;
  return new IndexTensor(out, indices.shape);
}

/** log Σ exp(x) over axes, stable: m + log Σ exp(x − m) with m the max (±Infinity handled). */
export function logsumexp(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  const { data, outer, r, inner, outShape } = layout('logsumexp', x, axes, opts?.keepdims ?? false);
  const out = allocate(x.dtype, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let m = -Infinity;
      for (let k = 0; k < r; k++) {
        const v = data[(o * r + k) * inner + i]!;
        if (v > m || v !== v) m = v;
      }
      if (m === -Infinity || m === Infinity || m !== m) {
        out[o * inner + i] = m;
        continue;
      }
      let s = 0;
      for (let k = 0; k < r; k++) s += detExp(data[(o * r + k) * inner + i]! - m);
      out[o * inner + i] = m + detLogAny(s);
    }
  }
  return new Tensor(out, outShape);
}

function softmaxLike(op: string, x: Tensor, axis: number, log: boolean): Tensor {
  if (x.ndim === 0) fail(op, `needs at least one dimension, got shape ${shapeStr(x.shape)}`);
  const a = normAxis(op, axis, x.ndim);
  const r = x.shape[a]!;
  const inner = sizeOf(x.shape.slice(a + 1));
  const outer = x.size / (r * inner);
  const src = x.data;
  const out = allocate(x.dtype, x.size);
  // exp(x − m) of the current row, kept in float64 so softmax divides the very terms it summed.
  const ex = new Float64Array(r);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * r * inner + i;
      let m = -Infinity;
      for (let k = 0; k < r; k++) {
        const v = src[base + k * inner]!;
        if (v > m) m = v;
      }
      let s = 0;
      for (let k = 0; k < r; k++) {
        const e = detExp(src[base + k * inner]! - m);
        ex[k] = e;
        s += e;
      }
      if (log) {
        // (x − m) − log s, not x − (m + log s): the latter rounds m + log s at the scale of m.
        const ls = detLogAny(s);
        for (let k = 0; k < r; k++) out[base + k * inner] = src[base + k * inner]! - m - ls;
      } else {
        for (let k = 0; k < r; k++) out[base + k * inner] = ex[k]! / s;
      }
    }
  }
  return new Tensor(out, x.shape);
}

/** softmax along one axis (default last): exp(x − max) / Σ exp(x − max). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxLike('softmax', x, axis, false);
}

/** log-softmax along one axis: x − logsumexp(x). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxLike('logSoftmax', x, axis, true);
}

/**
 * Sums x down to `shape`, the inverse of broadcasting `shape` up to x.shape (the VJP of every
 * broadcast). Leading extra axes and axes where `shape` has 1 are summed.
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const off = x.ndim - shape.length;
  if (off < 0) fail('sumTo', `cannot sum ${shapeStr(x.shape)} down to the larger rank ${shapeStr(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < off) axes.push(i);
    else if (shape[i - off] === 1 && x.shape[i] !== 1) axes.push(i);
    else if (shape[i - off] !== x.shape[i]) fail('sumTo', `shape ${shapeStr(x.shape)} does not broadcast from ${shapeStr(shape)}`);
  }
  return new Tensor(sum(x, axes, { keepdims: true }).data, shape);
}
