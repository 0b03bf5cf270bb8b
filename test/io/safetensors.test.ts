import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadModel, saveWeights } from '../../src/io/model.js';
import { halfToFloat, parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { utf8Decode, utf8Encode } from '../../src/io/utf8.js';
import { Linear, Sequential } from '../../src/nn/layers.js';
import { buildModel, type ModelSpec } from '../../src/nn/spec.js';
import { randn, tensor } from '../../src/tensor/create.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { errorOf, runs } from '../support/check.js';

/** ASCII text as bytes (the test builds files without camlab's UTF-8 codec). */
function ascii(s: string): number[] {
  return Array.from(s, (ch) => {
    const c = ch.charCodeAt(0);
    if (c > 127) throw new Error('ascii only');
    return c;
  });
}

/** 8-byte little-endian header length, the header bytes, then the data bytes. */
function fileOf(header: number[], data: number[] = []): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  let n = header.length;
  for (let i = 0; i < 8; i++) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}


describe('parseSafetensors on a file built byte by byte', () => {
  // Data section layout (offsets relative to its start), deliberately not in key order:
  //   [0, 16)  "a"  F64 [2]    π, −0.1
  //   [16, 24) "b"  F32 [2,1]  1.5, −2.25
  //   [24, 30) "c"  F16 [3]    1, −2, 2^-24 (smallest subnormal)
  //   [30, 34) "d"  BF16 [2]   1, −3.140625
  //   [34, 40) padding (ignored)
  //   [40, 48) "e"  I64 []     −5
  //   [48, 56) "f"  I64 []     2^40
  //   [56, 60) "g"  I32 [1]    −7
  //   [60, 62) "h"  I16 [1]    −300
  //   [62, 63) "i"  I8  [1]    −2
  //   [63, 64) "j"  U8  [1]    200
  //   [64, 65) "k"  BOOL [1]   1
  const header =
    '{"__metadata__":{"format":"pt","note":"hand-made"},' +
    '"f":{"dtype":"I64","shape":[],"data_offsets":[48,56]},' +
    '"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},' +
    '"b":{"dtype":"F32","shape":[2,1],"data_offsets":[16,24]},' +
    '"c":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},' +
    '"d":{"dtype":"BF16","shape":[2],"data_offsets":[30,34]},' +
    '"e":{"dtype":"I64","shape":[],"data_offsets":[40,48]},' +
    '"g":{"dtype":"I32","shape":[1],"data_offsets":[56,60]},' +
    '"h":{"dtype":"I16","shape":[1],"data_offsets":[60,62]},' +
    '"i":{"dtype":"I8","shape":[1],"data_offsets":[62,63]},' +
    '"j":{"dtype":"U8","shape":[1],"data_offsets":[63,64]},' +
    '"k":{"dtype":"BOOL","shape":[1],"data_offsets":[64,65]}}';
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const data = [
    // π = 0x400921FB54442D18, −0.1 = 0xBFB999999999999A (little-endian)
    0x18, 0x2d, 0x44, 0x54, 0xfb, 0x21, 0x09, 0x40,
    0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0xbf,
    // 1.5 = 0x3FC00000, −2.25 = 0xC0100000
    0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x10, 0xc0,
    // F16 1 = 0x3C00, −2 = 0xC000, 2^-24 = 0x0001
    0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00,
    // BF16 1 = 0x3F80, −3.140625 = 0xC049
    0x80, 0x3f, 0x49, 0xc0,
    // padding
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    // I64 −5, 2^40
    0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    // I32 −7, I16 −300 (0xFED4), I8 −2, U8 200, BOOL 1
    0xf9, 0xff, 0xff, 0xff, 0xd4, 0xfe, 0xfe, 0xc8, 0x01,
  ];
  const bytes = fileOf(ascii(padded), data);

  it('loads every dtype exactly', () => {
    expect(bytes.length % 8).toBe(1); // header padded to 8; data length 65
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'hand-made' });
    const get = (k: string): Tensor => {
      const t = tensors.get(k);
      if (t === undefined) throw new Error(k);
      return t;
    };
    expect(get('a').dtype).toBe('float64');
    expect(Array.from(get('a').data)).toEqual([Math.PI, -0.1]);
    expect(get('b').dtype).toBe('float32');
    expect(get('b').shape).toEqual([2, 1]);
    expect(Array.from(get('b').data)).toEqual([1.5, -2.25]);
    expect(Array.from(get('c').data)).toEqual([1, -2, 2 ** -24]);
    expect(get('c').dtype).toBe('float32');
    expect(Array.from(get('d').data)).toEqual([1, -3.140625]);
    expect(get('e').shape).toEqual([]);
    expect(get('e').item()).toBe(-5);
    expect(get('f').item()).toBe(2 ** 40);
    expect(get('e').dtype).toBe('float64');
    expect(get('g').item()).toBe(-7);
    expect(get('h').item()).toBe(-300);
    expect(get('i').item()).toBe(-2);
    expect(get('j').item()).toBe(200);
    expect(get('k').item()).toBe(1);
    expect([...tensors.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
  });

  it('works on a Uint8Array view with a non-zero byteOffset', () => {
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 5);
    const view = big.subarray(5, 5 + bytes.length);
    expect(Array.from(parseSafetensors(view).tensors.get('a')!.data)).toEqual([Math.PI, -0.1]);
  });

  it('a header with trailing spaces and an empty object is fine', () => {
    expect(parseSafetensors(fileOf(ascii('{}      '))).tensors.size).toBe(0);
  });
});

