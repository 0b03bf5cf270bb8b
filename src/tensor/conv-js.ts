import { kBlockSize } from './contract.js';
import type { Conv2dGeometry } from './conv.js';
import type { FloatArray } from './dtype.js';
import { gemmJs } from './gemm-js.js';

// The JS reference convolution kernels: im2col / col2im around the one JS GEMM, in the
// summation order of contract.ts. The column matrix of a band is [Cg·KH·KW, positions]: row
// (c, kh, kw), column p = oh·OW + ow holds x[c, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw] (0 outside
// the input). Working in bands keeps it small (about COL_TARGET doubles) whatever the image size;
// bands split only what the contract allows (output positions of the forward pass, input channels
// of the input gradient, the contract's K blocks of the weight gradient).

/** Target size in doubles of one band's column matrix (2 MB). */
const COL_TARGET = 1 << 18;

let colScratch = new Float64Array(0);

/** A reusable float64 scratch of at least n elements (contents undefined). */
function colBuffer(n: number): Float64Array {
  if (colScratch.length < n) colScratch = new Float64Array(n);
  return colScratch;
}

/**
 * For each kernel column kw, the range [lo, hi) of output columns whose input column
 * ow·sw − pw + kw·dw lies in [0, W): entries 2·kw and 2·kw + 1.
 */
function validRanges(g: Conv2dGeometry): Int32Array {
  const r = new Int32Array(2 * g.KW);
  for (let kw = 0; kw < g.KW; kw++) {
    const shift = kw * g.dw - g.pw; // input column = ow * sw + shift
    const lo = Math.min(g.OW, shift >= 0 ? 0 : Math.ceil(-shift / g.sw));
    const hi = Math.min(g.OW, Math.floor((g.W - 1 - shift) / g.sw) + 1);
    r[2 * kw] = lo;
    r[2 * kw + 1] = Math.max(lo, hi);
  }
  return r;
}

/** The column matrix of output positions [p0, p1) of one image and group (at xOff): col[k·(p1 − p0) + p − p0]. */
function im2col(x: FloatArray, xOff: number, g: Conv2dGeometry, ranges: Int32Array, p0: number, p1: number, col: Float64Array): void {
  const { Cg, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OW } = g;
  let dst = 0;
  for (let c = 0; c < Cg; c++) {
    const plane = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const lo = ranges[2 * kw]!;
        const hi = ranges[2 * kw + 1]!;
        const shiftW = kw * dw - pw;
        let oh = Math.floor(p0 / OW);
        let ow0 = p0 - oh * OW;
        for (let p = p0; p < p1; oh++, ow0 = 0) {
          // The run of positions in output row oh: columns [ow0, ow1).
          const len = Math.min(p1 - p, OW - ow0);
          const ow1 = ow0 + len;
          const d = dst - ow0;
          const ih = oh * sh - ph + kh * dh;
          if (ih < 0 || ih >= H) {
            col.fill(0, dst, dst + len);
          } else {
            const src = plane + ih * W + shiftW;
            const a = Math.min(Math.max(lo, ow0), ow1);
            const b = Math.max(Math.min(hi, ow1), a);
            for (let ow = ow0; ow < a; ow++) col[d + ow] = 0;
            if (sw === 1) {
              for (let ow = a; ow < b; ow++) col[d + ow] = x[src + ow]!;
            } else {
              for (let ow = a; ow < b; ow++) col[d + ow] = x[src + ow * sw]!;
            }
            for (let ow = b; ow < ow1; ow++) col[d + ow] = 0;
          }
          dst += len;
          p += len;
        }
      }
    }
  }
}

/**
 * dx (one image and group, at dxOff) += col2im(col) for input channels [c0, c1): the adjoint of
 * im2col over all output positions. Each dx element receives its taps in (kh, kw) order.
 */
function col2im(col: Float64Array, g: Conv2dGeometry, ranges: Int32Array, c0: number, c1: number, dx: FloatArray, dxOff: number): void {
  const { H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW } = g;
  let src = 0;
  for (let c = c0; c < c1; c++) {
    const plane = dxOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const lo = ranges[2 * kw]!;
        const hi = ranges[2 * kw + 1]!;
        const shiftW = kw * dw - pw;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - ph + kh * dh;
          if (ih >= 0 && ih < H) {
            const dst = plane + ih * W + shiftW;
            if (sw === 1) {
              for (let ow = lo; ow < hi; ow++) dx[dst + ow]! += col[src + ow]!;
            } else {
              for (let ow = lo; ow < hi; ow++) dx[dst + ow * sw]! += col[src + ow]!;
            }
          }
          src += OW;
        }
      }
    }
  }
}

/** True when the column matrix of an image is the image itself (1×1 kernel, stride 1, no padding). */
export function isPointwise(g: Conv2dGeometry): boolean {
  return g.KH === 1 && g.KW === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}

