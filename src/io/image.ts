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
  const { width: ow, height: oh } = input;
  // Row by row, so memory is O(ow·h), not O(w·h): a 50-megapixel photo needs no full-size float
  // planes. Each row's values (alpha applied, then luminance) are the same doubles in the same
  // summation order as areaResample over full planes would use, so the result is bit-identical.
  const wx = coverage(w, ow);
  const rgb = [new Float64Array(w), new Float64Array(w), new Float64Array(w)] as const;
  const grey = new Float64Array(w);
  const rows = Array.from({ length: c }, () => new Float64Array(ow * h));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      const a = data[i + 3]! / 255;
      for (let k = 0; k < 3; k++) rgb[k]![x] = (data[i + k]! / 255) * a;
      if (c === 1) grey[x] = 0.299 * rgb[0][x]! + 0.587 * rgb[1][x]! + 0.114 * rgb[2][x]!;
    }
    for (let k = 0; k < c; k++) resampleRow(c === 1 ? grey : rgb[k]!, 0, wx, rows[k]!, y * ow);
  }
  const out = zeros([1, c, oh, ow], { dtype: 'float64' });
  rows.forEach((tmp, k) => {
    const r = resampleColumns(tmp, h, ow, oh);
    const m = input.mean?.[k] ?? 0;
    const s = input.std?.[k] ?? 1;
    const base = k * ow * oh;
    for (let i = 0; i < r.length; i++) out.data[base + i] = (r[i]! - m) / s;
  });
  return out;
}

/** Exact area-average resampling of one plane (box filter with fractional coverage): rows first, then columns. */
export function areaResample(src: Float64Array, w: number, h: number, ow: number, oh: number): Float64Array {
  if (w === ow && h === oh) return src.slice();
  const wx = coverage(w, ow);
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) resampleRow(src, y * w, wx, tmp, y * ow);
  return resampleColumns(tmp, h, ow, oh);
}

/** One row of the horizontal pass: out[outAt + x] = Σ f · src[at + i] over the cells output x covers. */
function resampleRow(src: Float64Array, at: number, wx: Array<Array<[number, number]>>, out: Float64Array, outAt: number): void {
  for (let x = 0; x < wx.length; x++) {
    let acc = 0;
    for (const [i, f] of wx[x]!) acc += f * src[at + i]!;
    out[outAt + x] = acc;
  }
}

/** The vertical pass over the rows of the horizontal one ([h, ow] → [oh, ow]). */
function resampleColumns(tmp: Float64Array, h: number, ow: number, oh: number): Float64Array {
  const wy = coverage(h, oh);
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
