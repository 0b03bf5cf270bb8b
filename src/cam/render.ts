import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { COLORMAP_TABLES } from './colormap-data.js';
import { drawText, textWidth } from './font.js';
import type { RgbaImage } from '../io/rgba.js';

export type ColormapName = 'jet' | 'viridis' | 'inferno' | 'gray';
/** The names {@link colormap} accepts. */
export const COLORMAPS: readonly ColormapName[] = ['jet', 'viridis', 'inferno', 'gray'];

const luts = new Map<ColormapName, Uint8Array>();

/** A 256-entry RGB lookup table (matplotlib's jet, viridis, inferno; gray = identity). */
export function colormap(name: ColormapName): Uint8Array {
  const hit = luts.get(name);
  if (hit !== undefined) return hit;
  const lut = new Uint8Array(256 * 3);
  if (name === 'gray') {
    for (let i = 0; i < 256; i++) lut.fill(i, 3 * i, 3 * i + 3);
  } else {
    const hex = COLORMAP_TABLES[name];
    if (hex === undefined) fail('colormap', `unknown colormap '${String(name)}'; known: ${COLORMAPS.join(', ')}`);
    for (let i = 0; i < 768; i++) lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  luts.set(name, lut);
  return lut;
}

/** The colour of a value in [0, 1] (clamped). */
export function colorOf(lut: Uint8Array, v: number): [number, number, number] {
  const i = 3 * Math.round(Math.min(1, Math.max(0, v)) * 255);
  return [lut[i]!, lut[i + 1]!, lut[i + 2]!];
}

/** One image's map [H,W] (or [1,H,W]) with values in [0,1] as a coloured heatmap. */
export function heatmap(map: Tensor, name: ColormapName = 'jet'): RgbaImage {
  const [h, w] = mapDims(map);
  const lut = colormap(name);
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = colorOf(lut, map.data[i]!);
    data.set([r, g, b, 255], 4 * i);
  }
  return { width: w, height: h, data };
}

/** The heatmap blended over the picture: out = (1 − α)·image + α·colour(map) (α default 0.5). */
export function overlay(image: RgbaImage, map: Tensor, opts: { colormap?: ColormapName; alpha?: number } = {}): RgbaImage {
  const [h, w] = mapDims(map);
  if (image.width !== w || image.height !== h) fail('overlay', `image is ${image.width}x${image.height} but the map is ${w}x${h}`);
  const alpha = opts.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) fail('overlay', `alpha must be in [0, 1], got ${alpha}`);
  const lut = colormap(opts.colormap ?? 'jet');
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const c = colorOf(lut, map.data[i]!);
    for (let k = 0; k < 3; k++) data[4 * i + k] = Math.round((1 - alpha) * image.data[4 * i + k]! + alpha * c[k]!);
    data[4 * i + 3] = 255;
  }
  return { width: w, height: h, data };
}

function mapDims(map: Tensor): [number, number] {
  if (map.ndim === 2) return [map.shape[0]!, map.shape[1]!];
  if (map.ndim === 3 && map.shape[0] === 1) return [map.shape[1]!, map.shape[2]!];
  return fail('heatmap', `expects one map [H,W] or [1,H,W], got ${shapeStr(map.shape)}`);
}

/** Nearest-neighbour enlargement by an integer factor (to show small maps and images crisply). */
export function enlarge(img: RgbaImage, factor: number): RgbaImage {
  if (!Number.isInteger(factor) || factor < 1) fail('enlarge', `factor must be a positive integer, got ${factor}`);
  if (factor === 1) return img;
  const w = img.width * factor;
  const h = img.height * factor;
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = 4 * (Math.floor(y / factor) * img.width + Math.floor(x / factor));
      data.set(img.data.subarray(s, s + 4), 4 * (y * w + x));
    }
  }
  return { width: w, height: h, data };
}

/**
 * Tiles equal-size images into a grid (row-major) with a gap of background colour between them,
 * and an optional label centred under each tile (5x7 bitmap font, scaled to the tile size).
 */
export function grid(
  images: readonly RgbaImage[], columns: number,
  opts: { gap?: number; background?: readonly [number, number, number]; labels?: readonly string[] } = {},
): RgbaImage {
  if (images.length === 0) fail('grid', 'needs at least one image');
  const first = images[0]!;
  for (const [i, im] of images.entries()) {
    if (im.width !== first.width || im.height !== first.height) fail('grid', `image ${i} is ${im.width}x${im.height}, expected ${first.width}x${first.height}`);
  }
  if (opts.labels !== undefined && opts.labels.length !== images.length) fail('grid', `${opts.labels.length} labels for ${images.length} images`);
  const gap = opts.gap ?? 4;
  const scale = Math.max(1, Math.min(2, Math.floor(first.width / 120)));
  const labelH = opts.labels === undefined ? 0 : 7 * scale + 2 * gap;
  const cols = Math.min(columns, images.length);
  const rows = Math.ceil(images.length / cols);
  const cellH = first.height + labelH;
  const w = cols * first.width + (cols + 1) * gap;
  const h = rows * cellH + (rows + 1) * gap;
  const bg = opts.background ?? [255, 255, 255];
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([bg[0], bg[1], bg[2], 255], 4 * i);
  const out = { width: w, height: h, data };
  images.forEach((im, k) => {
    const ox = gap + (k % cols) * (first.width + gap);
    const oy = gap + Math.floor(k / cols) * (cellH + gap);
    for (let y = 0; y < im.height; y++) {
      data.set(im.data.subarray(4 * y * im.width, 4 * (y + 1) * im.width), 4 * ((oy + y) * w + ox));
    }
    const label = opts.labels?.[k];
    if (label !== undefined) drawText(out, label, ox + Math.max(0, Math.floor((first.width - textWidth(label, scale)) / 2)), oy + first.height + gap, [0, 0, 0], scale);
  });
  return out;
}
