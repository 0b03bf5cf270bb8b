import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, conv2dInputGrad, conv2dOutputShape, conv2dWeightGrad, type Conv2dOptions } from '../../src/tensor/conv.js';
import { randn, tensor } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { dot, expectClose, runs } from '../support/check.js';

interface Case {
  N: number; groups: number; Cg: number; Og: number; KH: number; KW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  H: number; W: number; OH: number; OW: number;
  opts: Conv2dOptions;
}

/** Random geometry: the padded input is at least the (dilated) kernel, sometimes exactly it. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 3 }),
    Cg: fc.integer({ min: 1, max: 3 }),
    Og: fc.integer({ min: 1, max: 3 }),
    KH: fc.integer({ min: 1, max: 4 }),
    KW: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
    dh: fc.integer({ min: 1, max: 3 }),
    dw: fc.integer({ min: 1, max: 3 }),
    extraH: fc.integer({ min: 0, max: 5 }),
    extraW: fc.integer({ min: 0, max: 5 }),
    pairForm: fc.boolean(),
  })
  .map((r) => {
    // Scalar options mean the same value for H and W.
    const sh = r.sh, ph = r.ph, dh = r.dh;
    const sw = r.pairForm ? r.sw : sh;
    const pw = r.pairForm ? r.pw : ph;
    const dw = r.pairForm ? r.dw : dh;
    const ekh = dh * (r.KH - 1) + 1;
    const ekw = dw * (r.KW - 1) + 1;
    const H = Math.max(1, ekh - 2 * ph + r.extraH);
    const W = Math.max(1, ekw - 2 * pw + r.extraW);
    const opts: Conv2dOptions = r.pairForm
      ? { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: r.groups }
      : { stride: sh, padding: ph, dilation: dh, groups: r.groups };
    return {
      N: r.N, groups: r.groups, Cg: r.Cg, Og: r.Og, KH: r.KH, KW: r.KW, sh, sw, ph, pw, dh, dw, H, W,
      OH: Math.floor((H + 2 * ph - ekh) / sh) + 1,
      OW: Math.floor((W + 2 * pw - ekw) / sw) + 1,
      opts,
    };
  });

const at4 = (s: readonly number[], a: number, b: number, c: number, d: number): number => ((a * s[1]! + b) * s[2]! + c) * s[3]! + d;

/** The direct 7-nested loop (plus the group loop). */
function refConv(x: Tensor, w: Tensor, c: Case): number[] {
  const C = c.Cg * c.groups;
  const O = c.Og * c.groups;
  const out: number[] = [];
  for (let n = 0; n < c.N; n++) {
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / c.Og);
      for (let oh = 0; oh < c.OH; oh++) {
        for (let ow = 0; ow < c.OW; ow++) {
          let s = 0;
          for (let ci = 0; ci < c.Cg; ci++) {
            for (let kh = 0; kh < c.KH; kh++) {
              for (let kw = 0; kw < c.KW; kw++) {
                const ih = oh * c.sh - c.ph + kh * c.dh;
                const iw = ow * c.sw - c.pw + kw * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                s += x.data[at4([c.N, C, c.H, c.W], n, grp * c.Cg + ci, ih, iw)]! * w.data[at4(w.shape, o, ci, kh, kw)]!;
              }
            }
          }
          out.push(s);
        }
      }
    }
  }
  return out;
}

/** The same loops scattering g into the input positions. */
function refInputGrad(g: Tensor, w: Tensor, c: Case): number[] {
  const C = c.Cg * c.groups;
  const O = c.Og * c.groups;
  const dx = new Array<number>(c.N * C * c.H * c.W).fill(0);
  for (let n = 0; n < c.N; n++)
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / c.Og);
      for (let oh = 0; oh < c.OH; oh++)
        for (let ow = 0; ow < c.OW; ow++)
          for (let ci = 0; ci < c.Cg; ci++)
            for (let kh = 0; kh < c.KH; kh++)
              for (let kw = 0; kw < c.KW; kw++) {
                const ih = oh * c.sh - c.ph + kh * c.dh;
                const iw = ow * c.sw - c.pw + kw * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                dx[at4([c.N, C, c.H, c.W], n, grp * c.Cg + ci, ih, iw)]! += g.data[at4(g.shape, n, o, oh, ow)]! * w.data[at4(w.shape, o, ci, kh, kw)]!;
              }
    }
  return dx;
}

