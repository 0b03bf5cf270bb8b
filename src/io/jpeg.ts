import { decode } from 'jpeg-js';
import { applyOrientation } from './exif-orientation.js';
import { maxPixelsOf, refusal, type ImageReadOptions, type Refusal } from './image-limits.js';
import { readJpegMarkers, sofName } from './jpeg-markers.js';
import type { RgbaImage } from './rgba.js';

/** The coding processes jpeg-js decodes: Huffman-coded baseline, extended sequential and progressive DCT. */
const SUPPORTED_SOF = [0xc0, 0xc1, 0xc2];

/**
 * Decodes a baseline or progressive JPEG (8-bit, greyscale or YCbCr/RGB) to opaque 8-bit RGBA with
 * jpeg-js (pure JavaScript), turned upright as its EXIF orientation says (as browsers draw it).
 * Before decoding, the markers are walked: the frame size is checked against `maxPixels`
 * (default 50 MP) from the SOF header, and a file without its end-of-image marker is refused as
 * truncated (jpeg-js would decode the missing data as grey). CMYK, 12-bit, lossless and
 * arithmetic-coded JPEGs are refused by name. Every failure is one CamlabError line:
 * `jpeg: NAME is not a readable JPEG (REASON)`.
 */
export function decodeJpeg(bytes: Uint8Array, opts: ImageReadOptions = {}): RgbaImage {
  const name = opts.name ?? 'JPEG';
  const bad: Refusal = refusal('jpeg', name, 'JPEG');
  const maxPixels = maxPixelsOf('jpeg', opts);
  const f = readJpegMarkers(bytes, name, maxPixels, bad);
  if (!SUPPORTED_SOF.includes(f.sof)) bad(`its coding process is ${sofName(f.sof)}; camlab reads baseline and progressive JPEGs`);
  if (f.precision !== 8) bad(`it has ${f.precision}-bit samples; camlab reads 8-bit JPEGs`);
  if (f.components === 4) bad('it is a CMYK JPEG with 4 colour components; convert it to RGB first');
  if (f.components !== 1 && f.components !== 3) bad(`it has ${f.components} colour components; camlab reads greyscale JPEGs, with 1, and colour ones, with 3`);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      // Our limit was checked above; jpeg-js's own guards are set so that they never fire first.
      maxResolutionInMP: maxPixels / 1e6 + 1,
      maxMemoryUsageInMB: 512 + Math.ceil((f.width * f.height * 32) / 2 ** 20),
    });
  } catch (e) {
    bad(`corrupt data: ${(e as Error).message}`);
  }
  return applyOrientation(img, f.orientation);
}
