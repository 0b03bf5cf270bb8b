/**
 * Hostile PNGs (issue #13): each is built here, byte by byte, and must be refused with one exact
 * line; valid files of every kind must decode as pngjs decodes them (pngjs is right on valid files).
 */
import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS } from '../../src/io/image-limits.js';
import { crc32 } from '../../src/io/png-chunks.js';
import { decodePng } from '../../src/io/png.js';
import { errorOf, runs } from '../support/check.js';
import { chunk, concatBytes, handPng, ihdr, pngjsWrite, rawPng, SIGNATURE, toBytes } from './png-writer.js';

const zlib = (bytes: number[] | Uint8Array): Uint8Array => toBytes(deflateSync(Uint8Array.from(bytes)));
const refused = (name: string, reason: string): string => `png: ${name} is not a readable PNG (${reason})`;

describe('PNG decompression bombs: the declared size is checked before anything is allocated', () => {
  it('a 68-byte PNG declaring 100000000x1 pixels', () => {
    const bomb = rawPng(100_000_000, 1, zlib([0, 0, 0]));
    expect(bomb.length).toBeLessThan(70);
    expect(errorOf(() => decodePng(bomb, { name: 'bomb.png' }))).toBe(
      'png: bomb.png declares 100000000x1 = 100000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding');
  });

  it('12000x12000 (144 MP), refused even though its tiny IDAT would inflate fine', () => {
    expect(errorOf(() => decodePng(rawPng(12000, 12000, zlib([0])), { name: 'x.png' }))).toBe(
      'png: x.png declares 12000x12000 = 144000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding');
  });

  it('the limit is the maxPixels option (default 50 MP): at the limit decodes, one pixel over is refused', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(50_000_000);
    const png = handPng({ width: 3, height: 2, bitDepth: 8, colorType: 0, rows: [[1, 2, 3], [4, 5, 6]] });
    expect(decodePng(png, { maxPixels: 6 }).width).toBe(3);
    expect(errorOf(() => decodePng(png, { maxPixels: 5, name: 'a.png' }))).toBe(
      'png: a.png declares 3x2 = 6 pixels, more than the limit of 5 (option maxPixels, camlab --max-pixels); refused before decoding');
    expect(errorOf(() => decodePng(png, { maxPixels: 0 }))).toBe('png: maxPixels must be a positive integer, got 0');
    expect(errorOf(() => decodePng(png, { maxPixels: 1.5 }))).toBe('png: maxPixels must be a positive integer, got 1.5');
  });
});