describe('F16 / BF16 / I64 written by PyTorch (test/fixtures/torch/half.safetensors)', () => {
  const f = parseSafetensors(new Uint8Array(readFileSync(new URL('../fixtures/torch/half.safetensors', import.meta.url))));
  const t = (k: string): Tensor => f.tensors.get(k)!;

  it('F16 and BF16 decode to the values torch gives (.double())', () => {
    expect(Array.from(t('half').data)).toEqual(Array.from(t('half_values').data));
    expect(Array.from(t('bf16').data)).toEqual(Array.from(t('bf16_values').data));
    expect(Array.from(t('f32').data)).toEqual(Array.from(t('f32_values').data));
    expect(Object.is(t('half').data[1], -0)).toBe(true);
    expect(t('half').data[4]).toBe(65504);
  });

  it('I64 including large and negative values, and a 0-d count', () => {
    expect(t('int64').shape).toEqual([2, 2]);
    expect(Array.from(t('int64').data)).toEqual([0, -1, 2 ** 40, -(2 ** 33)]);
    expect(t('count').shape).toEqual([]);
    expect(t('count').item()).toBe(7);
    expect(f.metadata).toEqual({ note: 'F16 / BF16 / I64 / F32 reader check' });
  });
});

describe('halfToFloat', () => {
  it('special values', () => {
    expect(halfToFloat(0x0000)).toBe(0);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x3555)).toBe(0.333251953125);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0400)).toBe(2 ** -14); // smallest normal
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('is strictly increasing over the positive finite halves, and odd', () => {
    let prev = -1;
    for (let h = 0; h < 0x7c00; h++) {
      const v = halfToFloat(h);
      expect(v > prev).toBe(true);
      expect(halfToFloat(h | 0x8000)).toBe(-v);
      prev = v;
    }
  });
});

