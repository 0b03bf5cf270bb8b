import fc from 'fast-check';
import { expect } from 'vitest';
import { channelAffine } from '../../../src/autodiff/ops/affine.js';
import { batchNorm } from '../../../src/autodiff/ops/batch-norm.js';
import { add, div, maximum, minimum, mul, pow, sub, where } from '../../../src/autodiff/ops/elementwise.js';
import { exp } from '../../../src/autodiff/ops/unary.js';
import { randn, tensor } from '../../../src/tensor/create.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { broadcastPairArb, checkAllOrders, separatedPairArb, tensorArb, values, type ValueKind } from '../../support/ad.js';
import { runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';

/** Two tensors of broadcast-compatible random shapes, with values of the given kinds. */
function pairArb(kindA: ValueKind, kindB: ValueKind): fc.Arbitrary<[Tensor, Tensor]> {
  return broadcastPairArb().chain(([sa, sb]) => fc.tuple(tensorArb(sa, kindA), tensorArb(sb, kindB)));
}

type Binary = (a: Tensor, b: Tensor) => Tensor;

const BINARY: ReadonlyArray<[string, string, Binary, ValueKind, ValueKind]> = [
  ['add', 'add', add, 'smooth', 'smooth'],
  ['sub', 'sub', sub, 'smooth', 'smooth'],
  ['mul', 'mul', mul, 'smooth', 'smooth'],
  ['div', 'div', div, 'smooth', 'positive'],
  ['pow (both operands)', 'pow', pow, 'positive', 'smooth'],
];

/** Gradcheck rows of the element-wise binary ops (run by test/autodiff/ops-elementwise.test.ts). */
export const ELEMENTWISE_ROWS: GradTable = {
  title: 'binary ops with broadcasting: gradcheck at orders 1, 2, 3',
  rows: [
    ...BINARY.map(([title, name, op, ka, kb]) => row(title, { [name]: op }, (ops) => {
      const f = ops[name] as Binary;
      fc.assert(
        fc.property(pairArb(ka, kb), ([a, b]) => {
          checkAllOrders(f, [a, b]);
        }),
        runs(40),
      );
    })),

    row('div by negative denominators and a·b/(a+b)-style compositions', { div }, ({ div }) => {
      fc.assert(
        fc.property(pairArb('awayFromZero', 'positive'), ([a, b]) => {
          checkAllOrders((x, y) => div(y, mul(x, -1)), [a, b]);
          checkAllOrders((x, y) => div(mul(x, y), add(y, 1)), [a, b]);
        }),
        runs(15),
      );
    }),

    row('pow with a constant exponent (integer on any sign, fractional on positive bases)', { pow }, ({ pow }) => {
      fc.assert(
        fc.property(tensorArb([2, 3], 'smooth'), tensorArb([3], 'positive'), fc.constantFrom(2, 3, -1), (a, p, k) => {
          checkAllOrders((x) => pow(x, 3), [a]);
          checkAllOrders((x) => pow(x, k), [p]);
          checkAllOrders((x) => pow(x, 2.5), [p]);
          checkAllOrders((x) => pow(1.7, x), [a]);
        }),
        runs(10),
      );
    }),

    row('ops with a plain number on either side', { add, sub, mul, div, maximum, minimum }, ({ add, sub, mul, div, maximum, minimum }) => {
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
    }),

    row('maximum and minimum away from ties (broadcasting both ways)', { maximum, minimum }, ({ maximum, minimum }) => {
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
    }),

    row('where with a random constant mask (broadcasting cond, a and b)', { where }, ({ where }) => {
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
    }),

    row('channelAffine (x − m)·s + b per channel: every input, and inside a product (non-trivial Hessians)', { channelAffine }, ({ channelAffine }) => {
      const arb = fc
        .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1 }))
        .chain(([n, c, h, extra]) => {
          const xs = extra === 1 ? [n, c, h, 2] : [n, c, h];
          const ps = xs.map((d, i) => (i === 1 ? d : 1));
          return fc.tuple(tensorArb(xs), tensorArb(ps), tensorArb(ps), tensorArb(ps));
        });
      fc.assert(
        fc.property(arb, ([x, m, s, b]) => {
          checkAllOrders(channelAffine, [x, m, s, b]);
          checkAllOrders((t, u) => mul(channelAffine(t, u, u, b), t), [x, s]);
        }),
        runs(25),
      );
    }),

    row('batchNorm with batch statistics: x, γ and β, alone and times x (non-trivial Hessians)', { batchNorm }, ({ batchNorm }) => {
      const arb = fc
        .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 }))
        .chain(([n, c, h]) => fc.tuple(tensorArb([n, c, h, 2]), tensorArb([1, c, 1, 1], 'positive'), tensorArb([1, c, 1, 1])));
      fc.assert(
        fc.property(arb, ([x, gamma, beta]) => {
          checkAllOrders((t, gm, bt) => batchNorm(t, gm, bt, 1e-3).y, [x, gamma, beta]);
          checkAllOrders((t) => mul(batchNorm(t, gamma, beta, 1e-3).y, t), [x]);
        }),
        runs(15),
      );
    }),

    row('larger inputs in random-direction mode', { add, sub, mul, div, pow }, ({ add, sub, mul, div, pow }) => {
      const a = randn([5, 8], { rng: 1 });
      const b = randn([8], { rng: 2 });
      const bp = tensor(values(b).map((v) => 0.5 + Math.abs(v)), { shape: [8] });
      for (const op of [add, sub, mul, div]) {
        const r = checkAllOrders(op, [a, bp], { mode: 'random', seed: 5 });
        expect(r.map((x) => x.mode)).toEqual(['random', 'random', 'random']);
      }
      checkAllOrders((x, y) => pow(y, x), [a, bp], { mode: 'random' });
    }),
  ],
};
