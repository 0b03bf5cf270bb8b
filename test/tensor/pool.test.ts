import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randn, tensor } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import { gather } from '../../src/tensor/indexing.js';
import {
  adaptiveAvgPool2d,
  adaptiveAvgPool2dAdjoint,
  avgPool2d,
  avgPool2dAdjoint,
  maxPool2d,
  type Pool2dOptions,
} from '../../src/tensor/pool.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { absSum, dot, expectClose, runs } from '../support/check.js';

interface PoolCase {
  N: number; C: number; H: number; W: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  ceil: boolean; includePad: boolean;
  opts: Pool2dOptions;
}

/** PyTorch's pooling_output_shape, written out for one axis. */
function outLen(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  if (ceil && (o - 1) * s >= size + p) o -= 1;
  return o;
}

function poolCaseArb(withDilation: boolean): fc.Arbitrary<PoolCase> {
  return fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      C: fc.integer({ min: 1, max: 3 }),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      dh: fc.integer({ min: 1, max: withDilation ? 3 : 1 }),
      dw: fc.integer({ min: 1, max: withDilation ? 3 : 1 }),
      padFracH: fc.double({ min: 0, max: 1, noNaN: true }),
      padFracW: fc.double({ min: 0, max: 1, noNaN: true }),
      extraH: fc.integer({ min: 0, max: 6 }),
      extraW: fc.integer({ min: 0, max: 6 }),
      ceil: fc.boolean(),
      includePad: fc.boolean(),
      defaultStride: fc.boolean(),
    })
    .map((r) => {
      const ekh = r.dh * (r.kh - 1) + 1;
      const ekw = r.dw * (r.kw - 1) + 1;
      const ph = Math.floor(r.padFracH * (Math.floor(ekh / 2) + 0.999));
      const pw = Math.floor(r.padFracW * (Math.floor(ekw / 2) + 0.999));
      const H = Math.max(1, ekh - 2 * ph + r.extraH);
      const W = Math.max(1, ekw - 2 * pw + r.extraW);
      const sh = r.defaultStride ? r.kh : r.sh;
      const sw = r.defaultStride ? r.kw : r.sw;
      const opts: Pool2dOptions = {
        kernelSize: [r.kh, r.kw],
        padding: [ph, pw],
        ceilMode: r.ceil,
        ...(r.defaultStride ? {} : { stride: [sh, sw] as [number, number] }),
        ...(withDilation ? { dilation: [r.dh, r.dw] as [number, number] } : { countIncludePad: r.includePad }),
      };
      return { N: r.N, C: r.C, H, W, kh: r.kh, kw: r.kw, sh, sw, ph, pw, dh: r.dh, dw: r.dw, ceil: r.ceil, includePad: r.includePad, opts };
    });
}

/** Direct max pooling; null if some window holds no real input. */
function refMaxPool(x: Tensor, c: PoolCase): { values: number[]; indices: number[]; shape: number[] } | null {
  const OH = outLen(c.H, c.kh, c.sh, c.ph, c.dh, c.ceil);
  const OW = outLen(c.W, c.kw, c.sw, c.pw, c.dw, c.ceil);
  const values: number[] = [];
  const indices: number[] = [];
  for (let n = 0; n < c.N; n++)
    for (let ch = 0; ch < c.C; ch++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let best = Number.NaN;
          let at = -1;
          for (let i = 0; i < c.kh; i++)
            for (let j = 0; j < c.kw; j++) {
              const ih = oh * c.sh - c.ph + i * c.dh;
              const iw = ow * c.sw - c.pw + j * c.dw;
              if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
              const p = ((n * c.C + ch) * c.H + ih) * c.W + iw;
              const v = x.data[p]!;
              const bestIsNaN = at >= 0 && Number.isNaN(best);
              if (at < 0 || (!bestIsNaN && (v > best || Number.isNaN(v)))) {
                best = v;
                at = p;
              }
            }
          if (at < 0) return null;
          values.push(best);
          indices.push(at);
        }
  return { values, indices, shape: [c.N, c.C, OH, OW] };
}

/** PyTorch's avg_pool2d CPU loop, written out. */
function refAvgPool(x: Tensor, c: PoolCase): { data: number[]; shape: number[] } {
  const OH = outLen(c.H, c.kh, c.sh, c.ph, 1, c.ceil);
  const OW = outLen(c.W, c.kw, c.sw, c.pw, 1, c.ceil);
  const data: number[] = [];
  for (let n = 0; n < c.N; n++)
    for (let ch = 0; ch < c.C; ch++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let h0 = oh * c.sh - c.ph;
          let w0 = ow * c.sw - c.pw;
          let h1 = Math.min(h0 + c.kh, c.H + c.ph);
          let w1 = Math.min(w0 + c.kw, c.W + c.pw);
          const poolSize = (h1 - h0) * (w1 - w0);
          h0 = Math.max(h0, 0);
          w0 = Math.max(w0, 0);
          h1 = Math.min(h1, c.H);
          w1 = Math.min(w1, c.W);
          if (h0 >= h1 || w0 >= w1) {
            data.push(0);
            continue;
          }
          let s = 0;
          for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) s += x.data[((n * c.C + ch) * c.H + ih) * c.W + iw]!;
          data.push(s / (c.includePad ? poolSize : (h1 - h0) * (w1 - w0)));
        }
  return { data, shape: [c.N, c.C, OH, OW] };
}

