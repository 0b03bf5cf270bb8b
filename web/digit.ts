/**
 * MNIST-style preprocessing of a drawn digit (white on black): crop to the ink, scale the longer
 * side to 20 px with camlab's exact area resampling, and place it in a 28×28 picture with its
 * centre of mass at the centre — how the MNIST digits were made, so mnist-cnn sees familiar input.
 * Pure (no DOM), so it is tested like the rest.
 */
import { areaResample } from '../src/io/image.js';
import type { Rgba } from './protocol.js';

export const MNIST_SIDE = 28;
const BOX = 20;

/** The centred 28×28 digit, or null when nothing is drawn. */
export function centreDigit(img: Rgba, threshold = 8): Rgba | null {
  const { width: w, height: h, data } = img;
  const grey = new Float64Array(w * h);
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = (0.299 * data[4 * i]! + 0.587 * data[4 * i + 1]! + 0.114 * data[4 * i + 2]!) * (data[4 * i + 3]! / 255);
      grey[i] = v;
      if (v > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const crop = new Float64Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(grey.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + bw), y * bw);
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  const small = areaResample(crop, bw, bh, tw, th);
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const ox = clamp(Math.round(MNIST_SIDE / 2 - cx / mass), 0, MNIST_SIDE - tw);
  const oy = clamp(Math.round(MNIST_SIDE / 2 - cy / mass), 0, MNIST_SIDE - th);
  const out = new Uint8ClampedArray(MNIST_SIDE * MNIST_SIDE * 4);
  for (let i = 0; i < MNIST_SIDE * MNIST_SIDE; i++) out[4 * i + 3] = 255;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = Math.round(small[y * tw + x]!);
      const o = 4 * ((oy + y) * MNIST_SIDE + ox + x);
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    }
  }
  return { width: MNIST_SIDE, height: MNIST_SIDE, data: out };
}
