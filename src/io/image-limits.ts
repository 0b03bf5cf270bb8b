import { CamlabError, fail } from '../tensor/errors.js';

/**
 * The largest picture a reader decodes unless told otherwise: 50 megapixels (8-bit RGBA, 200 MB).
 * A 68-byte PNG can declare 100000000x1 pixels; the declared size is checked against this limit
 * from the header, before anything is allocated or inflated.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Options every image reader takes. */
export interface ImageReadOptions {
  /** Largest width × height accepted (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** The file's name in error messages (default: the format's name). */
  name?: string;
}

/** The pixel limit of an options object, checked to be a positive integer. */
export function maxPixelsOf(op: string, opts: ImageReadOptions): number {
  const m = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(m) || m < 1) fail(op, `maxPixels must be a positive integer, got ${m}`);
  return m;
}

/**
 * Refuses a declared size of zero or of more than maxPixels pixels, with one line naming the file,
 * the size and the limit. Called with the header's numbers, before any pixel memory exists.
 */
export function checkDeclaredSize(op: string, name: string, width: number, height: number, maxPixels: number): void {
  if (width === 0 || height === 0) fail(op, `${name} declares ${width}x${height} pixels: an image needs a width and a height of at least 1`);
  const n = width * height;
  if (n > maxPixels) fail(op, `${name} declares ${width}x${height} = ${n} pixels, more than the limit of ${maxPixels} (option maxPixels, camlab --max-pixels); refused before decoding`);
}

/** Refuses a file with a reason; never returns. */
export type Refusal = (reason: string) => never;

/** The refusal every reader uses: `png: NAME is not a readable PNG (REASON)`, one line. */
export function refusal(op: string, name: string, format: string): Refusal {
  return (reason) => {
    throw new CamlabError(op, `${name} is not a readable ${format} (${reason})`);
  };
}
