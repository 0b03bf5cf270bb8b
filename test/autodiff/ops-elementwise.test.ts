import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import {
  add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub, where,
} from '../../src/autodiff/ops/elementwise.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { exp } from '../../src/autodiff/ops/unary.js';
import { ones, randn, tensor } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  broadcastPairArb, checkAllOrders, separatedPairArb, tensorArb, values, type ValueKind,
} from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';

/** Two tensors of broadcast-compatible random shapes, with values of the given kinds. */
function pairArb(kindA: ValueKind, kindB: ValueKind): fc.Arbitrary<[Tensor, Tensor]> {
  return broadcastPairArb().chain(([sa, sb]) => fc.tuple(tensorArb(sa, kindA), tensorArb(sb, kindB)));
}

const BINARY: ReadonlyArray<[string, (a: Tensor, b: Tensor) => Tensor, ValueKind, ValueKind]> = [
  ['add', add, 'smooth', 'smooth'],
  ['sub', sub, 'smooth', 'smooth'],
  ['mul', mul, 'smooth', 'smooth'],
  ['div', div, 'smooth', 'positive'],
  ['pow (both operands)', pow, 'positive', 'smooth'],
];

describe('binary ops with broadcasting: gradcheck at orders 1, 2, 3', () => {
  for (const [name, op, ka, kb] of BINARY) {
    it(name, () => {
      fc.assert(
        fc.property(pairArb(ka, kb), ([a, b]) => {
          checkAllOrders(op, [a, b]);
        }),
        runs(40),
      );
    });
  }

  it('div by negative denominators and a·b/(a+b)-style compositions', () => {
    fc.assert(
      fc.property(pairArb('awayFromZero', 'positive'), ([a, b]) => {
        checkAllOrders((x, y) => div(y, mul(x, -1)), [a, b]);
        checkAllOrders((x, y) => div(mul(x, y), add(y, 1)), [a, b]);
      }),
      runs(15),
    );
  });

  it('pow with a constant exponent (integer on any sign, fractional on positive bases)', () => {
    fc.assert(
      fc.property(tensorArb([2, 3], 'smooth'), tensorArb([3], 'positive'), fc.constantFrom(2, 3, -1), (a, p, k) => {
        checkAllOrders((x) => pow(x, 3), [a]);
        checkAllOrders((x) => pow(x, k), [p]);
        checkAllOrders((x) => pow(x, 2.5), [p]);
        checkAllOrders((x) => pow(1.7, x), [a]);
      }),
      runs(10),
    );
  });

  it('ops with a plain number on either side', () => {
    fc.assert(
      fc.property(tensorArb([2, 2], 'positive'), fc.double({ min: 0.5, max: 3, noNaN: true }), (x, c) => {
        checkAllOrders((t) => add(c, mul(t, c)), [x]);
        checkAllOrders((t) => sub(c, div(c, t)), [x]);
        // t·c >= 0.25 > 0.1 = min(c, 0.1): no tie anywhere near.
        checkAllOrders((t) => maximum(mul(t, c), minimum(c, 0.1)), [x]);
        checkAllOrders((t) => minimum(0.1, maximum(t, 0)), [x]);
      }),
      runs(10),
    );
  });

  it('maximum and minimum away from ties (broadcasting both ways)', () => {
    fc.assert(
      fc.property(
        broadcastPairArb().chain(([sa, sb]) => separatedPairArb(sa, sb)),
        fc.boolean(),
        ([a, b], swap) => {
          const [x, y] = swap ? [b, a] : [a, b];
          checkAllOrders(maximum, [x, y]);
          checkAllOrders(minimum, [x, y]);
          // Non-trivial Hessians: a smooth function of the selected values.
          checkAllOrders((p, q) => mul(maximum(p, q), exp(minimum(p, q))), [x, y]);
        },
      ),
      runs(40),
    );
  });

  it('where with a random constant mask (broadcasting cond, a and b)', () => {
    const arb = broadcastPairArb().chain(([sa, sb]) =>
      fc.tuple(
        tensorArb(sa, 'smooth'),
        tensorArb(sb, 'smooth'),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      ),
    );
    fc.assert(
      fc.property(arb, ([a, b, bits]) => {
        // The condition has a's shape, so it broadcasts against b like a does.
        const cond = tensor(bits.slice(0, a.size).map((v) => (v ? 1 : 0)), { shape: a.shape });
        checkAllOrders((x, y) => where(cond, x, y), [a, b]);
        checkAllOrders((x, y) => where(cond, mul(x, y), exp(y)), [a, b]);
        checkAllOrders((x) => where(cond, x, 0.5), [a]);
      }),
      runs(40),
    );
  });

  it('larger inputs in random-direction mode', () => {
    const a = randn([5, 8], { rng: 1 });
    const b = randn([8], { rng: 2 });
    const bp = tensor(values(b).map((v) => 0.5 + Math.abs(v)), { shape: [8] });
    for (const op of [add, sub, mul, div]) {
      const r = checkAllOrders(op, [a, bp], { mode: 'random', seed: 5 });
      expect(r.map((x) => x.mode)).toEqual(['random', 'random', 'random']);
    }
    checkAllOrders((x, y) => pow(y, x), [a, bp], { mode: 'random' });
  });
});

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
