import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { add, eq, ge, gt, le, lt, maximum, minimum, mul, ne } from '../../src/autodiff/ops/elementwise.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { ones, tensor } from '../../src/tensor/create.js';
import { tensorArb, values } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { ELEMENTWISE_ROWS } from './rows/elementwise.js';

runGradTable(ELEMENTWISE_ROWS);

describe('comparisons are constants', () => {
  it('gt, ge, lt, le, eq, ne return 0/1 masks that never require grad', () => {
    const a = requiresGrad(tensor([1, 2, 3]));
    const b = requiresGrad(tensor([2, 2, 2]));
    const expected: Record<string, number[]> = {
      gt: [0, 0, 1], ge: [0, 1, 1], lt: [1, 0, 0], le: [1, 1, 0], eq: [0, 1, 0], ne: [1, 0, 1],
    };
    for (const [name, op] of Object.entries({ gt, ge, lt, le, eq, ne })) {
      const m = op(a, b);
      expect(values(m), name).toEqual(expected[name]);
      expect(m.requiresGrad, name).toBe(false);
      expect(m.node, name).toBeNull();
    }
    expect(values(gt(a, 1.5))).toEqual([0, 1, 1]);
  });
});

describe('maximum / minimum: gradient routing and tie splitting', () => {
  it('the gradient goes to the larger (smaller) operand', () => {
    const a = requiresGrad(tensor([1, 5, -2]));
    const b = requiresGrad(tensor([3, 4, -1]));
    const [ga, gb] = grad(sum(maximum(a, b)), [a, b]);
    expect(values(ga!)).toEqual([0, 1, 0]);
    expect(values(gb!)).toEqual([1, 0, 1]);
    const [ha, hb] = grad(sum(minimum(a, b)), [a, b]);
    expect(values(ha!)).toEqual([1, 0, 1]);
    expect(values(hb!)).toEqual([0, 1, 0]);
  });

  it('ties split the gradient ½ / ½, so max + min = a + b holds under differentiation', () => {
    fc.assert(
      fc.property(tensorArb([4], 'smooth'), tensorArb([4], 'smooth'), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (a0, b0, tie) => {
        // Force ties at some positions (b := a there).
        const b1 = tensor(values(b0).map((v, i) => (tie[i] ? a0.data[i]! : v)), { shape: [4] });
        const a = requiresGrad(a0);
        const b = requiresGrad(b1);
        const v = tensor([1, 2, 3, 4]);
        const [ga, gb] = grad(maximum(a, b), [a, b], { gradOutputs: v });
        const [ha, hb] = grad(minimum(a, b), [a, b], { gradOutputs: v });
        for (let i = 0; i < 4; i++) {
          const vi = v.data[i]!;
          const ai = a.data[i]!;
          const bi = b.data[i]!;
          const share = ai > bi ? 1 : ai === bi ? 0.5 : 0;
          expect(ga!.data[i]).toBe(vi * share);
          expect(gb!.data[i]).toBe(vi * (1 - share));
          expect(ha!.data[i]).toBe(vi * (1 - share));
          expect(hb!.data[i]).toBe(vi * share);
          // d(max + min)/da = d(max + min)/db = v exactly, ties included.
          expect(ga!.data[i]! + ha!.data[i]!).toBe(vi);
          expect(gb!.data[i]! + hb!.data[i]!).toBe(vi);
        }
      }),
      runs(30),
    );
  });

  it('maximum(x, x) of one tensor: ½ + ½ = 1; with a broadcast scalar the tie is split too', () => {
    const x = requiresGrad(tensor([0.5, -1, 2]));
    const [g] = grad(sum(maximum(x, x)), x);
    expect(values(g!)).toEqual([1, 1, 1]);
    const s = requiresGrad(tensor(2));
    const [gx, gs] = grad(sum(maximum(x, s)), [x, s]);
    expect(values(gx!)).toEqual([0, 0, 0.5]);
    expect(values(gs!)).toEqual([2.5]);
    // A plain number on one side: x = 2 ties with it and gets half.
    const [gn] = grad(sum(minimum(x, 2)), x);
    expect(values(gn!)).toEqual([1, 1, 0.5]);
  });

  it('second derivatives through maximum of a smooth function are the selected branch\'s', () => {
    const a = requiresGrad(tensor([1, -1]));
    const b = requiresGrad(tensor([0, 0]));
    const [g1] = grad(sum(maximum(mul(a, a), b)), a, { createGraph: true });
    expectClose(g1!.data, [2, -2]);
    const [g2] = grad(g1!, a, { gradOutputs: ones([2]) });
    expect(values(g2!)).toEqual([2, 2]);
  });
});

describe('broadcast gradients have the operand shapes', () => {
  it('add/mul of [2,1,3] and [4,1]: gradients summed back over the broadcast axes', () => {
    const a = requiresGrad(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 1, 3] }));
    const b = requiresGrad(tensor([1, 2, 3, 4], { shape: [4, 1] }));
    const [ga, gb] = grad(sum(mul(a, b)), [a, b]);
    expect([...ga!.shape]).toEqual([2, 1, 3]);
    expect([...gb!.shape]).toEqual([4, 1]);
    expect(values(ga!)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(values(gb!)).toEqual([21, 21, 21, 21]);
    const [sa, sb] = grad(sum(add(a, b)), [a, b]);
    expect(values(sa!)).toEqual([4, 4, 4, 4, 4, 4]);
    expect(values(sb!)).toEqual([6, 6, 6, 6]);
  });
});