describe('corrupt PNGs are refused, never decoded to black', () => {
  it('truncated pixel data: 1000x1000 with 10 bytes of IDAT (a complete zlib stream of 2 bytes)', () => {
    const idat = zlib([0, 0]);
    expect(idat.length).toBe(10);
    expect(errorOf(() => decodePng(rawPng(1000, 1000, idat), { name: 't.png' }))).toBe(
      refused('t.png', 'truncated pixel data: IDAT inflates to 2 bytes, a 1000x1000 8-bit RGBA image needs 4001000'));
  });

  it('a zlib stream cut short', () => {
    const full = zlib(new Uint8Array(101 * 4 * 100 + 100).map((_, i) => (i * 7919) % 251));
    expect(errorOf(() => decodePng(rawPng(100, 100, full.subarray(0, 40)), { name: 'c.png' }))).toBe(
      refused('c.png', 'truncated pixel data: the IDAT zlib stream of a 100x100 8-bit RGBA image ends early'));
  });

  it('more pixel data than the image holds, and data that is not zlib at all', () => {
    expect(errorOf(() => decodePng(rawPng(1, 1, zlib([0, 1, 2, 3, 4, 5])), { name: 'm.png' }))).toBe(
      refused('m.png', 'corrupt pixel data: IDAT inflates to more than the 5 bytes a 1x1 8-bit RGBA image needs'));
    expect(errorOf(() => decodePng(rawPng(1, 1, Uint8Array.from([1, 2, 3, 4, 5, 6, 7])), { name: 'z.png' }))).toBe(
      refused('z.png', "corrupt pixel data: zlib says 'incorrect header check'"));
  });

  it('zero width or height', () => {
    expect(errorOf(() => decodePng(rawPng(0, 5, zlib([0])), { name: 'w.png' }))).toBe('png: w.png declares 0x5 pixels: an image needs a width and a height of at least 1');
    expect(errorOf(() => decodePng(rawPng(7, 0, zlib([0])), { name: 'h.png' }))).toBe('png: h.png declares 7x0 pixels: an image needs a width and a height of at least 1');
  });

  it('a CRC error names the chunk', () => {
    const png = handPng({ width: 2, height: 1, bitDepth: 8, colorType: 0, rows: [[1, 2]] });
    const at = 8 + 25; // the IDAT chunk follows the signature and IHDR (25 bytes)
    expect(String.fromCharCode(...png.subarray(at + 4, at + 8))).toBe('IDAT');
    const bad = png.slice();
    bad[at + 9] = bad[at + 9]! ^ 0x10; // a data byte inside IDAT
    expect(errorOf(() => decodePng(bad, { name: 'crc.png' }))).toBe(refused('crc.png', 'CRC mismatch in IDAT, the chunk at byte 33'));
    const badIhdr = png.slice();
    badIhdr[20] = badIhdr[20]! ^ 1; // IHDR's height
    expect(errorOf(() => decodePng(badIhdr, { name: 'crc.png' }))).toBe(refused('crc.png', 'CRC mismatch in IHDR, the chunk at byte 8'));
  });

  it('an unknown filter type is reported with its scanline, the same every time', () => {
    const png = rawPng(2, 2, zlib([0, 1, 2, 3, 4, 0, 1, 2, 3, 7, 9, 9, 9, 9, 9, 9, 9, 9]));
    const msg = refused('f.png', 'corrupt pixel data: scanline 1 has filter type 7; PNG defines 0 to 4');
    for (let k = 0; k < 20; k++) {
      // Churn the heap between runs: pngjs's answer changed with whatever memory it was handed.
      Buffer.allocUnsafe(1 << (k % 16)).fill(k);
      expect(errorOf(() => decodePng(png, { name: 'f.png' }))).toBe(msg);
    }
  });

  it('the structure: signature, chunk order, required chunks, IHDR fields, truncation inside a chunk', () => {
    const idat = chunk('IDAT', zlib([0, 9]));
    const iend = chunk('IEND', new Uint8Array(0));
    const grey = ihdr(1, 1, 8, 0);
    const cases: Array<[Uint8Array, string]> = [
      [concatBytes([SIGNATURE, idat, iend]), 'the first chunk is IDAT, not IHDR'],
      [concatBytes([SIGNATURE, grey, iend]), 'there is no IDAT chunk, so no pixel data'],
      [concatBytes([SIGNATURE, grey, idat]), 'truncated: the file ends after byte 55 without an IEND chunk'],
      [concatBytes([SIGNATURE, grey, idat]).subarray(0, 45), 'truncated: the file ends inside the IDAT chunk at byte 33, which declares 10 data bytes'],
      [concatBytes([SIGNATURE, grey]).subarray(0, 30), 'truncated: the file ends inside the IHDR chunk at byte 8, which declares 13 data bytes'],
      [concatBytes([SIGNATURE, grey, Uint8Array.of(0, 0)]), 'truncated: the file ends inside a chunk header at byte 33'],
      [concatBytes([SIGNATURE, grey, grey, idat, iend]), 'a second IHDR chunk at byte 33'],
      [concatBytes([SIGNATURE, grey, idat, chunk('tEXt', new Uint8Array(1)), idat, iend]), 'IDAT chunks are not consecutive: another IDAT at byte 68'],
      [concatBytes([SIGNATURE, grey, chunk('ABCD', new Uint8Array(0)), idat, iend]), 'unknown critical chunk ABCD at byte 33'],
      [concatBytes([SIGNATURE, grey, chunk('ab1d', new Uint8Array(0)), idat, iend]), 'corrupt file: the chunk at byte 33 has an invalid type, bytes 61 62 31 64'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 3, 2), idat, iend]), 'IHDR has bit depth 3, invalid for colour type 2; allowed: 8, 16'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 5), idat, iend]), 'IHDR has colour type 5; PNG defines 0, 2, 3, 4 and 6'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 0, 2), idat, iend]), 'IHDR has interlace method 2; PNG defines 0 and 1'],
      [concatBytes([SIGNATURE, ihdr(2 ** 31, 1, 8, 0), idat, iend]), 'IHDR declares 2147483648x1 pixels; PNG dimensions are at most 2^31-1'],
      [concatBytes([SIGNATURE, chunk('IHDR', new Uint8Array(12)), idat, iend]), 'IHDR has 12 bytes, not 13'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 3), idat, iend]), 'a palette image, colour type 3, without a PLTE chunk'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 3), chunk('PLTE', new Uint8Array(4)), idat, iend]), 'PLTE chunk has 4 bytes; it must hold 1 to 256 RGB entries of 3 bytes'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 3), chunk('tRNS', new Uint8Array(1)), idat, iend]), 'tRNS chunk comes before PLTE'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 3), chunk('PLTE', new Uint8Array(3)), chunk('tRNS', new Uint8Array(2)), idat, iend]), 'tRNS has 2 alpha values for a 1-entry palette'],
      [concatBytes([SIGNATURE, ihdr(1, 1, 8, 3), chunk('PLTE', new Uint8Array(3)), idat, iend]), 'corrupt pixel data: pixel 0,0 has palette index 9, past the 1-entry palette'],
      [concatBytes([SIGNATURE, grey, chunk('tRNS', new Uint8Array(6)), idat, iend]), 'tRNS chunk has 6 bytes; colour type 0 needs 2'],
    ];
    for (const [bytes, reason] of cases) expect(errorOf(() => decodePng(bytes, { name: 's.png' })), reason).toBe(refused('s.png', reason));
    // Ancillary chunks (lowercase first letter) are skipped; data after IEND is ignored.
    const ok = concatBytes([SIGNATURE, grey, chunk('tEXt', Uint8Array.of(65, 0, 66)), idat, iend, Uint8Array.of(1, 2, 3)]);
    expect(Array.from(decodePng(ok).data)).toEqual([9, 9, 9, 255]);
  });

  it('property: random corruption always gives the same outcome for the same bytes', () => {
    const good = handPng({ width: 5, height: 4, bitDepth: 8, colorType: 2, pixels: grid(5, 4, 3, 1) });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(good.length), (edits, cut) => {
        const f = good.slice(0, Math.max(cut, 1));
        for (const [i, v] of edits) if (i < f.length) f[i] = v;
        const outcome = (): string => {
          try {
            return Array.from(decodePng(f, { name: 'fuzz.png' }).data).join(',');
          } catch (e) {
            expect((e as Error).message).toMatch(/^png: fuzz\.png (is not a readable PNG \(.+\)|declares .+)$/);
            return (e as Error).message;
          }
        };
        const first = outcome();
        Buffer.allocUnsafe(4096).fill(0x5a);
        expect(outcome()).toBe(first);
      }),
      runs(200),
    );
  });
});

