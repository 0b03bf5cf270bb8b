/**
 * JPEG input: baseline files made here with jpeg-js's encoder, progressive ones and EXIF-oriented
 * ones made by libjpeg through Pillow (scripts/jpeg-fixtures.py, test/fixtures/jpeg/, with
 * libjpeg's own decodes as PNG), and hostile headers built byte by byte.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../src/io/jpeg.js';
import { decodePng } from '../../src/io/png.js';
import type { RgbaImage } from '../../src/io/rgba.js';
import { errorOf, runs } from '../support/check.js';
import { concatBytes } from './png-writer.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'jpeg');
const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, f)));
const refused = (name: string, reason: string): string => `jpeg: ${name} is not a readable JPEG (${reason})`;

/** The largest difference of any RGBA byte (same sizes required). */
function maxDiff(a: RgbaImage, b: RgbaImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

/** A smooth colour picture (JPEG's best case), w×h. */
function picture(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([40 + 8 * x, 200 - 6 * y, 100 + 3 * (x + y), 255], 4 * (y * w + x));
  return { width: w, height: h, data };
}

const baseline = (img: RgbaImage, quality = 95): Uint8Array => new Uint8Array(encode({ ...img, data: Buffer.from(img.data) }, quality).data);

/** SOI, one segment per [marker, payload], EOI. */
function segments(parts: Array<[number, number[]]>, eoi = true): Uint8Array {
  return concatBytes([
    Uint8Array.of(0xff, 0xd8),
    ...parts.map(([m, d]) => Uint8Array.of(0xff, m, (d.length + 2) >> 8, (d.length + 2) & 255, ...d)),
    eoi ? Uint8Array.of(0xff, 0xd9) : new Uint8Array(0),
  ]);
}

/** A SOF payload: precision, height, width, and `n` components (id, 1x1 sampling, table 0). */
const sof = (precision: number, h: number, w: number, n = 3): number[] => [precision, h >> 8, h & 255, w >> 8, w & 255, n, ...Array.from({ length: n }, (_, i) => [i + 1, 0x11, 0]).flat()];

describe('decodeJpeg: baseline and progressive', () => {
  it('a baseline JPEG made by jpeg-js decodes to the picture (within JPEG loss), opaque', () => {
    const src = picture(20, 12);
    const img = decodeJpeg(baseline(src), { name: 'b.jpg' });
    expect([img.width, img.height]).toEqual([20, 12]);
    expect(maxDiff(img, src)).toBeLessThanOrEqual(6);
    expect(Array.from(img.data).filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
  });

  it('progressive 4:4:4 colour and greyscale JPEGs from libjpeg decode as libjpeg decodes them (±2)', () => {
    for (const f of ['progressive', 'progressive-grey']) {
      const img = decodeJpeg(fixture(`${f}.jpg`), { name: f });
      expect(maxDiff(img, decodePng(fixture(`${f}.png`))), f).toBeLessThanOrEqual(2);
    }
    const grey = decodeJpeg(fixture('progressive-grey.jpg'));
    for (let i = 0; i < grey.data.length; i += 4) expect(grey.data[i + 1]).toBe(grey.data[i]);
  });

  it('progressive 4:2:0 decodes to the source picture (±8); libjpeg smooths chroma across block edges, jpeg-js replicates it', () => {
    const img = decodeJpeg(fixture('progressive-420.jpg'));
    expect(maxDiff(img, decodePng(fixture('blocks.png')))).toBeLessThanOrEqual(8);
  });

  it('EXIF orientations 1-8 give the upright picture, as Pillow\'s exif_transpose of libjpeg\'s decode (±2)', () => {
    for (let n = 1; n <= 8; n++) {
      const img = decodeJpeg(fixture(`orient-${n}.jpg`));
      expect([img.width, img.height], `orientation ${n}`).toEqual(n >= 5 ? [16, 24] : [24, 16]);
      expect(maxDiff(img, decodePng(fixture(`orient-${n}.png`))), `orientation ${n}`).toBeLessThanOrEqual(2);
    }
  });
});

describe('decodeJpeg: hostile and unsupported files', () => {
  it('a header declaring 60000x60000 is refused from the SOF numbers alone', () => {
    const bomb = segments([[0xc0, sof(8, 60000, 60000)]], false);
    expect(bomb.length).toBeLessThan(30);
    expect(errorOf(() => decodeJpeg(bomb, { name: 'bomb.jpg' }))).toBe(
      'jpeg: bomb.jpg declares 60000x60000 = 3600000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding');
    expect(errorOf(() => decodeJpeg(segments([[0xc2, sof(8, 100, 100)]]), { name: 'p.jpg', maxPixels: 9999 }))).toBe(
      'jpeg: p.jpg declares 100x100 = 10000 pixels, more than the limit of 9999 (option maxPixels, camlab --max-pixels); refused before decoding');
  });

  it('a truncated JPEG is refused (jpeg-js alone would decode the missing data as grey)', () => {
    const file = baseline(picture(16, 16));
    const cut = file.length - 40; // inside the entropy-coded data of the only scan
    expect(errorOf(() => decodeJpeg(file.subarray(0, cut), { name: 'cut.jpg' }))).toBe(
      refused('cut.jpg', `truncated: the file ends at byte ${cut} without an end-of-image marker`));
    for (let n = 0; n < file.length; n++) {
      expect(errorOf(() => decodeJpeg(file.subarray(0, n), { name: 'cut.jpg' }))).toMatch(/^jpeg: cut\.jpg is not a readable JPEG \((truncated: |this is an empty file|this is a file of unknown format)/);
    }
  });

  it('CMYK, 12-bit, arithmetic-coded, lossless, 2-component and zero-height JPEGs are refused by name', () => {
    expect(errorOf(() => decodeJpeg(fixture('cmyk.jpg'), { name: 'cmyk.jpg' }))).toBe(refused('cmyk.jpg', 'it is a CMYK JPEG with 4 colour components; convert it to RGB first'));
    const cases: Array<[Uint8Array, string]> = [
      [segments([[0xc1, sof(12, 8, 8)]]), 'it has 12-bit samples; camlab reads 8-bit JPEGs'],
      [segments([[0xc9, sof(8, 8, 8)]]), 'its coding process is arithmetic-coded sequential, SOF9; camlab reads baseline and progressive JPEGs'],
      [segments([[0xc3, sof(8, 8, 8)]]), 'its coding process is lossless, SOF3; camlab reads baseline and progressive JPEGs'],
      [segments([[0xc0, sof(8, 8, 8, 2)]]), 'it has 2 colour components; camlab reads greyscale JPEGs, with 1, and colour ones, with 3'],
      [segments([[0xc0, sof(8, 8, 8)], [0xc2, sof(8, 8, 8)]]), 'a second frame header, SOF, at byte 21; only single-frame JPEGs are supported'],
      [segments([[0xc0, [8, 0, 8]]]), 'corrupt file: the frame header at byte 2 is only 5 bytes long'],
      [segments([[0xda, [1, 1, 0, 0, 63, 0]]]), 'corrupt file: a scan, SOS, at byte 2 before the frame header, SOF'],
      [segments([[0xe0, [0x4a, 0x46]]]), 'there is no frame header, SOF marker, so no image in the file'],
      [concatBytes([Uint8Array.of(0xff, 0xd8, 0x12, 0x34)]), 'corrupt file: expected a marker at byte 2, found byte 12'],
      [concatBytes([Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01)]), 'corrupt file: the segment ff e0 at byte 2 declares length 1'],
      [concatBytes([Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 1, 2)]), 'truncated: the file ends inside the segment ff e0 at byte 2, which declares 16 bytes'],
      [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 'this is a PNG file'],
    ];
    for (const [bytes, reason] of cases) expect(errorOf(() => decodeJpeg(bytes, { name: 'u.jpg' })), reason).toBe(refused('u.jpg', reason));
    expect(errorOf(() => decodeJpeg(segments([[0xc0, sof(8, 0, 8)]]), { name: 'z.jpg' }))).toBe('jpeg: z.jpg declares 8x0 pixels: an image needs a width and a height of at least 1');
  });

  it('property: random corruption of a valid JPEG decodes or is one CamlabError line, the same each time', () => {
    const good = baseline(picture(16, 8), 80);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const f = good.slice();
        for (const [i, v] of edits) f[i] = v;
        const outcome = (): string => {
          try {
            const img = decodeJpeg(f, { name: 'fuzz.jpg', maxPixels: 1 << 20 });
            expect(img.data.length).toBe(img.width * img.height * 4);
            return Array.from(img.data).join(',');
          } catch (e) {
            const msg = errorOf(() => {
              throw e;
            });
            expect(msg).toMatch(/^jpeg: fuzz\.jpg [^\n]+$/);
            return msg;
          }
        };
        expect(outcome()).toBe(outcome());
      }),
      runs(150),
    );
  });
});