function refAdaptive(x: Tensor, OH: number, OW: number): number[] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const out: number[] = [];
  for (let n = 0; n < N * C; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        const h0 = Math.floor((i * H) / OH);
        const h1 = Math.ceil(((i + 1) * H) / OH);
        const w0 = Math.floor((j * W) / OW);
        const w1 = Math.ceil(((j + 1) * W) / OW);
        let s = 0;
        for (let a = h0; a < h1; a++) for (let b = w0; b < w1; b++) s += x.data[(n * H + a) * W + b]!;
        out.push(s / ((h1 - h0) * (w1 - w0)));
      }
  return out;
}



/** Small integers so that windows are full of ties. */
function tiesTensor(shape: number[], seed: number, dtype: DType): Tensor {
  const r = randn(shape, { rng: seed });
  return tensor(Array.from(r.data, (v) => Math.round(v)), { shape, dtype });
}

const dtypeArb = fc.constantFrom<DType>('float64', 'float32');
const seedArb = fc.integer({ min: 0, max: 1 << 30 });

describe.each(BACKENDS)('maxPool2d (%s backend)', (backend) => {
  useBackend(backend);

  it('matches the direct loop: first maximum wins ties, indices are flat into x, padding never wins', () => {
    fc.assert(
      fc.property(poolCaseArb(true), dtypeArb, seedArb, fc.boolean(), (c, dtype, seed, ties) => {
        const shape = [c.N, c.C, c.H, c.W];
        const x = ties ? tiesTensor(shape, seed, dtype) : randn(shape, { rng: seed, dtype });
        const ref = refMaxPool(x, c);
        if (ref === null) {
          expect(() => maxPool2d(x, c.opts)).toThrow('lies entirely in the padding');
          return;
        }
        const { values, indices } = maxPool2d(x, c.opts);
        expect([...values.shape]).toEqual(ref.shape);
        expect([...indices.shape]).toEqual(ref.shape);
        expect(values.dtype).toBe(dtype);
        expect(Array.from(indices.data)).toEqual(ref.indices);
        expect(Array.from(values.data)).toEqual(ref.values);
        expect(Array.from(gather(x, indices).data)).toEqual(ref.values);
      }),
      runs(300),
    );
  });

  it('breaks ties by scan order and lets NaN win', () => {
    const x = tensor([[[[1, 3, 3], [3, 0, 2]]]]);
    const r = maxPool2d(x, { kernelSize: [2, 3] });
    expect(r.values.toFlatArray()).toEqual([3]);
    expect(r.indices.toFlatArray()).toEqual([1]);
    const y = tensor([[[[1, Number.NaN], [Number.NaN, 5]]], [[[-1, -2], [-3, -4]]]]);
    const s = maxPool2d(y, { kernelSize: 2 });
    expect(s.values.toFlatArray()).toEqual([Number.NaN, -1]);
    expect(s.indices.toFlatArray()).toEqual([1, 4]);
  });

  it('pads with -infinity: an all-negative border keeps its own maximum', () => {
    const x = tensor([[[[-5, -6], [-7, -8]]]]);
    const r = maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 });
    expect(r.values.toArray()).toEqual([[[[-5, -5, -6], [-5, -5, -6], [-7, -7, -8]]]]);
    expect(r.indices.toArray()).toEqual([[[[0, 0, 1], [0, 0, 1], [2, 2, 3]]]]);
  });
});

describe('avgPool2d', () => {
  it("matches PyTorch's loop (padding, ceil mode, countIncludePad) in both dtypes", () => {
    fc.assert(
      fc.property(poolCaseArb(false), dtypeArb, seedArb, (c, dtype, seed) => {
        const x = randn([c.N, c.C, c.H, c.W], { rng: seed, dtype });
        const ref = refAvgPool(x, c);
        const y = avgPool2d(x, c.opts);
        expect([...y.shape]).toEqual(ref.shape);
        expect(y.dtype).toBe(dtype);
        const f32 = dtype === 'float32';
        expectClose(y.data, f32 ? ref.data.map(Math.fround) : ref.data, f32 ? 1e-6 : 1e-14, f32 ? 1e-6 : 1e-14);
      }),
      runs(300),
    );
  });

  it('avgPool2dAdjoint is the exact transpose', () => {
    fc.assert(
      fc.property(poolCaseArb(false), seedArb, (c, seed) => {
        const shape = [c.N, c.C, c.H, c.W];
        const x = randn(shape, { rng: seed });
        const y = avgPool2d(x, c.opts);
        const g = randn([...y.shape], { rng: seed + 1 });
        const dx = avgPool2dAdjoint(g, shape, c.opts);
        expect([...dx.shape]).toEqual(shape);
        const lhs = dot(g.data, y.data);
        expect(Math.abs(lhs - dot(dx.data, x.data))).toBeLessThanOrEqual(1e-13 * (absSum(g.data, y.data) + absSum(dx.data, x.data)));
      }),
      runs(300),
    );
  });

  it('counts padding as PyTorch does', () => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    expect(avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).toArray()).toEqual([[[[0.25, 0.75, 0.5], [1, 2.5, 1.5], [0.75, 1.75, 1]]]]);
    expect(avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }).toArray()).toEqual([[[[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]]]);
    // ceil mode: the last window hangs over the padded input; the divisor counts only what lies inside.
    const z = tensor([[[[1, 2, 3]]]]);
    expect(avgPool2d(z, { kernelSize: [1, 2], ceilMode: true }).toArray()).toEqual([[[[1.5, 3]]]]);
  });
});