/** The same loops accumulating g·x into the weight positions; a batch-1 operand is broadcast. */
function refWeightGrad(x: Tensor, g: Tensor, c: Case): number[] {
  const O = c.Og * c.groups;
  const NB = Math.max(x.shape[0]!, g.shape[0]!);
  const dw = new Array<number>(O * c.Cg * c.KH * c.KW).fill(0);
  for (let n = 0; n < NB; n++) {
    const xn = x.shape[0] === 1 ? 0 : n;
    const gn = g.shape[0] === 1 ? 0 : n;
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / c.Og);
      for (let oh = 0; oh < c.OH; oh++)
        for (let ow = 0; ow < c.OW; ow++)
          for (let ci = 0; ci < c.Cg; ci++)
            for (let kh = 0; kh < c.KH; kh++)
              for (let kw = 0; kw < c.KW; kw++) {
                const ih = oh * c.sh - c.ph + kh * c.dh;
                const iw = ow * c.sw - c.pw + kw * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                dw[at4([O, c.Cg, c.KH, c.KW], o, ci, kh, kw)]! += g.data[at4(g.shape, gn, o, oh, ow)]! * x.data[at4(x.shape, xn, grp * c.Cg + ci, ih, iw)]!;
              }
    }
  }
  return dw;
}

function tol(d: DType): [number, number] {
  return d === 'float64' ? [1e-12, 1e-12] : [1e-5, 1e-5];
}

function expectMatch(t: Tensor, shape: readonly number[], ref: number[], dtype: DType): void {
  expect([...t.shape]).toEqual([...shape]);
  expect(t.dtype).toBe(dtype);
  const [atol, rtol] = tol(dtype);
  expectClose(t.data, dtype === 'float32' ? ref.map(Math.fround) : ref, atol, rtol);
}


function abs(t: Tensor): Tensor {
  return tensor(Array.from(t.data, Math.abs), { shape: t.shape, dtype: t.dtype });
}

const dtypeArb = fc.constantFrom<DType>('float64', 'float32');
const seedArb = fc.integer({ min: 0, max: 1 << 30 });

function shapes(c: Case): { x: number[]; w: number[]; y: number[] } {
  return {
    x: [c.N, c.Cg * c.groups, c.H, c.W],
    w: [c.Og * c.groups, c.Cg, c.KH, c.KW],
    y: [c.N, c.Og * c.groups, c.OH, c.OW],
  };
}

