import type { DType } from '../tensor/dtype.js';
import { zeros } from '../tensor/create.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { IMAGENET_CLASSES } from './imagenet-classes.js';
import type { RgbaImage } from './rgba.js';

/**
 * The torchvision classification recipe, `Resize(size) → CenterCrop(crop) → ToTensor() →
 * Normalize(mean, std)`, as real ONNX classifiers expect their input.
 */
export interface Preprocessing {
  /** Resize: a number sets the shorter side (aspect kept, the longer side truncated as torchvision); [h, w] sets both; null keeps the size. */
  size: number | readonly [number, number] | null;
  /** Centre crop: a number for a square, or [h, w]; null for none. */
  crop: number | readonly [number, number] | null;
  /** Per-channel mean and std applied to v/255 (one entry per input channel). */
  mean: readonly number[];
  std: readonly number[];
  /** 3 (RGB; alpha is dropped, as PIL's convert('RGB')) or 1 (PIL's convert('L') luminance). */
  channels: 1 | 3;
}

/** torchvision's ImageNet recipe: resize the shorter side to 256, centre-crop 224, ImageNet mean and std. */
export const IMAGENET_PREPROCESSING: Preprocessing = Object.freeze({
  size: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: 3,
});

/**
 * Applies a {@link Preprocessing} to an RGBA picture: [1, C, H, W] of `dtype` (default float64).
 * Resizing is PIL's antialiased bilinear filter (what torchvision's Resize does to PIL images,
 * and to tensors with antialias=True) computed in floating point, so it agrees with torchvision
 * within 1/255.
 */
export function preprocess(img: RgbaImage, p: Preprocessing, dtype: DType = 'float64'): Tensor {
  const { width: w, height: h, data } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || data.length !== w * h * 4) {
    fail('preprocess', `RGBA data has ${data.length} bytes, expected ${w * h * 4} for ${w}x${h}`);
  }
  if (p.mean.length !== p.channels || p.std.length !== p.channels) fail('preprocess', `mean and std need ${p.channels} entries, got ${p.mean.length} and ${p.std.length}`);
  let planes = rgbPlanes(img, p.channels);
  let [pw, ph] = [w, h];
  if (p.size !== null) {
    const [oh, ow] = resizedSize(h, w, p.size);
    planes = planes.map((plane) => resizeAntialiased(plane, pw, ph, ow, oh));
    [pw, ph] = [ow, oh];
  }
  let [ch, cw] = [ph, pw];
  if (p.crop !== null) [ch, cw] = typeof p.crop === 'number' ? [p.crop, p.crop] : [p.crop[0], p.crop[1]];
  const { top, left } = centerCropOrigin(ph, pw, ch, cw);
  const out = zeros([1, p.channels, ch, cw], { dtype });
  planes.forEach((plane, k) => {
    const base = k * ch * cw;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const sy = top + y;
        const sx = left + x;
        // Outside the image (a crop larger than it): torchvision pads with 0 before normalizing.
        const v = sy >= 0 && sy < ph && sx >= 0 && sx < pw ? plane[sy * pw + sx]! / 255 : 0;
        out.data[base + y * cw + x] = (v - p.mean[k]!) / p.std[k]!;
      }
    }
  });
  return out;
}

/** The channel planes in 0..255: R, G, B (alpha ignored), or PIL's 8-bit luminance L ≈ 0.299 R + 0.587 G + 0.114 B (Convert.c's L24, rounded). */
function rgbPlanes(img: RgbaImage, channels: 1 | 3): Float64Array[] {
  const n = img.width * img.height;
  const planes = Array.from({ length: channels }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [img.data[4 * i]!, img.data[4 * i + 1]!, img.data[4 * i + 2]!];
    if (channels === 1) planes[0]![i] = Math.floor((r * 19595 + g * 38470 + b * 7471 + 0x8000) / 65536);
    else [planes[0]![i], planes[1]![i], planes[2]![i]] = [r, g, b];
  }
  return planes;
}

/**
 * torchvision's Resize output size [h, w]: an int sets the shorter side and the longer one
 * becomes int(size · long / short) (truncated); a pair is the size itself.
 */
export function resizedSize(h: number, w: number, size: number | readonly [number, number]): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  if (w <= h) return [Math.trunc((size * h) / w), size];
  return [size, Math.trunc((size * w) / h)];
}

/** torchvision's center_crop origin: int(round((size − crop) / 2)) with Python's round-half-to-even. */
export function centerCropOrigin(h: number, w: number, ch: number, cw: number): { top: number; left: number } {
  return { top: roundHalfEven((h - ch) / 2), left: roundHalfEven((w - cw) / 2) };
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * PIL's antialiased bilinear resize of one plane (Resample.c, precompute_coeffs with the
 * triangle filter): output pixel i covers centre (i + ½)·scale of the input, with support
 * max(scale, 1) and weights 1 − |d|/max(scale, 1), normalized; separable, horizontal then
 * vertical. PIL rounds each pass to 8 bits; this keeps floating point.
 */