/** out [N,O,OH,OW] = conv2d(x, w): per image, group and band of output rows, W_g · im2col(x). */
export function conv2dJs(g: Conv2dGeometry, x: FloatArray, w: FloatArray, out: FloatArray): void {
  const { N, C, H, W, O, Cg, Og, OH, OW, groups } = g;
  const OHW = OH * OW;
  const Kg = Cg * g.KH * g.KW;
  if (isPointwise(g)) {
    for (let n = 0; n < N; n++) {
      for (let grp = 0; grp < groups; grp++) {
        const xOff = (n * C + grp * Cg) * H * W;
        gemmJs(Og, OHW, Kg, w, grp * Og * Kg, Kg, 1, x, xOff, OHW, 1, out, (n * O + grp * Og) * OHW, OHW, false);
      }
    }
    return;
  }
  const band = Math.max(1, Math.min(OH, Math.floor(COL_TARGET / (Kg * OW))));
  const col = colBuffer(Kg * band * OW);
  const ranges = validRanges(g);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < groups; grp++) {
      const xOff = (n * C + grp * Cg) * H * W;
      const cOff = (n * O + grp * Og) * OHW;
      for (let oh0 = 0; oh0 < OH; oh0 += band) {
        const oh1 = Math.min(OH, oh0 + band);
        const cols = (oh1 - oh0) * OW;
        im2col(x, xOff, g, ranges, oh0 * OW, oh1 * OW, col);
        gemmJs(Og, cols, Kg, w, grp * Og * Kg, Kg, 1, col, 0, cols, 1, out, cOff + oh0 * OW, OHW, false);
      }
    }
  }
}

/**
 * dx [N,C,H,W] (zero-filled by the caller) = the input gradient of conv2d for gy [N,O,OH,OW]:
 * per image, group and band of input channels, dcol = W_gᵀ · gy (one GEMM, the transpose taken
 * through the strides), then col2im.
 */
export function conv2dInputGradJs(g: Conv2dGeometry, gy: FloatArray, w: FloatArray, dx: FloatArray): void {
  const { N, C, H, W, O, Cg, Og, OH, OW, groups } = g;
  const OHW = OH * OW;
  const KK = g.KH * g.KW;
  const Kg = Cg * KK;
  const pointwise = isPointwise(g);
  const band = Math.max(1, Math.min(Cg, Math.floor(COL_TARGET / (KK * OHW))));
  const col = pointwise ? null : colBuffer(band * KK * OHW);
  const ranges = validRanges(g);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < groups; grp++) {
      const gOff = (n * O + grp * Og) * OHW;
      const xOff = (n * C + grp * Cg) * H * W;
      const wOff = grp * Og * Kg;
      if (col === null) {
        gemmJs(Kg, OHW, Og, w, wOff, 1, Kg, gy, gOff, OHW, 1, dx, xOff, OHW, false);
        continue;
      }
      for (let c0 = 0; c0 < Cg; c0 += band) {
        const c1 = Math.min(Cg, c0 + band);
        gemmJs((c1 - c0) * KK, OHW, Og, w, wOff + c0 * KK, 1, Kg, gy, gOff, OHW, 1, col, 0, OHW, false);
        col2im(col, g, ranges, c0, c1, dx, xOff);
      }
    }
  }
}

/**
 * dw [O, C/groups, KH, KW] = Σ_n gy_n · im2col(x_n)ᵀ over g.N images, in the contract's order:
 * image after image, each in K blocks of kBlockSize(OH·OW) output positions, accumulated in
 * float64 (then rounded once into a float32 dw).
 */
export function conv2dWeightGradJs(g: Conv2dGeometry, x: FloatArray, gy: FloatArray, dw: FloatArray): void {
  const { N, C, H, W, O, Cg, Og, OH, OW, groups } = g;
  const OHW = OH * OW;
  const Kg = Cg * g.KH * g.KW;
  const acc = dw instanceof Float64Array ? dw : new Float64Array(O * Kg);
  const pointwise = isPointwise(g);
  const kc = kBlockSize(OHW);
  const col = pointwise ? null : colBuffer(Kg * kc);
  const ranges = validRanges(g);
  for (let grp = 0; grp < groups; grp++) {
    for (let n = 0; n < N; n++) {
      const gOff = (n * O + grp * Og) * OHW;
      const xOff = (n * C + grp * Cg) * H * W;
      for (let p0 = 0; p0 < OHW; p0 += kc) {
        const len = Math.min(kc, OHW - p0);
        const first = n === 0 && p0 === 0;
        if (col === null) {
          gemmJs(Og, Kg, len, gy, gOff + p0, OHW, 1, x, xOff + p0, 1, OHW, acc, grp * Og * Kg, Kg, !first);
        } else {
          im2col(x, xOff, g, ranges, p0, p0 + len, col);
          gemmJs(Og, Kg, len, gy, gOff + p0, OHW, 1, col, 0, 1, len, acc, grp * Og * Kg, Kg, !first);
        }
      }
    }
  }
  if (acc !== dw) dw.set(acc);
}
