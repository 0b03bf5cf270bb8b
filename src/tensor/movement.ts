import { broadcastStrides, collapse, walk } from './broadcast.js';
import { kernels } from './backend.js';
import { allocate } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { broadcastShapes, checkShape, normAxis, sameShape, sizeOf, stridesOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/** Same data, new shape (one dimension may be -1 and is inferred). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(x.data, resolveReshape('reshape', x.shape, shape));
}

/** The target shape of a reshape of `from` (a -1 inferred), checked to hold the same number of elements. */
export function resolveReshape(op: string, from: Shape, shape: readonly number[]): number[] {
  const size = sizeOf(from);
  const inferAt = shape.indexOf(-1);
  if (inferAt >= 0 && shape.indexOf(-1, inferAt + 1) >= 0) fail(op, `only one dimension may be -1, got ${shapeStr(shape)}`);
  let s: number[];
  if (inferAt >= 0) {
    shape.forEach((d, i) => {
      if (i !== inferAt && (!Number.isInteger(d) || d < 1)) {
        fail(op, `shape ${shapeStr(shape)} has dimension ${i} of size ${d}; sizes must be integers >= 1 (one may be -1)`);
      }
    });
    const known = sizeOf(shape.filter((_, i) => i !== inferAt));
    if (size % known !== 0) fail(op, `cannot reshape ${shapeStr(from)} (${size} elements) to ${shapeStr(shape)}`);
    s = shape.map((d) => (d === -1 ? size / known : d));
  } else {
    s = checkShape(op, shape);
  }
  if (sizeOf(s) !== size) fail(op, `cannot reshape ${shapeStr(from)} (${size} elements) to ${shapeStr(shape)}`);
  return s;
}

/** Reorders dimensions: out.shape[i] = x.shape[perm[i]]. Copies into contiguous storage. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const nd = x.ndim;
  const p = checkPerm('permute', perm, nd);
  if (p.every((v, i) => v === i)) return x;
  const outShape = p.map((i) => x.shape[i]!);
  const inStrides = stridesOf(x.shape);
  return copyView(x, 0, outShape, p.map((i) => inStrides[i]!));
}

/**
 * A contiguous copy of the strided view of x's data: element (i₀, i₁, …) of the result, of
 * `shape`, is x.data[base + Σ iₖ·strides[k]] (a stride 0 repeats a value, as in a broadcast).
 */
function copyView(x: Tensor, base: number, shape: number[], strides: number[]): Tensor {
  const out = allocate(x.dtype, sizeOf(shape));
  const data = x.data;
  const { dims, sa } = collapse(shape, strides, strides);
  const n = dims[dims.length - 1]!;
  const last = sa[sa.length - 1]!;
  // Long runs that repeat one value (a broadcast of the trailing axes) or copy a contiguous row
  // are a fill or a memcpy each: cheaper than moving the data through the kernels' memory.
  if ((last === 0 && n >= 16) || (last === 1 && n >= 64)) {
    walk(dims, sa, sa, (oo, ao) => {
      if (last === 0) out.fill(data[base + ao]!, oo, oo + n);
      else out.set(data.subarray(base + ao, base + ao + n), oo);
    });
    return new Tensor(out, shape);
  }
  if (kernels().stridedCopy(data, base, dims, sa, out)) return new Tensor(out, shape);
  walk(dims, sa, sa, (oo, ao, _bo, n, as) => {
    const from = base + ao;
    for (let i = 0; i < n; i++) out[oo + i] = data[from + i * as]!;
  });
  return new Tensor(out, shape);
}

/** Checks that perm is a permutation of nd axes (negative axes count from the end); returns it normalized. */
export function checkPerm(op: string, perm: readonly number[], nd: number): number[] {
  if (perm.length !== nd) fail(op, `permutation [${perm.join(',')}] has ${perm.length} entries for ${nd} dimensions`);
  const p = perm.map((a) => normAxis(op, a, nd));
  if (new Set(p).size !== nd) fail(op, `[${perm.join(',')}] is not a permutation of ${nd} dimensions`);
  return p;
}

/** The inverse permutation q, with q[p[i]] = i. */
export function inversePerm(p: readonly number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
}

/** Swaps two dimensions (default: the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  return permute(x, transposePerm('transpose', x.ndim, dim0, dim1));
}

/** The permutation of nd axes that swaps dim0 and dim1. */
export function transposePerm(op: string, nd: number, dim0: number, dim1: number): number[] {
  const a = normAxis(op, dim0, nd);
  const b = normAxis(op, dim1, nd);
  const p = Array.from({ length: nd }, (_, i) => i);
  p[a] = b;
  p[b] = a;
  return p;
}

/** One axis range [start, end) (negative values count from the end), or null for the whole axis. */
export type SliceSpec = readonly [number, number] | null;

/** Resolves slice specs into begin offsets and sizes, with errors naming the axis and shape. */
export function resolveSlice(op: string, shape: Shape, specs: readonly SliceSpec[]): { begin: number[]; size: number[] } {
  if (specs.length > shape.length) fail(op, `${specs.length} ranges given for shape ${shapeStr(shape)}`);
  const begin: number[] = [];
  const size: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const s = specs[i] ?? null;
    if (s === null) {
      begin.push(0);
      size.push(d);
      continue;
    }
    let [a, b] = s;
    if (!Number.isInteger(a) || !Number.isInteger(b)) fail(op, `range [${a}, ${b}) on axis ${i} must be integers`);
    if (a < 0) a += d;
    if (b < 0) b += d;
    if (a < 0 || b > d || a >= b) fail(op, `range [${s[0]}, ${s[1]}) on axis ${i} is empty or out of bounds for shape ${shapeStr(shape)}`);
    begin.push(a);
    size.push(b - a);
  }
  return { begin, size };
}

