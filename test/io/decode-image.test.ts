/** decodeImage: one entry for PNG and JPEG, chosen by magic bytes, with the pixel limit; anything else says what it is. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode-image.js';
import { decodeJpeg } from '../../src/io/jpeg.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import { sniff } from '../../src/io/sniff.js';
import { errorOf } from '../support/check.js';
import { rawPng } from './png-writer.js';

const jpegFile = new Uint8Array(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'jpeg', 'progressive.jpg')));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('decodeImage', () => {
  it('sniffs PNG and JPEG from the bytes, whatever the name says', () => {
    const png = encodePng({ width: 2, height: 1, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    expect(Array.from(decodeImage(png, { name: 'looks-like.jpg' }).data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(decodeImage(jpegFile, { name: 'looks-like.png' }).data)).toEqual(Array.from(decodeJpeg(jpegFile).data));
  });

  it('passes maxPixels and the name to both decoders', () => {
    expect(errorOf(() => decodeImage(rawPng(8000, 8000, Uint8Array.of(0)), { name: 'big.png' }))).toBe(
      'png: big.png declares 8000x8000 = 64000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding');
    expect(errorOf(() => decodeImage(jpegFile, { name: 'p.jpg', maxPixels: 100 }))).toBe(
      'jpeg: p.jpg declares 24x16 = 384 pixels, more than the limit of 100 (option maxPixels, camlab --max-pixels); refused before decoding');
    expect(decodeImage(jpegFile, { maxPixels: 384 }).width).toBe(24);
    expect(errorOf(() => decodeImage(jpegFile, { maxPixels: -1 }))).toBe('image: maxPixels must be a positive integer, got -1');
    expect(decodePng(encodePng({ width: 1, height: 1, data: new Uint8Array(4) }), { maxPixels: 1 }).width).toBe(1);
  });

  it.each([
    ['a.gif', ascii('GIF87a\x01\x00'), 'this is a GIF file'],
    ['a.heic', ascii('\0\0\0\x18ftypheic\0\0\0\0'), 'this is a HEIC/HEIF file'],
    ['a.avif', ascii('\0\0\0\x1cftypavif\0\0\0\0'), 'this is an AVIF file'],
    ['a.psd', ascii('8BPS\0\x01'), 'this is a Photoshop (PSD) file'],
    ['a.ico', Uint8Array.from([0, 0, 1, 0, 1, 0, ...new Array(16).fill(0)]), 'this is a Windows icon (ICO) file'],
    ['a.jxl', Uint8Array.of(0xff, 0x0a, 0xfa), 'this is a JPEG XL file'],
    ['a.jp2', Uint8Array.of(0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a), 'this is a JPEG 2000 file'],
    ['a.gz', Uint8Array.of(0x1f, 0x8b, 8, 0), 'this is a gzip archive'],
    ['a.npy', Uint8Array.of(0x93, ...ascii('NUMPY\x01\x00')), 'this is a NumPy .npy file'],
    ['model.safetensors', Uint8Array.of(12, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"a":1}     ')), 'this is a safetensors weights file'],
    ['index.html', ascii('\n<!doctype html><title>x</title>'), 'this is an HTML file'],
    ['bom.txt', Uint8Array.of(0xef, 0xbb, 0xbf, ...ascii('[1, 2]')), 'this is a JSON text file'],
    ['utf8.txt', Uint8Array.of(...ascii('caf'), 0xc3, 0xa9), 'this is a text file'],
    ['empty', new Uint8Array(0), 'this is an empty file'],
  ])('%s is refused with what it is', (name, bytes, what) => {
    expect(errorOf(() => decodeImage(bytes, { name }))).toBe(`image: ${name} is not a PNG or JPEG image (${what})`);
  });

  it('the name defaults to "the file"; sniff names the kind', () => {
    expect(errorOf(() => decodeImage(ascii('GIF89a')))).toBe('image: the file is not a PNG or JPEG image (this is a GIF file)');
    expect(sniff(jpegFile).kind).toBe('jpeg');
    expect(sniff(Uint8Array.of(0xff)).kind).toBe('unknown');
    expect(sniff(Uint8Array.of(0xc3)).kind).toBe('unknown'); // a lone UTF-8 lead byte is not text
  });
});
