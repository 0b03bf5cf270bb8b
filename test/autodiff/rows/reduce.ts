import fc from 'fast-check';
import { expect } from 'vitest';
import { mul } from '../../../src/autodiff/ops/elementwise.js';
import { expand, logSoftmax, logsumexp, max, mean, min, softmax, sum, sumTo } from '../../../src/autodiff/ops/reduce.js';
import { exp, square } from '../../../src/autodiff/ops/unary.js';
import { randn, tensor } from '../../../src/tensor/create.js';
import * as K from '../../../src/tensor/index.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { axisArb, broadcastPairArb, checkAllOrders, reduceAxesArb, shapeArb, tensorArb, values, type ValueKind } from '../../support/ad.js';
import { runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';

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

/** Gradcheck rows of the reductions (run by test/autodiff/ops-reduce.test.ts). */
export const REDUCE_ROWS: GradTable = {
  title: 'reductions over random axes, keepdims on/off: gradcheck at orders 1, 2, 3',
  rows: [
    ...REDUCTIONS.map(([name, op, kind]) => row(name, { [name]: op }, (ops) => {
      const reduce = ops[name] as Reduction;
      fc.assert(
        fc.property(reductionCaseArb(kind), ({ x, axes, keepdims }) => {
          const f = (t: Tensor): Tensor => reduce(t, axes, { keepdims });
          const r = checkAllOrders(f, [x]);
          // The output has the kernel's shape.
          const ref = K.sum(x, axes, { keepdims });
          expect([...f(x).shape]).toEqual([...ref.shape]);
          return r.length === 3;
        }),
        runs(45),
      );
    })),

    row('reductions inside smooth compositions (non-trivial Hessians)', { sum, mean, max, min, logsumexp }, ({ sum, mean, max, min, logsumexp }) => {
      fc.assert(
        fc.property(reductionCaseArb('distinct'), ({ x, axes, keepdims }) => {
          checkAllOrders((t) => mul(sum(square(t), axes, { keepdims }), mean(exp(t), axes, { keepdims })), [x]);
          checkAllOrders((t) => exp(max(mul(t, t), axes, { keepdims })), [tensor(values(x).map((v) => v + 2), { shape: x.shape })]);
          checkAllOrders((t) => square(min(t, axes, { keepdims })), [x]);
          checkAllOrders((t) => square(logsumexp(t, axes, { keepdims })), [x]);
        }),
        runs(15),
      );
    }),

    row('softmax and logSoftmax along a random axis', { softmax, logSoftmax }, ({ softmax, logSoftmax }) => {
      const arb = shapeArb({ minRank: 1 }).chain((s) => fc.tuple(tensorArb(s, 'smooth'), axisArb(s.length)));
      fc.assert(
        fc.property(arb, ([x, axis]) => {
          checkAllOrders((t) => softmax(t, axis), [x]);
          checkAllOrders((t) => logSoftmax(t, axis), [x]);
        }),
        runs(45),
      );
    }),

    row('expand and sumTo between broadcast-compatible shapes', { expand, sumTo }, ({ expand, sumTo }) => {
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
    }),

    row('larger inputs in random-direction mode', { sum, mean, logsumexp, max, min, softmax, logSoftmax }, ({ sum, mean, logsumexp, max, min, softmax, logSoftmax }) => {
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
    }),
  ],
};