export function resizeAntialiased(src: Float64Array, w: number, h: number, ow: number, oh: number): Float64Array {
  if (!Number.isInteger(ow) || !Number.isInteger(oh) || ow < 1 || oh < 1) fail('preprocess', `resize to ${ow}x${oh} is not a positive size`);
  const cx = coefficients(w, ow);
  const cy = coefficients(h, oh);
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      const { start, weights } = cx[x]!;
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k]! * src[y * w + start + k]!;
      tmp[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    const { start, weights } = cy[y]!;
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k]! * tmp[(start + k) * ow + x]!;
      out[y * ow + x] = acc;
    }
  }
  return out;
}

function coefficients(inSize: number, outSize: number): Array<{ start: number; weights: number[] }> {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle filter's support is 1
  const out: Array<{ start: number; weights: number[] }> = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights: number[] = [];
    let total = 0;
    for (let x = start; x < end; x++) {
      const d = Math.abs((x - center + 0.5) / filterScale);
      const wgt = d < 1 ? 1 - d : 0;
      weights.push(wgt);
      total += wgt;
    }
    out.push({ start, weights: total === 0 ? weights : weights.map((v) => v / total) });
  }
  return out;
}

/**
 * The [H, W] a recipe produces whatever the picture, or null when it depends on the picture's
 * aspect (a shorter-side resize without a crop, or neither).
 */
export function preprocessedSize(p: Preprocessing): [number, number] | null {
  if (p.crop !== null) return typeof p.crop === 'number' ? [p.crop, p.crop] : [p.crop[0], p.crop[1]];
  return p.size !== null && typeof p.size !== 'number' ? [p.size[0], p.size[1]] : null;
}

/** A recipe in words: `resize 256, centre crop 224, mean 0.485,0.456,0.406, std 0.229,0.224,0.225`. */
export function describePreprocessing(p: Preprocessing): string {
  const dims = (v: number | readonly [number, number]): string => (typeof v === 'number' ? String(v) : `${v[0]}x${v[1]}`);
  const size = p.size === null ? 'no resize' : typeof p.size === 'number' ? `resize the shorter side to ${p.size}` : `resize to ${dims(p.size)}`;
  const crop = p.crop === null ? '' : `, centre crop ${dims(p.crop)}`;
  return `${size}${crop}, ${p.channels === 1 ? 'grey' : 'RGB'}, mean ${p.mean.join(',')}, std ${p.std.join(',')}`;
}

/** A model's sidecar (`m.onnx.json`): its preprocessing and class labels. */
export interface OnnxSidecar extends Preprocessing {
  /** Class names by output index, or null when the sidecar names none. */
  labels: readonly string[] | null;
}

const SIDECAR_KEYS = ['size', 'crop', 'mean', 'std', 'channels', 'labels'];

/**
 * Validates a sidecar object: `{ "size": 256, "crop": 224, "mean": [...], "std": [...],
 * "channels": 3, "labels": "imagenet" | ["cat", ...] }`. Every key is optional: `defaults` fills
 * in the others (the ImageNet recipe unless told; mean and std only when it has as many entries as
 * the channels); unknown keys and bad values fail naming the key.
 */
export function parseOnnxSidecar(json: unknown, source = 'sidecar', defaults: Preprocessing = IMAGENET_PREPROCESSING): OnnxSidecar {
  const bad = (msg: string): never => fail('sidecar', `${source}: ${msg}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('must be a JSON object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!SIDECAR_KEYS.includes(k)) bad(`unknown key '${k}' (known: ${SIDECAR_KEYS.join(', ')})`);
  const channels = o.channels ?? defaults.channels;
  if (channels !== 1 && channels !== 3) bad(`channels must be 1 or 3, got ${JSON.stringify(channels)}`);
  const ch = channels as 1 | 3;
  const sizeLike = (k: string, v: unknown): number | [number, number] | null => {
    if (v === null) return null;
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;
    if (ok(v)) return v;
    if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0] as number, v[1] as number];
    return bad(`${k} must be a positive integer, [height, width] or null, got ${JSON.stringify(v)}`);
  };
  const stats = (k: 'mean' | 'std', def: readonly number[]): number[] => {
    const v = o[k];
    if (v === undefined) {
      if (def.length !== ch) bad(`${k} is required for ${ch}-channel models`);
      return [...def];
    }
    if (!Array.isArray(v) || v.length !== ch || !v.every((n) => typeof n === 'number' && Number.isFinite(n))) bad(`${k} must be ${ch} numbers, got ${JSON.stringify(v)}`);
    if (k === 'std' && (v as number[]).some((n) => n <= 0)) bad(`std entries must be > 0, got ${JSON.stringify(v)}`);
    return [...(v as number[])];
  };
  let labels: readonly string[] | null = null;
  if (o.labels === 'imagenet') labels = IMAGENET_CLASSES;
  else if (Array.isArray(o.labels) && o.labels.length > 0 && o.labels.every((s) => typeof s === 'string')) labels = [...(o.labels as string[])];
  else if (o.labels !== undefined && o.labels !== null) bad(`labels must be "imagenet" or a non-empty array of strings, got ${JSON.stringify(o.labels).slice(0, 60)}`);
  return {
    size: o.size === undefined ? defaults.size : sizeLike('size', o.size),
    crop: o.crop === undefined ? defaults.crop : sizeLike('crop', o.crop),
    mean: stats('mean', defaults.mean),
    std: stats('std', defaults.std),
    channels: ch,
    labels,
  };
}