describe.each(BACKENDS)('conv2d (%s backend)', (backend) => {
  useBackend(backend);

  it('matches the direct loop (batch, groups, stride, padding, dilation, both dtypes)', () => {
    fc.assert(
      fc.property(caseArb, dtypeArb, dtypeArb, seedArb, (c, dx, dw, seed) => {
        const s = shapes(c);
        const x = randn(s.x, { rng: seed, dtype: dx });
        const w = randn(s.w, { rng: seed + 1, dtype: dw });
        expect(conv2dOutputShape(s.x, s.w, c.opts)).toEqual(s.y);
        const dtype = dx === 'float64' || dw === 'float64' ? 'float64' : 'float32';
        expectMatch(conv2d(x, w, c.opts), s.y, refConv(x, w, c), dtype);
      }),
      runs(150),
    );
  });

  it('conv2dInputGrad matches the direct scatter loop', () => {
    fc.assert(
      fc.property(caseArb, dtypeArb, dtypeArb, seedArb, (c, dg, dw, seed) => {
        const s = shapes(c);
        const g = randn(s.y, { rng: seed, dtype: dg });
        const w = randn(s.w, { rng: seed + 1, dtype: dw });
        const dtype = dg === 'float64' || dw === 'float64' ? 'float64' : 'float32';
        expectMatch(conv2dInputGrad(g, w, s.x, c.opts), s.x, refInputGrad(g, w, c), dtype);
      }),
      runs(150),
    );
  });

  it('conv2dWeightGrad matches the direct loop, summing over equal or broadcast batches', () => {
    fc.assert(
      fc.property(caseArb, dtypeArb, dtypeArb, fc.constantFrom('equal', 'x1', 'g1'), seedArb, (c, dx, dg, mode, seed) => {
        const s = shapes(c);
        const xShape = mode === 'x1' ? [1, ...s.x.slice(1)] : s.x;
        const gShape = mode === 'g1' ? [1, ...s.y.slice(1)] : s.y;
        const x = randn(xShape, { rng: seed, dtype: dx });
        const g = randn(gShape, { rng: seed + 1, dtype: dg });
        const dtype = dx === 'float64' || dg === 'float64' ? 'float64' : 'float32';
        expectMatch(conv2dWeightGrad(x, g, s.w, c.opts), s.w, refWeightGrad(x, g, c), dtype);
      }),
      runs(150),
    );
  });

  it('the three ops are adjoint: <g, conv2d(x,w)> = <inputGrad(g,w), x> = <weightGrad(x,g), w>', () => {
    fc.assert(
      fc.property(caseArb, seedArb, (c, seed) => {
        const s = shapes(c);
        const x = randn(s.x, { rng: seed });
        const w = randn(s.w, { rng: seed + 1 });
        const g = randn(s.y, { rng: seed + 2 });
        const y = conv2d(x, w, c.opts);
        const lhs = dot(g.data, y.data);
        // Size of the sum without cancellation: <|g|, conv(|x|, |w|)>.
        const scale = dot(abs(g).data, refConv(abs(x), abs(w), c));
        const viaX = dot(conv2dInputGrad(g, w, s.x, c.opts).data, x.data);
        const viaW = dot(conv2dWeightGrad(x, g, s.w, c.opts).data, w.data);
        expect(Math.abs(lhs - viaX)).toBeLessThanOrEqual(1e-13 * scale);
        expect(Math.abs(lhs - viaW)).toBeLessThanOrEqual(1e-13 * scale);
      }),
      runs(150),
    );
  });

  it('takes the pointwise path for 1x1 kernels (stride 1, no padding) and a strided path otherwise', () => {
    const x = randn([2, 4, 3, 5], { rng: 11 });
    const w = randn([6, 2, 1, 1], { rng: 12 });
    const c1: Case = { N: 2, groups: 2, Cg: 2, Og: 3, KH: 1, KW: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, H: 3, W: 5, OH: 3, OW: 5, opts: { groups: 2 } };
    expectMatch(conv2d(x, w, c1.opts), [2, 6, 3, 5], refConv(x, w, c1), 'float64');
    const g = randn([2, 6, 3, 5], { rng: 13 });
    expectMatch(conv2dInputGrad(g, w, x.shape, c1.opts), x.shape, refInputGrad(g, w, c1), 'float64');
    expectMatch(conv2dWeightGrad(x, g, w.shape, c1.opts), w.shape, refWeightGrad(x, g, c1), 'float64');
    const c2: Case = { ...c1, sh: 2, sw: 2, OH: 2, OW: 3, opts: { groups: 2, stride: 2 } };
    expectMatch(conv2d(x, w, c2.opts), [2, 6, 2, 3], refConv(x, w, c2), 'float64');
  });

  it('crosses band and K-block boundaries (groups, stride, dilation, padding)', () => {
    // Kg·OW = 288·41 doubles per output row: more than one band of the JS kernel's 2^18-double
    // column buffer; Kg = 288 and OH·OW = 1271 positions: several K blocks of the contract.
    const c: Case = { N: 2, groups: 2, Cg: 32, Og: 2, KH: 3, KW: 3, sh: 2, sw: 1, ph: 1, pw: 1, dh: 1, dw: 2, H: 61, W: 43, OH: 31, OW: 41, opts: { groups: 2, stride: [2, 1], padding: 1, dilation: [1, 2] } };
    const s = shapes(c);
    const x = randn(s.x, { rng: 21 });
    const w = randn(s.w, { rng: 22 });
    const g = randn(s.y, { rng: 23 });
    expectMatch(conv2d(x, w, c.opts), s.y, refConv(x, w, c), 'float64');
    expectMatch(conv2dInputGrad(g, w, s.x, c.opts), s.x, refInputGrad(g, w, c), 'float64');
    expectMatch(conv2dWeightGrad(x, g, s.w, c.opts), s.w, refWeightGrad(x, g, c), 'float64');
  });

  it('a kernel equal to the padded input gives a 1x1 output (a full dot product)', () => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    const w = tensor([[[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]]);
    const y = conv2d(x, w, { padding: 1 });
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(y.item()).toBe(10);
    expect(conv2d(x, tensor([[[[1, 10], [100, 1000]]]])).item()).toBe(4321);
  });

  it('keeps H and W from inputShape when stride hides them, and the batch of g', () => {
    const w = randn([1, 1, 3, 3], { rng: 5 });
    const g = randn([1, 1, 3, 3], { rng: 6 });
    // With stride 2, inputs of height 7 and 8 both give 3 output rows.
    expect(conv2dInputGrad(g, w, [1, 1, 7, 7], { stride: 2 }).shape).toEqual([1, 1, 7, 7]);
    expect(conv2dInputGrad(g, w, [1, 1, 8, 8], { stride: 2 }).shape).toEqual([1, 1, 8, 8]);
    // The batch comes from g (an input of batch 1 broadcast against it is summed by the caller).
    const g2 = randn([2, 1, 3, 3], { rng: 7 });
    const d2 = conv2dInputGrad(g2, w, [1, 1, 7, 7], { stride: 2 });
    expect(d2.shape).toEqual([2, 1, 7, 7]);
    expect(Array.from(d2.data.subarray(49))).toEqual(Array.from(conv2dInputGrad(randn([2, 1, 3, 3], { rng: 7 }), w, [2, 1, 7, 7], { stride: 2 }).data.subarray(49)));
  });

  it('names the op and the shapes in errors', () => {
    const x = randn([1, 3, 8, 8], { rng: 1 });
    expect(() => conv2d(x, randn([8, 4, 3, 3], { rng: 2 }))).toThrow('conv2d: input has 3 channels, weight expects 4 (input [1,3,8,8], weight [8,4,3,3])');
    expect(() => conv2d(randn([3, 8, 8], { rng: 1 }), randn([8, 3, 3, 3], { rng: 2 }))).toThrow('conv2d: input must be 4-D [N,C,H,W], got [3,8,8]');
    expect(() => conv2d(x, randn([8, 3, 3], { rng: 2 }))).toThrow('conv2d: weight must be 4-D [O,C/groups,KH,KW], got [8,3,3]');
    expect(() => conv2d(randn([1, 6, 8, 8], { rng: 1 }), randn([8, 2, 3, 3], { rng: 2 }), { groups: 2 })).toThrow(
      'conv2d: input has 6 channels, weight expects 4 (2 per group x 2 groups) (input [1,6,8,8], weight [8,2,3,3])',
    );
    expect(() => conv2d(randn([1, 6, 8, 8], { rng: 1 }), randn([8, 2, 3, 3], { rng: 2 }), { groups: 3 })).toThrow(
      'conv2d: weight has 8 output channels, not divisible by groups=3 (input [1,6,8,8], weight [8,2,3,3])',
    );
    expect(() => conv2d(randn([1, 3, 4, 6], { rng: 1 }), randn([2, 3, 5, 5], { rng: 2 }))).toThrow(
      'conv2d: kernel 5x5 (dilation [1,1]) is larger than the padded input 4x6 (padding [0,0]) (input [1,3,4,6], weight [2,3,5,5])',
    );
    expect(() => conv2d(randn([1, 3, 2, 2], { rng: 1 }), randn([2, 3, 3, 3], { rng: 2 }), { dilation: 2, padding: 1 })).toThrow(
      'conv2d: kernel 5x5 (dilation [2,2]) is larger than the padded input 4x4 (padding [1,1]) (input [1,3,2,2], weight [2,3,3,3])',
    );
    const w = randn([2, 3, 3, 3], { rng: 2 });
    expect(() => conv2d(x, w, { stride: 0 })).toThrow('conv2d: stride must be integers >= 1, got 0');
    expect(() => conv2d(x, w, { stride: [1, 0] })).toThrow('conv2d: stride must be integers >= 1, got [1,0]');
    expect(() => conv2d(x, w, { padding: [1, -1] })).toThrow('conv2d: padding must be non-negative integers, got [1,-1]');
    expect(() => conv2d(x, w, { padding: 0.5 })).toThrow('conv2d: padding must be non-negative integers, got 0.5');
    expect(() => conv2d(x, w, { dilation: 0 })).toThrow('conv2d: dilation must be integers >= 1, got 0');
    expect(() => conv2d(x, w, { groups: 0 })).toThrow('conv2d: groups must be an integer >= 1, got 0');
    const g = randn([1, 2, 5, 5], { rng: 3 });
    expect(() => conv2dInputGrad(g, w, [1, 3, 8, 8])).toThrow(
      'conv2dInputGrad: gradient [1,2,5,5] does not match the conv2d output [1,2,6,6] of input [1,3,8,8] and weight [2,3,3,3]',
    );
    expect(() => conv2dInputGrad(g, w, [2, 3, 7, 7])).toThrow('conv2dInputGrad: inputShape [2,3,7,7] has batch 2, gradient [1,2,5,5] has batch 1');
    expect(() => conv2dWeightGrad(randn([2, 3, 7, 7], { rng: 1 }), randn([3, 2, 5, 5], { rng: 1 }), w.shape)).toThrow(
      'conv2dWeightGrad: input [2,3,7,7] and gradient [3,2,5,5] have batches 2 and 3; they must be equal or one of them 1',
    );
    expect(() => conv2dWeightGrad(x, g, w.shape)).toThrow(
      'conv2dWeightGrad: gradient [1,2,5,5] does not match the conv2d output [1,2,6,6] of input [1,3,8,8] and weight [2,3,3,3]',
    );
    expect(() => conv2dOutputShape([1, 3, 8, 8], [2, 4, 3, 3])).toThrow('conv2dOutputShape: input has 3 channels, weight expects 4');
  });
});
