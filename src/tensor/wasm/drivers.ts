import type { Kernels } from '../backend.js';
import { kBlockSize, KC } from '../contract.js';
import type { Conv2dGeometry } from '../conv.js';
import type { FloatArray } from '../dtype.js';
import { conv2dInputGradJs, conv2dJs, conv2dWeightGradJs } from '../conv-js.js';
import { gemmJs } from '../gemm-js.js';
import { BINARY_OPS, type BinaryOp } from './elementwise-kernel.js';
import { LANES, type WasmDType } from './gemm-kernel.js';
import { GEOMETRY_BYTES, GEOMETRY_FIELDS } from './geometry.js';
import { nrOf, TILES } from './module.js';
import { Arena, wasmRuntime, type WasmRuntime } from './runtime.js';
import { getThreads, runJobs, type Job } from './threads.js';

// The TypeScript side of the wasm kernels: copy the operands into the kernel module's memory,
// cut the work into jobs by output blocks, run them (on all threads when the work is large), and
// copy the result out. One call's buffers are laid out from scratch each time (Arena).

/** Elements below which element-wise ops stay in JS (the copies in and out cost more than they save). */
const ELEMENTWISE_MIN = 2048;
const WASM_BINARY = new Set<string>(BINARY_OPS);

/** Work (multiply-adds) below which a call stays on the calling thread: hand-off costs ~10-20 µs. */
const PARALLEL_MIN_MACS = 1 << 19;
/** Memory one call may use for the images it holds at once (larger batches go in chunks). */
const CHUNK_BYTES = 256 << 20;

function rt(): WasmRuntime {
  return wasmRuntime()!;
}

/** Copies src[lo, lo + n) into memory at byte p as dtype dt (float32 → float64 widens exactly). */
function put(r: WasmRuntime, dt: WasmDType, p: number, src: FloatArray, lo = 0, n = src.length - lo): void {
  const part = lo === 0 && n === src.length ? src : src.subarray(lo, lo + n);
  if (dt === 'f32') r.f32().set(part, p >> 2);
  else r.f64().set(part, p >> 3);
}

/** Copies n elements at byte p (dtype dt) into dst[off, off + n). */
function get(r: WasmRuntime, dt: WasmDType, p: number, dst: FloatArray, off = 0, n = dst.length - off): void {
  const view = dt === 'f32' ? r.f32().subarray(p >> 2, (p >> 2) + n) : r.f64().subarray(p >> 3, (p >> 3) + n);
  dst.set(view, off);
}

function zero(r: WasmRuntime, dt: WasmDType, p: number, n: number): void {
  if (dt === 'f32') r.f32().fill(0, p >> 2, (p >> 2) + n);
  else r.f64().fill(0, p >> 3, (p >> 3) + n);
}

/** Threads for a call of `macs` multiply-adds (1 below the hand-off threshold). */
function threadsFor(macs: number): number {
  return macs >= PARALLEL_MIN_MACS ? getThreads() : 1;
}

/** Splits [0, n) into at most `parts` ranges whose starts are multiples of `align`. */
function split(n: number, parts: number, align: number): [number, number][] {
  const units = Math.ceil(n / align);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const a = Math.min(n, Math.floor((units * i) / p) * align);
    const b = Math.min(n, Math.floor((units * (i + 1)) / p) * align);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** Bytes of the packed A block, packed B block and tile of one GEMM thread. */
function gemmScratch(dt: WasmDType): { a: number; b: number; t: number; tab: number; size: number } {
  const es = LANES[dt].es;
  const { MR, MC, NC } = TILES[dt];
  const NR = nrOf(dt);
  const a = 0;
  const b = a + Math.ceil(MC / MR) * MR * KC * es;
  const t = b + KC * NC * es;
  const tab = t + MR * NR * es;
  return { a, b, t, tab, size: tab + Math.ceil(NC / NR) * 12 };
}

function writeGeometry(r: WasmRuntime, p: number, g: Conv2dGeometry): void {
  const v: Record<(typeof GEOMETRY_FIELDS)[number], number> = {
    C: g.C, H: g.H, W: g.W, O: g.O, KH: g.KH, KW: g.KW, Cg: g.Cg, Og: g.Og,
    sh: g.sh, sw: g.sw, ph: g.ph, pw: g.pw, dh: g.dh, dw: g.dw, OH: g.OH, OW: g.OW,
    HW: g.H * g.W, OHW: g.OH * g.OW, KK: g.KH * g.KW, Kg: g.Cg * g.KH * g.KW,
  };
  const i32 = r.i32();
  GEOMETRY_FIELDS.forEach((f, i) => (i32[(p >> 2) + i] = v[f]));
}

/** Images per chunk so that `perImage` bytes each plus `fixed` bytes stay within CHUNK_BYTES. */
function imagesPerChunk(N: number, perImage: number, fixed: number): number {
  return Math.max(1, Math.min(N, Math.floor((CHUNK_BYTES - fixed) / Math.max(1, perImage))));
}

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
  const outer = dims.slice(0, Math.max(0, nd - 2));
  const idx = outer.map(() => 0);
  const total = dims.reduce((p, d) => p * d, 1);
  let ao = 0;
  let bo = 0;
  for (let o = 0; o < total; o += rows * cols) {
    visit(o, ao, bo, rows, cols, ars, sa[nd - 1]!, brs, sb[nd - 1]!);
    for (let d = outer.length - 1; d >= 0; d--) {
      idx[d]!++;
      ao += sa[d]!;
      bo += sb[d]!;
      if (idx[d]! < outer[d]!) break;
      ao -= sa[d]! * outer[d]!;
      bo -= sb[d]! * outer[d]!;
      idx[d] = 0;
    }
  }
}

