/**
 * Non-square pictures on a square model input. Resampling a 4:3 photo to 64×64 squashes it; the
 * page offers what people expect instead: the centre crop (torchvision's CenterCrop, the usual
 * ImageNet preprocessing after a resize of the shorter side) or letterboxing (black bars). Pure
 * (no DOM), so it is tested like the rest.
 */
import type { Rgba } from './protocol.js';

/** 'crop': the centred region of the model's aspect; 'letterbox': the whole picture with black bars; 'stretch': as is (squashed by the resampling). */
export type FitMode = 'crop' | 'letterbox' | 'stretch';

export const FIT_MODES: readonly FitMode[] = ['crop', 'letterbox', 'stretch'];

/** Python's round(): halves to even, as torchvision computes the crop's offset. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Copies the w×h block at (x0, y0) of src into dst at (dx, dy). */
function blit(src: Rgba, x0: number, y0: number, w: number, h: number, dst: Rgba, dx: number, dy: number): void {
  for (let y = 0; y < h; y++) {
    const from = 4 * ((y0 + y) * src.width + x0);
    dst.data.set(src.data.subarray(from, from + 4 * w), 4 * ((dy + y) * dst.width + dx));
  }
}

/**
 * The picture brought to the aspect ratio width/height of the model's input. Crop: the largest
 * centred region of that aspect, offsets round((W − w)/2) as torchvision's CenterCrop. Letterbox:
 * the picture centred on opaque black of that aspect. A picture already of that aspect (to a
 * pixel) is returned unchanged.
 */
export function fitAspect(img: Rgba, aspect: number, mode: FitMode): Rgba {
  const { width: w, height: h } = img;
  if (mode === 'stretch') return img;
  const wide = w / h > aspect;
  if (mode === 'crop') {
    const cw = wide ? Math.max(1, Math.round(h * aspect)) : w;
    const ch = wide ? h : Math.max(1, Math.round(w / aspect));
    if (cw === w && ch === h) return img;
    const out: Rgba = { width: cw, height: ch, data: new Uint8ClampedArray(cw * ch * 4) };
    blit(img, roundHalfEven((w - cw) / 2), roundHalfEven((h - ch) / 2), cw, ch, out, 0, 0);
    return out;
  }
  const bw = wide ? w : Math.round(h * aspect);
  const bh = wide ? Math.round(w / aspect) : h;
  if (bw === w && bh === h) return img;
  const out: Rgba = { width: bw, height: bh, data: new Uint8ClampedArray(bw * bh * 4) };
  for (let i = 3; i < out.data.length; i += 4) out.data[i] = 255;
  blit(img, 0, 0, w, h, out, Math.floor((bw - w) / 2), Math.floor((bh - h) / 2));
  return out;
}
