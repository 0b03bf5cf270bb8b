import { kernels } from './backend.js';
import { allocate } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { check4d, resolvePair } from './conv.js';
import { IndexTensor, Tensor } from './tensor.js';

/** Pooling hyper-parameters as in PyTorch's F.max_pool2d / F.avg_pool2d. */
export interface Pool2dOptions {
  kernelSize: number | readonly [number, number];
  /** Default: kernelSize. */
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  /** Max pooling only. */
  dilation?: number | readonly [number, number];
  ceilMode?: boolean;
  /** Average pooling only; default true, as PyTorch. */
  countIncludePad?: boolean;
}

/** Resolved pooling geometry: input [N,C,H,W], window kh×kw, output [N,C,OH,OW]. */
export interface PoolGeometry {
  N: number; C: number; H: number; W: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  OH: number; OW: number;
}

/** PyTorch's pooling_output_shape for one dimension. */
function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let o = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
}

function poolGeometry(op: string, shape: readonly number[], opts: Pool2dOptions, isMax: boolean): PoolGeometry {
  check4d(op, 'input', shape);
  if (opts === null || typeof opts !== 'object') fail(op, `options with kernelSize are required, got ${String(opts)}`);
  const [N, C, H, W] = shape as [number, number, number, number];
  const [kh, kw] = resolvePair(op, 'kernelSize', opts.kernelSize, 0, 1);
  const [sh, sw] = resolvePair(op, 'stride', opts.stride ?? opts.kernelSize, 1, 1);
  const [ph, pw] = resolvePair(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = resolvePair(op, 'dilation', opts.dilation, 1, 1);
  if (!isMax && (dh !== 1 || dw !== 1)) fail(op, `dilation is only supported by max pooling, got [${dh},${dw}]`);
  const ekh = dh * (kh - 1) + 1;
  const ekw = dw * (kw - 1) + 1;
  // As PyTorch: padding at most half the (effective, for max pooling) kernel size.
  if (2 * ph > ekh || 2 * pw > ekw) {
    const k = isMax && (dh !== 1 || dw !== 1) ? `effective kernel size [${ekh},${ekw}]` : `kernel size [${kh},${kw}]`;
    fail(op, `padding [${ph},${pw}] must be at most half the ${k} (input ${shapeStr(shape)})`);
  }
  if (ekh > H + 2 * ph || ekw > W + 2 * pw) {
    fail(op, `kernel ${ekh}x${ekw}${isMax ? ` (dilation [${dh},${dw}])` : ''} is larger than the padded input ${H + 2 * ph}x${W + 2 * pw} (input ${shapeStr(shape)}, padding [${ph},${pw}])`);
  }
  const ceil = opts.ceilMode ?? false;
  const OH = outSize(H, kh, sh, ph, dh, ceil);
  const OW = outSize(W, kw, sw, pw, dw, ceil);
  return { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW };
}

/** For each output position along one axis, the first and one-past-last valid kernel taps. */
function tapRanges(O: number, size: number, k: number, s: number, p: number, d: number): Int32Array {
  const r = new Int32Array(2 * O);
  for (let o = 0; o < O; o++) {
    const start = o * s - p;
    let lo = 0;
    while (lo < k && start + lo * d < 0) lo++;
    let hi = k;
    while (hi > lo && start + (hi - 1) * d >= size) hi--;
    r[2 * o] = lo;
    r[2 * o + 1] = hi;
  }
  return r;
}

/**
 * Max pooling as PyTorch's F.max_pool2d(return_indices=True), except that `indices` are FLAT
 * indices into x (global, not per plane), ready for gather/scatterAdd. The first maximum in
 * scan order (row-major within the window) wins ties; padding never wins; NaN counts as the
 * largest value and the first NaN wins (PyTorch CPU keeps the last NaN). A window lying entirely
 * in the padding (possible only with dilation) is an error, where PyTorch returns -inf.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): { values: Tensor; indices: IndexTensor } {
  const op = 'maxPool2d';
  const g = poolGeometry(op, x.shape, opts, true);
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = g;
  const rh = tapRanges(OH, H, kh, sh, ph, dh);
  const rw = tapRanges(OW, W, kw, sw, pw, dw);
  for (let o = 0; o < OH; o++) if (rh[2 * o]! >= rh[2 * o + 1]!) fail(op, `window row ${o} lies entirely in the padding (input ${shapeStr(x.shape)})`);
  for (let o = 0; o < OW; o++) if (rw[2 * o]! >= rw[2 * o + 1]!) fail(op, `window column ${o} lies entirely in the padding (input ${shapeStr(x.shape)})`);
  const src = x.data;
  const values = allocate(x.dtype, N * C * OH * OW);
  const idx = new Int32Array(N * C * OH * OW);
  if (kernels().maxPool2d(g, rh, rw, src, values, idx)) {
    return { values: new Tensor(values, [N, C, OH, OW]), indices: new IndexTensor(idx, [N, C, OH, OW]) };
  }
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sh - ph;
      const khLo = rh[2 * oh]!;
      const khHi = rh[2 * oh + 1]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sw - pw;
        const kwLo = rw[2 * ow]!;
        const kwHi = rw[2 * ow + 1]!;
        // Start from the first real tap, then scan: a strictly larger value wins, and the first NaN.
        let bestIdx = base + (h0 + khLo * dh) * W + w0 + kwLo * dw;
        let best = src[bestIdx]!;
        for (let i = khLo; i < khHi; i++) {
          const row = base + (h0 + i * dh) * W + w0;
          for (let j = kwLo; j < kwHi; j++) {
            const p = row + j * dw;
            const v = src[p]!;
            if (v > best || (v !== v && best === best)) {
              best = v;
              bestIdx = p;
            }
          }
        }
        values[o] = best;
        idx[o] = bestIdx;
        o++;
      }
    }
  }
  return { values: new Tensor(values, [N, C, OH, OW]), indices: new IndexTensor(idx, [N, C, OH, OW]) };
}

/**
 * Per output position along one axis: the first valid input index, the number of valid inputs and
 * PyTorch's padded extent (the window clipped to the padded input, used when countIncludePad).
 */
function avgRanges(O: number, size: number, k: number, s: number, p: number): Int32Array {
  const r = new Int32Array(3 * O);
  for (let o = 0; o < O; o++) {
    let start = o * s - p;
    let end = Math.min(start + k, size + p);
    const padded = end - start;
    start = Math.max(start, 0);
    end = Math.min(end, size);
    r[3 * o] = start;
    r[3 * o + 1] = Math.max(0, end - start);
    r[3 * o + 2] = padded;
  }
  return r;
}

interface AvgPlan {
  g: PoolGeometry;
  rh: Int32Array;
  rw: Int32Array;
  includePad: boolean;
}

function avgPlan(op: string, shape: readonly number[], opts: Pool2dOptions): AvgPlan {
  const g = poolGeometry(op, shape, opts, false);
  return {
    g,
    rh: avgRanges(g.OH, g.H, g.kh, g.sh, g.ph),
    rw: avgRanges(g.OW, g.W, g.kw, g.sw, g.pw),
    includePad: opts.countIncludePad ?? true,
  };
}

/**
 * Average pooling as PyTorch's F.avg_pool2d (no dilation). With countIncludePad (the default) the
 * divisor is the window clipped to the padded input, otherwise the number of real inputs; a window
 * with no real input gives 0.
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { g, rh, rw, includePad } = avgPlan('avgPool2d', x.shape, opts);
  const { N, C, H, W, OH, OW } = g;
  const src = x.data;
  const out = allocate(x.dtype, N * C * OH * OW);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = rh[3 * oh]!;
      const nh = rh[3 * oh + 1]!;
      const ph = rh[3 * oh + 2]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = rw[3 * ow]!;
        const nw = rw[3 * ow + 1]!;
        const div = includePad ? ph * rw[3 * ow + 2]! : nh * nw;
        let s = 0;
        for (let i = 0; i < nh; i++) {
          const row = base + (h0 + i) * W + w0;
          for (let j = 0; j < nw; j++) s += src[row + j]!;
        }
        out[o++] = nh * nw === 0 ? 0 : s / div;
      }
    }
  }
  return new Tensor(out, [N, C, OH, OW]);
}

function checkAdjointShapes(op: string, gShape: readonly number[], inputShape: readonly number[], OH: number, OW: number, what: string): void {
  if (gShape[0] !== inputShape[0] || gShape[1] !== inputShape[1] || gShape[2] !== OH || gShape[3] !== OW) {
    fail(op, `gradient ${shapeStr(gShape)} does not match the ${what} output [${inputShape[0]},${inputShape[1]},${OH},${OW}] of input ${shapeStr(inputShape)}`);
  }
}

/** The exact transpose of x ↦ avgPool2d(x, opts) for x of `inputShape`. */
export function avgPool2dAdjoint(g: Tensor, inputShape: readonly number[], opts: Pool2dOptions): Tensor {
  const op = 'avgPool2dAdjoint';
  check4d(op, 'gradient', g.shape);
  const { g: geo, rh, rw, includePad } = avgPlan(op, inputShape, opts);
  const { N, C, H, W, OH, OW } = geo;
  checkAdjointShapes(op, g.shape, inputShape, OH, OW, 'avgPool2d');
  const src = g.data;
  const dx = allocate(g.dtype, N * C * H * W);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = rh[3 * oh]!;
      const nh = rh[3 * oh + 1]!;
      const ph = rh[3 * oh + 2]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = rw[3 * ow]!;
        const nw = rw[3 * ow + 1]!;
        const gv = src[o++]!;
        if (nh * nw === 0) continue;
        const v = gv / (includePad ? ph * rw[3 * ow + 2]! : nh * nw);
        for (let i = 0; i < nh; i++) {
          const row = base + (h0 + i) * W + w0;
          for (let j = 0; j < nw; j++) dx[row + j]! += v;
        }
      }
    }
  }
  return new Tensor(dx, [N, C, H, W]);
}