describe('serializeSafetensors → parseSafetensors round trip', () => {
  const tensorArb = fc
    .record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }),
      dtype: fc.constantFrom('float64' as const, 'float32' as const),
      seed: fc.integer({ min: 0, max: 1e6 }),
    })
    .map(({ shape, dtype, seed }) => randn(shape, { rng: seed, dtype, std: 100 }));
  const nameArb = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'b', '.', '_', '0', 'é', '日', '😀', '"', '\\') });

  it('property: names, shapes, dtypes, values and metadata survive; the header is 8-byte aligned', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(nameArb, tensorArb), { selector: ([n]) => n, minLength: 0, maxLength: 5 }), fc.dictionary(nameArb, fc.string()), (entries, metadata) => {
        const bytes = serializeSafetensors(entries, { metadata });
        const n = new DataView(bytes.buffer).getUint32(0, true);
        expect(n % 8).toBe(0);
        expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(0);
        const { tensors, metadata: meta } = parseSafetensors(bytes);
        expect(meta).toEqual(metadata);
        expect([...tensors.keys()]).toEqual(entries.map(([k]) => k));
        for (const [k, t] of entries) {
          const r = tensors.get(k)!;
          expect(r.dtype).toBe(t.dtype);
          expect(r.shape).toEqual(t.shape);
          expect(Array.from(r.data)).toEqual(Array.from(t.data));
        }
        // The data section holds exactly the tensors, back to back.
        const expectedData = entries.reduce((s, [, t]) => s + t.size * (t.dtype === 'float64' ? 8 : 4), 0);
        expect(bytes.length).toBe(8 + n + expectedData);
      }),
      runs(80),
    );
  });

  it('dtype forces F32 or F64 for every tensor', () => {
    const t = tensor([0.1, 1e300]);
    const f32 = parseSafetensors(serializeSafetensors(new Map([['t', t]]), { dtype: 'float32' })).tensors.get('t')!;
    expect(f32.dtype).toBe('float32');
    expect(Array.from(f32.data)).toEqual([Math.fround(0.1), Infinity]);
    const f64 = parseSafetensors(serializeSafetensors([['t', tensor([0.5], { dtype: 'float32' })]], { dtype: 'float64' })).tensors.get('t')!;
    expect(f64.dtype).toBe('float64');
  });

  it('writes a header the reference format expects (keys, dtype names, contiguous offsets)', () => {
    const bytes = serializeSafetensors(new Map([['w', tensor([[1, 2]])], ['b', tensor([3], { dtype: 'float32' })]]), { metadata: { k: 'v' } });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    const header = JSON.parse(utf8Decode(bytes.subarray(8, 8 + n))!) as Record<string, unknown>;
    expect(header).toEqual({
      __metadata__: { k: 'v' },
      w: { dtype: 'F64', shape: [1, 2], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [1], data_offsets: [16, 20] },
    });
  });
});

