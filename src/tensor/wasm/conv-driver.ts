import type { Kernels } from '../backend.js';
import { kBlockSize, KC } from '../contract.js';
import { applyEpilogue, epilogueFlags, type ConvEpilogue } from '../conv-epilogue.js';
import { conv2dInputGradJs, conv2dJs, conv2dWeightGradJs } from '../conv-js.js';
import type { Conv2dGeometry } from '../conv.js';
import type { FloatArray } from '../dtype.js';
import { gemmScratch } from './gemm-driver.js';
import { LANES, type WasmDType } from './gemm-kernel.js';
import { GEOMETRY_BYTES, GEOMETRY_FIELDS } from './geometry.js';
import { nrOf, TILES } from './module.js';
import { Arena, type WasmRuntime } from './runtime.js';
import { runJobs, type Job } from './threads.js';
import { get, put, rt, split, threadsFor, zero } from './transfer.js';

// The convolutions on the wasm kernels: operands copied in once per call (images in chunks that
// fit the memory), jobs per image, group and output block (positions or output channels for the
// forward pass, input channels for the input gradient, columns of dW for the weight gradient).

/** Memory one call may use for the images it holds at once (larger batches go in chunks). */
const CHUNK_BYTES = 256 << 20;

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

/**
 * The buffers of a forward or weight-gradient call (both GEMMs over im2col blocks): the geometry,
 * the weights (or dW) [O, Cg·KH·KW], the threads' GEMM scratch, and a chunk of images of x and of
 * out (or g). null when they do not fit the kernels' memory.
 */
function imageGemmLayout(g: Conv2dGeometry, dt: WasmDType, ep: ConvEpilogue | null = null): {
  r: WasmRuntime; es: number; OHW: number; Kg: number; threads: number; sc: ReturnType<typeof gemmScratch>;
  chunk: number; pg: number; pw: number; scratch: number; px: number; py: number; pe: number; pres: number;
} | null {
  const es = LANES[dt].es;
  const r = rt();
  const { N, C, H, W, O, Cg, OH, OW } = g;
  const OHW = OH * OW;
  const Kg = Cg * g.KH * g.KW;
  const threads = threadsFor(N * O * OHW * Kg);
  const sc = gemmScratch(dt);
  // An epilogue's per-channel parameters (4 × O) and a chunk's residual (like the output).
  const params = ep === null ? 0 : 4 * O * es;
  const residual = ep?.residual ? O * OHW * es : 0;
  const chunk = imagesPerChunk(N, (C * H * W + O * OHW) * es + residual, GEOMETRY_BYTES + O * Kg * es + sc.size * threads + params);
  const arena = new Arena();
  const pg = arena.alloc(GEOMETRY_BYTES);
  const pw = arena.alloc(O * Kg * es);
  const scratch = arena.alloc(sc.size * threads);
  const px = arena.alloc(chunk * C * H * W * es);
  const py = arena.alloc(chunk * O * OHW * es);
  const pe = arena.alloc(params);
  const pres = arena.alloc(chunk * residual);
  if (!r.fits(arena.size)) return null;
  r.ensure(arena.size);
  writeGeometry(r, pg, g);
  return { r, es, OHW, Kg, threads, sc, chunk, pg, pw, scratch, px, py, pe, pres };
}

/** Writes an epilogue's per-channel parameters at pe: bias, mean, scale, shift (O values each; absent ones left as they are). */
function putEpilogueParams(r: WasmRuntime, dt: WasmDType, pe: number, ep: ConvEpilogue, O: number): void {
  const es = LANES[dt].es;
  const parts = [ep.bias, ep.affine?.mean, ep.affine?.scale, ep.affine?.shift];
  parts.forEach((a, k) => {
    if (a !== undefined) put(r, dt, pe + k * O * es, a);
  });
}

/**
 * Runs the epilogue on a chunk's output (images n0 … n0 + nc − 1, at po) in the kernels' memory:
 * the residual of those images is copied in first; jobs split the planes between threads.
 */