describe('adaptiveAvgPool2d', () => {
  it("matches PyTorch's bins, including outputs larger than the input, and is adjoint to its transpose", () => {
    const arb = fc.record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 9 }),
      W: fc.integer({ min: 1, max: 9 }),
      OH: fc.integer({ min: 1, max: 7 }),
      OW: fc.integer({ min: 1, max: 7 }),
      dtype: dtypeArb,
      seed: seedArb,
    });
    fc.assert(
      fc.property(arb, ({ N, C, H, W, OH, OW, dtype, seed }) => {
        const x = randn([N, C, H, W], { rng: seed, dtype });
        const y = adaptiveAvgPool2d(x, OH === OW ? OH : [OH, OW]);
        expect([...y.shape]).toEqual([N, C, OH, OW]);
        const ref = refAdaptive(x, OH, OW);
        const f32 = dtype === 'float32';
        expectClose(y.data, f32 ? ref.map(Math.fround) : ref, f32 ? 1e-6 : 1e-14, f32 ? 1e-6 : 1e-14);
        if (!f32) {
          const g = randn([N, C, OH, OW], { rng: seed + 1 });
          const dx = adaptiveAvgPool2dAdjoint(g, x.shape);
          expect(Math.abs(dot(g.data, y.data) - dot(dx.data, x.data))).toBeLessThanOrEqual(1e-13 * (absSum(g.data, y.data) + absSum(dx.data, x.data)));
        }
      }),
      runs(200),
    );
    // 5 → 3 bins: [0,2), [1,4), [3,5)
    expect(adaptiveAvgPool2d(tensor([[[[1, 2, 3, 4, 5]]]]), [1, 3]).toArray()).toEqual([[[[1.5, 3, 4.5]]]]);
  });
});

describe('pooling errors', () => {
  const x = randn([1, 3, 8, 8], { rng: 1 });
  it('names the op and the shapes', () => {
    expect(() => maxPool2d(randn([3, 8, 8], { rng: 1 }), { kernelSize: 2 })).toThrow('maxPool2d: input must be 4-D [N,C,H,W], got [3,8,8]');
    expect(() => avgPool2d(x, { kernelSize: 0 })).toThrow('avgPool2d: kernelSize must be integers >= 1, got 0');
    expect(() => maxPool2d(x, { kernelSize: 2, stride: 0 })).toThrow('maxPool2d: stride must be integers >= 1, got 0');
    expect(() => maxPool2d(x, { kernelSize: 2, padding: -1 })).toThrow('maxPool2d: padding must be non-negative integers, got -1');
    expect(() => maxPool2d(x, { kernelSize: 3, padding: 2 })).toThrow('maxPool2d: padding [2,2] must be at most half the kernel size [3,3] (input [1,3,8,8])');
    expect(() => avgPool2d(x, { kernelSize: 2, dilation: 2 })).toThrow('avgPool2d: dilation is only supported by max pooling, got [2,2]');
    expect(() => maxPool2d(x, { kernelSize: [9, 2] })).toThrow('maxPool2d: kernel 9x2 (dilation [1,1]) is larger than the padded input 8x8 (input [1,3,8,8], padding [0,0])');
    expect(() => avgPool2d(x, { kernelSize: [2, 11], padding: 1 })).toThrow('avgPool2d: kernel 2x11 is larger than the padded input 10x10 (input [1,3,8,8], padding [1,1])');
    expect(() => maxPool2d(randn([1, 1, 2, 2], { rng: 1 }), { kernelSize: 2, dilation: 3, padding: 1 })).toThrow(
      'maxPool2d: window row 0 lies entirely in the padding (input [1,1,2,2])',
    );
    expect(() => avgPool2dAdjoint(randn([1, 3, 3, 3], { rng: 1 }), [1, 3, 8, 8], { kernelSize: 2 })).toThrow(
      'avgPool2dAdjoint: gradient [1,3,3,3] does not match the avgPool2d output [1,3,4,4] of input [1,3,8,8]',
    );
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow('adaptiveAvgPool2d: output size must be integers >= 1, got 0');
    expect(() => adaptiveAvgPool2dAdjoint(randn([2, 3, 2, 2], { rng: 1 }), [1, 3, 8, 8])).toThrow(
      'adaptiveAvgPool2dAdjoint: gradient [2,3,2,2] does not match the adaptiveAvgPool2d output [1,3,2,2] of input [1,3,8,8]',
    );
  });
});
