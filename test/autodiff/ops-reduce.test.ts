import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import {
  expand, logSoftmax, logsumexp, max, mean, min, softmax, sum, sumTo,
} from '../../src/autodiff/ops/reduce.js';
import { exp, square } from '../../src/autodiff/ops/unary.js';
import { ones, randn, tensor } from '../../src/tensor/create.js';
import * as K from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  axisArb, broadcastPairArb, checkAllOrders, reduceAxesArb, shapeArb, tensorArb, values, type ValueKind,
} from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';

type Reduction = (x: Tensor, axes?: number | readonly number[], opts?: { keepdims?: boolean }) => Tensor;

/** A tensor, reduction axes for it, and keepdims. */
function reductionCaseArb(kind: ValueKind) {
  return shapeArb().chain((s) =>
    fc.record({ x: tensorArb(s, kind), axes: reduceAxesArb(s.length), keepdims: fc.boolean() }),
  );
}

const REDUCTIONS: ReadonlyArray<[string, Reduction, ValueKind]> = [
  ['sum', sum, 'smooth'],
  ['mean', mean, 'smooth'],
  ['max', max, 'distinct'],
  ['min', min, 'distinct'],
  ['logsumexp', logsumexp, 'smooth'],
];

describe('reductions over random axes, keepdims on/off: gradcheck at orders 1, 2, 3', () => {
  for (const [name, op, kind] of REDUCTIONS) {
    it(name, () => {
      fc.assert(
        fc.property(reductionCaseArb(kind), ({ x, axes, keepdims }) => {
          const f = (t: Tensor): Tensor => op(t, axes, { keepdims });
          const r = checkAllOrders(f, [x]);
          // The output has the kernel's shape.
          const ref = K.sum(x, axes, { keepdims });
          expect([...f(x).shape]).toEqual([...ref.shape]);
          return r.length === 3;
        }),
        runs(45),
      );
    });
  }

  it('reductions inside smooth compositions (non-trivial Hessians)', () => {
    fc.assert(
      fc.property(reductionCaseArb('distinct'), ({ x, axes, keepdims }) => {
        checkAllOrders((t) => mul(sum(square(t), axes, { keepdims }), mean(exp(t), axes, { keepdims })), [x]);
        checkAllOrders((t) => exp(max(mul(t, t), axes, { keepdims })), [tensor(values(x).map((v) => v + 2), { shape: x.shape })]);
        checkAllOrders((t) => square(min(t, axes, { keepdims })), [x]);
        checkAllOrders((t) => square(logsumexp(t, axes, { keepdims })), [x]);
      }),
      runs(15),
    );
  });

  it('softmax and logSoftmax along a random axis', () => {
    const arb = shapeArb({ minRank: 1 }).chain((s) => fc.tuple(tensorArb(s, 'smooth'), axisArb(s.length)));
    fc.assert(
      fc.property(arb, ([x, axis]) => {
        checkAllOrders((t) => softmax(t, axis), [x]);
        checkAllOrders((t) => logSoftmax(t, axis), [x]);
      }),
      runs(45),
    );
  });

  it('expand and sumTo between broadcast-compatible shapes', () => {
    const arb = broadcastPairArb().chain(([sa, sb]) => {
      const full = K.broadcastShapes('test', sa, sb);
      return fc.tuple(tensorArb(sa, 'smooth'), tensorArb(full, 'smooth'), fc.constant(full));
    });
    fc.assert(
      fc.property(arb, ([small, big, full]) => {
        checkAllOrders((t) => expand(t, full), [small]);
        checkAllOrders((t) => sumTo(t, small.shape), [big]);
        checkAllOrders((t) => sumTo(square(expand(t, full)), t.shape), [small]);
      }),
      runs(45),
    );
  });

  it('larger inputs in random-direction mode', () => {
    const x = randn([4, 5, 3], { rng: 7 });
    for (const axes of [undefined, 1, [0, 2], [2, 0]] as const) {
      for (const keepdims of [false, true]) {
        for (const op of [sum, mean, logsumexp]) checkAllOrders((t) => op(t, axes, { keepdims }), [x], { mode: 'random' });
        // Random normals are distinct with probability 1 and far apart at this size.
        for (const op of [max, min]) checkAllOrders((t) => op(t, axes, { keepdims }), [x], { mode: 'random' });
      }
    }
    for (const axis of [0, 1, -1]) {
      checkAllOrders((t) => softmax(t, axis), [x], { mode: 'random' });
      checkAllOrders((t) => logSoftmax(t, axis), [x], { mode: 'random' });
    }
  });
});

