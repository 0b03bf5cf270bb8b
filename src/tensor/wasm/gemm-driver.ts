import type { Kernels } from '../backend.js';
import { kBlockSize, KC } from '../contract.js';
import { gemmJs } from '../gemm-js.js';
import { LANES, type WasmDType } from './gemm-kernel.js';
import { nrOf, TILES } from './module.js';
import { Arena } from './runtime.js';
import { runJobs, type Job } from './threads.js';
import { get, put, rt, split, threadsFor } from './transfer.js';

/** Bytes of the packed A block, packed B block and tile of one GEMM thread. */
export function gemmScratch(dt: WasmDType): { a: number; b: number; t: number; tab: number; size: number } {
  const es = LANES[dt].es;
  const { MR, MC, NC } = TILES[dt];
  const NR = nrOf(dt);
  const a = 0;
  const b = a + Math.ceil(MC / MR) * MR * KC * es;
  const t = b + KC * NC * es;
  const tab = t + MR * NR * es;
  return { a, b, t, tab, size: tab + Math.ceil(NC / NR) * 12 };
}

/** The strided GEMM on the wasm kernels: jobs split the columns (or rows) of C between threads. */
export const gemmKernels: Pick<Kernels, 'gemm'> = {
  gemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate) {
    const f64 = c instanceof Float64Array;
    if (!f64 && (a instanceof Float64Array || b instanceof Float64Array)) {
      // A float32 C of float64 operands: the JS kernel's float64 sums rounded per block.
      gemmJs(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
      return;
    }
    if (K === 0) {
      if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    const dt: WasmDType = f64 ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    const ext = (off: number, rows: number, rs: number, cols: number, cs: number): [number, number] => [
      off + Math.min(0, (rows - 1) * rs) + Math.min(0, (cols - 1) * cs),
      off + Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs) + 1,
    ];
    const [aLo, aHi] = ext(aOff, M, aRs, K, aCs);
    const [bLo, bHi] = ext(bOff, K, bRs, N, bCs);
    const [cLo, cHi] = ext(cOff, M, ldc, N, 1);
    const threads = threadsFor(M * N * K);
    const sc = gemmScratch(dt);
    const arena = new Arena();
    const pa = arena.alloc((aHi - aLo) * es);
    const pb = arena.alloc((bHi - bLo) * es);
    const pc = arena.alloc((cHi - cLo) * es);
    const scratch = arena.alloc(sc.size * threads);
    if (!r.fits(arena.size)) {
      gemmJs(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, accumulate);
      return;
    }
    r.ensure(arena.size);
    put(r, dt, pa, a, aLo, aHi - aLo);
    put(r, dt, pb, b, bLo, bHi - bLo);
    put(r, dt, pc, c, cLo, cHi - cLo);
    const A = pa + (aOff - aLo) * es;
    const B = pb + (bOff - bLo) * es;
    const C = pc + (cOff - cLo) * es;
    const kc = kBlockSize(K);
    const jobs: Job[] = [];
    const NR = nrOf(dt);
    if (threads > 1 && N >= 2 * NR * threads) {
      for (const [j0, j1] of split(N, threads, NR)) {
        jobs.push({ fn: `gemm_${dt}`, args: [M, j1 - j0, K, A, aRs, aCs, B + j0 * bCs * es, bRs, bCs, C + j0 * es, ldc, accumulate ? 1 : 0, kc] });
      }
    } else {
      for (const [i0, i1] of split(M, threads, TILES[dt].MR)) {
        jobs.push({ fn: `gemm_${dt}`, args: [i1 - i0, N, K, A + i0 * aRs * es, aRs, aCs, B, bRs, bCs, C + i0 * ldc * es, ldc, accumulate ? 1 : 0, kc] });
      }
    }
    runJobs(r, jobs, threads, scratch, sc.size);
    get(r, dt, pc, c, cLo, cHi - cLo);
  },
};
