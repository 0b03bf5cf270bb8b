import { kernels } from './backend.js';
import { allocate, promote, type FloatArray } from './dtype.js';
import { broadcastShapes, sameShape, sizeOf, stridesOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * One contiguous run of an elementwise op: out[oo+i] = f(a[ao+i*as], b[bo+i*bs]) for i < n.
 * Each op has its own row function so its inner loop stays monomorphic and inlined.
 */
export type RowKernel = (
  o: FloatArray, oo: number,
  a: FloatArray, ao: number, as: number,
  b: FloatArray, bo: number, bs: number,
  n: number,
) => void;

/** Strides of `shape` viewed inside the broadcast `outShape` (0 on broadcast dimensions). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const st = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : st[i - off]!));
}

/**
 * Drives a binary op with NumPy broadcasting: collapses dimensions that can be merged, then
 * walks the outer dimensions with an odometer and calls the row kernel on the innermost run.
 */
export function binaryOp(op: string, a: Tensor, b: Tensor, row: RowKernel): Tensor {
  const dtype = promote(a.dtype, b.dtype);
  if (sameShape(a.shape, b.shape)) {
    const out = allocate(dtype, a.size);
    if (!kernels().binary(op, [a.size], a.data, [1], b.data, [1], out)) row(out, 0, a.data, 0, 1, b.data, 0, 1, a.size);
    return new Tensor(out, a.shape);
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocate(dtype, sizeOf(shape));
  const n = out.length;
  if (a.size === 1) {
    if (!kernels().binary(op, [n], a.data, [0], b.data, [1], out)) row(out, 0, a.data, 0, 0, b.data, 0, 1, n);
  } else if (b.size === 1) {
    if (!kernels().binary(op, [n], a.data, [1], b.data, [0], out)) row(out, 0, a.data, 0, 1, b.data, 0, 0, n);
  } else {
    const { dims, sa, sb } = collapse(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
    if (!kernels().binary(op, dims, a.data, sa, b.data, sb, out)) {
      walk(dims, sa, sb, (oo, ao, bo, len, ias, ibs) => row(out, oo, a.data, ao, ias, b.data, bo, ibs, len));
    }
  }
  return new Tensor(out, shape);
}

/** Merges adjacent dimensions whose strides are contiguous in every operand. */
export function collapse(shape: Shape, sa: number[], sb: number[]): { dims: number[]; sa: number[]; sb: number[] } {
  const dims: number[] = [];
  const oa: number[] = [];
  const ob: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && oa[k] === sa[i]! * d && ob[k] === sb[i]! * d) {
      dims[k] = dims[k]! * d;
      oa[k] = sa[i]!;
      ob[k] = sb[i]!;
    } else {
      dims.push(d);
      oa.push(sa[i]!);
      ob.push(sb[i]!);
    }
  }
  if (dims.length === 0) return { dims: [1], sa: [0], sb: [0] };
  return { dims, sa: oa, sb: ob };
}

/** Odometer over all but the last (collapsed) dimension. */
export function walk(
  dims: number[], sa: number[], sb: number[],
  fn: (oo: number, ao: number, bo: number, n: number, as: number, bs: number) => void,
): void {
  const nd = dims.length;
  const n = dims[nd - 1]!;
  const ias = sa[nd - 1]!;
  const ibs = sb[nd - 1]!;
  const outer = sizeOf(dims) / n;
  const idx = new Array<number>(nd - 1).fill(0);
  let ao = 0;
  let bo = 0;
  for (let r = 0; r < outer; r++) {
    fn(r * n, ao, bo, n, ias, ibs);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      ao += sa[d]!;
      bo += sb[d]!;
      if (idx[d]! < dims[d]!) break;
      ao -= sa[d]! * dims[d]!;
      bo -= sb[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
}