/** The sub-tensor x[begin : begin + size] along every axis. */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  const { begin, size } = resolveSlice('slice', x.shape, specs);
  const st = stridesOf(x.shape);
  let base = 0;
  for (let i = 0; i < begin.length; i++) base += begin[i]! * st[i]!;
  return copyView(x, base, size, st);
}

/** Writes x into `target` at offset `begin` (target must be contiguous and large enough). */
function pasteBlock(target: Tensor, x: Tensor, begin: readonly number[]): void {
  const st = stridesOf(target.shape);
  let base = 0;
  for (let i = 0; i < begin.length; i++) base += begin[i]! * st[i]!;
  const data = x.data;
  const out = target.data;
  const { dims, sa } = collapse(x.shape, st, st);
  let k = 0;
  walk(dims, sa, sa, (_oo, ao, _bo, n, as) => {
    for (let i = 0; i < n; i++) out[base + ao + i * as] = data[k++]!;
  });
}

/** Joins tensors along an existing axis; all other dimensions must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) fail('concat', 'needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.ndim);
  let total = 0;
  for (const [k, t] of xs.entries()) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      fail('concat', `tensor ${k} has shape ${shapeStr(t.shape)}, incompatible with ${shapeStr(first.shape)} along axis ${a}`);
    }
    total += t.shape[a]!;
  }
  const dtype = xs.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
  const shape = first.shape.slice();
  shape[a] = total;
  const out = new Tensor(allocate(dtype, sizeOf(shape)), shape);
  let off = 0;
  for (const t of xs) {
    const begin = shape.map((_, i) => (i === a ? off : 0));
    pasteBlock(out, t, begin);
    off += t.shape[a]!;
  }
  return out;
}

/** Inserts a size-1 dimension at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Removes size-1 dimensions (all, or the given one). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxis('squeeze', axis, x.ndim);
  if (x.shape[a] !== 1) fail('squeeze', `axis ${axis} has size ${x.shape[a]}, not 1 (shape ${shapeStr(x.shape)})`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Stacks equal-shape tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const a = resolveStack('stack', xs, axis);
  return concat(xs.map((t) => unsqueeze(t, a)), a);
}

/** Checks stack's operands (at least one, all of one shape) and returns the new axis, normalized. */
export function resolveStack(op: string, xs: readonly Tensor[], axis: number): number {
  if (xs.length === 0) fail(op, 'needs at least one tensor');
  const first = xs[0]!;
  for (const [k, t] of xs.entries()) {
    if (!sameShape(t.shape, first.shape)) fail(op, `tensor ${k} has shape ${shapeStr(t.shape)}, expected ${shapeStr(first.shape)}`);
  }
  return normAxis(op, axis, first.ndim + 1);
}

/** Per-axis [before, after] padding amounts (shorter lists pad the leading axes by nothing). */
export type Padding = readonly (readonly [number, number])[];

/** Per-axis [before, after] padding for every axis of `shape` (the pairs given apply to the trailing axes). */
export function resolvePad(op: string, shape: Shape, pads: Padding): Array<[number, number]> {
  if (pads.length > shape.length) fail(op, `${pads.length} padding pairs given for shape ${shapeStr(shape)}`);
  const full: Array<[number, number]> = shape.map(() => [0, 0]);
  const off = shape.length - pads.length;
  pads.forEach(([b, a], i) => {
    if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) {
      fail(op, `padding [${b}, ${a}] on axis ${off + i} must be non-negative integers`);
    }
    full[off + i] = [b, a];
  });
  return full;
}

/** Constant padding; pairs apply to the trailing axes (like numpy.pad with a per-axis list). */
export function pad(x: Tensor, pads: Padding, value = 0): Tensor {
  const full = resolvePad('pad', x.shape, pads);
  const shape = x.shape.map((d, i) => d + full[i]![0] + full[i]![1]);
  const out = new Tensor(allocate(x.dtype, sizeOf(shape)), shape);
  if (value !== 0) out.data.fill(value);
  pasteBlock(out, x, full.map((p) => p[0]));
  return out;
}

/** Broadcasts x to `shape` (NumPy rules), materialized. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = checkShape('expand', shape);
  const s = broadcastShapes('expand', x.shape, target);
  if (!sameShape(s, target)) fail('expand', `cannot expand ${shapeStr(x.shape)} to ${shapeStr(target)}`);
  if (sameShape(x.shape, target)) return x;
  return copyView(x, 0, target, broadcastStrides(x.shape, target));
}

/** Flattens dimensions from `start` to `end` (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normAxis('flatten', start, x.ndim);
  const b = normAxis('flatten', end, x.ndim);
  if (a > b) fail('flatten', `start axis ${start} comes after end axis ${end}`);
  const s = [...x.shape.slice(0, a), sizeOf(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)];
  return reshape(x, s);
}