function runEpilogue(r: WasmRuntime, dt: WasmDType, ep: ConvEpilogue, po: number, pe: number, pres: number, n0: number, nc: number, O: number, plane: number, threads: number): void {
  const es = LANES[dt].es;
  if (ep.residual) put(r, dt, pres, ep.residual, n0 * O * plane, nc * O * plane);
  const fn = `epi_${dt}_${epilogueFlags(ep)}`;
  const args = (p0: number, p1: number): number[] => [po, p0, p1, O, plane, pe, pe + O * es, pe + 2 * O * es, pe + 3 * O * es, pres];
  const jobs: Job[] = split(nc * O, threadsFor(nc * O * plane) > 1 ? threads : 1, 1).map(([p0, p1]) => ({ fn, args: args(p0, p1) }));
  runJobs(r, jobs, threads, 0, 0);
}

/** conv2d and its two gradients on the wasm kernels (depthwise ones on their own kernels). */
export const convKernels: Pick<Kernels, 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad'> = {
  conv2d(g, x, w, out, ep = null) {
    const epi = ep !== null && epilogueFlags(ep) !== 0 ? ep : null;
    const OHW = g.OH * g.OW;
    if (isDepthwise(g)) {
      depthwise('fwd', g, x, w, out);
      if (epi !== null) applyEpilogue(out, epi, g.O, OHW);
      return;
    }
    const dt: WasmDType = out instanceof Float64Array ? 'f64' : 'f32';
    const L = imageGemmLayout(g, dt, epi);
    if (L === null) {
      conv2dJs(g, x, w, out);
      if (epi !== null) applyEpilogue(out, epi, g.O, OHW);
      return;
    }
    const { r, es, Kg, threads, sc, chunk, pg, pw, scratch, px, py: po, pe, pres } = L;
    const { N, C, H, W, O, Cg, Og, groups } = g;
    put(r, dt, pw, w);
    if (epi !== null) putEpilogueParams(r, dt, pe, epi, O);
    const kc = kBlockSize(Kg);
    const NR = nrOf(dt);
    // One job per thread when images are few: each part of an image packs again the operand it
    // shares with the other parts (all of W when split by positions, all of the image's im2col
    // when split by output channels), so more parts cost more packing than they gain in balance
    // (ResNet-18 on 2 threads: 4 parts per thread packed 3.5x the 1-thread total).
    const perImage = threads > 1 ? Math.ceil(threads / (N * groups)) : 1;
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nc = Math.min(chunk, N - n0);
      put(r, dt, px, x, n0 * C * H * W, nc * C * H * W);
      const jobs: Job[] = [];
      for (let n = 0; n < nc; n++) {
        for (let grp = 0; grp < groups; grp++) {
          const xp = px + ((n * C + grp * Cg) * H * W) * es;
          const op = po + ((n * O + grp * Og) * OHW) * es;
          const wp = pw + grp * Og * Kg * es;
          // Split the side whose other operand is cheaper to pack again: positions when W's
          // rows (Og) are fewer than the positions, output channels otherwise.
          const byPositions = OHW >= perImage * NR && Og <= OHW;
          const parts = byPositions ? split(OHW, perImage, NR).map(([a, b]) => [0, Og, a, b]) : split(Og, perImage, TILES[dt].MR).map(([a, b]) => [a, b, 0, OHW]);
          for (const [o0, o1, p0, p1] of parts) {
            jobs.push({ fn: `conv_fwd_${dt}`, args: [pg, xp, wp, op, o0!, o1!, p0!, p1!, kc, sc.a, sc.b, sc.t, sc.tab] });
          }
        }
      }
      runJobs(r, jobs, threads, scratch, sc.size);
      if (epi !== null) runEpilogue(r, dt, epi, po, pe, pres, n0, nc, O, OHW, threads);
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
    // As in conv2d: one job per thread (each packs all of the image's g).
    const perImage = threads > 1 ? Math.ceil(threads / (N * groups)) : 1;
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
    const L = imageGemmLayout(g, dt);
    if (L === null) return conv2dWeightGradJs(g, x, gy, dw);
    const { r, es, OHW, Kg, threads, sc, chunk, pg, pw: pdw, scratch, px, py: pgy } = L;
    const { N, C, H, W, O, Cg, Og, groups } = g;
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
};