describe('corrupt and truncated files give clear CamlabErrors, never a RangeError', () => {
  const good = serializeSafetensors(new Map([['w', tensor([1, 2, 3])]]));

  it.each([0, 1, 7])('too short: %i bytes', (n) => {
    expect(errorOf(() => parseSafetensors(new Uint8Array(n)))).toBe(`safetensors: file is ${n} bytes, too short for the 8-byte header length`);
  });

  it('header length past the end', () => {
    expect(errorOf(() => parseSafetensors(good.subarray(0, 20)))).toMatch(/safetensors: header length \d+ does not fit in a file of 20 bytes \(truncated or not a safetensors file\)/);
    const huge = new Uint8Array(16);
    huge.fill(0xff, 0, 8);
    expect(errorOf(() => parseSafetensors(huge))).toMatch(/header length \d+ does not fit in a file of 16 bytes/);
  });

  it('overlapping tensors', () => {
    const header = ascii('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}');
    expect(errorOf(() => parseSafetensors(fileOf(header, [1, 2, 3])))).toBe("safetensors: tensors 'a' [0, 2) and 'b' overlap in the data section (corrupt header)");
  });

  it('header length too small', () => {
    expect(errorOf(() => parseSafetensors(fileOf([])))).toMatch(/header length 0 is too small/);
  });

  it('invalid JSON, invalid UTF-8, non-object header', () => {
    expect(errorOf(() => parseSafetensors(fileOf(ascii('{"a": '))))).toMatch(/^safetensors: header is not valid JSON/);
    expect(errorOf(() => parseSafetensors(fileOf([0x7b, 0xff, 0x7d])))).toBe('safetensors: header is not valid UTF-8');
    expect(errorOf(() => parseSafetensors(fileOf(ascii('[1,2]'))))).toBe('safetensors: header must be a JSON object');
    expect(errorOf(() => parseSafetensors(fileOf(ascii('"x"'))))).toBe('safetensors: header must be a JSON object');
  });

  const entry = (e: unknown, data: number[] = [0, 0, 0, 0]): Uint8Array => fileOf(ascii(JSON.stringify({ t: e })), data);

  it('bad dtype', () => {
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] })))).toMatch(/tensor 't' has unsupported dtype "F8_E4M3" \(supported: F64, F32, F16, BF16, I64/);
    expect(errorOf(() => parseSafetensors(entry({ shape: [1], data_offsets: [0, 4] })))).toMatch(/tensor 't' has unsupported dtype undefined/);
  });

  it('offsets out of range', () => {
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [2], data_offsets: [0, 8] })))).toBe(
      "safetensors: tensor 't' ends at byte 8 of the data section, which holds only 4 bytes (file truncated?)",
    );
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [1], data_offsets: [4, 8] })))).toMatch(/ends at byte 8/);
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [1], data_offsets: [8, 4] })))).toMatch(/needs 4 bytes but data_offsets \[8, 4\] span -4/);
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [1], data_offsets: [-4, 0] })))).toMatch(/invalid data_offsets \[-4,0\]/);
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [1], data_offsets: [0] })))).toMatch(/invalid data_offsets \[0\]/);
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'U8', shape: [1], data_offsets: [1e300, 1e300 + 1] })))).toMatch(/needs 1 bytes/);
  });

  it('size mismatch between shape and offsets', () => {
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [2], data_offsets: [0, 4] })))).toBe(
      "safetensors: tensor 't' F32[2] needs 8 bytes but data_offsets [0, 4] span 4",
    );
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F64', shape: [1e200, 1e200], data_offsets: [0, 4] })))).toMatch(/needs Infinity bytes/);
  });

  it('bad shapes, entries and metadata', () => {
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] })))).toBe("safetensors: tensor 't' has an invalid shape [-1]");
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: '1', data_offsets: [0, 4] })))).toMatch(/invalid shape "1"/);
    expect(errorOf(() => parseSafetensors(entry({ dtype: 'F32', shape: [0], data_offsets: [0, 0] })))).toMatch(/no elements; camlab has no empty tensors/);
    expect(errorOf(() => parseSafetensors(entry(null)))).toBe("safetensors: entry 't' is not an object");
    expect(errorOf(() => parseSafetensors(fileOf(ascii('{"__metadata__":{"a":1}}'))))).toMatch(/__metadata__ must be an object of string values/);
    expect(errorOf(() => parseSafetensors(fileOf(ascii('{"__metadata__":[]}'))))).toMatch(/__metadata__ must be an object of string values/);
  });

  it('property: every truncation of a valid file is a CamlabError', () => {
    const file = serializeSafetensors(new Map([['a', randn([3, 2], { rng: 1 })], ['b', randn([5], { rng: 2, dtype: 'float32' })]]), { metadata: { x: 'y' } });
    for (let n = 0; n < file.length; n++) {
      expect(() => parseSafetensors(file.subarray(0, n))).toThrow(CamlabError);
    }
  });

  it('property: random byte corruption never escapes as anything but a CamlabError', () => {
    const file = serializeSafetensors(new Map([['a', randn([3, 2], { rng: 1 })], ['bb', randn([5], { rng: 2, dtype: 'float32' })]]), { metadata: { x: 'y' } });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const f = file.slice();
        for (const [i, v] of edits) f[i] = v;
        try {
          parseSafetensors(f);
        } catch (e) {
          expect(e).toBeInstanceOf(CamlabError);
        }
      }),
      runs(300),
    );
  });

  it('property: arbitrary bytes never escape as anything but a CamlabError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.nat(80), (tail, n) => {
        const f = new Uint8Array(8 + tail.length);
        new DataView(f.buffer).setUint32(0, n, true);
        f.set(tail, 8);
        try {
          parseSafetensors(f);
        } catch (e) {
          expect(e).toBeInstanceOf(CamlabError);
        }
      }),
      runs(300),
    );
  });
});