/** PyTorch's adaptive bins along one axis: start = ⌊i·n/o⌋, end = ⌈(i+1)·n/o⌉, as [start, end) pairs. */
function adaptiveBins(n: number, o: number): Int32Array {
  const r = new Int32Array(2 * o);
  for (let i = 0; i < o; i++) {
    r[2 * i] = Math.floor((i * n) / o);
    r[2 * i + 1] = Math.ceil(((i + 1) * n) / o);
  }
  return r;
}

/** Adaptive average pooling to [oh, ow] with PyTorch's bins (outputs larger than the input allowed). */
export function adaptiveAvgPool2d(x: Tensor, outSize: number | readonly [number, number]): Tensor {
  const op = 'adaptiveAvgPool2d';
  check4d(op, 'input', x.shape);
  const [OH, OW] = resolvePair(op, 'output size', outSize, 1, 1);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const bh = adaptiveBins(H, OH);
  const bw = adaptiveBins(W, OW);
  const src = x.data;
  const out = allocate(x.dtype, N * C * OH * OW);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = bh[2 * oh]!;
      const h1 = bh[2 * oh + 1]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = bw[2 * ow]!;
        const w1 = bw[2 * ow + 1]!;
        let s = 0;
        for (let i = h0; i < h1; i++) {
          const row = base + i * W;
          for (let j = w0; j < w1; j++) s += src[row + j]!;
        }
        out[o++] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return new Tensor(out, [N, C, OH, OW]);
}

/** The exact transpose of x ↦ adaptiveAvgPool2d(x, [g.H, g.W]) for x of `inputShape`. */
export function adaptiveAvgPool2dAdjoint(g: Tensor, inputShape: readonly number[]): Tensor {
  const op = 'adaptiveAvgPool2dAdjoint';
  check4d(op, 'gradient', g.shape);
  check4d(op, 'inputShape', inputShape);
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const OH = g.shape[2]!;
  const OW = g.shape[3]!;
  checkAdjointShapes(op, g.shape, inputShape, OH, OW, 'adaptiveAvgPool2d');
  const bh = adaptiveBins(H, OH);
  const bw = adaptiveBins(W, OW);
  const src = g.data;
  const dx = allocate(g.dtype, N * C * H * W);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = bh[2 * oh]!;
      const h1 = bh[2 * oh + 1]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = bw[2 * ow]!;
        const w1 = bw[2 * ow + 1]!;
        const v = src[o++]! / ((h1 - h0) * (w1 - w0));
        for (let i = h0; i < h1; i++) {
          const row = base + i * W;
          for (let j = w0; j < w1; j++) dx[row + j]! += v;
        }
      }
    }
  }
  return new Tensor(dx, [N, C, H, W]);
}
