import { utf8Decode } from './utf8.js';

/**
 * What a file is, from its first bytes (magic numbers), so that an image reader refusing a file
 * can say "this is a GIF file" instead of a decoder's internal complaint. Pure: bytes in, words out.
 */

/** The formats camlab tells apart; only 'png' and 'jpeg' are decoded. */
export type FileKind =
  | 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'ico' | 'avif' | 'heic' | 'jpeg2000' | 'jpegxl' | 'psd'
  | 'pdf' | 'zip' | 'gzip' | 'safetensors' | 'npy' | 'svg' | 'html' | 'json' | 'text' | 'empty' | 'unknown';

/** A sniffed file: its kind and a phrase for messages ("a JPEG file"). */
export interface Sniffed {
  kind: FileKind;
  what: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const ascii = (bytes: Uint8Array, at: number, n: number): string => String.fromCharCode(...bytes.subarray(at, at + n));
const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0): boolean => magic.every((b, i) => bytes[at + i] === b);

/** Binary formats by magic number, checked in order (first match wins). */
const MAGIC: ReadonlyArray<readonly [FileKind, string, (b: Uint8Array) => boolean]> = [
  ['png', 'a PNG file', (b) => startsWith(b, PNG_SIGNATURE)],
  ['jpeg', 'a JPEG file', (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ['gif', 'a GIF file', (b) => ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a'],
  ['webp', 'a WebP file', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP'],
  // BMP: "BM", file size, 4 reserved zero bytes, pixel offset, then a DIB header of a known size.
  ['bmp', 'a BMP file', (b) => ascii(b, 0, 2) === 'BM' && startsWith(b, [0, 0, 0, 0], 6) && [12, 40, 52, 56, 64, 108, 124].includes(b[14]! | (b[15]! << 8)) && b[16] === 0 && b[17] === 0],
  ['tiff', 'a TIFF file', (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ['ico', 'a Windows icon (ICO) file', (b) => startsWith(b, [0, 0, 1, 0]) && b.length >= 22 && b[4]! + b[5]! > 0],
  ['avif', 'an AVIF file', (b) => ascii(b, 4, 4) === 'ftyp' && ['avif', 'avis'].includes(ascii(b, 8, 4))],
  ['heic', 'a HEIC/HEIF file', (b) => ascii(b, 4, 4) === 'ftyp' && ['heic', 'heix', 'hevc', 'mif1', 'msf1'].includes(ascii(b, 8, 4))],
  ['jpeg2000', 'a JPEG 2000 file', (b) => startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(b, [0xff, 0x4f, 0xff, 0x51])],
  ['jpegxl', 'a JPEG XL file', (b) => startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])],
  ['psd', 'a Photoshop (PSD) file', (b) => ascii(b, 0, 4) === '8BPS'],
  ['pdf', 'a PDF file', (b) => ascii(b, 0, 5) === '%PDF-'],
  ['zip', 'a ZIP archive', (b) => ascii(b, 0, 2) === 'PK' && [0x0304, 0x0506, 0x0708].includes(((b[2] ?? 0) << 8) | (b[3] ?? 0))],
  ['gzip', 'a gzip archive', (b) => startsWith(b, [0x1f, 0x8b])],
  ['npy', 'a NumPy .npy file', (b) => startsWith(b, [0x93]) && ascii(b, 1, 5) === 'NUMPY'],
  // safetensors: an 8-byte little-endian header length, then a JSON object.
  ['safetensors', 'a safetensors weights file', (b) => b.length > 10 && b[6] === 0 && b[7] === 0 && b[8] === 0x7b && b[9] === 0x22],
];

/** Text kinds by their first non-blank characters (the file has already been seen to be text). */
const TEXT: ReadonlyArray<readonly [FileKind, string, RegExp]> = [
  ['svg', 'an SVG file; rasterize it to PNG first', /^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i],
  ['html', 'an HTML file', /^(<!DOCTYPE html|<html[\s>])/i],
  ['json', 'a JSON text file', /^[{[]/],
];

/**
 * Names a file's format from its magic bytes. A PNG whose signature is damaged in the way text-mode
 * transfers damage it (line endings converted) says so. Text is recognized as printable ASCII or
 * UTF-8 in the first 512 bytes.
 */
export function sniff(bytes: Uint8Array): Sniffed {
  if (bytes.length === 0) return { kind: 'empty', what: 'an empty file' };
  for (const [kind, what, test] of MAGIC) if (test(bytes)) return { kind, what };
  if (ascii(bytes, 1, 3) === 'PNG') return { kind: 'unknown', what: 'a PNG file with a damaged signature, as when a transfer in text mode converts line endings' };
  const head = bytes.subarray(0, 512);
  if (looksLikeText(head)) {
    // A UTF-8 byte-order mark (read here as Latin-1) may precede the text.
    const start = ascii(head, 0, head.length).replace(/^\u00EF\u00BB\u00BF/, '').trimStart();
    for (const [kind, what, re] of TEXT) if (re.test(start)) return { kind, what };
    return { kind: 'text', what: 'a text file' };
  }
  return { kind: 'unknown', what: `a file of unknown format, starting with bytes ${hexBytes(bytes.subarray(0, 8))}` };
}

/** Valid UTF-8 (a sequence cut by the 512-byte window allowed) without NUL or other control bytes besides tab, CR and LF. */
function looksLikeText(b: Uint8Array): boolean {
  for (const c of b) if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c === 0x7f) return false;
  for (let cut = 0; cut < 4 && cut < b.length; cut++) if (utf8Decode(b.subarray(0, b.length - cut)) !== null) return true;
  return false;
}

/** Bytes as lowercase hex pairs separated by spaces: `89 50 4e 47`. */
export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