describe('not a PNG: the message says what the file is', () => {
  const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
  it.each([
    ['photo.jpg', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16), 'this is a JPEG file'],
    ['anim.gif', ascii('GIF89a\x01\x00\x01\x00'), 'this is a GIF file'],
    ['p.webp', ascii('RIFF\x24\x00\x00\x00WEBPVP8 '), 'this is a WebP file'],
    ['p.bmp', Uint8Array.of(0x42, 0x4d, 0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0, 1, 0), 'this is a BMP file'],
    ['bmw.txt', ascii('BMW and other cars, a text file that starts with BM'), 'this is a text file'],
    ['scan.tif', Uint8Array.of(0x49, 0x49, 0x2a, 0, 8, 0, 0, 0), 'this is a TIFF file'],
    ['paper.pdf', ascii('%PDF-1.7\n'), 'this is a PDF file'],
    ['images.zip', Uint8Array.of(0x50, 0x4b, 3, 4, 20, 0), 'this is a ZIP archive'],
    ['notes.txt', ascii('hello\nworld\n'), 'this is a text file'],
    ['package.json', ascii('{\n  "name": "x"\n}\n'), 'this is a JSON text file'],
    ['icon.svg', ascii('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'this is an SVG file; rasterize it to PNG first'],
    ['empty.png', new Uint8Array(0), 'this is an empty file'],
    ['crlf.png', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0a, 0x1a, 0x0a, 0), 'this is a PNG file with a damaged signature, as when a transfer in text mode converts line endings'],
    ['x.bin', Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 'this is a file of unknown format, starting with bytes 00 01 02 03 04 05 06 07'],
  ])('%s', (name, bytes, reason) => {
    expect(errorOf(() => decodePng(bytes, { name }))).toBe(refused(name, reason));
  });

  it('the name defaults to "PNG", and a string second argument is the name', () => {
    expect(errorOf(() => decodePng(new Uint8Array(0)))).toBe(refused('PNG', 'this is an empty file'));
    expect(errorOf(() => decodePng(new Uint8Array(0), 'a/b.png'))).toBe(refused('a/b.png', 'this is an empty file'));
  });
});