describe('reductions: known exact derivatives', () => {
  it('grad of softmax sums to zero along the softmax axis for any grad-output', () => {
    const arb = shapeArb({ minRank: 1 }).chain((s) => fc.tuple(tensorArb(s, 'smooth'), tensorArb(s, 'smooth'), axisArb(s.length)));
    fc.assert(
      fc.property(arb, ([x0, v, axis]) => {
        const x = requiresGrad(x0);
        const [g] = grad(softmax(x, axis), x, { gradOutputs: v });
        const sums = K.sum(g!, axis);
        expectClose(sums.data, new Array<number>(sums.size).fill(0), 1e-14, 0);
        // logSoftmax's VJP has the closed form v − softmax(x)·Σ_axis v.
        const [h] = grad(logSoftmax(x, axis), x, { gradOutputs: v });
        const s = K.softmax(x0, axis);
        const vs = K.sum(v, axis, { keepdims: true });
        expectClose(h!.data, K.sub(v, K.mul(s, vs)).data, 1e-14, 1e-12);
      }),
      runs(40),
    );
  });

  it('max as a gather: one-hot gradient at the (first) maximum, and an exactly zero second derivative', () => {
    const x = requiresGrad(tensor([[1, 7, 3], [4, 4, -2]]));
    const [g] = grad(sum(max(x, 1)), x);
    expect(values(g!)).toEqual([0, 1, 0, 1, 0, 0]); // tie at row 1: the first maximum wins
    const [gmin] = grad(sum(min(x, 0)), x);
    expect(values(gmin!)).toEqual([1, 0, 0, 0, 1, 1]);
    const [gall] = grad(max(x), x);
    expect(values(gall!)).toEqual([0, 1, 0, 0, 0, 0]);
    // Like max-pool: the first derivative v ↦ scatter(v) does not depend on x at all.
    const v = requiresGrad(tensor([0.5, -3]));
    const [g1] = grad(max(x, 1), x, { gradOutputs: v, createGraph: true });
    expect(values(g1!)).toEqual([0, 0.5, 0, -3, 0, 0]);
    expect(g1!.requiresGrad).toBe(true);
    const [h] = grad(g1!, x, { gradOutputs: ones([2, 3]), onUnused: 'zeros' });
    expect(values(h!).every((e) => e === 0)).toBe(true);
    // ...and its derivative w.r.t. v is the gather back (third order: gather ↔ scatterAdd).
    const [dv] = grad(g1!, v, { gradOutputs: tensor([[1, 2, 3], [4, 5, 6]]), createGraph: true });
    expect(values(dv!)).toEqual([2, 4]);
  });

  it('mean distributes 1/n exactly; sum distributes ones; logsumexp gives the softmax', () => {
    const x = requiresGrad(tensor([[1, 2, 3, 4], [5, 6, 7, 8]]));
    expect(values(grad(mean(x), x)[0]!)).toEqual(new Array<number>(8).fill(1 / 8));
    expect(values(grad(sum(mean(x, 1)), x)[0]!)).toEqual(new Array<number>(8).fill(1 / 4));
    expect(values(grad(sum(sum(x, [0, 1], { keepdims: true })), x)[0]!)).toEqual(new Array<number>(8).fill(1));
    const [g] = grad(sum(logsumexp(x, 1)), x);
    expectClose(g!.data, K.softmax(x, 1).data, 1e-15, 1e-14);
  });
});
