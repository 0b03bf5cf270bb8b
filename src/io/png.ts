import { PNG } from 'pngjs';
import { CamlabError } from '../tensor/errors.js';
import type { RgbaImage } from './rgba.js';

/**
 * Decodes any PNG (1-16 bit, grey/RGB/palette, with or without alpha) to 8-bit RGBA via pngjs
 * (16-bit samples are rescaled to 8 bits). Corrupt input gives a CamlabError naming the source.
 */
export function decodePng(bytes: Uint8Array, source = 'PNG'): RgbaImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  } catch (e) {
    throw new CamlabError('png', `${source} is not a readable PNG (${(e as Error).message})`);
  }
}

/** Encodes RGBA pixels as an 8-bit RGBA PNG. */
export function encodePng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const buf = PNG.sync.write(png);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