describe('utf8', () => {
  it('round trips any string, agreeing with TextEncoder/TextDecoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const b = utf8Encode(s);
        expect(Array.from(b)).toEqual(Array.from(new TextEncoder().encode(s)));
        expect(utf8Decode(b)).toBe(s);
      }),
      runs(200),
    );
  });

  it('lone surrogates encode as U+FFFD, as TextEncoder does', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }), (s) => {
        expect(Array.from(utf8Encode(s))).toEqual(Array.from(new TextEncoder().encode(s)));
      }),
      runs(100),
    );
  });

  it('rejects malformed input: bad lead/continuation bytes, truncation, overlongs, surrogates, > U+10FFFF', () => {
    const bad = [
      [0xff], [0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xe2, 0x82], [0xe2, 0x28, 0xa1], [0xf5, 0x80, 0x80, 0x80],
      [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], // overlong
      [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], // UTF-16 surrogates
      [0xf4, 0x90, 0x80, 0x80], [0xf4, 0xbf, 0xbf, 0xbf], // past U+10FFFF (String.fromCodePoint would throw)
    ];
    for (const b of bad) {
      expect(utf8Decode(Uint8Array.from(b))).toBeNull();
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(b))).toThrow();
    }
    expect(utf8Decode(Uint8Array.from([0xf4, 0x8f, 0xbf, 0xbf]))).toBe(String.fromCodePoint(0x10ffff));
    expect(utf8Decode(Uint8Array.from([0xe0, 0xa0, 0x80]))).toBe('\u0800');
    expect(utf8Decode(Uint8Array.from([0xef, 0xbf, 0xbd]))).toBe('\ufffd');
  });

  it('property: agrees with a fatal TextDecoder on arbitrary bytes (valid or not)', () => {
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const biased = fc.uint8Array({ minLength: 0, maxLength: 12 }).map((a) => a.map((v, i) => (i % 2 === 1 ? 0x80 | (v & 0x3f) : v)));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), biased), (b) => {
        let ref: string | null;
        try {
          ref = dec.decode(b);
        } catch {
          ref = null;
        }
        expect(utf8Decode(b)).toBe(ref);
      }),
      runs(400),
    );
  });

  it('a header with a code point past U+10FFFF is a CamlabError, not a RangeError', () => {
    const f = fileOf([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]);
    expect(errorOf(() => parseSafetensors(f))).toBe('safetensors: header is not valid UTF-8');
  });
});

describe('loadModel / saveWeights', () => {
  const spec: ModelSpec = {
    format: 'camlab-model',
    version: 1,
    name: 'tiny',
    input: { channels: 1, height: 2, width: 2 },
    classes: ['a', 'b', 'c'],
    architecture: {
      type: 'Sequential',
      children: {
        flatten: { type: 'Flatten' },
        hidden: { type: 'Linear', in: 4, out: 5 },
        act: { type: 'ReLU' },
        head: { type: 'Linear', in: 5, out: 3 },
      },
    },
  };

  it('round trip: saveWeights (F32 default, or F64) → loadModel reproduces the module', () => {
    const m = buildModel(spec, new Rng(4));
    const x = randn([2, 1, 2, 2], { rng: 5 });
    const y = m.call(x);
    const w64 = saveWeights(m, { dtype: 'float64', metadata: { by: 'test' } });
    const loaded = loadModel(spec, w64);
    expect(loaded.module.training).toBe(false);
    expect(loaded.spec).toBe(spec);
    expect(Array.from(loaded.module.call(x).data)).toEqual(Array.from(y.data));
    expect(parseSafetensors(w64).metadata).toEqual({ by: 'test' });
    const w32 = saveWeights(m);
    expect(parseSafetensors(w32).tensors.get('head.weight')!.dtype).toBe('float32');
    const y32 = loadModel(spec, w32).module.call(x);
    for (let i = 0; i < y.size; i++) expect(y32.data[i]).toBeCloseTo(y.data[i]!, 5);
    // A float32 spec keeps float32 parameters.
    const l32 = loadModel({ ...spec, dtype: 'float32' }, w32).module;
    expect(l32.parameters().every((t) => t.dtype === 'float32')).toBe(true);
  });

  it('missing, unexpected and mis-shaped keys are all listed in one error', () => {
    const other = Sequential.named([
      ['hidden', new Linear(4, 6, { rng: new Rng(1) })],
      ['extra', new Linear(2, 2, { rng: new Rng(1) })],
    ]);
    const bytes = serializeSafetensors(other.stateDict());
    const msg = errorOf(() => loadModel(spec, bytes));
    expect(msg).toMatch(/^loadStateDict: /);
    expect(msg).toContain('missing keys: head.weight, head.bias');
    expect(msg).toContain('unexpected keys: extra.weight, extra.bias');
    expect(msg).toContain('hidden.weight: checkpoint [6,4] vs model [5,4]');
    expect(msg).toContain('hidden.bias: checkpoint [6] vs model [5]');
  });

  it('an invalid spec or corrupt weights are reported before anything else', () => {
    expect(errorOf(() => loadModel({ ...spec, version: 3 }, new Uint8Array(0)))).toMatch(/model spec: 'version' must be 1/);
    expect(errorOf(() => loadModel(spec, new Uint8Array(3)))).toMatch(/^safetensors: file is 3 bytes/);
  });
});
