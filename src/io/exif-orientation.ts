import type { RgbaImage } from './rgba.js';

/**
 * EXIF orientation (TIFF tag 0x0112 in IFD0 of a JPEG's APP1 "Exif" segment): how the stored
 * pixels must be turned to show the photo upright. Phones store portrait photos sideways with
 * orientation 6 or 8; browsers apply the tag when they draw an image, so camlab applies it too
 * and a photo gives the same picture in the CLI as on the web page.
 *
 * Values (EXIF 2.3, §4.6.4 A): 1 upright, 2 mirrored, 3 rotated 180°, 4 flipped vertically,
 * 5 transposed, 6 rotate 90° clockwise to view, 7 transversed, 8 rotate 90° counter-clockwise.
 */

/** The orientation in an APP1 segment's data (after the length), or 1 when absent or unreadable. */
export function exifOrientation(app1: Uint8Array): number {
  if (app1.length < 14 || String.fromCharCode(...app1.subarray(0, 6)) !== 'Exif\0\0') return 1;
  const tiff = app1.subarray(6);
  const v = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = String.fromCharCode(tiff[0]!, tiff[1]!);
  if (order !== 'II' && order !== 'MM') return 1;
  const le = order === 'II';
  if (v.getUint16(2, le) !== 42) return 1;
  const ifd = v.getUint32(4, le);
  if (ifd + 2 > tiff.length) return 1;
  const n = v.getUint16(ifd, le);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + 12 * i;
    if (e + 12 > tiff.length) return 1;
    if (v.getUint16(e, le) === 0x0112) {
      const value = v.getUint16(e + 8, le); // type SHORT, count 1: the value sits in the first 2 bytes of the field
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** The upright picture: stored pixels turned as the orientation says (1 returns the image itself). */
export function applyOrientation(img: RgbaImage, orientation: number): RgbaImage {
  if (orientation === 1) return img;
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5; // 5-8 exchange width and height
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [dx, dy] = target(orientation, x, y, w, h);
      const s = 4 * (y * w + x);
      out.set(data.subarray(s, s + 4), 4 * (dy * ow + dx));
    }
  }
  return { width: ow, height: oh, data: out };
}

/** Where stored pixel (x, y) of a w×h image lands in the upright picture. */
function target(o: number, x: number, y: number, w: number, h: number): [number, number] {
  switch (o) {
    case 2: return [w - 1 - x, y];
    case 3: return [w - 1 - x, h - 1 - y];
    case 4: return [x, h - 1 - y];
    case 5: return [y, x];
    case 6: return [h - 1 - y, x];
    case 7: return [h - 1 - y, w - 1 - x];
    default: return [y, w - 1 - x]; // 8
  }
}
