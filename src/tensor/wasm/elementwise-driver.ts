import type { Kernels } from '../backend.js';
import { walk } from '../broadcast.js';
import type { FloatArray } from '../dtype.js';
import { BINARY_OPS, type BinaryOp } from './elementwise-kernel.js';
import { LANES, type WasmDType } from './gemm-kernel.js';
import { Arena, type WasmRuntime } from './runtime.js';
import { get, put, rt, zero } from './transfer.js';

// The memory-bound kernels on wasm: element-wise ops, strided copies, sums over an axis, max
// pooling, gather and scatter-add. Each copies its operands in and its result out, so below
// ELEMENTWISE_MIN elements the JS loops are left to do the work.

/** Elements below which element-wise ops stay in JS (the copies in and out cost more than they save). */
const ELEMENTWISE_MIN = 2048;
const WASM_BINARY = new Set<string>(BINARY_OPS);

/**
 * Walks a collapsed broadcast (contiguous output over `dims`, operands with element strides sa, sb)
 * as 2-D slabs over the last two dimensions: visit(output offset, a offset, b offset, rows, cols,
 * a's row and column strides, b's), with an odometer over the dimensions before them.
 */
function slabs(
  dims: readonly number[], sa: readonly number[], sb: readonly number[],
  visit: (o: number, ao: number, bo: number, rows: number, cols: number, ars: number, acs: number, brs: number, bcs: number) => void,
): void {
  const nd = dims.length;
  const cols = dims[nd - 1]!;
  const rows = nd >= 2 ? dims[nd - 2]! : 1;
  const ars = nd >= 2 ? sa[nd - 2]! : 0;
  const brs = nd >= 2 ? sb[nd - 2]! : 0;
  const k = Math.max(0, nd - 2);
  // broadcast.ts's odometer over the leading dimensions (a last dimension of 1: one visit each).
  walk([...dims.slice(0, k), 1], [...sa.slice(0, k), 0], [...sb.slice(0, k), 0], (slab, ao, bo) =>
    visit(slab * rows * cols, ao, bo, rows, cols, ars, sa[nd - 1]!, brs, sb[nd - 1]!),
  );
}

/**
 * The dtype of a call (its output's), with `sizes` bytes laid out for it in the kernels' memory;
 * null when they do not fit (the JS loops then do the work).
 */
function buffers(out: FloatArray, sizes: (es: number) => readonly number[]): { r: WasmRuntime; dt: WasmDType; es: number; p: number[] } | null {
  const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
  const es = LANES[dt].es;
  const r = rt();
  const arena = new Arena();
  const p = sizes(es).map((n) => arena.alloc(n));
  if (!r.fits(arena.size)) return null;
  r.ensure(arena.size);
  return { r, dt, es, p };
}

/** gather / scatter_add through the kernels (see Kernels.gather): null below ELEMENTWISE_MIN. */
function indexed(fn: 'gather' | 'scatter_add', src: FloatArray, idx: Int32Array, out: FloatArray): number | null {
  const B = idx.length < ELEMENTWISE_MIN ? null : buffers(out, (es) => [src.length * es, idx.length * 4, out.length * es]);
  if (B === null) return null;
  const { r, dt, p: [ps, pi, po] } = B;
  put(r, dt, ps!, src);
  r.i32().set(idx, pi! >> 2);
  const limit = fn === 'gather' ? src.length : out.length;
  if (fn === 'scatter_add') zero(r, dt, po!, out.length);
  const bad = (r.fn[`${fn}_${dt}`] as unknown as (...a: number[]) => number)(po!, ps!, pi!, idx.length, limit);
  if (bad < 0) get(r, dt, po!, out);
  return bad;
}

export const elementwiseKernels: Pick<Kernels, 'binary' | 'stridedCopy' | 'sum' | 'maxPool2d' | 'gather' | 'scatterAdd' | 'relu'> = {
  binary(op, dims, a, sa, b, sb, out) {
    const B = out.length < ELEMENTWISE_MIN || !WASM_BINARY.has(op) ? null : buffers(out, (es) => [a.length * es, b.length * es, out.length * es]);
    if (B === null) return false;
    const { r, dt, es, p: [pa, pb, po] } = B;
    put(r, dt, pa!, a);
    put(r, dt, pb!, b);
    const fn = r.fn[`ew_${op as BinaryOp}_${dt}`]!;
    slabs(dims, sa, sb, (o, ao, bo, rows, cols, ars, acs, brs, bcs) => fn(po! + o * es, pa! + ao * es, ars, acs, pb! + bo * es, brs, bcs, rows, cols));
    get(r, dt, po!, out);
    return true;
  },

  stridedCopy(x, base, dims, strides, out) {
    // Only the part of x the view reads is copied in.
    let lo = base;
    let hi = base;
    dims.forEach((d, k) => {
      lo += Math.min(0, (d - 1) * strides[k]!);
      hi += Math.max(0, (d - 1) * strides[k]!);
    });
    const B = out.length < ELEMENTWISE_MIN ? null : buffers(out, (es) => [(hi - lo + 1) * es, out.length * es]);
    if (B === null) return false;
    const { r, dt, es, p: [px, po] } = B;
    put(r, dt, px!, x, lo, hi - lo + 1);
    const fn = r.fn[`copy_${dt}`]!;
    const x0 = px! + (base - lo) * es;
    slabs(dims, strides, strides, (o, ao, _bo, rows, cols, ars, acs) => fn(po! + o * es, x0 + ao * es, ars, acs, rows, cols));
    get(r, dt, po!, out);
    return true;
  },

  sum(x, outer, len, inner, out) {
    // One running sum per output (inner = 1) is a chain of dependent adds: the JS loop runs it
    // at the adder's latency without copying x in first. Independent outputs vectorize here.
    const B = x.length < ELEMENTWISE_MIN || inner === 1 ? null : buffers(out, (es) => [x.length * es, out.length * es, inner * 8]);
    if (B === null) return false;
    const { r, dt, p: [px, po, pacc] } = B;
    put(r, dt, px!, x);
    r.fn[`sum_${dt}`]!(po!, px!, outer, len, inner, pacc!);
    get(r, dt, po!, out);
    return true;
  },

  maxPool2d(g, rh, rw, x, values, indices) {
    const B = buffers(values, (es) => [x.length * es, values.length * es, indices.length * 4, rh.length * 4, rw.length * 4]);
    if (B === null) return false;
    const { r, dt, p: [px, pv, pi, prh, prw] } = B;
    put(r, dt, px!, x);
    const i32 = r.i32();
    i32.set(rh, prh! >> 2);
    i32.set(rw, prw! >> 2);
    r.fn[`maxpool_${dt}`]!(px!, pv!, pi!, g.N * g.C, g.H, g.W, g.OH, g.OW, prh!, prw!, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
    get(r, dt, pv!, values);
    indices.set(r.i32().subarray(pi! >> 2, (pi! >> 2) + indices.length));
    return true;
  },

  gather(x, idx, out) {
    return indexed('gather', x, idx, out);
  },

  scatterAdd(g, idx, out) {
    return indexed('scatter_add', g, idx, out);
  },

  relu(a, out) {
    const B = out.length < ELEMENTWISE_MIN ? null : buffers(out, (es) => [a.length * es, out.length * es]);
    if (B === null) return false;
    const { r, dt, p: [pa, po] } = B;
    put(r, dt, pa!, a);
    r.fn[`relu_${dt}`]!(po!, pa!, a.length);
    get(r, dt, po!, out);
    return true;
  },
};
