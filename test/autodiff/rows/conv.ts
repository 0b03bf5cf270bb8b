import fc from 'fast-check';
import { expect } from 'vitest';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions } from '../../../src/autodiff/ops/conv.js';
import { mul } from '../../../src/autodiff/ops/elementwise.js';
import { tanh } from '../../../src/autodiff/ops/unary.js';
import { conv2dOutputShape } from '../../../src/tensor/conv.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkAllOrders, tensorArb, type Shape } from '../../support/ad.js';
import { expectClose, runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';

/** A valid conv2d configuration: input [N,C,H,W], weight [O,C/groups,kh,kw], options. */
interface ConvCase {
  xShape: Shape;
  wShape: Shape;
  outShape: Shape;
  opts: Conv2dOptions;
}

/**
 * Random small conv configurations: batch 1-2, channels 1-3 (groups 1-3), spatial 2-6 with
 * H ≠ W, kernels from 1x1 up to the whole (padded) input, stride 1-2, padding 0-1, dilation 1-2.
 * One case in five uses a kernel exactly the size of the input (no padding, no dilation).
 */
export function convCaseArb(opts: { maxBatch?: number } = {}): fc.Arbitrary<ConvCase> {
  const base = fc.record({
    N: fc.integer({ min: 1, max: opts.maxBatch ?? 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 2 }),
    og: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 2, max: 6 }),
    W: fc.integer({ min: 2, max: 6 }),
  }).filter((b) => b.H !== b.W && b.groups * b.cg <= 3 && b.groups * b.og <= 4);
  const general = base.chain((b) =>
    fc.record({
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      sh: fc.integer({ min: 1, max: 2 }),
      sw: fc.integer({ min: 1, max: 2 }),
      ph: fc.integer({ min: 0, max: 1 }),
      pw: fc.integer({ min: 0, max: 1 }),
      dh: fc.integer({ min: 1, max: 2 }),
      dw: fc.integer({ min: 1, max: 2 }),
    }).map((k) => ({ b, k })),
  ).filter(({ b, k }) => k.dh * (k.kh - 1) + 1 <= b.H + 2 * k.ph && k.dw * (k.kw - 1) + 1 <= b.W + 2 * k.pw);
  const whole = base.map((b) => ({ b, k: { kh: b.H, kw: b.W, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 } }));
  return fc.oneof({ arbitrary: general, weight: 4 }, { arbitrary: whole, weight: 1 }).map(({ b, k }) => {
    const C = b.groups * b.cg;
    const O = b.groups * b.og;
    const o: Conv2dOptions = { stride: [k.sh, k.sw], padding: [k.ph, k.pw], dilation: [k.dh, k.dw], groups: b.groups };
    const xShape = [b.N, C, b.H, b.W];
    const wShape = [O, b.cg, k.kh, k.kw];
    return { xShape, wShape, outShape: conv2dOutputShape(xShape, wShape, o), opts: o };
  });
}

const withBatch = (s: readonly number[], n: number): Shape => [n, ...s.slice(1)];

/** t (batch 1) repeated n times along the batch axis. */
function tensorFromRepeat(t: Tensor, n: number): Tensor {
  const data = new Float64Array(t.size * n);
  for (let b = 0; b < n; b++) data.set(t.data, b * t.size);
  return new Tensor(data, withBatch(t.shape, n));
}

/** Gradcheck rows run by test/autodiff/ops-conv.test.ts. */
export const CONV2D_ROWS: GradTable = {
  title: 'conv2d: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('without bias (random projections)', { conv2d }, ({ conv2d }) => {
      const arb = convCaseArb().chain((c) => fc.tuple(fc.constant(c), tensorArb(c.xShape), tensorArb(c.wShape)));
      fc.assert(
        fc.property(arb, ([c, x, w]) => {
          checkAllOrders((a, b) => conv2d(a, b, null, c.opts), [x, w], { mode: 'random' });
        }),
        runs(50),
      );
    }),

    row('with bias (random projections)', { conv2d }, ({ conv2d }) => {
      const arb = convCaseArb().chain((c) => fc.tuple(fc.constant(c), tensorArb(c.xShape), tensorArb(c.wShape), tensorArb([c.wShape[0]!])));
      fc.assert(
        fc.property(arb, ([c, x, w, b]) => {
          checkAllOrders((a, k, bb) => conv2d(a, k, bb, c.opts), [x, w, b], { mode: 'random' });
        }),
        runs(40),
      );
    }),

    row('tiny cases with full Jacobians: 1x1 kernel, kernel equal to the input, stride/padding/dilation', { conv2d }, ({ conv2d }) => {
      const cases: Array<[Shape, Shape, Conv2dOptions]> = [
        [[1, 1, 2, 3], [1, 1, 1, 1], {}],
        [[1, 1, 2, 3], [1, 1, 2, 3], {}],
        [[1, 2, 2, 3], [2, 1, 1, 2], { groups: 2 }],
        [[2, 1, 3, 2], [1, 1, 2, 2], { stride: [2, 1], padding: [1, 0] }],
        [[1, 1, 3, 4], [1, 1, 2, 2], { dilation: [1, 2], stride: 2 }],
      ];
      const arb = fc.constantFrom(...cases).chain(([xs, ws, o]) => fc.tuple(tensorArb(xs), tensorArb(ws), tensorArb([ws[0]!]), fc.constant(o)));
      fc.assert(
        fc.property(arb, ([x, w, b, o]) => {
          const r = checkAllOrders((a, k) => conv2d(a, k, null, o), [x, w], { mode: 'full' });
          expect(r.map((q) => q.mode)).toEqual(['full', 'full', 'full']);
          checkAllOrders((a, k, bb) => conv2d(a, k, bb, o), [x, w, b], { mode: 'full', orders: [1, 2] });
        }),
        runs(15),
      );
    }),

    row('a smooth composition: tanh(conv2d(x, w))·conv2d(x, w) (non-zero third derivatives)', { conv2d }, ({ conv2d }) => {
      const arb = convCaseArb({ maxBatch: 1 }).chain((c) => fc.tuple(fc.constant(c), tensorArb(c.xShape), tensorArb(c.wShape)));
      fc.assert(
        fc.property(arb, ([c, x, w]) => {
          checkAllOrders((a, k) => {
            const y = conv2d(a, k, null, c.opts);
            return mul(tanh(y), y);
          }, [x, w], { mode: 'random' });
        }),
        runs(15),
      );
    }),
  ],
};

