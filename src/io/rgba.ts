/**
 * 8-bit RGBA pixels, row-major: what PNG and JPEG decoders and a canvas's getImageData give.
 * The image type of the I/O layer; CAM rendering draws into it (a type-only import, no code).
 */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}
