import type { Refusal } from './image-limits.js';
import type { PngParts } from './png-chunks.js';
import type { RgbaImage } from './rgba.js';

/**
 * The pixel layer of a PNG (PNG spec §7-§9, §13): the inflated IDAT stream is, per interlace pass,
 * `height` scanlines of [filter type byte][ceil(width · bits per pixel / 8) bytes]; undo the
 * filters, unpack the samples, and convert to 8-bit RGBA. Pure: the zlib inflate is the caller's.
 */

/** Samples per pixel for each colour type: grey, -, RGB, palette index, grey + alpha, -, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The colour types' names, for messages. */
export const COLOUR_TYPES: Record<number, string> = { 0: 'grey', 2: 'RGB', 3: 'palette', 4: 'grey+alpha', 6: 'RGBA' };

/** Adam7 passes (§8.2): [x0, y0, dx, dy]. A non-interlaced image is one pass [0, 0, 1, 1]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

interface Pass {
  /** 1-7 for Adam7 passes, 0 for a non-interlaced image. */
  index: number;
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  rowBytes: number;
}

/** The passes of an image with their sizes; empty passes (no pixels) carry no scanlines at all. */
function passes(p: PngParts['header']): Pass[] {
  const bits = CHANNELS[p.colorType]! * p.bitDepth;
  const table = p.interlaced ? ADAM7 : [[0, 0, 1, 1] as const];
  return table
    .map(([x0, y0, dx, dy], i) => {
      const width = Math.ceil((p.width - x0) / dx);
      const height = Math.ceil((p.height - y0) / dy);
      return { index: p.interlaced ? i + 1 : 0, x0, y0, dx, dy, width: Math.max(0, width), height: Math.max(0, height), rowBytes: Math.ceil((Math.max(0, width) * bits) / 8) };
    })
    .filter((q) => q.width > 0 && q.height > 0);
}

/** The exact length of the inflated IDAT stream: Σ over passes of height · (1 + row bytes). */
export function inflatedSize(header: PngParts['header']): number {
  return passes(header).reduce((s, q) => s + q.height * (q.rowBytes + 1), 0);
}

/**
 * Undoes the filters in place (§9.2: None, Sub, Up, Average, Paeth on bytes, with `bpp` = bytes
 * per complete pixel, at least 1) and writes the pixels as 8-bit RGBA: 16-bit samples and grey
 * below 8 bits are rescaled as floor(v · 255 / (2^depth − 1) + 0.5); the tRNS colour becomes
 * (0, 0, 0, 0), as pngjs and a canvas give it. `raw` must be exactly inflatedSize(header) long.
 */
export function pngToRgba(parts: PngParts, raw: Uint8Array, bad: Refusal): RgbaImage {
  const { header } = parts;
  const { width, bitDepth, colorType } = header;
  const channels = CHANNELS[colorType]!;
  const bpp = Math.max(1, (channels * bitDepth) >> 3);
  const out = new Uint8Array(width * header.height * 4);
  const samples = new Uint16Array(width * channels);
  const maxIn = 2 ** bitDepth - 1;
  const scale = colorType === 3 ? null : Uint8Array.from({ length: maxIn + 1 }, (_, v) => Math.floor((v * 255) / maxIn + 0.5));
  let at = 0;
  for (const q of passes(header)) {
    for (let y = 0; y < q.height; y++, at += q.rowBytes + 1) {
      const filter = raw[at]!;
      if (filter > 4) bad(`corrupt pixel data: scanline ${y}${q.index > 0 ? ` of interlace pass ${q.index}` : ''} has filter type ${filter}; PNG defines 0 to 4`);
      unfilter(raw, at + 1, q.rowBytes, y === 0 ? -1 : at + 1 - (q.rowBytes + 1), filter, bpp);
      unpack(raw, at + 1, q.width * channels, bitDepth, samples);
      const oy = q.y0 + y * q.dy;
      for (let x = 0; x < q.width; x++) {
        const o = 4 * (oy * width + q.x0 + x * q.dx);
        const s = x * channels;
        if (colorType === 3) {
          const i = samples[s]!;
          if (4 * i >= parts.palette!.length) bad(`corrupt pixel data: pixel ${q.x0 + x * q.dx},${oy} has palette index ${i}, past the ${parts.palette!.length / 4}-entry palette`);
          out.set(parts.palette!.subarray(4 * i, 4 * i + 4), o);
          continue;
        }
        const t = parts.transparent;
        if (t !== null && (channels === 1 ? samples[s] === t[0] : samples[s] === t[0] && samples[s + 1] === t[1] && samples[s + 2] === t[2])) continue; // stays 0,0,0,0
        const grey = channels < 3;
        out[o] = scale![samples[s]!]!;
        out[o + 1] = scale![samples[grey ? s : s + 1]!]!;
        out[o + 2] = scale![samples[grey ? s : s + 2]!]!;
        out[o + 3] = channels === 2 || channels === 4 ? scale![samples[s + channels - 1]!]! : 255;
      }
    }
  }
  return { width, height: header.height, data: out };
}

/** Reverses one scanline's filter in place; `up` is the start of the previous (already unfiltered) row of the same pass, or −1. */
function unfilter(b: Uint8Array, row: number, n: number, up: number, filter: number, bpp: number): void {
  switch (filter) {
    case 1: // Sub: + left
      for (let i = bpp; i < n; i++) b[row + i] = b[row + i]! + b[row + i - bpp]!;
      break;
    case 2: // Up: + above
      if (up >= 0) for (let i = 0; i < n; i++) b[row + i] = b[row + i]! + b[up + i]!;
      break;
    case 3: // Average: + floor((left + above) / 2)
      for (let i = 0; i < n; i++) {
        const left = i >= bpp ? b[row + i - bpp]! : 0;
        const above = up >= 0 ? b[up + i]! : 0;
        b[row + i] = b[row + i]! + ((left + above) >> 1);
      }
      break;
    case 4: // Paeth: + whichever of left, above, upper-left is closest to left + above − upper-left
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? b[row + i - bpp]! : 0;
        const c = up >= 0 && i >= bpp ? b[up + i - bpp]! : 0;
        const bb = up >= 0 ? b[up + i]! : 0;
        const pa = Math.abs(bb - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + bb - 2 * c);
        b[row + i] = b[row + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? bb : c);
      }
      break;
    default: // 0: None
  }
}

/** Unpacks `count` samples of `depth` bits (MSB first, 16-bit big-endian) starting at byte `at`. */
function unpack(b: Uint8Array, at: number, count: number, depth: number, out: Uint16Array): void {
  if (depth === 8) {
    for (let i = 0; i < count; i++) out[i] = b[at + i]!;
  } else if (depth === 16) {
    for (let i = 0; i < count; i++) out[i] = (b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!;
  } else {
    const perByte = 8 / depth;
    const mask = (1 << depth) - 1;
    for (let i = 0; i < count; i++) out[i] = (b[at + Math.floor(i / perByte)]! >> (8 - depth * (1 + (i % perByte)))) & mask;
  }
}
