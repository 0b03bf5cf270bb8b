import { zeros } from '../tensor/create.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { InputSpec } from '../nn/spec.js';
import type { RgbaImage } from './rgba.js';

/**
 * Converts any RGBA picture to a model input [1, C, H, W]:
 * 1. alpha is composited over black (transparent = background 0, as MNIST-style digits expect);
 * 2. for 1-channel models colour becomes luminance 0.299 R + 0.587 G + 0.114 B; for 3-channel
 *    models grey stays grey (R = G = B);
 * 3. the picture is resampled to the model's size with an area average (each output pixel is
 *    the mean of the input area it covers; exact box filter, so shrinking does not alias and an
 *    image already at the right size is unchanged);
 * 4. pixel values v/255 ∈ [0, 1] are normalized as (v − mean)/std when the spec gives them.
 */
export function imageToInput(img: RgbaImage, input: InputSpec): Tensor {
  const { width: w, height: h, data } = img;
  if (data.length !== w * h * 4) fail('imageToInput', `RGBA data has ${data.length} bytes, expected ${w * h * 4} for ${w}x${h}`);
  const c = input.channels;
  if (c !== 1 && c !== 3) fail('imageToInput', `models with ${c} input channels are not supported (1 or 3)`);
  // Planar float channels at source resolution, alpha applied.
  const src = [new Float64Array(w * h), new Float64Array(w * h), new Float64Array(w * h)];
  for (let i = 0; i < w * h; i++) {
    const a = data[4 * i + 3]! / 255;
    for (let k = 0; k < 3; k++) src[k]![i] = (data[4 * i + k]! / 255) * a;
  }
  const planes = c === 1 ? [src[0]!.map((r, i) => 0.299 * r + 0.587 * src[1]![i]! + 0.114 * src[2]![i]!)] : src;
  const out = zeros([1, c, input.height, input.width], { dtype: 'float64' });
  planes.forEach((p, k) => {
    const r = areaResample(p, w, h, input.width, input.height);
    const m = input.mean?.[k] ?? 0;
    const s = input.std?.[k] ?? 1;
    const base = k * input.width * input.height;
    for (let i = 0; i < r.length; i++) out.data[base + i] = (r[i]! - m) / s;
  });
  return out;
}

/** Exact area-average resampling of one plane (box filter with fractional coverage). */
export function areaResample(src: Float64Array, w: number, h: number, ow: number, oh: number): Float64Array {
  if (w === ow && h === oh) return src.slice();
  const wx = coverage(w, ow);
  const wy = coverage(h, oh);
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (const [i, f] of wx[x]!) acc += f * src[y * w + i]!;
      tmp[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (const [j, f] of wy[y]!) acc += f * tmp[j * ow + x]!;
      out[y * ow + x] = acc;
    }
  }
  return out;
}

/** For each output cell, the input cells it overlaps and their normalized weights. When enlarging, sample the nearest-covering cells. */
function coverage(n: number, m: number): Array<Array<[number, number]>> {
  const scale = n / m;
  const out: Array<Array<[number, number]>> = [];
  for (let o = 0; o < m; o++) {
    const a = o * scale;
    const b = (o + 1) * scale;
    const cells: Array<[number, number]> = [];
    for (let i = Math.floor(a); i < Math.min(Math.ceil(b), n); i++) {
      const f = Math.min(b, i + 1) - Math.max(a, i);
      if (f > 0) cells.push([i, f / scale]);
    }
    out.push(cells);
  }
  return out;
}

/** The inverse of the input normalization for display: [1,C,H,W] tensor → RGBA bytes. */
export function inputToImage(x: Tensor, input: InputSpec): RgbaImage {
  const [, c, h, w] = x.shape as [number, number, number, number];
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) {
      const ch = c === 1 ? 0 : k;
      const v = x.data[ch * w * h + i]! * (input.std?.[ch] ?? 1) + (input.mean?.[ch] ?? 0);
      data[4 * i + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    data[4 * i + 3] = 255;
  }
  return { width: w, height: h, data };
}