/** Gradcheck rows run by test/autodiff/ops-conv.test.ts. */
export const CONV2D_INPUT_GRAD_ROWS: GradTable = {
  title: 'conv2dInputGrad: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('in g and w, including an inputShape with batch 1 (broadcast input)', { conv2dInputGrad }, ({ conv2dInputGrad }) => {
      const arb = convCaseArb().chain((c) =>
        fc.tuple(fc.constant(c), tensorArb(c.outShape), tensorArb(c.wShape), fc.boolean()),
      );
      fc.assert(
        fc.property(arb, ([c, g, w, broadcast]) => {
          const inShape = broadcast ? withBatch(c.xShape, 1) : c.xShape;
          const y = conv2dInputGrad(g, w, inShape, c.opts);
          expect([...y.shape]).toEqual(c.xShape);
          checkAllOrders((a, k) => conv2dInputGrad(a, k, inShape, c.opts), [g, w], { mode: 'random' });
        }),
        runs(50),
      );
    }),

    row('tiny cases with full Jacobians', { conv2dInputGrad }, ({ conv2dInputGrad }) => {
      const arb = fc
        .constantFrom<[Shape, Shape, Conv2dOptions]>(
          [[1, 1, 2, 3], [1, 1, 1, 2], {}],
          [[1, 1, 3, 2], [1, 1, 3, 2], {}],
          [[1, 1, 3, 4], [1, 1, 2, 2], { stride: 2, padding: [0, 1] }],
        )
        .chain(([xs, ws, o]) => fc.tuple(tensorArb(conv2dOutputShape(xs, ws, o)), tensorArb(ws), fc.constant(xs), fc.constant(o)));
      fc.assert(
        fc.property(arb, ([g, w, xs, o]) => {
          checkAllOrders((a, k) => conv2dInputGrad(a, k, xs, o), [g, w], { mode: 'full' });
        }),
        runs(6),
      );
    }),
  ],
};

/** Gradcheck rows run by test/autodiff/ops-conv.test.ts. */
export const CONV2D_WEIGHT_GRAD_ROWS: GradTable = {
  title: 'conv2dWeightGrad: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('in x and g with equal batches', { conv2dWeightGrad }, ({ conv2dWeightGrad }) => {
      const arb = convCaseArb().chain((c) => fc.tuple(fc.constant(c), tensorArb(c.xShape), tensorArb(c.outShape)));
      fc.assert(
        fc.property(arb, ([c, x, g]) => {
          checkAllOrders((a, b) => conv2dWeightGrad(a, b, c.wShape, c.opts), [x, g], { mode: 'random' });
        }),
        runs(50),
      );
    }),

    row('batch broadcast: x with batch 1 against g with batch 2, and the reverse', { conv2dWeightGrad }, ({ conv2dWeightGrad }) => {
      const arb = convCaseArb({ maxBatch: 1 }).chain((c) =>
        fc.boolean().chain((xIsOne) => {
          const xs = withBatch(c.xShape, xIsOne ? 1 : 2);
          const gs = withBatch(c.outShape, xIsOne ? 2 : 1);
          return fc.tuple(fc.constant(c), tensorArb(xs), tensorArb(gs));
        }),
      );
      fc.assert(
        fc.property(arb, ([c, x, g]) => {
          // Σ_n over the broadcast batch: the same as the weight gradient of the explicitly repeated operand.
          const dw = conv2dWeightGrad(x, g, c.wShape, c.opts);
          const n = Math.max(x.shape[0]!, g.shape[0]!);
          const rep = (t: Tensor): Tensor => (t.shape[0] === n ? t : tensorFromRepeat(t, n));
          expectClose(dw.data, conv2dWeightGrad(rep(x), rep(g), c.wShape, c.opts).data, 1e-12, 1e-12);
          checkAllOrders((a, b) => conv2dWeightGrad(a, b, c.wShape, c.opts), [x, g], { mode: 'random' });
        }),
        runs(50),
      );
    }),

    row('tiny cases with full Jacobians (incl. broadcast batch)', { conv2dWeightGrad }, ({ conv2dWeightGrad }) => {
      const arb = fc
        .constantFrom<[Shape, number, Shape, Conv2dOptions]>(
          [[1, 1, 2, 3], 2, [1, 1, 1, 2], {}],
          [[1, 1, 3, 2], 2, [1, 1, 2, 2], { padding: [0, 1], stride: [2, 1] }],
          [[2, 1, 2, 3], 1, [1, 1, 1, 2], { dilation: [1, 2] }],
        )
        .chain(([xs, gBatch, ws, o]) => {
          const out = conv2dOutputShape(withBatch(xs, 1), ws, o);
          return fc.tuple(tensorArb(xs), tensorArb(withBatch(out, gBatch)), fc.constant(ws), fc.constant(o));
        });
      fc.assert(
        fc.property(arb, ([x, g, ws, o]) => {
          checkAllOrders((a, b) => conv2dWeightGrad(a, b, ws, o), [x, g], { mode: 'full' });
        }),
        runs(6),
      );
    }),
  ],
};

