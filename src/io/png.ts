import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { maxPixelsOf, refusal, type ImageReadOptions, type Refusal } from './image-limits.js';
import { readPngChunks } from './png-chunks.js';
import { COLOUR_TYPES, inflatedSize, pngToRgba } from './png-pixels.js';
import type { RgbaImage } from './rgba.js';

/**
 * Decodes any PNG (1-16 bit, grey/RGB/palette, with or without alpha, interlaced or not) to 8-bit
 * RGBA (16-bit samples rescaled as round(v / 257)). The declared size is checked against
 * `maxPixels` (default 50 MP) before anything is allocated; every chunk's CRC is checked; the pixel
 * data must inflate to exactly the size the header implies. Anything else is one CamlabError line:
 * `png: NAME is not a readable PNG (REASON)`, the same for the same bytes every time.
 *
 * camlab reads the chunks and pixels itself and only inflates with node:zlib: pngjs's synchronous
 * reader swaps zlib's (avail_out, avail_in) pair on current Node, so it returns its output buffer
 * whole, uninitialized memory included, and never sees zlib's errors (truncated pixel data came
 * back as a black image, and corrupt data as a "filter type" error that changed from run to run).
 * A string as the second argument is the name (the form used before options existed).
 */
export function decodePng(bytes: Uint8Array, opts: ImageReadOptions | string = {}): RgbaImage {
  const o = typeof opts === 'string' ? { name: opts } : opts;
  const name = o.name ?? 'PNG';
  const bad: Refusal = refusal('png', name, 'PNG');
  const parts = readPngChunks(bytes, name, maxPixelsOf('png', o), bad);
  const need = inflatedSize(parts.header);
  const { width, height, bitDepth, colorType } = parts.header;
  const what = `a ${width}x${height} ${bitDepth}-bit ${COLOUR_TYPES[colorType]}${parts.header.interlaced ? ' interlaced' : ''} image`;
  let raw: Uint8Array;
  try {
    raw = inflateSync(parts.idat, { maxOutputLength: need });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') bad(`corrupt pixel data: IDAT inflates to more than the ${need} bytes ${what} needs`);
    if (code === 'Z_BUF_ERROR') bad(`truncated pixel data: the IDAT zlib stream of ${what} ends early`);
    bad(`corrupt pixel data: zlib says '${(e as Error).message}'`);
  }
  if (raw.length !== need) bad(`truncated pixel data: IDAT inflates to ${raw.length} bytes, ${what} needs ${need}`);
  return pngToRgba(parts, raw, bad);
}

/** Encodes RGBA pixels as an 8-bit RGBA PNG. */
export function encodePng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const buf = PNG.sync.write(png);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
