import { kernels } from './backend.js';
import type { FloatArray } from './dtype.js';
import { fail } from './errors.js';

export { GEMM_BLOCKING } from './gemm-js.js';

/**
 * The one GEMM every matmul goes through (the convolutions use the same kernels):
 *
 *   C(i,j) (+)= Σ_k A(i,k)·B(k,j),   A(i,k) = a[aOff + i*aRs + k*aCs],
 *                                     B(k,j) = b[bOff + k*bRs + j*bCs],
 *                                     C(i,j) = c[cOff + i*ldc + j].
 *
 * Transposes are expressed through the strides (A^T is `aRs`/`aCs` swapped), so no caller makes
 * transposed copies. `accumulate = false` overwrites the M×N block of C, `true` adds to it. `c` must
 * not overlap `a` or `b`. Any mix of Float32Array / Float64Array operands is accepted: with a
 * float64 C the sum is formed in float64; with all-float32 operands in float32 (wasm backend) or
 * float64 rounded once per K block (js backend). The summation order is contract.ts's, so float64
 * results are the same bits on every backend.
 */
export function gemm(
  M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRs: number, aCs: number,
  b: FloatArray, bOff: number, bRs: number, bCs: number,
  c: FloatArray, cOff: number, ldc: number, accumulate: boolean,
): void {
  if (!(M >= 0 && N >= 0 && K >= 0) || !Number.isInteger(M) || !Number.isInteger(N) || !Number.isInteger(K)) {
    fail('gemm', `sizes must be non-negative integers, got M=${M}, N=${N}, K=${K}`);
  }
  if (M === 0 || N === 0) return;
  checkExtent('A', a.length, aOff, M, aRs, K, aCs);
  checkExtent('B', b.length, bOff, K, bRs, N, bCs);
  checkExtent('C', c.length, cOff, M, ldc, N, 1);
  kernels().gemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
}

function checkExtent(name: string, len: number, off: number, rows: number, rs: number, cols: number, cs: number): void {
  if (!Number.isInteger(off) || !Number.isInteger(rs) || !Number.isInteger(cs) || off < 0) {
    fail('gemm', `${name}: offset and strides must be integers (offset >= 0), got offset ${off}, strides ${rs}, ${cs}`);
  }
  if (rows === 0 || cols === 0) return;
  const lo = off + Math.min(0, (rows - 1) * rs) + Math.min(0, (cols - 1) * cs);
  const hi = off + Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs);
  if (lo < 0 || hi >= len) {
    fail('gemm', `${name}: ${rows}x${cols} at offset ${off} with strides (${rs}, ${cs}) reaches index ${lo < 0 ? lo : hi}, outside its ${len} elements`);
  }
  // Index arithmetic is int32 (`| 0`) in the hot loops.
  if (hi > 0x7fffffff) fail('gemm', `${name}: index ${hi} exceeds 2^31 - 1, which the int32 index arithmetic does not support`);
}