/** gather / scatter_add through the kernels (see Kernels.gather): null below ELEMENTWISE_MIN. */
function indexed(fn: 'gather' | 'scatter_add', src: FloatArray, idx: Int32Array, out: FloatArray): number | null {
  if (idx.length < ELEMENTWISE_MIN) return null;
  const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
  const es = LANES[dt].es;
  const r = rt();
  const arena = new Arena();
  const ps = arena.alloc(src.length * es);
  const pi = arena.alloc(idx.length * 4);
  const po = arena.alloc(out.length * es);
  if (!r.fits(arena.size)) return null;
  r.ensure(arena.size);
  put(r, dt, ps, src);
  r.i32().set(idx, pi >> 2);
  const limit = fn === 'gather' ? src.length : out.length;
  if (fn === 'scatter_add') zero(r, dt, po, out.length);
  const bad = (r.fn[`${fn}_${dt}`] as unknown as (...a: number[]) => number)(po, ps, pi, idx.length, limit);
  if (bad < 0) get(r, dt, po, out);
  return bad;
}

/** One input and one output channel per group, taps within one K block: the dwise_* kernels. */
function isDepthwise(g: Conv2dGeometry): boolean {
  return g.Cg === 1 && g.Og === 1 && g.KH * g.KW <= KC;
}

/**
 * A depthwise convolution kernel on a batch: `src` [N, C, ...] → `dst` [N, C, ...] per image and
 * range of channels (dwise_fwd: x → out, dwise_dx: g → dx), or the weight gradient summed over
 * the images (dwise_dw: x, g → dw, split by channels).
 */
function depthwise(kind: 'fwd' | 'dx' | 'dw', g: Conv2dGeometry, a: FloatArray, b: FloatArray, dst: FloatArray): void {
  const dt: WasmDType = dst instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array ? 'f32' : 'f64';
  const es = LANES[dt].es;
  const r = rt();
  const { N, C, H, W, OH, OW } = g;
  const KK = g.KH * g.KW;
  const threads = threadsFor(N * C * OH * OW * KK);
  const inSize = C * H * W;
  const outSize = C * OH * OW;
  // fwd: a = x, b = w; dx: a = gy, b = w; dw: a = x, b = gy.
  const aSize = kind === 'dx' ? outSize : inSize;
  const bSize = kind === 'dw' ? outSize : 0;
  const dSize = kind === 'fwd' ? outSize : kind === 'dx' ? inSize : 0;
  const chunk = imagesPerChunk(N, (aSize + bSize + dSize) * es, C * KK * es);
  const arena = new Arena();
  const pg = arena.alloc(GEOMETRY_BYTES);
  const pw = arena.alloc(C * KK * es);
  const pa = arena.alloc(chunk * aSize * es);
  const pb = arena.alloc(chunk * bSize * es);
  const pd = arena.alloc(chunk * dSize * es);
  if (!r.fits(arena.size)) {
    if (kind === 'fwd') conv2dJs(g, a, b, dst);
    else if (kind === 'dx') conv2dInputGradJs(g, a, b, dst);
    else conv2dWeightGradJs(g, a, b, dst);
    return;
  }
  r.ensure(arena.size);
  writeGeometry(r, pg, g);
  if (kind !== 'dw') put(r, dt, pw, b);
  const parts = threads > 1 ? Math.ceil((4 * threads) / (kind === 'dw' ? 1 : N)) : 1;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nc = Math.min(chunk, N - n0);
    put(r, dt, pa, a, n0 * aSize, nc * aSize);
    if (kind === 'dw') put(r, dt, pb, b, n0 * outSize, nc * outSize);
    const jobs: Job[] = [];
    for (const [c0, c1] of split(C, parts, 1)) {
      if (kind === 'dw') jobs.push({ fn: `dwise_dw_${dt}`, args: [pg, pa, pb, pw, c0, c1, nc, kBlockSize(OH * OW), n0 > 0 ? 1 : 0] });
      else for (let n = 0; n < nc; n++) jobs.push({ fn: `dwise_${kind}_${dt}`, args: [pg, pa + n * aSize * es, pw, pd + n * dSize * es, c0, c1] });
    }
    runJobs(r, jobs, threads, 0, 0);
    if (kind !== 'dw') get(r, dt, pd, dst, n0 * dSize, nc * dSize);
  }
  if (kind === 'dw') get(r, dt, pw, dst, 0, C * KK);
}

