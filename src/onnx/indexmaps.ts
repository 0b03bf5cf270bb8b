import type { DType } from '../tensor/dtype.js';
import { sizeOf, stridesOf } from '../tensor/shape.js';
import { DT, host, isFloatType, type HostValue } from './values.js';

/**
 * Index maps shared by the run-time ops (as gather indices, so the result stays differentiable)
 * and by load-time folding (as picks from a host array): element i of the result is element
 * map[i] of the (flat, row-major) source.
 */

/** Flat source index of every element of a broadcast of `from` to `to` (NumPy rules; `to` already checked). */
export function broadcastMap(from: readonly number[], to: readonly number[]): number[] {
  const nd = to.length;
  const src = stridesOf(from);
  const strides = to.map((_, i) => {
    const j = i - (nd - from.length);
    return j < 0 || from[j] === 1 ? 0 : src[j]!;
  });
  return walk(to, strides, 0);
}

/** Flat source index of every element of a permutation: out.shape[i] = shape[perm[i]]. */
export function permuteMap(shape: readonly number[], perm: readonly number[]): number[] {
  const st = stridesOf(shape);
  return walk(perm.map((p) => shape[p]!), perm.map((p) => st[p]!), 0);
}

/**
 * Flat source index of every element of a strided slice: per axis a start, a step (may be
 * negative) and a count.
 */
export function stridedMap(shape: readonly number[], starts: readonly number[], steps: readonly number[], counts: readonly number[]): number[] {
  const st = stridesOf(shape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += starts[i]! * st[i]!;
  return walk(counts, st.map((s, i) => s * steps[i]!), base);
}

/** Flat source index of Gather(data, indices, axis): out = data[..., indices[j...], ...] (indices already normalized). */
export function gatherMap(shape: readonly number[], axis: number, indices: readonly number[], indexShape: readonly number[]): { map: number[]; shape: number[] } {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const d = shape[axis]!;
  const map: number[] = [];
  for (let o = 0; o < outer; o++) for (const k of indices) for (let i = 0; i < inner; i++) map.push((o * d + k) * inner + i);
  return { map, shape: [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)] };
}

/** Row-major walk over `dims` with per-axis source strides from `base`. */
function walk(dims: readonly number[], strides: readonly number[], base: number): number[] {
  const n = sizeOf(dims);
  const out = new Array<number>(n);
  const idx = new Array<number>(dims.length).fill(0);
  let off = base;
  for (let k = 0; k < n; k++) {
    out[k] = off;
    for (let i = dims.length - 1; i >= 0; i--) {
      idx[i]!++;
      off += strides[i]!;
      if (idx[i]! < dims[i]!) break;
      off -= strides[i]! * dims[i]!;
      idx[i] = 0;
    }
  }
  return out;
}

/** A host value's elements picked by a flat index map, in a new shape. */
export function pick(v: HostValue, map: readonly number[], shape: readonly number[]): HostValue {
  return host(v.dataType, shape, map.map((i) => v.data[i]!));
}

/** Rounds a folded result as the model computes: floats to its dtype, integers toward zero (C semantics), booleans to 0/1. */
export function rounder(dataType: number, dtype: DType): (x: number) => number {
  if (isFloatType(dataType)) return dtype === 'float32' ? Math.fround : (x) => x;
  if (dataType === DT.BOOL) return (x) => (x ? 1 : 0);
  return Math.trunc;
}

/**
 * Flat source index of every element of `outShape` when each output coordinate maps to a source
 * coordinate axis by axis (`source(axis, i)`), as for edge and reflect padding.
 */
export function separableMap(inShape: readonly number[], outShape: readonly number[], source: (axis: number, i: number) => number): number[] {
  const st = stridesOf(inShape);
  const perAxis = outShape.map((d, axis) => Array.from({ length: d }, (_, i) => source(axis, i) * st[axis]!));
  const n = sizeOf(outShape);
  const out = new Array<number>(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let a = 0; a < idx.length; a++) off += perAxis[a]![idx[a]!]!;
    out[k] = off;
    for (let a = idx.length - 1; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}
