import { conv2dInputGradJs, conv2dJs, conv2dWeightGradJs } from './conv-js.js';
import type { Conv2dGeometry } from './conv.js';
import { applyEpilogue, type ConvEpilogue } from './conv-epilogue.js';
import type { FloatArray } from './dtype.js';
import type { PoolGeometry } from './pool.js';
import { fail } from './errors.js';
import { gemmJs } from './gemm-js.js';
import { wasmFailure, wasmRuntime } from './wasm/runtime.js';
import { wasmKernels } from './wasm/drivers.js';
import { threadInfo as poolInfo } from './wasm/threads.js';
import { wasmUnavailableReason } from './wasm/api.js';

/**
 * The seam between the tensor ops and their kernels: every GEMM and convolution goes through the
 * active backend's `Kernels`. 'js' is the reference (plain loops, any runtime); 'wasm' runs SIMD
 * kernels that camlab emits as WebAssembly at load time (wasm/), on all cores. Both follow the
 * summation order of contract.ts, so float64 results are bit-identical between them.
 */
export type Backend = 'js' | 'wasm';

/** The kernels a backend provides. Callers validate shapes and allocate outputs. */
export interface Kernels {
  /** C(i,j) (+)= Σ_k A(i,k)·B(k,j) with element strides (see gemm.ts). */
  gemm(
    M: number, N: number, K: number,
    a: FloatArray, aOff: number, aRs: number, aCs: number,
    b: FloatArray, bOff: number, bRs: number, bCs: number,
    c: FloatArray, cOff: number, ldc: number, accumulate: boolean,
  ): void;
  /** out [N,O,OH,OW] = conv2d(x, w), then the epilogue's steps on it (conv-epilogue.ts), if given. */
  conv2d(g: Conv2dGeometry, x: FloatArray, w: FloatArray, out: FloatArray, epilogue?: ConvEpilogue | null): void;
  /** dx [N,C,H,W] (zero-filled) = the input gradient of conv2d for gy [N,O,OH,OW]. */
  conv2dInputGrad(g: Conv2dGeometry, gy: FloatArray, w: FloatArray, dx: FloatArray): void;
  /** dw [O,C/groups,KH,KW] = Σ over the g.N images of the weight gradient. */
  conv2dWeightGrad(g: Conv2dGeometry, x: FloatArray, gy: FloatArray, dw: FloatArray): void;
  /**
   * out = a `op` b (an op of elementwise.ts by name) over a collapsed broadcast: out is contiguous
   * over `dims`, a and b are read with element strides sa, sb. Returns false when this backend
   * leaves the op (or this size) to the JS row loops of elementwise.ts.
   */
  binary(op: string, dims: readonly number[], a: FloatArray, sa: readonly number[], b: FloatArray, sb: readonly number[], out: FloatArray): boolean;
  /**
   * out (contiguous over the collapsed `dims`) = x[base + Σ i_k·strides[k]] (movement.ts's
   * copyView: permutes, slices, broadcasts); false when left to the JS loop there.
   */
  stridedCopy(x: FloatArray, base: number, dims: readonly number[], strides: readonly number[], out: FloatArray): boolean;
  /**
   * reduce.ts's sum of x viewed as [outer, r, inner] over r (float64 running sums in order,
   * rounded once into out [outer, inner]); false when left to the JS loops there.
   */
  sum(x: FloatArray, outer: number, r: number, inner: number, out: FloatArray): boolean;
  /** out = relu(a) as unary.ts defines it; false when left to the JS loop. */
  relu(a: FloatArray, out: FloatArray): boolean;
  /**
   * Max pooling as pool.ts's maxPool2d (rh, rw: valid tap ranges [lo, hi) per output row and
   * column); false when left to the JS loop there.
   */
  maxPool2d(g: PoolGeometry, rh: Int32Array, rw: Int32Array, x: FloatArray, values: FloatArray, indices: Int32Array): boolean;
  /**
   * out[i] = x[idx[i]] (indexing.ts's gather) or out[idx[i]] += g[i] for i ascending (scatterAdd,
   * out zero-filled): -1 when done, the first position of an index outside x (out) to report, or
   * null when left to the JS loops there.
   */
  gather(x: FloatArray, idx: Int32Array, out: FloatArray): number | null;
  scatterAdd(g: FloatArray, idx: Int32Array, out: FloatArray): number | null;
}

const jsKernels: Kernels = {
  gemm: gemmJs,
  conv2d(g, x, w, out, epilogue = null) {
    conv2dJs(g, x, w, out);
    if (epilogue !== null) applyEpilogue(out, epilogue, g.O, g.OH * g.OW);
  },
  conv2dInputGrad: conv2dInputGradJs,
  conv2dWeightGrad: conv2dWeightGradJs,
  // The JS element-wise, pooling and indexing loops live with their ops (elementwise.ts, unary.ts, pool.ts, indexing.ts).
  binary: () => false,
  stridedCopy: () => false,
  sum: () => false,
  relu: () => false,
  maxPool2d: () => false,
  gather: () => null,
  scatterAdd: () => null,
};

let chosen: Backend | null = null;
/** Why the default (wasm) cannot be used here (undefined until probed, null when it can). */
let fallback: string | null | undefined;

/**
 * Selects the kernels: 'wasm' (WebAssembly SIMD, the default where the engine validates SIMD) or
 * 'js' (plain JavaScript, the reference). Fails with the reason when 'wasm' cannot run here.
 */
export function setBackend(backend: Backend): void {
  if (backend !== 'js' && backend !== 'wasm') fail('setBackend', `backend must be 'js' or 'wasm', got ${JSON.stringify(backend)}`);
  if (backend === 'wasm' && wasmRuntime() === null) fail('setBackend', `the wasm backend cannot run here: ${wasmFailure() ?? 'unknown reason'}`);
  chosen = backend;
}

/** The active backend: the one set, else 'wasm' where WebAssembly SIMD validates, else 'js'. */
export function getBackend(): Backend {
  if (chosen !== null) return chosen;
  if (fallback === undefined) fallback = wasmUnavailableReason();
  return fallback === null ? 'wasm' : 'js';
}

/** The active backend's kernels (the default falls back to JS, saying why in backendInfo(), if wasm cannot be instantiated). */
export function kernels(): Kernels {
  if (getBackend() === 'wasm') {
    if (wasmRuntime() !== null) return wasmKernels;
    fallback = wasmFailure();
  }
  return jsKernels;
}

/** What runs the kernels: the backend, why it is not wasm (if so), and the threads. */
export function backendInfo(): { backend: Backend; reason: string | null; threads: { requested: number; active: number; reason: string | null } } {
  const backend: Backend = kernels() === wasmKernels ? 'wasm' : 'js';
  const reason = backend === 'wasm' ? null : chosen === 'js' ? 'selected with setBackend' : (fallback ?? null);
  return { backend, reason, threads: poolInfo(backend === 'wasm' ? wasmRuntime() : null) };
}
