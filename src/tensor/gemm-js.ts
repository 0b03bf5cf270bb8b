import { KC, kBlockSize } from './contract.js';
import type { FloatArray } from './dtype.js';

/**
 * The JS reference GEMM (see gemm.ts for the operation and contract.ts for the summation order):
 * C(i,j) (+)= Σ_k A(i,k)·B(k,j) on any mix of Float32Array / Float64Array operands, products and
 * sums formed in float64 (a float32 C is rounded once per K block). The caller has validated the
 * sizes and extents.
 *
 * Design (BLIS-style, tuned for V8's optimizing compiler, measured with Node 20 on Sapphire Rapids):
 * - Blocking: N in blocks of ≤ NC_MAX columns, K in the contract's blocks (kBlockSize), M in
 *   blocks of ≤ MC_MAX rows (balanced, so there is no tiny last block). Each B block (kc×nc) is
 *   packed once into NR-column micro-panels (k-major), each A block (mc×kc) into MR-row
 *   micro-panels; float32 operands are widened while packing. Partial micro-panels are
 *   zero-padded, so the micro-kernel never branches on edges; only the C update of an edge tile
 *   is partial.
 * - Micro-kernel: a 2×3 register tile, 6 accumulators in local variables, 2 + 3 loads per k step.
 *   V8 computes all products of a k step before the adds and x64 has 16 XMM registers, so larger
 *   tiles spill accumulators to the stack on every iteration. Measured in isolation (this packed
 *   array, L1/L2-resident panels): 2×3 and 3×2 ≈ 5.9 GFLOP/s, 3×3 and 2×4 ≈ 5.5, 3×4 and 4×3 ≈ 4.8,
 *   6×4 ≈ 4.6, 4×4 ≈ 4.5; unrolling k by 2 or 4 gave nothing. Every index and pointer increment is
 *   written `(x + c) | 0`, an int32 hint that removes V8's overflow checks.
 * - The packed blocks live in ONE packed-double JS array captured by closures that are created
 *   exactly once (`createGemm` runs once, lazily), so V8 specializes the code on it as a constant.
 *   A plain array rather than a Float64Array on purpose: once any ArrayBuffer in the process has
 *   been detached (a transfer to a worker; tsx/esbuild compiling a CommonJS module is enough), V8
 *   adds a "detached?" test to every typed-array access, which took the 3×3 kernel on Float64Array
 *   buffers from 5.9 to 4.6 GFLOP/s; the array costs one map check and two field loads per
 *   iteration in every process state. Its fixed capacity (MC_MAX·KC + KC·NC_MAX doubles,
 *   3.2 MB, allocated on first use) never has to grow because the block sizes are capped.
 * - Packing reads each operand along its contiguous direction (per panel along k, or per k across
 *   the panels for a transposed operand). The kernel only touches the packed array and the tile
 *   buffer `CT`; the (polymorphic, maybe float32) C is written outside the k loop, and the first
 *   K block overwrites C unless accumulating, so there is no zeroing pass.
 * Result on the same machine: ~5.4-5.6 GFLOP/s for 256³ and 512³ in both dtypes (bench/).
 */
