import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { areaResample, imageToInput, inputToImage } from '../../src/io/image.js';
import type { RgbaImage } from '../../src/io/rgba.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import type { InputSpec } from '../../src/nn/spec.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { expectClose, runs } from '../support/check.js';
import { handPng, pngjsWrite } from './png-writer.js';

const rgba = (img: RgbaImage): number[] => Array.from(img.data);

describe('decodePng', () => {
  it('8-bit RGB (no alpha) → opaque RGBA', () => {
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const bytes = pngjsWrite(3, 2, rgb, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
    expect(bytes[25]).toBe(2); // IHDR colour type byte: truecolour
    const img = decodePng(bytes);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(rgba(img)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255]);
  });

  it('8-bit RGBA with transparency keeps alpha', () => {
    const data = Buffer.from([255, 0, 0, 0, 0, 255, 0, 128, 1, 2, 3, 255, 9, 8, 7, 1]);
    const bytes = pngjsWrite(2, 2, data, { colorType: 6 });
    expect(bytes[25]).toBe(6);
    expect(rgba(decodePng(bytes))).toEqual(Array.from(data));
  });

  it('grayscale 8-bit → R = G = B, opaque', () => {
    const grey = Buffer.from([0, 64, 128, 255]);
    const bytes = pngjsWrite(2, 2, grey, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
    expect([bytes[24], bytes[25]]).toEqual([8, 0]); // bit depth, colour type
    expect(rgba(decodePng(bytes))).toEqual([0, 0, 0, 255, 64, 64, 64, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  });

  it('grayscale 16-bit → rescaled to 8 bits (round(v/257))', () => {
    const samples = [0, 257, 32896, 65535, 1000, 40000];
    const b = Buffer.from(Uint16Array.from(samples).buffer); // native (little-endian) order; pngjs swaps
    const bytes = pngjsWrite(3, 2, b, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 16 });
    expect([bytes[24], bytes[25]]).toEqual([16, 0]);
    const img = decodePng(bytes);
    expect(img.data.length).toBe(3 * 2 * 4);
    expect(rgba(img)).toEqual(samples.flatMap((s) => {
      const v = Math.round(s / 257);
      return [v, v, v, 255];
    }));
  });

  it('16-bit RGBA → rescaled to 8 bits', () => {
    const bytes = handPng({
      width: 1, height: 1, bitDepth: 16, colorType: 6,
      rows: [[0xff, 0xff, 0x80, 0x80, 0x00, 0x00, 0x7f, 0xff]],
    });
    expect(rgba(decodePng(bytes))).toEqual([255, Math.round(0x8080 / 257), 0, Math.round(0x7fff / 257)]);
  });

  it('grey + alpha (colour type 4)', () => {
    const bytes = handPng({ width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[100, 255, 200, 0]] });
    expect(rgba(decodePng(bytes))).toEqual([100, 100, 100, 255, 200, 200, 200, 0]);
  });

  it('palette (colour type 3) with tRNS transparency, 8-bit and 2-bit indices', () => {
    const plte = [255, 0, 0, 0, 255, 0, 0, 0, 255, 17, 34, 51];
    const trns = [255, 128, 0]; // entry 3 has no alpha entry → opaque
    const p8 = handPng({ width: 4, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 1, 2, 3]], plte, trns });
    const expected = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 17, 34, 51, 255];
    expect(rgba(decodePng(p8))).toEqual(expected);
    // Four 2-bit indices 0,1,2,3 packed into one byte: 00 01 10 11.
    const p2 = handPng({ width: 4, height: 1, bitDepth: 2, colorType: 3, rows: [[0b00011011]], plte, trns });
    expect(rgba(decodePng(p2))).toEqual(expected);
  });

  it('1-bit grayscale', () => {
    const bytes = handPng({ width: 3, height: 2, bitDepth: 1, colorType: 0, rows: [[0b10100000], [0b01000000]] });
    expect(rgba(decodePng(bytes))).toEqual([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255]);
  });

  it('encodePng → decodePng is the identity on RGBA', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (w, h, seed) => {
        const data = Uint8Array.from({ length: w * h * 4 }, (_, i) => (seed * 31 + i * 97) % 256);
        const img = decodePng(encodePng({ width: w, height: h, data }));
        expect([img.width, img.height]).toEqual([w, h]);
        expect(rgba(img)).toEqual(Array.from(data));
      }),
      runs(30),
    );
  });

  it('a decoded image does not alias the input bytes', () => {
    const bytes = encodePng({ width: 1, height: 1, data: Uint8Array.from([1, 2, 3, 4]) });
    const img = decodePng(bytes);
    bytes.fill(0);
    expect(rgba(img)).toEqual([1, 2, 3, 4]);
  });

  describe('corrupt input → CamlabError naming the source', () => {
    const good = encodePng({ width: 4, height: 4, data: Uint8Array.from({ length: 64 }, (_, i) => i * 4) });

    it('not a PNG, truncated, bad CRC, empty', () => {
      const cases: Array<[string, Uint8Array]> = [
        ['text', Uint8Array.from([104, 101, 108, 108, 111])],
        ['empty', new Uint8Array(0)],
        ['truncated', good.subarray(0, good.length - 20)],
        ['signature only', good.subarray(0, 8)],
      ];
      const badCrc = good.slice();
      badCrc[29] = badCrc[29]! ^ 0xff; // inside the IHDR CRC
      cases.push(['bad crc', badCrc]);
      for (const [name, bytes] of cases) {
        let err: unknown = null;
        try {
          decodePng(bytes, `photos/${name}.png`);
        } catch (e) {
          err = e;
        }
        expect(err, name).toBeInstanceOf(CamlabError);
        expect((err as Error).message, name).toMatch(new RegExp(`^png: photos/${name}\\.png is not a readable PNG \\(.+\\)$`));
      }
      expect(() => decodePng(new Uint8Array(3))).toThrow(/^png: PNG is not a readable PNG/);
    });

    it('property: random corruption of a valid PNG is decoded or a CamlabError, nothing else', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(good.length), (edits, cut) => {
          const f = good.slice(0, Math.max(cut, 1));
          for (const [i, v] of edits) if (i < f.length) f[i] = v;
          try {
            const img = decodePng(f, 'fuzz.png');
            expect(img.data.length).toBe(img.width * img.height * 4);
          } catch (e) {
            expect(e).toBeInstanceOf(CamlabError);
            expect((e as Error).message).toContain('fuzz.png');
          }
        }),
        runs(150),
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------

function image(w: number, h: number, px: (x: number, y: number) => [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(px(x, y), 4 * (y * w + x));
  return { width: w, height: h, data };
}

const spec = (channels: number, height: number, width: number, extra: Partial<InputSpec> = {}): InputSpec => ({ channels, height, width, ...extra });

describe('imageToInput', () => {
  it('property: row-by-row conversion equals areaResample of the full-resolution planes, bit for bit (1 and 3 channels, shrinking and enlarging)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 3), fc.nat(10_000),
        (w, h, ow, oh, c, seed) => {
          const img = image(w, h, (x, y) => [(seed + 31 * x + 7 * y) % 256, (seed * 3 + 11 * x * y) % 256, (x * 97 + y * 13) % 256, (seed + 50 * x + 90 * y) % 256]);
          // The reference: whole planes with alpha applied (and luminance), then areaResample.
          const planes = [0, 1, 2].map((k) => Float64Array.from({ length: w * h }, (_, i) => (img.data[4 * i + k]! / 255) * (img.data[4 * i + 3]! / 255)));
          const src = c === 1 ? [planes[0]!.map((r, i) => 0.299 * r + 0.587 * planes[1]![i]! + 0.114 * planes[2]![i]!)] : planes;
          const expected = src.flatMap((p) => Array.from(areaResample(p, w, h, ow, oh)));
          expect(Array.from(imageToInput(img, spec(c, oh, ow)).data)).toEqual(expected);
        }),
      runs(150),
    );
  });

  it('an image already at the model size is unchanged (v/255), planar [1,3,H,W]', () => {
    const img = image(3, 2, (x, y) => [10 * x + y, 100 + x, 200 - y, 255]);
    const t = imageToInput(img, spec(3, 2, 3));
    expect(t.shape).toEqual([1, 3, 2, 3]);
    expect(t.dtype).toBe('float64');
    const expected: number[] = [];
    for (let k = 0; k < 3; k++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expected.push([10 * x + y, 100 + x, 200 - y][k]! / 255);
    expect(Array.from(t.data)).toEqual(expected);
  });

  it('alpha is composited over black', () => {
    const img = image(2, 1, (x) => (x === 0 ? [200, 100, 50, 128] : [255, 255, 255, 0]));
    const t = imageToInput(img, spec(3, 1, 2));
    const a = 128 / 255;
    expect(Array.from(t.data)).toEqual([(200 / 255) * a, 0, (100 / 255) * a, 0, (50 / 255) * a, 0]);
  });

  it('1-channel models get luminance 0.299 R + 0.587 G + 0.114 B (after alpha)', () => {
    const img = image(3, 1, (x) => [[255, 0, 0, 255], [10, 200, 30, 255], [100, 100, 100, 51]][x] as [number, number, number, number]);
    const t = imageToInput(img, spec(1, 1, 3));
    expect(t.shape).toEqual([1, 1, 1, 3]);
    const a = 51 / 255;
    const ref = [0.299, 0.299 * (10 / 255) + 0.587 * (200 / 255) + 0.114 * (30 / 255), (0.299 + 0.587 + 0.114) * (100 / 255) * a];
    expectClose(t.data, ref, 1e-15, 1e-15);
  });

  it('a grey PNG fed to a 3-channel model gives three equal planes', () => {
    const bytes = pngjsWrite(2, 2, Buffer.from([0, 64, 128, 255]), { colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const t = imageToInput(decodePng(bytes), spec(3, 2, 2));
    const planes = [0, 1, 2].map((k) => Array.from(t.data.subarray(4 * k, 4 * k + 4)));
    expect(planes[0]).toEqual([0, 64 / 255, 128 / 255, 1]);
    expect(planes[1]).toEqual(planes[0]);
    expect(planes[2]).toEqual(planes[0]);
  });

  it('a 2x downscale averages each 2x2 block exactly', () => {
    const img = image(4, 6, (x, y) => [(x * 37 + y * 11) % 256, (x * 5 + y * 71) % 256, 255 - x - y, 255]);
    const t = imageToInput(img, spec(3, 3, 2));
    expect(t.shape).toEqual([1, 3, 3, 2]);
    for (let k = 0; k < 3; k++) {
      for (let oy = 0; oy < 3; oy++) {
        for (let ox = 0; ox < 2; ox++) {
          const v = (x: number, y: number): number => img.data[4 * (y * 4 + x) + k]! / 255;
          const [a, b, c, d] = [v(2 * ox, 2 * oy), v(2 * ox + 1, 2 * oy), v(2 * ox, 2 * oy + 1), v(2 * ox + 1, 2 * oy + 1)];
          // Rows first, then columns: ((a + b) + (c + d)) / 4 bit for bit.
          expect(t.data[k * 6 + oy * 2 + ox]).toBe((a + b + (c + d)) / 4);
        }
      }
    }
  });

  it('normalization (x − mean)/std per channel', () => {
    const img = image(1, 1, () => [51, 102, 204, 255]);
    const t = imageToInput(img, spec(3, 1, 1, { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] }));
    expectClose(t.data, [(0.2 - 0.5) / 0.5, (0.4 - 0.25) / 0.25, 0.8 / 2], 1e-15, 1e-15);
    const g = imageToInput(img, spec(1, 1, 1, { mean: [0.1307], std: [0.3081] }));
    const lum = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.8;
    expectClose(g.data, [(lum - 0.1307) / 0.3081], 1e-15, 1e-14);
  });

  it('inputToImage inverts imageToInput for an opaque image at the model size', () => {
    const img = image(5, 3, (x, y) => [(x * 50 + y) % 256, (y * 80) % 256, (x * y * 13) % 256, 255]);
    const s = spec(3, 3, 5, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(rgba(inputToImage(imageToInput(img, s), s))).toEqual(rgba(img));
    // 1-channel: grey replicated.
    const g = inputToImage(imageToInput(image(1, 1, () => [90, 90, 90, 255]), spec(1, 1, 1)), spec(1, 1, 1));
    expect(rgba(g)).toEqual([90, 90, 90, 255]);
  });

  it('errors: RGBA data of the wrong length, unsupported channel counts', () => {
    expect(() => imageToInput({ width: 2, height: 2, data: new Uint8Array(15) }, spec(3, 2, 2))).toThrow('imageToInput: RGBA data has 15 bytes, expected 16 for 2x2');
    expect(() => imageToInput(image(1, 1, () => [0, 0, 0, 255]), spec(2, 1, 1))).toThrow(/models with 2 input channels are not supported \(1 or 3\)/);
  });
});

describe('areaResample', () => {
  const planeArb = fc
    .record({ w: fc.integer({ min: 1, max: 9 }), h: fc.integer({ min: 1, max: 9 }), ow: fc.integer({ min: 1, max: 9 }), oh: fc.integer({ min: 1, max: 9 }) })
    .chain((r) => fc.record({ ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, fc.constant(v)])), values: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: r.w * r.h, maxLength: r.w * r.h }) }))
    .map((r) => r as unknown as { w: number; h: number; ow: number; oh: number; values: number[] });

  it('property: a weighted mean of the covered cells (within [min, max]) that preserves the image mean', () => {
    fc.assert(
      fc.property(planeArb, ({ w, h, ow, oh, values }) => {
        const src = Float64Array.from(values);
        const out = areaResample(src, w, h, ow, oh);
        expect(out.length).toBe(ow * oh);
        const lo = Math.min(...values);
        const hi = Math.max(...values);
        for (const v of out) {
          expect(v).toBeGreaterThanOrEqual(lo - 1e-12);
          expect(v).toBeLessThanOrEqual(hi + 1e-12);
        }
        const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
        expect(mean(out)).toBeCloseTo(mean(src), 12);
      }),
      runs(150),
    );
  });

  it('a constant plane stays constant; same size is a copy', () => {
    const c = new Float64Array(35).fill(0.25);
    for (const v of areaResample(c, 7, 5, 3, 4)) expect(v).toBeCloseTo(0.25, 15);
    const src = Float64Array.from([1, 2, 3, 4]);
    const same = areaResample(src, 2, 2, 2, 2);
    expect(Array.from(same)).toEqual([1, 2, 3, 4]);
    expect(same).not.toBe(src);
  });

  it('3 → 2 along a row: each output covers 1.5 input cells', () => {
    const out = areaResample(Float64Array.from([0, 3, 6]), 3, 1, 2, 1);
    expectClose(out, [(0 + 0.5 * 3) / 1.5, (0.5 * 3 + 6) / 1.5], 1e-15, 1e-15);
  });

  it('upscaling by an integer factor replicates pixels', () => {
    expect(Array.from(areaResample(Float64Array.from([1, 2, 3, 4]), 2, 2, 4, 4))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});