export const wasmKernels: Kernels = {
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

  conv2d(g, x, w, out) {
    if (isDepthwise(g)) return depthwise('fwd', g, x, w, out);
    const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    const { N, C, H, W, O, Cg, Og, OH, OW, groups } = g;
    const OHW = OH * OW;
    const Kg = Cg * g.KH * g.KW;
    const macs = N * O * OHW * Kg;
    const threads = threadsFor(macs);
    const sc = gemmScratch(dt);
    const fixed = GEOMETRY_BYTES + O * Kg * es + sc.size * threads;
    const chunk = imagesPerChunk(N, (C * H * W + O * OHW) * es, fixed);
    const arena = new Arena();
    const pg = arena.alloc(GEOMETRY_BYTES);
    const pw = arena.alloc(O * Kg * es);
    const scratch = arena.alloc(sc.size * threads);
    const px = arena.alloc(chunk * C * H * W * es);
    const po = arena.alloc(chunk * O * OHW * es);
    if (!r.fits(arena.size)) return conv2dJs(g, x, w, out);
    r.ensure(arena.size);
    writeGeometry(r, pg, g);
    put(r, dt, pw, w);
    const kc = kBlockSize(Kg);
    const NR = nrOf(dt);
    // Enough jobs to keep every thread busy, and small enough that a thread the OS deschedules
    // (a shared machine) leaves little for the others to wait on: split each image's positions
    // into parts when images are few (each part packs all of W: cheap next to its GEMM).
    const perImage = threads > 1 ? Math.ceil((4 * threads) / (N * groups)) : 1;
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nc = Math.min(chunk, N - n0);
      put(r, dt, px, x, n0 * C * H * W, nc * C * H * W);
      const jobs: Job[] = [];
      for (let n = 0; n < nc; n++) {
        for (let grp = 0; grp < groups; grp++) {
          const xp = px + ((n * C + grp * Cg) * H * W) * es;
          const op = po + ((n * O + grp * Og) * OHW) * es;
          const wp = pw + grp * Og * Kg * es;
          const parts = OHW >= perImage * 4 * NR ? split(OHW, perImage, NR).map(([a, b]) => [0, Og, a, b]) : split(Og, perImage, TILES[dt].MR).map(([a, b]) => [a, b, 0, OHW]);
          for (const [o0, o1, p0, p1] of parts) {
            jobs.push({ fn: `conv_fwd_${dt}`, args: [pg, xp, wp, op, o0!, o1!, p0!, p1!, kc, sc.a, sc.b, sc.t, sc.tab] });
          }
        }
      }
      runJobs(r, jobs, threads, scratch, sc.size);
      get(r, dt, po, out, n0 * O * OHW, nc * O * OHW);
    }
  },

  conv2dInputGrad(g, gy, w, dx) {
    if (isDepthwise(g)) return depthwise('dx', g, gy, w, dx);
    const dt: WasmDType = dx instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    const { N, C, H, W, O, Cg, Og, OH, OW, groups } = g;
    const OHW = OH * OW;
    const KK = g.KH * g.KW;
    const macs = N * C * KK * Og * OHW;
    const threads = threadsFor(macs);
    const { MR, MC } = TILES[dt];
    const NR = nrOf(dt);
    const pPad = Math.ceil(OHW / NR) * NR;
    // Scratch of one thread: A (MC rows × all Og, in K blocks), B (all of g's Og × positions), tile, panel table.
    const aBytes = Math.ceil(MC / MR) * MR * Og * es;
    const bBytes = Og * pPad * es;
    const tBytes = MR * NR * es;
    const stride = aBytes + bBytes + tBytes + (pPad / NR) * 12 + 64;
    const fixed = GEOMETRY_BYTES + O * Cg * KK * es + stride * threads;
    const chunk = imagesPerChunk(N, (C * H * W + O * OHW) * es, fixed);
    const arena = new Arena();
    const pg = arena.alloc(GEOMETRY_BYTES);
    const pw = arena.alloc(O * Cg * KK * es);
    const scratch = arena.alloc(stride * threads);
    const pgy = arena.alloc(chunk * O * OHW * es);
    const pdx = arena.alloc(chunk * C * H * W * es);
    if (!r.fits(arena.size)) return conv2dInputGradJs(g, gy, w, dx);
    r.ensure(arena.size);
    writeGeometry(r, pg, g);
    put(r, dt, pw, w);
    const kc = kBlockSize(Og);
    const perImage = threads > 1 ? Math.ceil((2 * threads) / (N * groups)) : 1;
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nc = Math.min(chunk, N - n0);
      put(r, dt, pgy, gy, n0 * O * OHW, nc * O * OHW);
      zero(r, dt, pdx, nc * C * H * W);
      const jobs: Job[] = [];
      for (let n = 0; n < nc; n++) {
        for (let grp = 0; grp < groups; grp++) {
          const gp = pgy + ((n * O + grp * Og) * OHW) * es;
          const xp = pdx + ((n * C + grp * Cg) * H * W) * es;
          const wp = pw + grp * Og * Cg * KK * es;
          for (const [c0, c1] of split(Cg, perImage, 1)) {
            jobs.push({ fn: `conv_dx_${dt}`, args: [pg, gp, wp, xp, c0, c1, kc, 0, aBytes, aBytes + bBytes, aBytes + bBytes + tBytes] });
          }
        }
      }
      runJobs(r, jobs, threads, scratch, stride);
      get(r, dt, pdx, dx, n0 * C * H * W, nc * C * H * W);
    }
  },

  conv2dWeightGrad(g, x, gy, dw) {
    // float32 only when everything is float32; a float64 operand (a broadcast batch summed in
    // float64) computes in float64 and rounds once into a float32 dw, as the JS kernel does.
    if (isDepthwise(g)) return depthwise('dw', g, x, gy, dw);
    const dt: WasmDType = dw instanceof Float32Array && x instanceof Float32Array && gy instanceof Float32Array ? 'f32' : 'f64';
    const es = LANES[dt].es;
    const r = rt();
    const { N, C, H, W, O, Cg, Og, OH, OW, groups } = g;
    const OHW = OH * OW;
    const Kg = Cg * g.KH * g.KW;
    const macs = N * O * OHW * Kg;
    const threads = threadsFor(macs);
    const sc = gemmScratch(dt);
    const fixed = GEOMETRY_BYTES + O * Kg * es + sc.size * threads;
    const chunk = imagesPerChunk(N, (C * H * W + O * OHW) * es, fixed);
    const arena = new Arena();
    const pg = arena.alloc(GEOMETRY_BYTES);
    const pdw = arena.alloc(O * Kg * es);
    const scratch = arena.alloc(sc.size * threads);
    const px = arena.alloc(chunk * C * H * W * es);
    const pgy = arena.alloc(chunk * O * OHW * es);
    if (!r.fits(arena.size)) return conv2dWeightGradJs(g, x, gy, dw);
    r.ensure(arena.size);
    writeGeometry(r, pg, g);
    const kc = kBlockSize(OHW);
    const NR = nrOf(dt);
    const parts = threads > 1 ? Math.ceil((2 * threads) / groups) : 1;
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nc = Math.min(chunk, N - n0);
      put(r, dt, px, x, n0 * C * H * W, nc * C * H * W);
      put(r, dt, pgy, gy, n0 * O * OHW, nc * O * OHW);
      const jobs: Job[] = [];
      for (let grp = 0; grp < groups; grp++) {
        const xp = px + grp * Cg * H * W * es;
        const gp = pgy + grp * Og * OHW * es;
        const dp = pdw + grp * Og * Kg * es;
        for (const [j0, j1] of split(Kg, parts, NR)) {
          jobs.push({ fn: `conv_dw_${dt}`, args: [pg, xp, gp, dp, j0, j1, nc, kc, n0 > 0 ? 1 : 0, sc.a, sc.b, sc.t] });
        }
      }
      runJobs(r, jobs, threads, scratch, sc.size);
    }
    get(r, dt, pdw, dw, 0, O * Kg);
  },

  binary(op, dims, a, sa, b, sb, out) {
    if (out.length < ELEMENTWISE_MIN || !WASM_BINARY.has(op)) return false;
    const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    const arena = new Arena();
    const pa = arena.alloc(a.length * es);
    const pb = arena.alloc(b.length * es);
    const po = arena.alloc(out.length * es);
    if (!r.fits(arena.size)) return false;
    r.ensure(arena.size);
    put(r, dt, pa, a);
    put(r, dt, pb, b);
    const fn = r.fn[`ew_${op as BinaryOp}_${dt}`]!;
    slabs(dims, sa, sb, (o, ao, bo, rows, cols, ars, acs, brs, bcs) => fn(po + o * es, pa + ao * es, ars, acs, pb + bo * es, brs, bcs, rows, cols));
    get(r, dt, po, out);
    return true;
  },

  stridedCopy(x, base, dims, strides, out) {
    if (out.length < ELEMENTWISE_MIN) return false;
    const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    // Only the part of x the view reads is copied in.
    let lo = base;
    let hi = base;
    dims.forEach((d, k) => {
      lo += Math.min(0, (d - 1) * strides[k]!);
      hi += Math.max(0, (d - 1) * strides[k]!);
    });
    const arena = new Arena();
    const px = arena.alloc((hi - lo + 1) * es);
    const po = arena.alloc(out.length * es);
    if (!r.fits(arena.size)) return false;
    r.ensure(arena.size);
    put(r, dt, px, x, lo, hi - lo + 1);
    const fn = r.fn[`copy_${dt}`]!;
    const x0 = px + (base - lo) * es;
    slabs(dims, strides, strides, (o, ao, _bo, rows, cols, ars, acs) => fn(po + o * es, x0 + ao * es, ars, acs, rows, cols));
    get(r, dt, po, out);
    return true;
  },

  sum(x, outer, r, inner, out) {
    if (x.length < ELEMENTWISE_MIN) return false;
    const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const rt0 = rt();
    const arena = new Arena();
    const px = arena.alloc(x.length * es);
    const po = arena.alloc(out.length * es);
    const pacc = arena.alloc(inner * 8);
    if (!rt0.fits(arena.size)) return false;
    rt0.ensure(arena.size);
    put(rt0, dt, px, x);
    rt0.fn[`sum_${dt}`]!(po, px, outer, r, inner, pacc);
    get(rt0, dt, po, out);
    return true;
  },

  maxPool2d(g, rh, rw, x, values, indices) {
    const dt: WasmDType = values instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    const planes = g.N * g.C;
    const arena = new Arena();
    const px = arena.alloc(x.length * es);
    const pv = arena.alloc(values.length * es);
    const pi = arena.alloc(indices.length * 4);
    const prh = arena.alloc(rh.length * 4);
    const prw = arena.alloc(rw.length * 4);
    if (!r.fits(arena.size)) return false;
    r.ensure(arena.size);
    put(r, dt, px, x);
    const i32 = r.i32();
    i32.set(rh, prh >> 2);
    i32.set(rw, prw >> 2);
    r.fn[`maxpool_${dt}`]!(px, pv, pi, planes, g.H, g.W, g.OH, g.OW, prh, prw, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
    get(r, dt, pv, values);
    indices.set(r.i32().subarray(pi >> 2, (pi >> 2) + indices.length));
    return true;
  },

  gather(x, idx, out) {
    return indexed('gather', x, idx, out);
  },

  scatterAdd(g, idx, out) {
    return indexed('scatter_add', g, idx, out);
  },

  relu(a, out) {
    if (out.length < ELEMENTWISE_MIN) return false;
    const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
    const es = LANES[dt].es;
    const r = rt();
    const arena = new Arena();
    const pa = arena.alloc(a.length * es);
    const po = arena.alloc(out.length * es);
    if (!r.fits(arena.size)) return false;
    r.ensure(arena.size);
    put(r, dt, pa, a);
    r.fn[`relu_${dt}`]!(po, pa, a.length);
    get(r, dt, po, out);
    return true;
  },
};