export function gemmJs(
  M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRs: number, aCs: number,
  b: FloatArray, bOff: number, bRs: number, bCs: number,
  c: FloatArray, cOff: number, ldc: number, accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  (impl ??= createGemm())(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
}

/** Register tile (MR×NR) and the largest cache blocks; MC_MAX is a multiple of MR, NC_MAX of NR. */
export const GEMM_BLOCKING = Object.freeze({ MR: 2, NR: 3, MC_MAX: 48, KC_MAX: KC, NC_MAX: 1536 });

type GemmImpl = (
  M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRs: number, aCs: number,
  b: FloatArray, bOff: number, bRs: number, bCs: number,
  c: FloatArray, cOff: number, ldc: number, accumulate: boolean,
) => void;

let impl: GemmImpl | null = null;

function createGemm(): GemmImpl {
  const { MC_MAX, KC_MAX, NC_MAX } = GEMM_BLOCKING;
  // The packed A block at PK[0, B0), the packed B block at PK[B0, B0 + KC·NC).
  const B0 = MC_MAX * KC_MAX;
  const PK = packedDoubles(B0 + KC_MAX * NC_MAX);
  // One 2×3 tile per A micro-panel of the block: CT[3i + j] = C-block(i, j of the B micro-panel).
  const CT = new Float64Array(MC_MAX * 3);

  /**
   * Packs the mc×kc block of A into 2-row micro-panels: PK[2·kc·p + 2k + r] = A(2p + r, k).
   * Full panels are read along the operand's contiguous direction: when A's rows are contiguous
   * (|cs| <= |rs|) each panel walks along k; when its columns are (A stored transposed) each k walks
   * across the panels (measured ~1.5x faster than strided reads). The partial last panel is
   * zero-padded.
   */
  function packA(mc: number, kc: number, a: FloatArray, off: number, rs: number, cs: number): void {
    const full = (mc >> 1) | 0;
    if (Math.abs(cs) <= Math.abs(rs)) {
      let p = 0;
      for (let q = 0; q < full; q = (q + 1) | 0) {
        const o0 = (off + 2 * q * rs) | 0;
        const o1 = (o0 + rs) | 0;
        let ko = 0;
        for (let k = 0; k < kc; k = (k + 1) | 0) {
          PK[p] = a[(o0 + ko) | 0]!;
          PK[(p + 1) | 0] = a[(o1 + ko) | 0]!;
          p = (p + 2) | 0;
          ko = (ko + cs) | 0;
        }
      }
    } else {
      const step = (2 * kc) | 0;
      const rs2 = (2 * rs) | 0;
      for (let k = 0; k < kc; k = (k + 1) | 0) {
        let src = (off + k * cs) | 0;
        let p = (2 * k) | 0;
        for (let q = 0; q < full; q = (q + 1) | 0) {
          PK[p] = a[src]!;
          PK[(p + 1) | 0] = a[(src + rs) | 0]!;
          p = (p + step) | 0;
          src = (src + rs2) | 0;
        }
      }
    }
    if ((mc & 1) !== 0) {
      let p = (full * 2 * kc) | 0;
      const o0 = (off + (mc - 1) * rs) | 0;
      let ko = 0;
      for (let k = 0; k < kc; k = (k + 1) | 0) {
        PK[p] = a[(o0 + ko) | 0]!;
        PK[(p + 1) | 0] = 0;
        p = (p + 2) | 0;
        ko = (ko + cs) | 0;
      }
    }
  }

  /**
   * Packs the kc×nc block of B into 3-column micro-panels: PK[B0 + 3·kc·q + 3k + s] = B(k, 3q + s),
   * reading along B's contiguous direction as packA does; the partial last panel is zero-padded.
   */
  function packB(kc: number, nc: number, b: FloatArray, off: number, rs: number, cs: number): void {
    const full = (nc / 3) | 0;
    if (Math.abs(rs) <= Math.abs(cs)) {
      let p = B0;
      for (let q = 0; q < full; q = (q + 1) | 0) {
        const o0 = (off + 3 * q * cs) | 0;
        const o1 = (o0 + cs) | 0;
        const o2 = (o1 + cs) | 0;
        let ko = 0;
        for (let k = 0; k < kc; k = (k + 1) | 0) {
          PK[p] = b[(o0 + ko) | 0]!;
          PK[(p + 1) | 0] = b[(o1 + ko) | 0]!;
          PK[(p + 2) | 0] = b[(o2 + ko) | 0]!;
          p = (p + 3) | 0;
          ko = (ko + rs) | 0;
        }
      }
    } else {
      const step = (3 * kc) | 0;
      const cs2 = (2 * cs) | 0;
      const cs3 = (3 * cs) | 0;
      for (let k = 0; k < kc; k = (k + 1) | 0) {
        let src = (off + k * rs) | 0;
        let p = (B0 + 3 * k) | 0;
        for (let q = 0; q < full; q = (q + 1) | 0) {
          PK[p] = b[src]!;
          PK[(p + 1) | 0] = b[(src + cs) | 0]!;
          PK[(p + 2) | 0] = b[(src + cs2) | 0]!;
          p = (p + step) | 0;
          src = (src + cs3) | 0;
        }
      }
    }
    const rem = nc - 3 * full;
    if (rem > 0) {
      let p = (B0 + full * 3 * kc) | 0;
      const o0 = (off + 3 * full * cs) | 0;
      const o1 = rem > 1 ? (o0 + cs) | 0 : o0;
      const w1 = rem > 1 ? 1 : 0;
      let ko = 0;
      for (let k = 0; k < kc; k = (k + 1) | 0) {
        PK[p] = b[(o0 + ko) | 0]!;
        PK[(p + 1) | 0] = w1 === 1 ? b[(o1 + ko) | 0]! : 0;
        PK[(p + 2) | 0] = 0;
        p = (p + 3) | 0;
        ko = (ko + rs) | 0;
      }
    }
  }

  /**
   * Every 2-row micro-panel of the packed A block times the 3-column micro-panel of B starting at
   * PK[pb]; tile t (rows 2t, 2t+1) goes to CT[6t .. 6t+5].
   */
  function kernel(kc: number, mc: number, pb: number): void {
    let ao = 0;
    let t = 0;
    for (let i = 0; i < mc; i = (i + 2) | 0) {
      let c00 = 0.0, c01 = 0.0, c02 = 0.0;
      let c10 = 0.0, c11 = 0.0, c12 = 0.0;
      let bo = pb | 0;
      const aEnd = (ao + 2 * kc) | 0;
      while (ao < aEnd) {
        const a0 = PK[ao]!;
        const a1 = PK[(ao + 1) | 0]!;
        const b0 = PK[bo]!;
        const b1 = PK[(bo + 1) | 0]!;
        const b2 = PK[(bo + 2) | 0]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
        ao = (ao + 2) | 0;
        bo = (bo + 3) | 0;
      }
      CT[t] = c00; CT[(t + 1) | 0] = c01; CT[(t + 2) | 0] = c02;
      CT[(t + 3) | 0] = c10; CT[(t + 4) | 0] = c11; CT[(t + 5) | 0] = c12;
      t = (t + 6) | 0;
    }
  }

  /** C block (mc×nc at co) = (or += when `add`) packed A block · packed B block. */
  function macro(mc: number, nc: number, kc: number, c: FloatArray, co: number, ldc: number, add: boolean): void {
    for (let j = 0; j < nc; j = (j + 3) | 0) {
      kernel(kc, mc, (B0 + j * kc) | 0);
      const nr = nc - j;
      let r = (co + j) | 0;
      if (nr >= 3) {
        if (add) {
          for (let i = 0; i < mc; i = (i + 1) | 0) {
            const t = (i * 3) | 0;
            c[r] = c[r]! + CT[t]!;
            c[(r + 1) | 0] = c[(r + 1) | 0]! + CT[(t + 1) | 0]!;
            c[(r + 2) | 0] = c[(r + 2) | 0]! + CT[(t + 2) | 0]!;
            r = (r + ldc) | 0;
          }
        } else {
          for (let i = 0; i < mc; i = (i + 1) | 0) {
            const t = (i * 3) | 0;
            c[r] = CT[t]!;
            c[(r + 1) | 0] = CT[(t + 1) | 0]!;
            c[(r + 2) | 0] = CT[(t + 2) | 0]!;
            r = (r + ldc) | 0;
          }
        }
      } else {
        for (let i = 0; i < mc; i = (i + 1) | 0) {
          const t = (i * 3) | 0;
          c[r] = add ? c[r]! + CT[t]! : CT[t]!;
          if (nr > 1) c[(r + 1) | 0] = add ? c[(r + 1) | 0]! + CT[(t + 1) | 0]! : CT[(t + 1) | 0]!;
          r = (r + ldc) | 0;
        }
      }
    }
  }

  return function gemmImpl(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate): void {
    if (K === 0) {
      // Nothing to add; an overwrite means zeros.
      if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    const nBlocksN = Math.ceil(N / NC_MAX);
    const ncStep = roundUp(Math.ceil(N / nBlocksN), 3);
    const kcStep = kBlockSize(K);
    const nBlocksM = Math.ceil(M / MC_MAX);
    const mcStep = roundUp(Math.ceil(M / nBlocksM), 2);
    for (let jc = 0; jc < N; jc += ncStep) {
      const nc = Math.min(ncStep, N - jc);
      for (let pc = 0; pc < K; pc += kcStep) {
        const kc = Math.min(kcStep, K - pc);
        packB(kc, nc, b, bOff + pc * bRs + jc * bCs, bRs, bCs);
        for (let ic = 0; ic < M; ic += mcStep) {
          const mc = Math.min(mcStep, M - ic);
          packA(mc, kc, a, aOff + ic * aRs + pc * aCs, aRs, aCs);
          // The first K block overwrites C unless accumulating (no separate zeroing pass).
          macro(mc, nc, kc, c, cOff + ic * ldc + jc, ldc, accumulate || pc > 0);
        }
      }
    }
  };
}

/** A PACKED_DOUBLE_ELEMENTS array of n zeros (grown by push from a double so V8 picks that kind). */
function packedDoubles(n: number): number[] {
  const a = [0.5];
  for (let i = 1; i < n; i++) a.push(0.5);
  a.fill(0);
  return a;
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
