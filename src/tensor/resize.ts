import { check4d } from './conv.js';
import { allocate } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * Per output index along one axis (PyTorch's upsample_bilinear2d, no scale_factor):
 * - align_corners = false: src = max((dst + 0.5)·in/out − 0.5, 0) (half-pixel centres);
 * - align_corners = true: src = dst·(in − 1)/(out − 1) (corner pixels map to corner pixels; 0 when out = 1);
 * then i0 = ⌊src⌋, i1 = min(i0 + 1, in − 1), λ = src − i0. Returned as parallel arrays.
 */
function axisTaps(inSize: number, outSize: number, alignCorners: boolean): { i0: Int32Array; i1: Int32Array; l1: Float64Array } {
  // PyTorch's area_pixel_compute_scale: the same scale expression, so rounding matches.
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l1 = new Float64Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const src = alignCorners ? scale * d : Math.max(scale * (d + 0.5) - 0.5, 0);
    const a = Math.min(Math.floor(src), inSize - 1);
    i0[d] = a;
    i1[d] = a < inSize - 1 ? a + 1 : a;
    l1[d] = src - a;
  }
  return { i0, i1, l1 };
}

function checkSize(op: string, size: readonly [number, number]): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d >= 1)) {
    fail(op, `size must be a pair of positive integers [oh, ow], got ${Array.isArray(size) ? `[${size.join(',')}]` : String(size)}`);
  }
  return [size[0], size[1]];
}

/**
 * Bilinear resize of NCHW to [oh, ow], exactly as PyTorch's
 * F.interpolate(x, size=[oh, ow], mode='bilinear', align_corners=alignCorners).
 * align_corners = false (default): half-pixel centres, source coordinates clamped at 0 below and
 * the upper neighbour clamped at the last pixel (OpenCV's INTER_LINEAR). align_corners = true:
 * the corner pixels of input and output coincide, src = dst·(in − 1)/(out − 1)
 * (torch.nn.UpsamplingBilinear2d, used by pytorch-grad-cam's Score-CAM).
 * Works for up- and downscaling (downscaling does not antialias, as PyTorch's default).
 */
export function resizeBilinear(x: Tensor, size: readonly [number, number], alignCorners = false): Tensor {
  const op = 'resizeBilinear';
  check4d(op, 'input', x.shape);
  const [OH, OW] = checkSize(op, size);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const th = axisTaps(H, OH, alignCorners);
  const tw = axisTaps(W, OW, alignCorners);
  const src = x.data;
  const out = allocate(x.dtype, N * C * OH * OW);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const r0 = base + th.i0[oh]! * W;
      const r1 = base + th.i1[oh]! * W;
      const lh1 = th.l1[oh]!;
      const lh0 = 1 - lh1;
      for (let ow = 0; ow < OW; ow++) {
        const c0 = tw.i0[ow]!;
        const c1 = tw.i1[ow]!;
        const lw1 = tw.l1[ow]!;
        const lw0 = 1 - lw1;
        out[o++] = lh0 * (lw0 * src[r0 + c0]! + lw1 * src[r0 + c1]!) + lh1 * (lw0 * src[r1 + c0]! + lw1 * src[r1 + c1]!);
      }
    }
  }
  return new Tensor(out, [N, C, OH, OW]);
}

/** The exact transpose of x ↦ resizeBilinear(x, [g.H, g.W], alignCorners) for x of `inputShape`. */
export function resizeBilinearAdjoint(g: Tensor, inputShape: readonly number[], alignCorners = false): Tensor {
  const op = 'resizeBilinearAdjoint';
  check4d(op, 'gradient', g.shape);
  check4d(op, 'inputShape', inputShape);
  const [N, C, H, W] = inputShape as [number, number, number, number];
  if (g.shape[0] !== N || g.shape[1] !== C) {
    fail(op, `gradient ${shapeStr(g.shape)} and inputShape ${shapeStr(inputShape)} differ in batch or channels`);
  }
  const OH = g.shape[2]!;
  const OW = g.shape[3]!;
  const th = axisTaps(H, OH, alignCorners);
  const tw = axisTaps(W, OW, alignCorners);
  const src = g.data;
  const dx = allocate(g.dtype, N * C * H * W);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const r0 = base + th.i0[oh]! * W;
      const r1 = base + th.i1[oh]! * W;
      const lh1 = th.l1[oh]!;
      const lh0 = 1 - lh1;
      for (let ow = 0; ow < OW; ow++) {
        const c0 = tw.i0[ow]!;
        const c1 = tw.i1[ow]!;
        const lw1 = tw.l1[ow]!;
        const lw0 = 1 - lw1;
        const v = src[o++]!;
        dx[r0 + c0]! += lh0 * lw0 * v;
        dx[r0 + c1]! += lh0 * lw1 * v;
        dx[r1 + c0]! += lh1 * lw0 * v;
        dx[r1 + c1]! += lh1 * lw1 * v;
      }
    }
  }
  return new Tensor(dx, [N, C, H, W]);
}
