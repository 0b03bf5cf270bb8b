import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { logSoftmax, logsumexp, max, mean, min, softmax, sum } from '../../src/autodiff/ops/reduce.js';
import { ones, tensor } from '../../src/tensor/create.js';
import * as K from '../../src/tensor/index.js';
import { axisArb, shapeArb, tensorArb, values } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { REDUCE_ROWS } from './rows/reduce.js';

runGradTable(REDUCE_ROWS);

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