/** Deterministic pixels: h rows of w pixels of `bytes` samples each. */
function grid(w: number, h: number, bytes: number, seed: number): number[][][] {
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => Array.from({ length: bytes }, (_, k) => (seed * 131 + y * 71 + x * 37 + k * 97) % 256)));
}

describe('valid PNGs decode as pngjs decodes them', () => {
  it('crc32 equals zlib.crc32', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      expect(crc32(b)).toBe(zlibCrc32(b));
    }), runs(100));
  });

  it('property: colour types 0, 2, 4, 6 at 8 and 16 bits, every filter type, any size', () => {
    const layouts = [[0, 1], [2, 3], [4, 2], [6, 4]] as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom(...layouts), fc.constantFrom(8, 16), fc.constantFrom(0, 1, 2, 3, 4, -1), fc.nat(1000),
        (w, h, [colorType, channels], bitDepth, filterType, seed) => {
          const bytesPerSample = bitDepth / 8;
          const data = Buffer.from(Array.from({ length: w * h * channels * bytesPerSample }, (_, i) => (seed * 31 + i * 97 + ((i * i) % 13)) % 256));
          const png = pngjsWrite(w, h, data, { colorType, inputColorType: colorType, inputHasAlpha: channels % 2 === 0, bitDepth, filterType });
          const ref = PNG.sync.read(Buffer.from(png));
          const img = decodePng(png);
          expect([img.width, img.height]).toEqual([w, h]);
          expect(Array.from(img.data)).toEqual(Array.from(ref.data));
        }),
      runs(120),
    );
  });

  it('Adam7-interlaced files decode to the same pixels as non-interlaced ones (8 and 16 bits, sizes below and above 8)', () => {
    for (const [w, h, colorType, bitDepth, channels] of [[1, 1, 6, 8, 4], [3, 2, 2, 8, 3], [9, 10, 6, 8, 4], [13, 5, 0, 16, 1], [8, 8, 4, 8, 2]] as const) {
      const pixels = grid(w, h, (channels * bitDepth) / 8, w + h);
      const plain = decodePng(handPng({ width: w, height: h, bitDepth, colorType, pixels }));
      const inter = decodePng(handPng({ width: w, height: h, bitDepth, colorType, pixels, interlace: true }));
      expect(inter.width).toBe(w);
      expect(Array.from(inter.data)).toEqual(Array.from(plain.data));
      expect(Array.from(plain.data)).toEqual(Array.from(PNG.sync.read(Buffer.from(handPng({ width: w, height: h, bitDepth, colorType, pixels }))).data));
    }
  });

  it('tRNS: the transparent grey or RGB colour becomes (0, 0, 0, 0), compared at full bit depth', () => {
    const grey = handPng({ width: 3, height: 1, bitDepth: 16, colorType: 0, rows: [[0x12, 0x34, 0x12, 0x35, 0xff, 0xff]], trns: [0x12, 0x34] });
    expect(Array.from(decodePng(grey).data)).toEqual([0, 0, 0, 0, 18, 18, 18, 255, 255, 255, 255, 255]);
    const rgb = handPng({ width: 2, height: 1, bitDepth: 8, colorType: 2, rows: [[1, 2, 3, 1, 2, 4]], trns: [0, 1, 0, 2, 0, 3] });
    expect(Array.from(decodePng(rgb).data)).toEqual([0, 0, 0, 0, 1, 2, 4, 255]);
    expect(Array.from(decodePng(rgb).data)).toEqual(Array.from(PNG.sync.read(Buffer.from(rgb)).data));
  });

  it('2- and 4-bit grey scale to 0-255 as v · 255 / (2^depth − 1)', () => {
    const g2 = handPng({ width: 4, height: 1, bitDepth: 2, colorType: 0, rows: [[0b00011011]] });
    expect(Array.from(decodePng(g2).data).filter((_, i) => i % 4 === 0)).toEqual([0, 85, 170, 255]);
    const g4 = handPng({ width: 3, height: 1, bitDepth: 4, colorType: 0, rows: [[0x0f, 0x70]] });
    expect(Array.from(decodePng(g4).data).filter((_, i) => i % 4 === 0)).toEqual([0, 255, 119]);
  });
});
