import { fail } from '../tensor/errors.js';
import { maxPixelsOf, type ImageReadOptions } from './image-limits.js';
import { decodeJpeg } from './jpeg.js';
import { decodePng } from './png.js';
import type { RgbaImage } from './rgba.js';
import { sniff } from './sniff.js';

/**
 * Decodes a PNG or JPEG file to 8-bit RGBA, choosing the decoder from the file's magic bytes
 * (not its name). Both check the declared size against `maxPixels` (default 50 megapixels) before
 * allocating, and refuse truncated or corrupt data with one line; any other file is refused with
 * what it is: `image: photo.gif is not a PNG or JPEG image (this is a GIF file)`.
 */
export function decodeImage(bytes: Uint8Array, opts: ImageReadOptions = {}): RgbaImage {
  maxPixelsOf('image', opts);
  const s = sniff(bytes);
  if (s.kind === 'png') return decodePng(bytes, opts);
  if (s.kind === 'jpeg') return decodeJpeg(bytes, opts);
  return fail('image', `${opts.name ?? 'the file'} is not a PNG or JPEG image (this is ${s.what})`);
}
